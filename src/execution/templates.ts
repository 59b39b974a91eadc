// Templates of service configs: `{{device.address}}` and friends. They are parsed and
// checked when a service is saved, so a typo is a ValidationError then, not a failed run
// at 3 a.m.; at run time they are rendered against one target.
import { parse as parseShellWords } from "shell-quote";

/** The final attempt of one target of a workflow step, as later steps see it (secrets already masked). */
export interface StepTargetResult {
  deviceName: string | null;
  status: string;
  exitCode: number | null;
  httpStatus: number | null;
  output: string;
  errorOutput: string;
}

/** A finished step of a workflow, for `{{steps.<name>...}}`. */
export interface StepOutcome {
  status: string;
  results: StepTargetResult[];
}

export interface TemplateContext {
  device: { name: string; address: string; properties: Record<string, unknown> } | null;
  payload: Record<string, unknown>;
  task: { name: string };
  run: { id: string };
  scheduledFor: Date;
  /** Inside a workflow: the steps finished so far, by name. */
  steps?: ReadonlyMap<string, StepOutcome>;
}

export const stepFields = ["status", "stdout", "stderr", "exitCode", "httpStatus", "json"] as const;
export type StepField = (typeof stepFields)[number];

/** `{{steps.<step>[.devices.<device> | .device].<field>[.<json path>]}}`: an earlier step's result in a workflow. */
export interface StepPlaceholder {
  kind: "steps";
  step: string;
  /** A device by name; "" for `.device`, the device of the target being rendered; null for the step's only result. */
  device: string | null;
  field: StepField;
  /** For `json`: the keys and indexes into the parsed output. */
  path: string[];
}

export type Placeholder =
  | { kind: "device.name" | "device.address" | "task.name" | "run.id" | "scheduledFor" }
  | { kind: "device.properties" | "payload"; key: string }
  | StepPlaceholder;

type Segment = string | Placeholder;

/** A parsed template: literal text and placeholders, in order. */
export type Template = readonly Segment[];

export class TemplateError extends Error {
  /** The message without any text of the template (positions instead), for templates that hold secrets. */
  readonly unquoted: string;

  constructor(message: string, unquoted = message) {
    super(message);
    this.name = "TemplateError";
    this.unquoted = unquoted;
  }
}

const fixedPlaceholders = new Set(["device.name", "device.address", "task.name", "run.id", "scheduledFor"] as const);
const keyedPlaceholder = /^(device\.properties|payload)\.([A-Za-z0-9_-]+)$/;
export const placeholderHelp =
  "{{device.name}}, {{device.address}}, {{device.properties.<key>}}, {{payload.<key>}}, {{task.name}}, {{run.id}}, {{scheduledFor}}, and in a workflow {{steps.<step>.<field>}}, {{steps.<step>.devices.<device>.<field>}}, {{steps.<step>.device.<field>}} (fields: status, stdout, stderr, exitCode, httpStatus, json.<path>)";
const stepPlaceholder = /^steps\.([A-Za-z0-9_-]+)(?:\.devices\.([A-Za-z0-9_-]+)|\.(device))?\.(status|stdout|stderr|exitCode|httpStatus|json)((?:\.[A-Za-z0-9_-]+)*)$/;

/** `position`: where the placeholder's `{{` is in the template, counted from 1. */
function parsePlaceholder(name: string, position: number): Placeholder {
  if (fixedPlaceholders.has(name as never)) return { kind: name as "device.name" };
  const keyed = keyedPlaceholder.exec(name);
  if (keyed) return { kind: keyed[1] as "payload", key: keyed[2]! };
  const step = stepPlaceholder.exec(name);
  if (step && (step[4] === "json" || step[5] === "")) {
    return { kind: "steps", step: step[1]!, device: step[2] ?? (step[3] ? "" : null), field: step[4] as StepField, path: step[5] ? step[5].slice(1).split(".") : [] };
  }
  throw new TemplateError(`unknown placeholder {{${name}}}; known: ${placeholderHelp}`, `unknown placeholder at character ${position}; known: ${placeholderHelp}`);
}

