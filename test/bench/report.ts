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
