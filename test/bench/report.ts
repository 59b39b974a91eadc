// Figures and tables the benchmarks print.

/** The p-th percentile of ascending numbers (nearest rank), NaN for none. */
export const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** A markdown table, columns padded to their widest cell so it also reads as plain text. */
export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: string[]) => `| ${widths.map((width, i) => (cells[i] ?? "").padEnd(width)).join(" | ")} |`;
  return [line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)].join("\n");
}

/** One line saying whether a goal was met, for under a table. */
export const goalLine = (met: boolean, text: string): string => `- ${met ? "met" : "NOT met"}: ${text}`;

/** ours / reference with two decimals, "n/a" when the reference is not a positive number. */
export const ratio = (ours: number, reference: number): string => (reference > 0 && Number.isFinite(ours) ? (ours / reference).toFixed(2) : "n/a");

/** Lag percentiles of unsorted milliseconds (sorted in place). */
export function lagSummary(lags: number[]): { p50: number; p99: number; max: number } {
  lags.sort((a, b) => a - b);
  return { p50: percentile(lags, 50), p99: percentile(lags, 99), max: lags.at(-1) ?? NaN };
}
