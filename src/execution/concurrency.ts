// A counting semaphore whose waiters give up when their run is cancelled.

/** Releases a slot; calling it more than once releases it once. */
export type Release = () => void;

interface Waiter {
  signal: AbortSignal;
  resolve: (release: Release | null) => void;
}

export class Semaphore {
  #inUse = 0;
  #waiters: Waiter[] = [];
  /** Signals already watched: one abort listener per run, not one per waiting target. */
  readonly #watched = new WeakSet<AbortSignal>();

  constructor(public limit: number) {}

  get inUse(): number {
    return this.#inUse;
  }

  /** A slot, or null when `signal` aborts first. */
  acquire(signal: AbortSignal): Promise<Release | null> {
    if (signal.aborted) return Promise.resolve(null);
    if (this.#inUse < this.limit) return Promise.resolve(this.#take());
    if (!this.#watched.has(signal)) {
      this.#watched.add(signal);
      signal.addEventListener("abort", () => this.#dropWaiters(signal), { once: true });
    }
    return new Promise((resolve) => this.#waiters.push({ signal, resolve }));
  }

  #dropWaiters(signal: AbortSignal): void {
    const dropped = this.#waiters.filter((w) => w.signal === signal);
    this.#waiters = this.#waiters.filter((w) => w.signal !== signal);
    for (const waiter of dropped) waiter.resolve(null);
  }

  #take(): Release {
    this.#inUse += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inUse -= 1;
      while (this.#inUse < this.limit && this.#waiters.length > 0) this.#waiters.shift()!.resolve(this.#take());
    };
  }
}
