// What the `cronline` command prints: JSON for programs (--json: one document, the API's own
// field names), tables and field lists for people, and errors on stderr in either form.
import Table from "cli-table3";
import { CliError, exitCodes, type ExitCode } from "./exit-codes.js";

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(text = ""): void {
  process.stdout.write(`${text}\n`);
}

/** A table with a header row; cells are text, "" for nothing. */
export function formatTable(head: string[], rows: string[][]): string {
  const table = new Table({ head, style: { head: [], border: [], compact: true } });
  table.push(...rows);
  return table.toString();
}

export function printTable(head: string[], rows: string[][]): void {
  printLine(rows.length === 0 ? "(none)" : formatTable(head, rows));
}

/** `label: value` lines, labels aligned. */
export function printFields(fields: [string, string][]): void {
  const width = Math.max(...fields.map(([label]) => label.length));
  for (const [label, value] of fields) printLine(`${`${label}:`.padEnd(width + 1)} ${value}`);
}

/** An instant as "2026-12-03 14:05:00Z"; "" for none. */
export function formatInstant(iso: string | null | undefined): string {
  if (!iso) return "";
  return new Date(iso).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

/** Seconds as "2d 3h", "1h 5m", "4m 10s", "9s". */
export function formatDuration(totalSeconds: number): string {
  const seconds = Math.max(0, Math.round(totalSeconds));
  const units: [string, number][] = [
    ["d", 86_400],
    ["h", 3_600],
    ["m", 60],
    ["s", 1],
  ];
  const parts: string[] = [];
  let rest = seconds;
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0 || (unit === "s" && parts.length === 0)) parts.push(`${count}${unit}`);
    if (parts.length === 2) break;
  }
  return parts.join(" ");
}

/** "in 4m 10s" for a countdown; "" for none. */
export const formatCountdown = (seconds: number | null | undefined): string => (seconds == null ? "" : `in ${formatDuration(seconds)}`);

export const formatList = (items: readonly string[]): string => items.join(", ");

export const formatJsonValue = (value: unknown): string => JSON.stringify(value);

/** Prints the error on stderr (as `{"error": {...}}` with --json) and returns the exit code it means. */
export function reportError(error: unknown, json: boolean): ExitCode {
  const failure = error instanceof CliError ? error : new CliError(error instanceof Error ? error.message : String(error), exitCodes.failure);
  if (json) {
    process.stderr.write(`${JSON.stringify({ error: { message: failure.message, exitCode: failure.exitCode, ...failure.details } })}\n`);
  } else if (failure.details.fieldErrors?.length) {
    // The message lists the fields too: each goes on a line of its own instead.
    process.stderr.write(`error: ${failure.details.summary ?? "invalid input"}\n`);
    for (const problem of failure.details.fieldErrors) process.stderr.write(`  ${problem.field}: ${problem.message}\n`);
  } else {
    process.stderr.write(`error: ${failure.message}\n`);
  }
  return failure.exitCode;
}
