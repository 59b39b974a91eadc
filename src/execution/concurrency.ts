// A counting semaphore whose waiters give up when the run is cancelled.

/** Releases a slot; calling it more than once releases it once. */
export type Release = () => void;

export class Semaphore {
  #inUse = 0;
  readonly #waiters: (() => void)[] = [];

  constructor(public limit: number) {}

  get inUse(): number {
    return this.#inUse;
  }

  /** A slot, or null when `signal` aborts first. */
  acquire(signal: AbortSignal): Promise<Release | null> {
    if (signal.aborted) return Promise.resolve(null);
    if (this.#inUse < this.limit) return Promise.resolve(this.#take());
    return new Promise((resolve) => {
      const onAbort = () => {
        this.#waiters.splice(this.#waiters.indexOf(grant), 1);
        resolve(null);
      };
      const grant = () => {
        signal.removeEventListener("abort", onAbort);
        resolve(this.#take());
      };
      this.#waiters.push(grant);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  #take(): Release {
    this.#inUse += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inUse -= 1;
      while (this.#inUse < this.limit && this.#waiters.length > 0) this.#waiters.shift()!();
    };
  }
}
