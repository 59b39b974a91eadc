// Times and durations as the page shows them, in the reader's locale and time zone. Pure, so the
// rules are tested apart from a browser (test/unit/web-format.test.ts).

/** Whole seconds from `now` until `at`, rounded up, at least 0: the server's secondsUntilNextRun. */
export function secondsUntil(at: string, nowMs: number): number {
  return Math.max(0, Math.ceil((Date.parse(at) - nowMs) / 1000));
}

/** 75 → "1 min 15 s": the largest unit and the next one when not 0, so a countdown stays short. */
export function formatDuration(totalSeconds: number): string {
  const units: [number, string][] = [
    [86_400, "d"],
    [3_600, "h"],
    [60, "min"],
    [1, "s"],
  ];
  const seconds = Math.max(0, Math.round(totalSeconds));
  const largest = units.findIndex(([size]) => seconds >= size);
  if (largest === -1) return "0 s";
  const [size, name] = units[largest]!;
  const shown = `${Math.floor(seconds / size)} ${name}`;
  const next = units[largest + 1];
  const rest = next ? Math.floor((seconds % size) / next[0]) : 0;
  return rest > 0 ? `${shown} ${rest} ${next![1]}` : shown;
}

/** A countdown: "in 1 min 15 s", or "due now" once it reaches 0. */
export function formatCountdown(seconds: number): string {
  return seconds <= 0 ? "due now" : `in ${formatDuration(seconds)}`;
}

/** How long ago: "3 min ago", "just now" under a second. */
export function formatAgo(at: string, nowMs: number): string {
  const seconds = Math.floor((nowMs - Date.parse(at)) / 1000);
  return seconds < 1 ? "just now" : `${formatDuration(seconds)} ago`;
}

/** A run's or result's duration in milliseconds: "35 ms", "2.4 s", "3 min 5 s". */
export function formatElapsed(milliseconds: number): string {
  if (milliseconds < 1000) return `${milliseconds} ms`;
  if (milliseconds < 10_000) return `${(milliseconds / 1000).toFixed(1)} s`;
  return formatDuration(milliseconds / 1000);
}

const sameDay = (a: Date, b: Date) => a.toDateString() === b.toDateString();

/** An instant in the reader's zone: the time alone today, with the date otherwise. */
export function formatInstant(at: string, nowMs: number, locale?: string): string {
  const date = new Date(at);
  const time: Intl.DateTimeFormatOptions = { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" };
  const options: Intl.DateTimeFormatOptions = sameDay(date, new Date(nowMs)) ? time : { ...time, day: "numeric", month: "short", year: "numeric" };
  return date.toLocaleString(locale, options);
}

/** The full instant, for a tooltip: date, time and the reader's zone. */
export function formatFullInstant(at: string, locale?: string): string {
  return new Date(at).toLocaleString(locale, { dateStyle: "full", timeStyle: "long" });
}
