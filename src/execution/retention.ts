// Deletes old finished runs (and their results) in the background, a small batch at a time
// so the database is never busy for long: a run is kept while it is among the newest
// `keepPerTask` of its task or younger than `maxAgeDays` (each limit applies when set).
import { setImmediate as yieldToOthers } from "node:timers/promises";
import type { DbClient } from "../db/database.js";
import type { DatabaseProvider } from "../db/prisma-schema.js";
import { sqlDialects, type SqlDialect } from "../db/sql-dialect.js";
import type { Logger } from "../logger.js";

export interface RetentionPolicy {
  keepPerTask: number;
  maxAgeDays: number;
}

export interface RetentionOptions extends RetentionPolicy {
  db: DbClient;
  provider: DatabaseProvider;
  logger: Logger;
  intervalMs: number;
  now?: () => number;
  batchSize?: number;
  /** At most this many batches per pass; the rest waits for the next pass. */
  maxBatchesPerPass?: number;
}

const retentionEnabled = (policy: RetentionPolicy) => policy.keepPerTask > 0 || policy.maxAgeDays > 0;

export class RunPruner {
  readonly #options: Required<RetentionOptions>;
  readonly #dialect: SqlDialect;
  readonly #logger: Logger;
  #timer: NodeJS.Timeout | undefined;
  #pass: Promise<number> | undefined;

  constructor(options: RetentionOptions) {
    this.#options = { now: Date.now, batchSize: 500, maxBatchesPerPass: 20, ...options };
    this.#dialect = sqlDialects[options.provider];
    this.#logger = options.logger.child({ component: "retention" });
  }

  start(): void {
    if (!retentionEnabled(this.#options)) return;
    this.#timer = setInterval(() => void this.pruneNow(), this.#options.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#pass;
  }

  /** One pass; resolves with the number of runs deleted. */
  pruneNow(): Promise<number> {
    this.#pass ??= this.#prune()
      .catch((error: unknown) => {
        this.#logger.error({ err: error }, "could not prune old runs");
        return 0;
      })
      .finally(() => (this.#pass = undefined));
    return this.#pass;
  }

  async #prune(): Promise<number> {
    let deleted = 0;
    for (let batch = 0; batch < this.#options.maxBatchesPerPass; batch++) {
      const ids = await this.#prunableRunIds();
      if (ids.length > 0) await this.#options.db.run.deleteMany({ where: { id: { in: ids } } });
      deleted += ids.length;
      if (ids.length < this.#options.batchSize) break;
      await yieldToOthers();
    }
    if (deleted > 0) this.#logger.info({ deleted }, "pruned old runs");
    return deleted;
  }

  async #prunableRunIds(): Promise<string[]> {
    const { keepPerTask, maxAgeDays, batchSize } = this.#options;
    const conditions = [`"status" NOT IN ('QUEUED', 'RUNNING')`];
    const parameters: unknown[] = [];
    if (keepPerTask > 0) {
      parameters.push(keepPerTask);
      conditions.push(`"rank" > ${this.#dialect.typed(parameters.length, "integer")}`);
    }
    if (maxAgeDays > 0) {
      parameters.push(new Date(this.#options.now() - maxAgeDays * 86_400_000));
      conditions.push(`"claimedAt" < ${this.#dialect.typed(parameters.length, "timestamp")}`);
    }
    parameters.push(batchSize);
    const rows = await this.#options.db.$queryRawUnsafe<{ id: string }[]>(
      `SELECT "id" FROM (
         SELECT "id", "status", "claimedAt", ROW_NUMBER() OVER (PARTITION BY "taskId" ORDER BY "claimedAt" DESC, "id" DESC) AS "rank" FROM "Run"
       ) AS ranked
       WHERE ${conditions.join(" AND ")}
       LIMIT ${this.#dialect.typed(parameters.length, "integer")}`,
      ...parameters,
    );
    return rows.map((row) => row.id);
  }
}
