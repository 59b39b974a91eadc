/** Delays an occurrence by a uniform random 0..maxJitterSeconds (whole milliseconds). */
export function applyJitter(instant: Date, maxJitterSeconds: number, random: () => number): { fireAt: Date; jitterMs: number } {
  const jitterMs = maxJitterSeconds > 0 ? Math.floor(random() * (maxJitterSeconds * 1000 + 1)) : 0;
  return { fireAt: new Date(instant.getTime() + jitterMs), jitterMs };
}
