export type MisfirePolicy = "SKIP" | "RUN_ONCE" | "RUN_ALL";

/**
 * Splits due occurrences (ascending) into those to run and those to record as skipped.
 * One late by at most the grace is on time and runs under every policy; beyond it, SKIP
 * runs none, RUN_ONCE the latest, RUN_ALL all of them up to the latest `runAllCap`.
 */
export function planMissedOccurrences(input: {
  missed: Date[];
  now: Date;
  policy: MisfirePolicy;
  graceSeconds: number;
  runAllCap: number;
}): { run: Date[]; skipped: Date[] } {
  const { missed, now, policy, graceSeconds, runAllCap } = input;
  const firstOnTime = missed.findIndex((instant) => now.getTime() - instant.getTime() <= graceSeconds * 1000);
  const onTime = firstOnTime === -1 ? [] : missed.slice(firstOnTime);
  const late = firstOnTime === -1 ? missed : missed.slice(0, firstOnTime);
  switch (policy) {
    case "SKIP":
      return { run: onTime, skipped: late };
    case "RUN_ONCE":
      // An on-time occurrence already stands for the missed ones.
      return onTime.length > 0 || late.length === 0 ? { run: onTime, skipped: late } : { run: late.slice(-1), skipped: late.slice(0, -1) };
    case "RUN_ALL": {
      const run = missed.slice(-runAllCap);
      return { run, skipped: missed.slice(0, missed.length - run.length) };
    }
  }
}
