// Excluded local dates and time ranges, for every wall-clock kind: an instant whose local
// date or time of day they cover does not fire, and the search goes on after them.
import type { Exclusions } from "./schedule.js";
import { floating, floatingDate, instantAtOrAfterLocal, startOfDay } from "./wall-clock.js";

const timeRangePattern = /^([01]\d|2[0-3]):([0-5]\d)-(([01]\d|2[0-3]):([0-5]\d)|24:00)$/;

/** "HH:MM-HH:MM" as [start, end) in milliseconds after midnight, or null when malformed or empty. */
export function parseTimeRange(text: string): [number, number] | null {
  const match = timeRangePattern.exec(text);
  if (!match) return null;
  const start = (Number(match[1]) * 60 + Number(match[2])) * 60_000;
  const end = match[3] === "24:00" ? 86_400_000 : (Number(match[4]) * 60 + Number(match[5])) * 60_000;
  return start < end ? [start, end] : null;
}

export const hasExclusions = (exclusions: Exclusions) => exclusions.excludedDates.length > 0 || exclusions.excludedTimeRanges.length > 0;

/** Where the search resumes when an instant is excluded (an instant just before the exclusion ends), or null when it is not. */
function exclusionEnd(exclusions: Exclusions, instant: number, timeZone: string): number | null {
  const local = floating(instant, timeZone);
  const midnight = startOfDay(local);
  if (exclusions.excludedDates.includes(floatingDate(local))) return instantAtOrAfterLocal(midnight + 86_400_000, timeZone) - 1;
  for (const text of exclusions.excludedTimeRanges) {
    const range = parseTimeRange(text);
    if (range && local >= midnight + range[0] && local < midnight + range[1]) return instantAtOrAfterLocal(midnight + range[1], timeZone) - 1;
  }
  return null;
}

/** Exclusions skipped for one instant before the series counts as over (validation refuses one that never fires). */
const maxSkips = 1_000;

/** The first instant `next` gives strictly after `after` that no exclusion covers. */
export function nextNotExcluded(next: (after: number) => number | null, exclusions: Exclusions, timeZone: string, after: number): number | null {
  if (!hasExclusions(exclusions)) return next(after);
  let from = after;
  for (let skips = 0; skips < maxSkips; skips++) {
    const candidate = next(from);
    if (candidate === null) return null;
    const resume = exclusionEnd(exclusions, candidate, timeZone);
    if (resume === null) return candidate;
    from = Math.max(candidate, resume);
  }
  return null;
}
