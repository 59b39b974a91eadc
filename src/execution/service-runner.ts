// Turns a service's config into what one attempt against one target does: its secrets are
// opened and put back in place, templates are parsed once per run and rendered per target,
// then handed to the runner of the kind; the secret values, as rendered, are masked in what
// the attempt recorded.
import { isIP } from "node:net";
import { parseInput } from "../domain/input-rules.js";
import type { CommandConfig, HttpConfig, ServiceKind } from "../domain/service-kinds.js";
import { serviceDefaults, serviceKindNames, serviceKinds } from "../domain/service-kinds.js";
import { openSecrets, secretPaths, secretValues, withSecrets, type SealedSecretColumns } from "../domain/service-secrets.js";
import { SecretsUnreadableError, type SecretsCipher } from "../secrets/secrets-cipher.js";
import { permanentFailure } from "./attempt.js";
import type { AttemptOutcome } from "../domain/runs.js";
import { runCommand } from "./command-runner.js";
import type { CommandLauncher } from "./command-launcher.js";
import type { CommandReaper } from "./command-reaper.js";
import { prepareHttpBody } from "./http-body.js";
import { sendHttpRequest, type HttpEgress } from "./http-runner.js";
import { maskOutcome, secretMasker } from "./output-masking.js";
import { resolveRunAs, type RunAsPolicy } from "./run-as.js";
import { parseCommandTemplate, parseTemplate, renderCommand, renderTemplate, TemplateError, type Template, type TemplateContext } from "./templates.js";
import type { Logger } from "../logger.js";

export interface ExecutionLimits extends RunAsPolicy {
  outputLimitBytes: number;
  killGraceMs: number;
  httpEgress: HttpEgress;
  /** Kills the commands still running should this process die. */
  commandReaper?: CommandReaper;
  /** Spawns commands outside this process (see CommandLauncher). */
  commandLauncher?: CommandLauncher;
}

/** One attempt against one target (context.device null for a run without targets). */
export type Attempt = (context: TemplateContext, signal: AbortSignal) => Promise<AttemptOutcome>;

/** PATH for commands, which do not inherit the server's environment. */
const commandPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

const renderMap = (templates: [string, Template][], context: TemplateContext) =>
  Object.fromEntries(templates.map(([name, template]) => [name, renderTemplate(template, context)]));

function commandAttempt(config: CommandConfig, limits: ExecutionLimits, logger: Logger): Attempt {
  const words = parseCommandTemplate(config.command);
  const environment = Object.entries(config.environment ?? {}).map(([name, text]): [string, Template] => [name, parseTemplate(text)]);
  const inherited = Object.fromEntries((config.inheritEnvironment ?? []).flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name]!]])));
  const timeoutMs = (config.timeoutSeconds ?? serviceDefaults.commandTimeoutSeconds) * 1000;
  let runAs: ReturnType<typeof resolveRunAs> | undefined;
  return async (context, signal) => {
    // Once per run: every target of the run runs as the same identity.
    const identity = await (runAs ??= resolveRunAs(config.runAs, limits));
    if (typeof identity === "string") return permanentFailure(identity);
    const argv = renderCommand(words, context, config.allowOptionLikeValues ?? false);
    const payload = JSON.stringify(context.payload);
    const secretEnvironment = renderMap(environment, context);
    const env: Record<string, string> = {
      PATH: commandPath,
      ...(identity && { HOME: identity.home }),
      ...inherited,
      ...secretEnvironment,
      CRONLINE_PAYLOAD: payload,
      CRONLINE_RUN_ID: context.run.id,
      CRONLINE_TASK_NAME: context.task.name,
      CRONLINE_SCHEDULED_FOR: context.scheduledFor.toISOString(),
      ...(context.device && { CRONLINE_DEVICE_NAME: context.device.name, CRONLINE_DEVICE_ADDRESS: context.device.address }),
    };
    const outcome = await runCommand({
      argv,
      env,
      workingDirectory: config.workingDirectory,
      stdin: payload,
      timeoutMs,
      killGraceMs: limits.killGraceMs,
      outputLimitBytes: limits.outputLimitBytes,
      uid: identity?.uid,
      gid: identity?.gid,
      logger: logger.child({ runId: context.run.id, device: context.device?.name }),
      signal,
      reaper: limits.commandReaper,
      launcher: limits.commandLauncher,
    });
    return maskOutcome(outcome, secretMasker(Object.values(secretEnvironment)));
  };
}

