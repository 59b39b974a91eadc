// What each kind of Service needs in its configuration. A kind is a string column plus a
// JSON config validated here, so new kinds add a schema, not a migration. Templates
// (commands, URLs, headers, bodies, environment values) are parsed here too, so a bad
// placeholder is refused when the service is saved. Which values are secret is said here
// too (secretPlaces); src/domain/service-secrets.ts keeps them out of sight.
import { z } from "zod";
import { secretEnvironmentVariables, systemNamePattern } from "../config.js";
import { checkJsonBody } from "../execution/http-body.js";
import { parseCommandTemplate, parseTemplate, renderSample, TemplateError, type Template } from "../execution/templates.js";
import { workflowConfigSchema, type WorkflowConfig } from "./workflow-config.js";

const positiveSeconds = z.number().int().positive().max(86_400);
const environmentName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a valid environment variable name");
const systemName = z.string().regex(systemNamePattern, "must be a user or group name");

/**
 * A string field that must parse with `parse`; the parse error becomes the field's message
 * (and its `unquoted` form, for a field that holds a secret: see parseInput).
 */
const templateString = (parse: (text: string) => unknown, base = z.string()) =>
  base.superRefine((text, ctx) => {
    try {
      parse(text);
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      ctx.addIssue({ code: "custom", message: error.message, params: { unquoted: error.unquoted } });
    }
  });

const commandConfigSchema = z.strictObject({
  command: templateString(parseCommandTemplate, z.string().max(8_192)),
  workingDirectory: z.string().min(1).refine((dir) => dir.startsWith("/"), "must be an absolute path").optional(),
  /** Variables set for the command (values are templates); nothing else of the server's environment is passed. */
  environment: z.record(environmentName, templateString(parseTemplate)).optional(),
  /** Names of the server's own environment variables the command may see (e.g. LANG). */
  inheritEnvironment: z
    .array(environmentName)
    .max(100)
    .superRefine((names, ctx) => {
      const secrets = names.filter((name) => secretEnvironmentVariables.includes(name));
      if (secrets.length > 0) ctx.addIssue({ code: "custom", message: `must not name variables holding Cronline's secrets (${secrets.join(", ")})` });
    })
    .optional(),
  timeoutSeconds: positiveSeconds.optional(),
  /** Run as this user (and group) — the server must run as root, the user be on RUN_AS_ALLOWED_USERS and the group on RUN_AS_ALLOWED_GROUPS. */
  runAs: z.strictObject({ user: systemName, group: systemName.optional() }).optional(),
  /** Pass placeholder values that begin with "-" even where the program would read them as options (see renderCommand). */
  allowOptionLikeValues: z.boolean().optional(),
});

/** The URL with each placeholder replaced by `value` ("0" fits wherever a value may go: a port, a path, a query, part of a host name). */
const urlSample = (template: Template, value: string) =>
  renderSample(template, (placeholder) => (placeholder.kind === "device.address" ? `${value}.example.com` : value));

/** A URL template must be an absolute http(s) URL whatever its placeholders hold. */
function parseUrlTemplate(text: string): Template {
  const template = parseTemplate(text);
  let url: URL;
  try {
    url = new URL(urlSample(template, "0"));
  } catch {
    throw new TemplateError("must be an absolute http:// or https:// URL");
  }
  if (!["http:", "https:"].includes(url.protocol)) throw new TemplateError("must be an absolute http:// or https:// URL");
  return template;
}

/** The URL's host when no placeholder takes part in it (as the URL parser spells it); null otherwise. */
export function staticUrlHost(urlTemplate: string): string | null {
  const template = parseTemplate(urlTemplate);
  const [zero, one] = ["0", "1"].map((value) => new URL(urlSample(template, value)).hostname);
  return zero === one ? zero! : null;
}

/** The HTTP fields `secretFields` may list. */
const markableHttpFields = ["url", "body"] as const;

const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "must be a valid header name");

const httpConfigSchema = z
  .strictObject({
    url: templateString(parseUrlTemplate),
    method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]).default("POST"),
    headers: z.record(headerName, templateString(parseTemplate)).optional(),
    /** Default: the run's payload as JSON (for methods with a body). */
    body: templateString(parseTemplate).optional(),
    // fetch (undici) gives up on its own after 300 s without headers or body data: a longer
    // timeout would end as a failure ("Headers Timeout Error") instead of TIMED_OUT.
    timeoutSeconds: positiveSeconds.max(300).optional(),
    expectedStatusCodes: z.array(z.number().int().min(100).max(599)).min(1).optional(),
    /** Redirects followed, each checked like the first request; 0: a 3xx is the answer. */
    maxRedirects: z.number().int().min(0).max(10).optional(),
    /** Fields whose value is secret too, like every header: a URL with a token in it, a body with a password. */
    secretFields: z
      .array(z.enum(markableHttpFields))
      .max(2)
      .transform((fields) => [...new Set(fields)])
      .optional(),
  })
  .superRefine((config, ctx) => {
    if (config.body === undefined) return;
    const contentType = Object.entries(config.headers ?? {}).find(([name]) => name.toLowerCase() === "content-type")?.[1];
    try {
      checkJsonBody(config.body, contentType);
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      ctx.addIssue({ code: "custom", path: ["body"], message: `${error.message} (content-type is ${contentType})`, params: { unquoted: `${error.unquoted} (content-type is ${contentType})` } });
    }
  });

export const serviceKinds = {
  COMMAND: commandConfigSchema,
  HTTP: httpConfigSchema,
  WORKFLOW: workflowConfigSchema,
} as const;

export type ServiceKind = keyof typeof serviceKinds;
export const serviceKindNames = Object.keys(serviceKinds) as ServiceKind[];
export type CommandConfig = z.output<typeof commandConfigSchema>;
export type HttpConfig = z.output<typeof httpConfigSchema>;
export type { WorkflowConfig };

/** Every template of a valid COMMAND or HTTP config, with the field it is in (`environment.NAME`). */
export function configTemplates(kind: ServiceKind, config: Record<string, unknown>): [string, Template][] {
  const map = (name: string, entries: unknown) => Object.entries((entries ?? {}) as Record<string, string>).map(([key, text]): [string, Template] => [`${name}.${key}`, parseTemplate(text)]);
  if (kind === "COMMAND") {
    const command = config as CommandConfig;
    return [...parseCommandTemplate(command.command).map((word): [string, Template] => ["command", word]), ...map("environment", command.environment)];
  }
  if (kind === "HTTP") {
    const http = config as HttpConfig;
    return [["url", parseTemplate(http.url)], ...map("headers", http.headers), ...(http.body === undefined ? [] : [["body", parseTemplate(http.body)] as [string, Template]])];
  }
  return [];
}

/**
 * Where a kind keeps secrets: every value of its `map` (header values, environment values),
 * and those of the `markable` fields the config lists in `secretFields`.
 */
export const secretPlaces: Record<ServiceKind, { map: string; markable: readonly string[] }> = {
  COMMAND: { map: "environment", markable: [] },
  HTTP: { map: "headers", markable: markableHttpFields },
  // A workflow holds no secrets of its own: its steps' services do.
  WORKFLOW: { map: "", markable: [] },
};

export const serviceDefaults = { concurrency: 10, commandTimeoutSeconds: 300, httpTimeoutSeconds: 30, httpMaxRedirects: 0 } as const;
