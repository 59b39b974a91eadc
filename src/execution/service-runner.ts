// Turns a service's config into what one attempt against one target does: templates are
// parsed once per run and rendered per target, then handed to the runner of the kind.
import { isIP } from "node:net";
import type { CommandConfig, HttpConfig } from "../domain/service-kinds.js";
import { serviceDefaults, serviceKinds } from "../domain/service-kinds.js";
import { permanentFailure } from "./attempt.js";
import type { AttemptOutcome } from "../domain/runs.js";
import { runCommand } from "./command-runner.js";
import { prepareHttpBody } from "./http-body.js";
import { sendHttpRequest, type HttpEgress } from "./http-runner.js";
import { resolveRunAs, type RunAsPolicy } from "./run-as.js";
import { parseCommandTemplate, parseTemplate, renderCommand, renderTemplate, TemplateError, type Template, type TemplateContext } from "./templates.js";
import type { Logger } from "../logger.js";

export interface ExecutionLimits extends RunAsPolicy {
  outputLimitBytes: number;
  killGraceMs: number;
  httpEgress: HttpEgress;
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
    const env: Record<string, string> = {
      PATH: commandPath,
      ...(identity && { HOME: identity.home }),
      ...inherited,
      ...renderMap(environment, context),
      CRONLINE_PAYLOAD: payload,
      CRONLINE_RUN_ID: context.run.id,
      CRONLINE_TASK_NAME: context.task.name,
      CRONLINE_SCHEDULED_FOR: context.scheduledFor.toISOString(),
      ...(context.device && { CRONLINE_DEVICE_NAME: context.device.name, CRONLINE_DEVICE_ADDRESS: context.device.address }),
    };
    return runCommand({
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
    });
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
  return (context, signal) => {
    const renderedHeaders = renderHeaders(headers, context);
    const contentType = Object.entries(renderedHeaders).find(([name]) => name.toLowerCase() === "content-type")?.[1];
    const body = hasBody ? renderBody(context, contentType) : undefined;
    return sendHttpRequest({
      method: config.method,
      url: renderTemplate(url, context, encodeUrlValue),
      headers: { ...(contentType === undefined && body?.contentType && { "content-type": body.contentType }), ...renderedHeaders },
      body: body?.body,
      timeoutMs,
      expectedStatusCodes: config.expectedStatusCodes,
      maxRedirects: config.maxRedirects ?? serviceDefaults.httpMaxRedirects,
      outputLimitBytes: limits.outputLimitBytes,
      egress: limits.httpEgress,
      signal,
    });
  };
}

/**
 * The attempt function of a stored service. Rendering problems (a payload key or device
 * property that is missing for this target) are recorded failures of that target.
 */
export function prepareAttempt(kind: string, storedConfig: unknown, limits: ExecutionLimits, logger: Logger): Attempt {
  let attempt: Attempt;
  try {
    if (kind === "COMMAND") attempt = commandAttempt(serviceKinds.COMMAND.parse(storedConfig), limits, logger);
    else if (kind === "HTTP") attempt = httpAttempt(serviceKinds.HTTP.parse(storedConfig), limits);
    else return async () => permanentFailure(`unknown service kind ${kind}`);
  } catch (error) {
    // Only rows written before a rule existed can fail here; each target records why.
    return async () => permanentFailure(`the service's config is not valid: ${(error as Error).message}`);
  }
  return async (context, signal) => {
    try {
      return await attempt(context, signal);
    } catch (error) {
      if (error instanceof TemplateError) return permanentFailure(error.message);
      throw error;
    }
  };
}