/** Parses `text`; every `{{` must open a known placeholder closed by `}}`. */
export function parseTemplate(text: string): Template {
  const segments: Segment[] = [];
  let rest = text;
  for (;;) {
    const open = rest.indexOf("{{");
    if (open < 0) break;
    const position = text.length - rest.length + open + 1;
    const close = rest.indexOf("}}", open + 2);
    if (close < 0) throw new TemplateError(`"{{" at "${rest.slice(open, open + 20)}" is not closed by "}}"`, `"{{" at character ${position} is not closed by "}}"`);
    if (open > 0) segments.push(rest.slice(0, open));
    segments.push(parsePlaceholder(rest.slice(open + 2, close).trim(), position));
    rest = rest.slice(close + 2);
  }
  if (rest !== "") segments.push(rest);
  return segments;
}

/** A value as text: strings as they are, anything else as JSON. */
export function valueText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** The value a placeholder stands for in this context (a payload or property value keeps its JSON type). */
export function placeholderValue(placeholder: Placeholder, context: TemplateContext): unknown {
  switch (placeholder.kind) {
    case "task.name":
      return context.task.name;
    case "run.id":
      return context.run.id;
    case "scheduledFor":
      return context.scheduledFor.toISOString();
    case "payload":
      if (!Object.hasOwn(context.payload, placeholder.key)) throw new TemplateError(`{{payload.${placeholder.key}}}: the payload has no key "${placeholder.key}"`);
      return context.payload[placeholder.key];
    case "device.name":
    case "device.address":
      return deviceOf(context, placeholder.kind)[placeholder.kind === "device.name" ? "name" : "address"];
    case "device.properties": {
      const device = deviceOf(context, `device.properties.${placeholder.key}`);
      if (!Object.hasOwn(device.properties, placeholder.key)) {
        throw new TemplateError(`{{device.properties.${placeholder.key}}}: device "${device.name}" has no property "${placeholder.key}"`);
      }
      return device.properties[placeholder.key];
    }
    case "steps":
      return stepValue(placeholder, context);
  }
}

/** The text of a step placeholder as written, for messages. */
export const stepPlaceholderText = (p: StepPlaceholder) =>
  `{{steps.${p.step}${p.device === null ? "" : p.device === "" ? ".device" : `.devices.${p.device}`}.${p.field}${p.path.map((key) => `.${key}`).join("")}}}`;

function stepValue(placeholder: StepPlaceholder, context: TemplateContext): unknown {
  const text = stepPlaceholderText(placeholder);
  if (!context.steps) throw new TemplateError(`${text}: only a step of a workflow sees other steps' results`);
  const step = context.steps.get(placeholder.step);
  if (!step) throw new TemplateError(`${text}: step "${placeholder.step}" has not run`);
  if (placeholder.field === "status" && placeholder.device === null) return step.status;
  let result: StepTargetResult | undefined;
  if (placeholder.device !== null) {
    const device = placeholder.device === "" ? deviceOf(context, text.slice(2, -2)).name : placeholder.device;
    result = step.results.find((r) => r.deviceName === device);
    if (!result) throw new TemplateError(`${text}: step "${placeholder.step}" did not run on device "${device}"`);
  } else {
    if (step.results.length !== 1) {
      throw new TemplateError(`${text}: step "${placeholder.step}" ran on ${step.results.length} targets; name one with {{steps.${placeholder.step}.devices.<device>.${placeholder.field}}}`);
    }
    result = step.results[0]!;
  }
  switch (placeholder.field) {
    case "status":
      return result.status;
    case "stdout":
      return result.output;
    case "stderr":
      return result.errorOutput;
    case "exitCode":
      return result.exitCode;
    case "httpStatus":
      return result.httpStatus;
    case "json":
      return jsonAt(result.output, placeholder.path, text);
  }
}

/** The value at `path` in `output` parsed as JSON. */
function jsonAt(output: string, path: readonly string[], text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(output);
  } catch {
    throw new TemplateError(`${text}: the step's output is not JSON`);
  }
  for (const key of path) {
    const container = value as Record<string, unknown> | null;
    if (container === null || typeof container !== "object" || !Object.hasOwn(container, key)) {
      throw new TemplateError(`${text}: the step's JSON output has nothing at "${key}"`);
    }
    value = container[key];
  }
  return value;
}

/** The steps a template refers to, in order, each once. */
export function stepReferences(template: Template): StepPlaceholder[] {
  return template.filter((segment): segment is StepPlaceholder => typeof segment !== "string" && segment.kind === "steps");
}

