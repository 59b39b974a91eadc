// Daylight saving time: which instants the local times a wall-clock schedule matches become.
import { floating, localInstants, maxShiftMs, offsetMs } from "./wall-clock.js";

export const dstPolicies = ["VIXIE", "END_OF_GAP", "SKIP", "BOTH_PASSES"] as const;
/**
 * - VIXIE: a fixed-time job runs a missing time at the end of the gap and a repeated time
 *   once (its first pass); an interval-style job skips missing times and runs both passes.
 * - END_OF_GAP: as VIXIE, but interval-style jobs also run once at the end of a gap over
 *   any of their times.
 * - SKIP: as VIXIE, but a missing time never runs, fixed-time or not.
 * - BOTH_PASSES: as VIXIE, but a fixed time in the repeated hour runs on both passes.
 */
export type DstPolicy = (typeof dstPolicies)[number];

/** Local times a schedule matches, in floating time (see wall-clock.ts). */
export interface LocalSeries {
  /** The first matching local time strictly after `floatingMs`, or null when none is left. */
  next(floatingMs: number): number | null;
  /** Fixed-time (a time of day) rather than interval-style (a wildcard or step in the time). */
  fixedTime: boolean;
}

/** The instants a matching local time fires at under a policy. */
function firesAt(local: number, timeZone: string, policy: DstPolicy, fixedTime: boolean): number[] {
  const instants = localInstants(local, timeZone);
  switch (instants.kind) {
    case "single":
      return [instants.at];
    case "repeated":
      return fixedTime && policy !== "BOTH_PASSES" ? [instants.first] : [instants.first, instants.second];
    case "gap": {
      const runsAtEnd = policy === "END_OF_GAP" || (fixedTime && policy !== "SKIP");
      return runsAtEnd && instants.end !== null ? [instants.end] : [];
    }
  }
}

/** Matches looked at for one instant before the series counts as over (a pattern matching only missing times). */
const maxCandidates = 100_000;

/** The first instant strictly after `afterMs` at which a local series fires under a policy. */
export function nextInstant(series: LocalSeries, timeZone: string, policy: DstPolicy, afterMs: number): number | null {
  // Local time runs backwards when clocks go back: with a change just ahead, matches up to
  // the shift before `after`'s own local time may still have a pass to come.
  const fallBackAhead = offsetMs(afterMs + maxShiftMs, timeZone) < offsetMs(afterMs, timeZone);
  const start = floating(afterMs, timeZone) - (fallBackAhead ? maxShiftMs : 0);
  let best: number | null = null;
  let bestLocal = 0;
  let candidates = 0;
  for (let local = series.next(start); local !== null && candidates < maxCandidates; local = series.next(local), candidates++) {
    // Past the shift beyond the best local time, no later match can fire earlier.
    if (best !== null && local > bestLocal + maxShiftMs) break;
    for (const instant of firesAt(local, timeZone, policy, series.fixedTime)) {
      if (instant > afterMs && (best === null || instant < best)) {
        best = instant;
        bestLocal = local;
      }
    }
    // Without a change ahead, instants grow with local times: the first one found is the next.
    if (best !== null && !fallBackAhead) break;
  }
  return best;
}
