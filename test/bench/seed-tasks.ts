// Many identical tasks in a SQLite database, quickly, for the benchmarks.
import type { Database } from "../../src/db/database.js";
import type { OverlapPolicy } from "../../src/domain/task-policies.js";
import { scheduleToJson } from "../../src/domain/task-schedule.js";

export interface SeedOptions {
  count: number;
  /** The first occurrence; every task then fires each second. */
  firstRunAt: Date;
  overlapPolicy: OverlapPolicy;
  /** The service every task runs (no targets: each run has one attempt, against no device). */
  service: { kind: "COMMAND"; config: { command: string } } | { kind: "HTTP"; config: { url: string; method: string } };
}

/**
 * One task written by Prisma, then copied by SQL: the copies store every value exactly as
 * Prisma does, and seeding 100,000 takes a second rather than minutes. Returns their ids.
 */
export async function seedTasks(database: Database, options: SeedOptions): Promise<string[]> {
  const { count, firstRunAt, overlapPolicy } = options;
  const service = await database.client.service.create({ data: { name: "bench", ...options.service, defaultPayload: {} } });
  const schedule = scheduleToJson({ kind: "STANDARD", startAt: firstRunAt, frequencySeconds: 1, endAt: null });
  await database.client.task.create({
    data: { name: "bench-template", serviceId: service.id, schedule, payload: {}, state: "ACTIVE", misfirePolicy: "SKIP", misfireGraceSeconds: 60, overlapPolicy, nextRunAt: firstRunAt },
  });
  const columns = (await database.client.$queryRawUnsafe<{ name: string }[]>(`SELECT name FROM pragma_table_info('Task')`)).map((c) => `"${c.name}"`);
  const copied = columns.map((c) => (c === '"id"' || c === '"name"' ? `${c} || '-' || n` : c));
  if (count > 1) {
    await database.client.$executeRawUnsafe(
      `WITH RECURSIVE copies(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM copies WHERE n < ${count - 1})
       INSERT INTO "Task" (${columns.join(", ")}) SELECT ${copied.join(", ")} FROM "Task", copies WHERE "name" = 'bench-template'`,
    );
  }
  return (await database.client.task.findMany({ select: { id: true } })).map((task) => task.id);
}