function deviceOf(context: TemplateContext, placeholder: string): NonNullable<TemplateContext["device"]> {
  if (!context.device) throw new TemplateError(`{{${placeholder}}}: the run has no target device`);
  return context.device;
}

/** The text with each placeholder replaced by `sample(placeholder)`: for checking templates when saved. */
export function renderSample(template: Template, sample: (placeholder: Placeholder) => string): string {
  return template.map((segment) => (typeof segment === "string" ? segment : sample(segment))).join("");
}

/** Renders against one target; `encode` transforms each substituted value (e.g. URL-encoding). */
export function renderTemplate(template: Template, context: TemplateContext, encode: (value: string, placeholder: Placeholder) => string = (v) => v): string {
  return template.map((segment) => (typeof segment === "string" ? segment : encode(valueText(placeholderValue(segment, context)), segment))).join("");
}

/**
 * A command line split into words the way a shell would (quotes, escapes), but never run by
 * one: operators (`;`, `|`, `&&`, `>`, ...), comments and command substitution are refused,
 * `$NAME`, `${...}` and globs stay literal, exactly as written. Each word is a template,
 * rendered on its own, so a value containing spaces or `; rm -rf /` stays one argument.
 */
export function parseCommandTemplate(commandLine: string): Template[] {
  // shell-quote expands `$NAME` and `${...}` through its env callback, which sees `${DIR:?}` as
  // the name `DIR:?` and gives back no braces; an escaped `$` is a plain character to it.
  const words = parseShellWords(withDollarsEscaped(commandLine));
  const result: Template[] = [];
  for (const word of words) {
    if (typeof word === "string") result.push(parseTemplate(word));
    else if ("op" in word && word.op === "glob") result.push(parseTemplate(word.pattern));
    else if ("comment" in word) throw new TemplateError(`"#${word.comment}" would be a comment; quote "#" to pass it literally`);
    else throw new TemplateError(`shell operator "${word.op}" is not supported: the command is not run by a shell; quote it to pass it literally`);
  }
  if (result.length === 0) throw new TemplateError("has no program to run");
  if (result[0]!.some((s) => typeof s !== "string")) {
    throw new TemplateError("the program (first word) must be literal, not a placeholder");
  }
  return result;
}

/**
 * The command line with a backslash before every `$` a shell would expand (outside single
 * quotes), so that the parser keeps it as written; unbalanced quotes are refused.
 */
function withDollarsEscaped(text: string): string {
  let escaped = "";
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
    } else if (c === "\\") {
      escaped += c + (text[++i] ?? "");
      continue;
    } else if (c === "$") escaped += "\\";
    else if (c === quote) quote = null;
    else if (quote === null && (c === "'" || c === '"')) quote = c;
    escaped += c;
  }
  if (quote !== null) throw new TemplateError(`unterminated ${quote === "'" ? "single" : "double"} quote`);
  return escaped;
}

const placeholderName = (placeholder: Placeholder) =>
  placeholder.kind === "steps" ? stepPlaceholderText(placeholder).slice(2, -2) : "key" in placeholder ? `${placeholder.kind}.${placeholder.key}` : placeholder.kind;

/**
 * The argument vector of a parsed command line against one target. A word that begins with a
 * placeholder whose value begins with "-" would be read by the program as an option (`sort
 * {{payload.file}}` given `-o/etc/x` writes a file): refused, unless a literal `--` word comes
 * before it (the end of options for most programs) or `allowOptionLikeValues` is set.
 */
export function renderCommand(words: readonly Template[], context: TemplateContext, allowOptionLikeValues: boolean): string[] {
  let optionsEnded = allowOptionLikeValues;
  return words.map((word) => {
    let text = "";
    for (const segment of word) {
      if (typeof segment === "string") {
        text += segment;
        continue;
      }
      const value = valueText(placeholderValue(segment, context));
      if (text === "" && value.startsWith("-") && !optionsEnded) {
        throw new TemplateError(
          `{{${placeholderName(segment)}}}: its value starts with "-" and would be read as an option; put a "--" word before it in the command, or set allowOptionLikeValues`,
        );
      }
      text += value;
    }
    if (word.length === 1 && word[0] === "--") optionsEnded = true;
    return text;
  });
}
