// How far this process's clock is from the database's. Every process of a cluster fires,
// stamps and counts down by the database's clock (see ProcessStats.clock), so clocks that
// disagree no longer make one process fire early or take another's runs for dead ones.
import type { DbClient } from "../db/database.js";

/** An offset beyond this is logged as a warning: the machine's clock needs fixing (NTP), though Cronline corrects for it. */
export const clockOffsetWarningMs = 1_000;
/** A round trip this quick pins the offset within half of it; a slower one (a busy event loop) is used only when nothing better says otherwise. */
const goodRoundTripMs = 100;
const samplesPerMeasurement = 5;

export interface ClockOffset {
  /** This process's clock minus the database's, in milliseconds. */
  offsetMs: number;
  /** The round trip it was measured over: the offset is right within half of it. */
  roundTripMs: number;
}

/** The offset, from the quickest of a few round trips to PostgreSQL (whose clock_timestamp() is the time it answers); the first good one ends the search. */
export async function measureClockOffset(db: DbClient): Promise<ClockOffset> {
  let best: ClockOffset | undefined;
  for (let i = 0; i < samplesPerMeasurement && !(best && best.roundTripMs <= goodRoundTripMs); i++) {
    const sentAt = Date.now();
    const [row] = await db.$queryRawUnsafe<{ ms: number }[]>(`SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS double precision) AS "ms"`);
    const receivedAt = Date.now();
    const measured = { offsetMs: Math.round((sentAt + receivedAt) / 2 - Number(row!.ms)), roundTripMs: receivedAt - sentAt };
    if (!best || measured.roundTripMs < best.roundTripMs) best = measured;
  }
  return best!;
}

/** The offset believed from the measurements so far. */
export class ClockOffsetEstimate {
  #current: ClockOffset | undefined;

  get current(): ClockOffset | undefined {
    return this.#current;
  }

  /**
   * Takes a measurement in: a good one always (clocks drift and are stepped), a poor one only
   * when there is none yet, or when it shows the current one wrong by more than its own margin.
   */
  update(measured: ClockOffset): void {
    const current = this.#current;
    const contradicts = current !== undefined && Math.abs(measured.offsetMs - current.offsetMs) > measured.roundTripMs / 2;
    if (!current || measured.roundTripMs <= Math.max(goodRoundTripMs, current.roundTripMs) || contradicts) this.#current = measured;
  }

  /** Whether the offset is surely beyond clockOffsetWarningMs, its margin included. */
  get surelyFar(): boolean {
    return this.#current !== undefined && Math.abs(this.#current.offsetMs) - this.#current.roundTripMs / 2 > clockOffsetWarningMs;
  }
}