/** Substituted URL parts are percent-encoded, except the device address, which is the host. */
const encodeUrlValue = (value: string, placeholder: { kind: string }) =>
  placeholder.kind === "device.address" ? (isIP(value) === 6 ? `[${value}]` : value) : encodeURIComponent(value);

/** A header value is one line: a value with CR or LF could add headers, or a request, of its own. */
function renderHeaders(templates: [string, Template][], context: TemplateContext): Record<string, string> {
  const headers = renderMap(templates, context);
  for (const [name, value] of Object.entries(headers)) {
    if (/[\r\n\0]/.test(value)) throw new TemplateError(`header ${name}: the rendered value contains a line break or NUL`);
  }
  return headers;
}

function httpAttempt(config: HttpConfig, limits: ExecutionLimits): Attempt {
  const url = parseTemplate(config.url);
  const headers = Object.entries(config.headers ?? {}).map(([name, text]): [string, Template] => [name, parseTemplate(text)]);
  const renderBody = prepareHttpBody(config.body);
  const hasBody = config.method !== "GET" && config.method !== "HEAD";
  const timeoutMs = (config.timeoutSeconds ?? serviceDefaults.httpTimeoutSeconds) * 1000;
  const secretFields = new Set(config.secretFields);
  return async (context, signal) => {
    const renderedUrl = renderTemplate(url, context, encodeUrlValue);
    const renderedHeaders = renderHeaders(headers, context);
    const contentType = Object.entries(renderedHeaders).find(([name]) => name.toLowerCase() === "content-type")?.[1];
    const body = hasBody ? renderBody(context, contentType) : undefined;
    const outcome = await sendHttpRequest({
      method: config.method,
      url: renderedUrl,
      headers: { ...(contentType === undefined && body?.contentType && { "content-type": body.contentType }), ...renderedHeaders },
      body: body?.body,
      timeoutMs,
      expectedStatusCodes: config.expectedStatusCodes,
      maxRedirects: config.maxRedirects ?? serviceDefaults.httpMaxRedirects,
      outputLimitBytes: limits.outputLimitBytes,
      egress: limits.httpEgress,
      signal,
    });
    const secrets = [
      ...Object.values(renderedHeaders),
      ...(secretFields.has("url") ? [renderedUrl] : []),
      ...(secretFields.has("body") && config.body !== undefined && body !== undefined ? [body.body] : []),
    ];
    return maskOutcome(outcome, secretMasker(secrets));
  };
}

/** A stored service, with what it takes to open its secrets. */
export interface StoredService extends SealedSecretColumns {
  id: string;
  kind: string;
  config: unknown;
}

/**
 * The attempt function of a stored service. Secrets that cannot be opened, and rendering
 * problems (a payload key or device property that is missing for this target), are recorded
 * failures of each target.
 */
export function prepareAttempt(service: StoredService, limits: ExecutionLimits, secrets: SecretsCipher, logger: Logger): Attempt {
  const kind = service.kind as ServiceKind;
  if (!serviceKindNames.includes(kind)) return async () => permanentFailure(`unknown service kind ${service.kind}`);
  // The executor runs a workflow through its steps (workflow-runner.ts), never as one attempt.
  if (kind === "WORKFLOW") return async () => permanentFailure("a WORKFLOW runs through its steps, not as one attempt");
  let config: Record<string, unknown>;
  try {
    config = withSecrets(service.config as Record<string, unknown>, openSecrets(secrets, service.id, service));
  } catch (error) {
    if (!(error instanceof SecretsUnreadableError)) throw error;
    return async () => permanentFailure(`the service's secrets cannot be read: ${error.message}`);
  }
  // Reasons that no attempt's output carries (an invalid config, a template that cannot be
  // rendered) quote no template text, and no secret value as the config writes it.
  const maskWritten = secretMasker(secretValues(kind, config));
  let attempt: Attempt;
  try {
    // The reasons name the fields and quote nothing of a secret value.
    const valid = parseInput(serviceKinds[kind], config, "config", secretPaths(kind, config, "config"));
    attempt = kind === "COMMAND" ? commandAttempt(valid as CommandConfig, limits, logger) : httpAttempt(valid as HttpConfig, limits);
  } catch (error) {
    // Only rows written before a rule existed can fail here; each target records why.
    return async () => permanentFailure(maskWritten(`the service's config is not valid: ${(error as Error).message}`));
  }
  return async (context, signal) => {
    try {
      return await attempt(context, signal);
    } catch (error) {
      if (error instanceof TemplateError) return permanentFailure(maskWritten(error.unquoted));
      throw error;
    }
  };
}
