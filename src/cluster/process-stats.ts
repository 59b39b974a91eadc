// What the threads of one Cronline process share without messages: the offset of the
// process's clock from the database's (measured by the main thread, read by every thread's
// clock) and the counters the instance's heartbeat reports (written by the scheduler and
// the executor in their threads). One SharedArrayBuffer, handed to each thread.
const slots = { clockOffsetMs: 0, runsExecuting: 1, claimsMade: 2, lastClaimAt: 3, missedChanges: 4 } as const;
type Slot = keyof typeof slots;

export interface ProcessCounters {
  runsExecuting: number;
  claimsMade: number;
  /** Epoch milliseconds of the scheduler's latest claim; null before the first. */
  lastClaimAt: number | null;
  missedChanges: number;
}

export class ProcessStats {
  readonly buffer: SharedArrayBuffer;
  readonly #slots: BigInt64Array;

  /** A new set of counters, or (in a role thread) the one the main thread created. */
  constructor(buffer = new SharedArrayBuffer(Object.keys(slots).length * BigInt64Array.BYTES_PER_ELEMENT)) {
    this.buffer = buffer;
    this.#slots = new BigInt64Array(buffer);
  }

  #get(slot: Slot): number {
    return Number(Atomics.load(this.#slots, slots[slot]));
  }

  #set(slot: Slot, value: number): void {
    Atomics.store(this.#slots, slots[slot], BigInt(Math.round(value)));
  }

  /** Epoch milliseconds by the database's clock: this process's clock, corrected by the last measured offset. */
  readonly clock = (): number => Date.now() - this.#get("clockOffsetMs");

  get clockOffsetMs(): number {
    return this.#get("clockOffsetMs");
  }

  set clockOffsetMs(offset: number) {
    this.#set("clockOffsetMs", offset);
  }

  set runsExecuting(count: number) {
    this.#set("runsExecuting", count);
  }

  recordClaims(count: number, at: number): void {
    Atomics.add(this.#slots, slots.claimsMade, BigInt(count));
    this.#set("lastClaimAt", at);
  }

  recordMissedChanges(count: number): void {
    Atomics.add(this.#slots, slots.missedChanges, BigInt(count));
  }

  counters(): ProcessCounters {
    const lastClaimAt = this.#get("lastClaimAt");
    return { runsExecuting: this.#get("runsExecuting"), claimsMade: this.#get("claimsMade"), lastClaimAt: lastClaimAt === 0 ? null : lastClaimAt, missedChanges: this.#get("missedChanges") };
  }
}
