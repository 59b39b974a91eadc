// Persists a run's results in batches as they come, so a run against a thousand devices
// costs a few inserts, and results show up while the run is still going.
import { setTimeout as sleep } from "node:timers/promises";
import type { NewRunResult } from "../domain/runs.js";
import type { Logger } from "../logger.js";
import { errorText } from "./error-text.js";
import type { RunStore } from "./run-store.js";

const batchSize = 500;
const flushDelayMs = 250;
/** A batch is tried this many times before its results count as lost. */
const writeAttempts = 3;
const retryDelayMs = 250;

/** Results that could not be stored, and the last reason why. */
export interface LostResults {
  count: number;
  error: string;
}

export class ResultWriter {
  readonly #store: RunStore;
  readonly #logger: Logger;
  #buffer: NewRunResult[] = [];
  #writing: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #lost: LostResults | null = null;

  constructor(store: RunStore, logger: Logger) {
    this.#store = store;
    this.#logger = logger;
  }

  add(result: NewRunResult): void {
    this.#buffer.push(result);
    if (this.#buffer.length >= batchSize) this.#flush();
    else this.#timer ??= setTimeout(() => this.#flush(), flushDelayMs);
  }

  /** Writes what is left; resolves once every result added so far is stored, with those that could not be (null: none). */
  async close(): Promise<LostResults | null> {
    this.#flush();
    await this.#writing;
    return this.#lost;
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#buffer;
    if (batch.length === 0) return;
    this.#buffer = [];
    this.#writing = this.#writing.then(() => this.#write(batch));
  }

  async #write(batch: NewRunResult[]): Promise<void> {
    const context = { runId: batch[0]!.runId, results: batch.length };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#store.insertResults(batch);
        return;
      } catch (error) {
        if (attempt >= writeAttempts) {
          this.#logger.error({ err: error, ...context }, "could not store run results");
          this.#lost = { count: (this.#lost?.count ?? 0) + batch.length, error: errorText(error) };
          return;
        }
        this.#logger.warn({ err: error, ...context }, "could not store run results; trying again");
        await sleep(retryDelayMs * attempt);
      }
    }
  }
}
