// A secret value that shows up in what an attempt recorded (stdout, stderr, a response body, an
// error text) is replaced by "••••" before anything stores or reports it. Values are matched
// verbatim, and as they appear inside a JSON string (response bodies often echo them that way).
import type { AttemptOutcome } from "../domain/runs.js";
import { secretMask } from "../domain/service-secrets.js";

/** Shorter values are left alone: masking them would hide ordinary words and numbers everywhere. */
const minimumMaskedLength = 4;

export type Masker = (text: string) => string;

function formsOf(value: string): string[] {
  const inJson = JSON.stringify(value).slice(1, -1);
  return inJson === value ? [value] : [value, inJson];
}

/** Replaces every form of every value (of at least minimumMaskedLength characters) by the mask, longest first. */
export function secretMasker(values: Iterable<string>): Masker {
  const forms = [...new Set([...values].filter((value) => value.length >= minimumMaskedLength).flatMap(formsOf))].sort((a, b) => b.length - a.length);
  if (forms.length === 0) return (text) => text;
  return (text) => forms.reduce((masked, form) => masked.replaceAll(form, secretMask), text);
}

export function maskOutcome(outcome: AttemptOutcome, mask: Masker): AttemptOutcome {
  return { ...outcome, output: mask(outcome.output), errorOutput: mask(outcome.errorOutput), error: outcome.error && mask(outcome.error) };
}
