// npm run bench:metrics [-- --tasks 100000 --scrapes 100]
// What a Prometheus scrape costs the real server (`npm start`'s bundle) on SQLite with 100,000
// tasks and 20,000 finished runs: GET /metrics (every thread's registry summed, tasks and runs
// counted by one grouped statement) against GET /readyz (a database round trip and a ping of
// each role thread) on the same server, sent one after the other in turns, in the same run.
// Also the number of series a scrape holds with 1 task and with them all: no label names a
// task, so it must not grow.
import { parseArgs } from "node:util";
import { openDatabase } from "../../src/db/database.js";
import { applyMigrations } from "../../src/db/migrations.js";
import { createScratchDatabase } from "../../src/db/scratch-database.js";
import { buildDist } from "../support/build.js";
import { parseScrape } from "../support/metrics.js";
import { goalLine, lagSummary, markdownTable, ratio } from "./report.js";
import { seedTasks } from "./seed-tasks.js";
import { startServer } from "./server-start.js";

buildDist();
const { values } = parseArgs({ options: { tasks: { type: "string", default: "100000" }, scrapes: { type: "string", default: "100" } } });
const taskCount = Number(values.tasks);
const scrapes = Number(values.scrapes);
/** The goal: a scrape of 100,000 tasks costs at most this many /readyz, at the 99th percentile (the machine's load moves both alike). */
const scrapeGoalRatio = 3;

const scratch = await createScratchDatabase("sqlite");
await applyMigrations(scratch.location);
const database = await openDatabase(scratch.location);
const [firstTask] = await seedTasks(database, { count: 1, firstRunAt: new Date(Date.now() + 3_600_000), overlapPolicy: "ALLOW", service: { kind: "COMMAND", config: { command: "true" } } });

async function get(url: URL): Promise<{ ms: number; status: number; text: string }> {
  const started = performance.now();
  const response = await fetch(url);
  const text = await response.text();
  return { ms: performance.now() - started, status: response.status, text };
}

async function seriesCount(base: URL): Promise<number> {
  const { text } = await get(new URL("/metrics", base));
  return text.split("\n").filter((line) => line !== "" && !line.startsWith("#")).length;
}

const server = startServer({ DATABASE_URL: scratch.location.url, LOG_LEVEL: "info", RUN_RETENTION_KEEP_PER_TASK: "0" });
try {
  const base = new URL(await server.listening(120_000));
  const seriesWithOne = await seriesCount(base);
  await server.stop();
  // The rest as copies of the first, paused (nothing fires), and finished runs of the first.
  await database.client.task.update({ where: { id: firstTask! }, data: { state: "PAUSED", nextRunAt: null } });
  const columns = (await database.client.$queryRawUnsafe<{ name: string }[]>(`SELECT name FROM pragma_table_info('Task')`)).map((c) => `"${c.name}"`);
  const copied = columns.map((c) => (c === '"id"' || c === '"name"' ? `${c} || '-' || n` : c));
  await database.client.$executeRawUnsafe(
    `WITH RECURSIVE copies(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM copies WHERE n < ${taskCount - 1})
     INSERT INTO "Task" (${columns.join(", ")}) SELECT ${copied.join(", ")} FROM "Task", copies WHERE "id" = '${firstTask}'`,
  );
  // One run written by Prisma, then copied by SQL (as the tasks are).
  const now = new Date();
  const run = await database.client.run.create({
    data: { taskId: firstTask!, trigger: "MANUAL", status: "SUCCEEDED", scheduledFor: now, claimedAt: now, startedAt: now, finishedAt: now, payload: {} },
  });
  const runColumns = (await database.client.$queryRawUnsafe<{ name: string }[]>(`SELECT name FROM pragma_table_info('Run')`)).map((c) => `"${c.name}"`);
  await database.client.$executeRawUnsafe(
    `WITH RECURSIVE copies(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM copies WHERE n < 19999)
     INSERT INTO "Run" (${runColumns.join(", ")}) SELECT ${runColumns.map((c) => (c === '"id"' ? `${c} || '-' || n` : c === '"occurrence"' ? "NULL" : c)).join(", ")} FROM "Run", copies WHERE "id" = '${run.id}'`,
  );
  await database.close();

  const again = startServer({ DATABASE_URL: scratch.location.url, LOG_LEVEL: "info", RUN_RETENTION_KEEP_PER_TASK: "0" });
  try {
    const url = new URL(await again.listening(120_000));
    const check = parseScrape(200, {}, (await get(new URL("/metrics", url))).text);
    if (check.value("cronline_tasks", { state: "PAUSED" }) !== taskCount) throw new Error(`the scrape counts ${check.value("cronline_tasks", { state: "PAUSED" })} paused tasks, not ${taskCount}`);
    const seriesWithAll = await seriesCount(url);
    const metrics: number[] = [];
    const readyz: number[] = [];
    for (let i = 0; i < scrapes; i++) {
      const scrape = await get(new URL("/metrics", url));
      const ready = await get(new URL("/readyz", url));
      if (scrape.status !== 200 || ready.status !== 200) throw new Error(`answered ${scrape.status} and ${ready.status}`);
      metrics.push(scrape.ms);
      readyz.push(ready.ms);
    }
    const m = lagSummary(metrics);
    const r = lagSummary(readyz);
    const fixed = (ms: number) => ms.toFixed(1);
    console.log(`\nGET /metrics on SQLite, ${taskCount.toLocaleString("en")} tasks and 20,000 runs, ${scrapes} requests each in turns (load average ${(await import("node:os")).loadavg().map((l) => l.toFixed(2)).join(" ")})\n`);
    console.log(
      markdownTable(
        ["request", "p50 ms", "p99 ms", "max ms", "p50 ratio to /readyz", "p99 ratio to /readyz"],
        [
          ["GET /metrics", fixed(m.p50), fixed(m.p99), fixed(m.max), ratio(m.p50, r.p50), ratio(m.p99, r.p99)],
          ["GET /readyz (reference)", fixed(r.p50), fixed(r.p99), fixed(r.max), "1.00", "1.00"],
        ],
      ),
    );
    console.log(`\nseries in a scrape: ${seriesWithOne} with 1 task, ${seriesWithAll} with ${taskCount.toLocaleString("en")}\n`);
    console.log(goalLine(m.p99 <= scrapeGoalRatio * r.p99, `GET /metrics p99 within ${scrapeGoalRatio}× /readyz's with ${taskCount.toLocaleString("en")} tasks (${ratio(m.p99, r.p99)}×)`));
    console.log(goalLine(seriesWithAll <= seriesWithOne + 10, `the series do not grow with the tasks (${seriesWithOne} → ${seriesWithAll}; a few more for task states now present)`));
  } finally {
    await again.stop();
  }
} finally {
  await server.stop();
  await scratch.drop();
}
