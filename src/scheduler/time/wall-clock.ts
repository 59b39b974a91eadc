// Wall-clock times and the instants they name in a time zone. Wall-clock schedules compute
// in "floating" time: a local date and time written as if it were UTC (milliseconds, so
// calendar arithmetic is plain UTC arithmetic), and only then turned into instants, where
// a time zone's transitions make a local time name one instant, two (clocks go back) or
// none (clocks go forward).

const second = 1000;
const day = 86_400_000;
/** Longer than any UTC offset change in the tz database (2 h at most). */
export const maxShiftMs = 3 * 3_600_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/**
 * Offsets by zone and quarter hour, for quarters without a transition inside: Intl costs
 * about 10 µs a call, and a search through a wall-clock schedule asks many times.
 */
const quarterOffsets = new Map<string, number>();
const quarter = 900_000;

/** The zone's UTC offset at an instant, in milliseconds (whole seconds). */
export function offsetMs(instantMs: number, timeZone: string): number {
  if (timeZone === "UTC" || timeZone === "Etc/UTC") return 0;
  const bucket = Math.floor(instantMs / quarter);
  const key = `${timeZone}\u0000${bucket}`;
  const cached = quarterOffsets.get(key);
  if (cached !== undefined) return cached;
  const start = intlOffset(bucket * quarter, timeZone);
  if (start !== intlOffset((bucket + 1) * quarter - second, timeZone)) return intlOffset(instantMs, timeZone);
  if (quarterOffsets.size >= 100_000) quarterOffsets.clear();
  quarterOffsets.set(key, start);
  return start;
}

function intlOffset(instantMs: number, timeZone: string): number {
  const whole = Math.floor(instantMs / second) * second;
  const fields: Record<string, number> = {};
  for (const part of partsFormatter(timeZone).formatToParts(whole)) {
    if (part.type !== "literal") fields[part.type] = Number(part.value);
  }
  const local = Date.UTC(fields.year!, fields.month! - 1, fields.day!, fields.hour!, fields.minute!, fields.second!);
  return local - whole;
}

/** The local wall-clock time of an instant, as floating milliseconds. */
export const floating = (instantMs: number, timeZone: string): number => instantMs + offsetMs(instantMs, timeZone);

/** The local calendar date of a floating time, "YYYY-MM-DD". */
export const floatingDate = (floatingMs: number): string => new Date(floatingMs).toISOString().slice(0, 10);

/** Floating midnight starting the local day of a floating time. */
export const startOfDay = (floatingMs: number): number => Math.floor(floatingMs / day) * day;

export type LocalInstants =
  | { kind: "single"; at: number }
  /** Clocks went back: the local time happened twice, `first` before the change. */
  | { kind: "repeated"; first: number; second: number }
  /**
   * Clocks went forward over it: the local time never happened. `end` is the first instant
   * after the gap, or null when that falls on another local date (a gap at midnight).
   */
  | { kind: "gap"; end: number | null };

/** The instants a local wall-clock time names in a time zone. */
export function localInstants(floatingMs: number, timeZone: string): LocalInstants {
  const before = offsetMs(floatingMs - day, timeZone);
  const after = offsetMs(floatingMs + day, timeZone);
  const candidates = [...new Set([floatingMs - before, floatingMs - after])].sort((a, b) => a - b);
  const valid = candidates.filter((instant) => floating(instant, timeZone) === floatingMs);
  if (valid.length === 2) return { kind: "repeated", first: valid[0]!, second: valid[1]! };
  if (valid.length === 1) return { kind: "single", at: valid[0]! };
  if (candidates.length === 1) {
    // Two transitions within two days around it: find the offset in force by iteration.
    let instant = floatingMs - offsetMs(floatingMs, timeZone);
    for (let i = 0; i < 3 && floating(instant, timeZone) !== floatingMs; i++) instant = floatingMs - offsetMs(instant, timeZone);
    if (floating(instant, timeZone) === floatingMs) return { kind: "single", at: instant };
  }
  const end = transitionAfter(candidates[0]!, candidates.at(-1)!, timeZone);
  return { kind: "gap", end: floatingDate(floating(end, timeZone)) === floatingDate(floatingMs) ? end : null };
}

/** The first whole second in (low, high] whose offset differs from low's. */
function transitionAfter(low: number, high: number, timeZone: string): number {
  const from = offsetMs(low, timeZone);
  let lo = Math.floor(low / second);
  let hi = Math.ceil(high / second);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetMs(mid * second, timeZone) === from) lo = mid;
    else hi = mid;
  }
  return hi * second;
}

/** The first instant at or after a local time: itself, its first pass, or the end of its gap. */
export function instantAtOrAfterLocal(floatingMs: number, timeZone: string): number {
  const instants = localInstants(floatingMs, timeZone);
  switch (instants.kind) {
    case "single":
      return instants.at;
    case "repeated":
      return instants.first;
    case "gap":
      return instants.end ?? transitionAfter(floatingMs - offsetMs(floatingMs - day, timeZone) - maxShiftMs, floatingMs - offsetMs(floatingMs + day, timeZone) + maxShiftMs, timeZone);
  }
}
