// The metrics of one Cronline process in one scrape. Each thread keeps its own registry: the
// main thread this one (the API's metrics, the process defaults, the gauges read at scrape),
// each role thread its scheduler's or worker's (role-thread.ts). A scrape asks the role threads
// for theirs over their control ports, waits at most `threadTimeoutMs`, and sums everything with
// prom-client's AggregatorRegistry (counters and histograms add up; a thread that does not
// answer is left out, and cronline_role_thread_up says so).
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Registry, type MetricObjectWithValues, type MetricValue } from "prom-client";
import type { ProcessStats } from "../cluster/process-stats.js";
import type { DbClient } from "../db/database.js";
import type { Logger } from "../logger.js";
import { apiMetrics, databaseMetrics, type DatabaseMetrics } from "./catalog.js";
import { DatabaseGauges } from "./database-gauges.js";
import { GraphqlMetrics } from "./graphql-metrics.js";

/** A thread's registry as getMetricsAsJSON gives it (plain data, so it crosses threads as it is). */
export type ThreadMetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/** Where the role threads' metrics come from: undefined for a thread that did not answer in time. */
export interface ThreadMetricsSource {
  metricsOf(timeoutMs: number): Promise<{ thread: string; metrics: ThreadMetricsJson | undefined }[]>;
}

/** How long a scrape waits for a role thread's metrics. */
const threadTimeoutMs = 2_000;

export class ProcessMetrics {
  readonly #registry = new Registry();
  /** The process defaults, apart: they are this thread's alone, and aggregation would drop some (process_start_time_seconds). */
  readonly #defaults = new Registry();
  readonly database: DatabaseMetrics = databaseMetrics(this.#registry);
  readonly #threadUp = new Gauge({
    name: "cronline_role_thread_up",
    help: "1 when the role thread answered this scrape with its metrics in time, 0 when it did not (its metrics are then missing)",
    labelNames: ["thread"] as const,
    registers: [this.#registry],
  });
  #threads: ThreadMetricsSource | undefined;
  #gauges: DatabaseGauges | undefined;
  #graphql: GraphqlMetrics | undefined;

  constructor(stats: ProcessStats) {
    // Node's and the process's own (CPU, memory, event loop lag of the main thread, ...), under their usual names.
    collectDefaultMetrics({ register: this.#defaults });
    new Gauge({
      name: "cronline_runs_executing",
      help: "Runs this process is executing now",
      registers: [this.#registry],
      collect() {
        this.set(stats.counters().runsExecuting);
      },
    });
    new Gauge({
      name: "cronline_clock_offset_seconds",
      help: "How far this process's clock is ahead of the database's (PostgreSQL; 0 on SQLite); it fires by the database's",
      registers: [this.#registry],
      collect() {
        this.set(stats.clockOffsetMs / 1000);
      },
    });
    new Counter({
      name: "cronline_missed_changes_total",
      help: "Task changes this process's scheduler found by its resync that no notification had brought",
      registers: [this.#registry],
      collect() {
        this.reset();
        this.inc(stats.counters().missedChanges);
      },
    });
  }

  /** The API's metrics (this process has the API role). */
  get graphql(): GraphqlMetrics {
    return (this.#graphql ??= new GraphqlMetrics(apiMetrics(this.#registry)));
  }

  /** Reads tasks by state and active runs from this connection at each scrape. */
  countFrom(db: DbClient, logger: Logger): void {
    this.#gauges = new DatabaseGauges(this.#registry, db, logger);
  }

  collectFromThreads(threads: ThreadMetricsSource): void {
    this.#threads = threads;
  }

  /** Every thread's metrics, summed, in Prometheus's text format. */
  async scrape(): Promise<{ contentType: string; text: string }> {
    const [threads] = await Promise.all([this.#threads?.metricsOf(threadTimeoutMs) ?? [], this.#gauges?.refresh()]);
    for (const { thread, metrics } of threads) this.#threadUp.set({ thread }, metrics ? 1 : 0);
    const own = await this.#registry.getMetricsAsJSON();
    const answered = threads.flatMap(({ metrics }) => (metrics ? [metrics] : []));
    const text = `${await this.#defaults.metrics()}\n${await AggregatorRegistry.aggregate([own, ...answered]).metrics()}`;
    return { contentType: this.#registry.contentType, text };
  }
}
