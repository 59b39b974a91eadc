// `@every <duration>` cron expressions: an interval, not a wall-clock pattern.
const everyPattern = /^@every\s+(.+)$/i;
const durationPattern = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** The longest interval of a schedule (`@every`, a STANDARD frequency): ten years. */
export const maxIntervalSeconds = 10 * 366 * 86_400;

export const isEveryExpression = (expression: string): boolean => everyPattern.test(expression.trim());

/** The interval of `@every 1h30m` in milliseconds, or an error message. */
export function parseEvery(expression: string): { intervalMs: number } | { error: string } {
  const duration = everyPattern.exec(expression.trim())?.[1]?.replace(/\s+/g, "") ?? "";
  const match = durationPattern.exec(duration);
  if (!match || duration === "") return { error: `"${duration}" is not a duration like 10s, 10m, 1h30m or 2d` };
  const [days, hours, minutes, seconds] = match.slice(1).map((part) => Number(part ?? 0)) as [number, number, number, number];
  const intervalMs = (((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000;
  if (intervalMs <= 0) return { error: "the interval must be longer than zero" };
  if (intervalMs > maxIntervalSeconds * 1000) return { error: `the interval must be at most ${maxIntervalSeconds}s (ten years)` };
  return { intervalMs };
}
