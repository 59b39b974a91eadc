// Persists a run's results in batches as they come, so a run against a thousand devices
// costs a few inserts, and results show up while the run is still going.
import type { NewRunResult } from "../domain/runs.js";
import type { Logger } from "../logger.js";
import type { RunStore } from "./run-store.js";

const batchSize = 500;
const flushDelayMs = 250;

export class ResultWriter {
  readonly #store: RunStore;
  readonly #logger: Logger;
  #buffer: NewRunResult[] = [];
  #writing: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;

  constructor(store: RunStore, logger: Logger) {
    this.#store = store;
    this.#logger = logger;
  }

  add(result: NewRunResult): void {
    this.#buffer.push(result);
    if (this.#buffer.length >= batchSize) this.#flush();
    else this.#timer ??= setTimeout(() => this.#flush(), flushDelayMs);
  }

  /** Writes what is left; resolves when every result added so far is stored (or logged as lost). */
  async close(): Promise<void> {
    this.#flush();
    await this.#writing;
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#buffer;
    if (batch.length === 0) return;
    this.#buffer = [];
    this.#writing = this.#writing.then(() =>
      this.#store.insertResults(batch).catch((error: unknown) => {
        this.#logger.error({ err: error, runId: batch[0]!.runId, results: batch.length }, "could not store run results");
      }),
    );
  }
}
