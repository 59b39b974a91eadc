// The gauges read from the database at each scrape: tasks by state, and runs queued and
// running. One grouped statement for all of them (through Task's and Run's status indexes),
// never a row per task. They describe the whole database: every instance on it exports the
// same values.
import { Gauge, type Registry } from "prom-client";
import type { DbClient } from "../db/database.js";
import { activeRunStatuses } from "../domain/runs.js";
import { taskStates } from "../domain/task-policies.js";
import type { Logger } from "../logger.js";

const countsStatement = `SELECT 'task' AS "kind", "state" AS "value", CAST(COUNT(*) AS integer) AS "count" FROM "Task" GROUP BY "state"
  UNION ALL
  SELECT 'run', "status", CAST(COUNT(*) AS integer) FROM "Run" WHERE "status" IN (${activeRunStatuses.map((status) => `'${status}'`).join(", ")}) GROUP BY "status"`;

export class DatabaseGauges {
  readonly #tasks: Gauge<"state">;
  readonly #runs: Gauge<"status">;

  constructor(
    registry: Registry,
    private readonly db: DbClient,
    private readonly logger: Logger,
  ) {
    this.#tasks = new Gauge({ name: "cronline_tasks", help: "Tasks in the database, by state", labelNames: ["state"], registers: [registry] });
    this.#runs = new Gauge({ name: "cronline_runs", help: "Runs in the database queued or running now, by status", labelNames: ["status"], registers: [registry] });
  }

  /** Reads the counts; when the database does not answer, the gauges are left out of this scrape. */
  async refresh(): Promise<void> {
    let rows: { kind: string; value: string; count: number }[];
    try {
      rows = await this.db.$queryRawUnsafe(countsStatement);
    } catch (error) {
      this.logger.warn({ err: error }, "metrics: could not count tasks and runs");
      this.#tasks.reset();
      this.#runs.reset();
      return;
    }
    for (const state of taskStates) this.#tasks.set({ state }, 0);
    for (const status of activeRunStatuses) this.#runs.set({ status }, 0);
    for (const { kind, value, count } of rows) (kind === "task" ? this.#tasks.set({ state: value }, Number(count)) : this.#runs.set({ status: value }, Number(count)));
  }
}
