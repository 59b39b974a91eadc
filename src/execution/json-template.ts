// Templates of JSON request bodies. Each placeholder is rendered for where it stands in the
// JSON: inside a string it is JSON-escaped, elsewhere it becomes one JSON value (the payload
// value with its JSON type). The template must be JSON whatever the values, so a value can
// never close a string, add a key or change the document's shape.
import { parseTemplate, placeholderValue, TemplateError, valueText, type Placeholder, type TemplateContext } from "./templates.js";

interface Slot {
  placeholder: Placeholder;
  /** Inside a JSON string, or where a JSON value goes. */
  inString: boolean;
}

export interface JsonTemplate {
  readonly segments: readonly (string | Slot)[];
  /** An object or an array (a body that can be recognised as JSON without a content-type). */
  readonly isContainer: boolean;
}

/** Where a JSON text leaves off: outside strings, inside one, or just after a backslash in one. */
type ScanState = "value" | "string" | "escape";

function scan(state: ScanState, text: string): ScanState {
  for (const c of text) {
    if (state === "escape") state = "string";
    else if (state === "string") state = c === "\\" ? "escape" : c === '"' ? "value" : "string";
    else if (c === '"') state = "string";
  }
  return state;
}

function render(segments: readonly (string | Slot)[], value: (slot: Slot) => string): string {
  return segments.map((segment) => (typeof segment === "string" ? segment : value(segment))).join("");
}

/** Parses a body template that must be JSON once rendered; a TemplateError says why it is not. */
export function parseJsonTemplate(text: string): JsonTemplate {
  let state: ScanState = "value";
  const segments = parseTemplate(text).map((segment): string | Slot => {
    if (typeof segment === "string") {
      state = scan(state, segment);
      return segment;
    }
    // The value's first character would be read as an escape: `\` + `\"` ends the string.
    if (state === "escape") throw new TemplateError("a placeholder must not follow a backslash inside a JSON string");
    return { placeholder: segment, inString: state === "string" };
  });
  // Samples: "" inside strings, null for values; if these make JSON, every value does.
  let sample: unknown;
  try {
    sample = JSON.parse(render(segments, (slot) => (slot.inString ? "" : "null")));
  } catch (error) {
    const rule = "must be JSON, with placeholders inside strings or as whole values";
    // JSON.parse's message quotes the text: not in the form for templates that hold secrets.
    throw new TemplateError(`${rule}: ${(error as Error).message}`, rule);
  }
  return { segments, isContainer: typeof sample === "object" && sample !== null };
}

/** The JSON text for one target. */
export function renderJsonTemplate(template: JsonTemplate, context: TemplateContext): string {
  return render(template.segments, (slot) => {
    const value = placeholderValue(slot.placeholder, context);
    return slot.inString ? JSON.stringify(valueText(value)).slice(1, -1) : JSON.stringify(value);
  });
}

/** `application/json`, or a structured `+json` type such as `application/merge-patch+json`. */
export function isJsonMediaType(contentType: string): boolean {
  return /^\s*application\/([\w.!#$%&'*^`|~-]+\+)?json\s*(;|$)/i.test(contentType);
}
