// Persists what the executor's runs produce, across runs: the result of every attempt and the
// end of every run go to the database in batches, one transaction per batch, instead of
// statements per run. A run's end is written at once (with whatever results are waiting);
// results alone wait a little for company. Whoever reports them (TARGET_FINISHED,
// RUN_FINISHED) hears of them once they are stored, so nothing reported is lost if the
// process dies.
import { setTimeout as sleep } from "node:timers/promises";
import type { NewRunResult } from "../domain/runs.js";
import type { Logger } from "../logger.js";
import { errorText } from "./error-text.js";
import type { RunSummary } from "./run-outcome.js";
import type { RecordedEnd, RunEnd, RunStore } from "./run-store.js";

export interface RunWriterOptions {
  /** How long results without a run end wait to be written with others. */
  resultDelayMs?: number;
  /** Results that make a batch worth writing without waiting. */
  batchSize?: number;
}

/** A batch is tried this many times before its runs are written one by one. */
const batchAttempts = 3;
const retryDelayMs = 250;

/** How a run ended: its status and reason in the database, and the summary as written (null: the run is no longer this owner's). */
export interface WrittenEnd extends RecordedEnd {
  summary: RunSummary;
}

interface PendingResult {
  result: NewRunResult;
  /** Called once the result is stored, or given up. */
  settled: () => void;
}

interface PendingEnd {
  end: RunEnd;
  resolve: (written: WrittenEnd | null) => void;
  reject: (error: unknown) => void;
}

export class RunWriter {
  readonly #store: RunStore;
  readonly #ownerId: string;
  readonly #logger: Logger;
  readonly #resultDelayMs: number;
  readonly #batchSize: number;
  #results: PendingResult[] = [];
  #ends: PendingEnd[] = [];
  /** Results of runs not yet ended that could not be stored, and the last reason why. */
  readonly #lost = new Map<string, { count: number; error: string }>();
  #writing: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;

  constructor(store: RunStore, ownerId: string, logger: Logger, options: RunWriterOptions = {}) {
    this.#store = store;
    this.#ownerId = ownerId;
    this.#logger = logger;
    this.#resultDelayMs = options.resultDelayMs ?? 100;
    this.#batchSize = options.batchSize ?? 500;
  }

  /** Queues a result; `settled` is called once it is stored (or given up: the run's end then says so). */
  addResult(result: NewRunResult, settled: () => void): void {
    this.#results.push({ result, settled });
    this.#schedule(this.#results.length >= this.#batchSize);
  }

  /**
   * Writes the end of a run after every result added for it. A run whose results could not
   * all be stored ends FAILED with the count: counts without the results behind them would
   * mislead. Resolves once written; rejects only when even the run on its own cannot be.
   */
  endRun(end: RunEnd): Promise<WrittenEnd | null> {
    return new Promise((resolve, reject) => {
      this.#ends.push({ end, resolve, reject });
      this.#schedule(true);
    });
  }

  /** Resolves once everything queued so far is written (or given up). */
  async drain(): Promise<void> {
    while (this.#writing || this.#results.length > 0 || this.#ends.length > 0) {
      if (!this.#writing) this.#flush();
      await this.#writing;
    }
  }

  #schedule(urgent: boolean): void {
    if (this.#writing) return; // the current write looks again when it is done
    if (urgent) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      // Whatever else ends in this turn of the event loop goes in the same batch.
      this.#immediate ??= setImmediate(() => this.#flush());
    } else {
      this.#timer ??= setTimeout(() => this.#flush(), this.#resultDelayMs);
    }
  }

  #flush(): void {
    clearTimeout(this.#timer);
    clearImmediate(this.#immediate);
    this.#timer = this.#immediate = undefined;
    if (this.#writing || (this.#results.length === 0 && this.#ends.length === 0)) return;
    const results = this.#results;
    const ends = this.#ends;
    this.#results = [];
    this.#ends = [];
    this.#writing = this.#write(results, ends).finally(() => {
      this.#writing = undefined;
      if (this.#results.length > 0 || this.#ends.length > 0) this.#schedule(this.#ends.length > 0 || this.#results.length >= this.#batchSize);
    });
  }

  async #write(results: PendingResult[], ends: PendingEnd[]): Promise<void> {
    const context = { results: results.length, runEnds: ends.length };
    for (let attempt = 1; attempt <= batchAttempts; attempt++) {
      const summaries = ends.map((pending) => this.#withLostResults(pending.end));
      try {
        const recorded = await this.#store.recordResultsAndEnds(
          results.map((pending) => pending.result),
          summaries,
          this.#ownerId,
        );
        for (const pending of results) pending.settled();
        ends.forEach((pending, i) => this.#settleEnd(pending, summaries[i]!, recorded));
        return;
      } catch (error) {
        this.#logger.warn({ err: error, ...context, attempt }, "could not store run results and ends; trying again");
        if (attempt < batchAttempts) await sleep(retryDelayMs * attempt);
      }
    }
    // One run's bad row must not sink the others: each run on its own, once.
    const runIds = new Set([...results.map((pending) => pending.result.runId), ...ends.map((pending) => pending.end.runId)]);
    for (const runId of runIds) {
      await this.#writeRun(
        results.filter((pending) => pending.result.runId === runId),
        ends.find((pending) => pending.end.runId === runId),
      );
    }
  }

  async #writeRun(results: PendingResult[], pending: PendingEnd | undefined): Promise<void> {
    if (results.length > 0) {
      const runId = results[0]!.result.runId;
      const end = pending && this.#withLostResults(pending.end);
      try {
        const recorded = await this.#store.recordResultsAndEnds(
          results.map((r) => r.result),
          end ? [end] : [],
          this.#ownerId,
        );
        for (const r of results) r.settled();
        if (pending) this.#settleEnd(pending, end!, recorded);
        return;
      } catch (error) {
        this.#logger.error({ err: error, runId, results: results.length }, "could not store run results");
        const lost = this.#lost.get(runId);
        this.#lost.set(runId, { count: (lost?.count ?? 0) + results.length, error: errorText(error) });
        for (const r of results) r.settled();
      }
    }
    if (!pending) return;
    // Without its lost results, the end is still worth writing, saying what went missing.
    const end = this.#withLostResults(pending.end);
    try {
      this.#settleEnd(pending, end, await this.#store.recordResultsAndEnds([], [end], this.#ownerId));
    } catch (error) {
      this.#lost.delete(end.runId);
      pending.reject(error);
    }
  }

  /** The end as it must be written: FAILED with the count when results of the run were lost (unless cancelled). */
  #withLostResults(end: RunEnd): RunEnd {
    const lost = this.#lost.get(end.runId);
    if (!lost || end.summary.status === "CANCELLED") return end;
    const { count, error } = lost;
    return { ...end, summary: { ...end.summary, status: "FAILED", reason: `${count} result${count === 1 ? "" : "s"} could not be stored: ${error}` } };
  }

  #settleEnd(pending: PendingEnd, written: RunEnd, recorded: Map<string, RecordedEnd>): void {
    this.#lost.delete(written.runId);
    const end = recorded.get(written.runId);
    pending.resolve(end ? { ...end, summary: written.summary } : null);
  }
}
