// How far this process's clock is from the database's. Every process of a cluster fires,
// stamps and counts down by the database's clock (see ProcessStats.clock), so clocks that
// disagree no longer make one process fire early or take another's runs for dead ones.
import type { DbClient } from "../db/database.js";

/** An offset beyond this is logged as a warning: the machine's clock needs fixing (NTP), though Cronline corrects for it. */
export const clockOffsetWarningMs = 1_000;

export interface ClockOffset {
  /** This process's clock minus the database's, in milliseconds. */
  offsetMs: number;
  /** The round trip it was measured over: the offset is right within half of it. */
  roundTripMs: number;
}

/** The offset, from the quickest of a few round trips to PostgreSQL (whose clock_timestamp() is the time it answers). */
export async function measureClockOffset(db: DbClient, samples = 3): Promise<ClockOffset> {
  let best: ClockOffset | undefined;
  for (let i = 0; i < samples; i++) {
    const sentAt = Date.now();
    const [row] = await db.$queryRawUnsafe<{ ms: number }[]>(`SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS double precision) AS "ms"`);
    const receivedAt = Date.now();
    const measured = { offsetMs: Math.round((sentAt + receivedAt) / 2 - Number(row!.ms)), roundTripMs: receivedAt - sentAt };
    if (!best || measured.roundTripMs < best.roundTripMs) best = measured;
  }
  return best!;
}
