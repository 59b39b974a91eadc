// npm run bench:scheduler [-- --seconds 30]
// Fire lag, missed and duplicate occurrences, startup time and memory of the scheduler with
// every task firing each second on SQLite, against bare croner jobs (one `new Cron` per
// task, a no-op callback) measured the same way in the same run. Each case runs in a
// process of its own, so its RSS is its own and one case's garbage does not slow the next.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parseArgs } from "node:util";
import { Cron } from "croner";
import { openDatabase, type Database } from "../../src/db/database.js";
import { applyMigrations } from "../../src/db/migrations.js";
import { createScratchDatabase } from "../../src/db/scratch-database.js";
import { scheduleToJson } from "../../src/domain/task-schedule.js";
import { EventBus } from "../../src/events/event-bus.js";
import { createLogger } from "../../src/logger.js";
import { Scheduler } from "../../src/scheduler/scheduler.js";
import { TaskStore } from "../../src/scheduler/task-store.js";

const { values } = parseArgs({
  options: { seconds: { type: "string", default: "30" }, case: { type: "string" }, tasks: { type: "string" } },
});
const seconds = Number(values.seconds);
const logger = createLogger("warn");

interface LagFigures {
  p50: number;
  p99: number;
  max: number;
  missed: number;
  duplicates: number;
  rssMiB: number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const rssMiB = () => Math.round(process.memoryUsage().rss / 2 ** 20);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function figures(lags: number[], expected: number, distinct: number, total: number): LagFigures {
  lags.sort((a, b) => a - b);
  return { p50: percentile(lags, 50), p99: percentile(lags, 99), max: lags.at(-1) ?? NaN, missed: expected - distinct, duplicates: total - distinct, rssMiB: rssMiB() };
}

/**
 * One task written by Prisma, then copied by SQL: the copies store every value exactly as
 * Prisma does, and seeding 100,000 takes a second rather than minutes.
 */
async function seedTasks(database: Database, count: number, firstRunAt: Date): Promise<void> {
  const service = await database.client.service.create({ data: { name: "bench", kind: "COMMAND", config: { command: "true" }, defaultPayload: {} } });
  const schedule = scheduleToJson({ kind: "STANDARD", startAt: firstRunAt, frequencySeconds: 1, endAt: null });
  await database.client.task.create({
    data: { name: "bench-template", serviceId: service.id, schedule, payload: {}, state: "ACTIVE", misfirePolicy: "SKIP", misfireGraceSeconds: 60, overlapPolicy: "ALLOW", nextRunAt: firstRunAt },
  });
  const columns = (await database.client.$queryRawUnsafe<{ name: string }[]>(`SELECT name FROM pragma_table_info('Task')`)).map((c) => `"${c.name}"`);
  const copied = columns.map((c) => (c === '"id"' || c === '"name"' ? `${c} || '-' || n` : c));
  await database.client.$executeRawUnsafe(
    `WITH RECURSIVE copies(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM copies WHERE n < ${count - 1})
     INSERT INTO "Task" (${columns.join(", ")}) SELECT ${copied.join(", ")} FROM "Task", copies WHERE "name" = 'bench-template'`,
  );
}

async function withScratchDatabase<T>(work: (database: Database) => Promise<T>): Promise<T> {
  const scratch = await createScratchDatabase("sqlite");
  await applyMigrations(scratch.location);
  const database = await openDatabase(scratch.location);
  try {
    return await work(database);
  } finally {
    await database.close();
    await scratch.drop();
  }
}

async function cronlineFiring(taskCount: number): Promise<LagFigures> {
  return withScratchDatabase(async (database) => {
    const firstRunAt = new Date(Math.ceil(Date.now() / 1000) * 1000 + 3_000);
    await seedTasks(database, taskCount, firstRunAt);
    const events = new EventBus();
    const lags: number[] = [];
    let total = 0;
    const seen = new Set<string>();
    events.on("runsCreated", ({ runs }) => {
      const claimed = Date.now();
      for (const run of runs) {
        total += 1;
        seen.add(`${run.taskId}@${run.scheduledFor.getTime()}`);
        lags.push(claimed - run.scheduledFor.getTime());
      }
    });
    const scheduler = new Scheduler({ store: new TaskStore(database.client, "sqlite"), events, logger });
    await scheduler.start();
    await sleep(firstRunAt.getTime() - Date.now() + seconds * 1000 - 500);
    await scheduler.stop();
    const stored = await database.client.run.count();
    const expected = taskCount * seconds;
    if (stored !== total) throw new Error(`events (${total}) and stored runs (${stored}) disagree`);
    return figures(lags, expected, seen.size, total);
  });
}

async function cronerFiring(taskCount: number): Promise<LagFigures> {
  const lags: number[] = [];
  const seen = new Set<string>();
  let total = 0;
  const start = Math.ceil(Date.now() / 1000) * 1000 + 3_000;
  const jobs = Array.from({ length: taskCount }, (_, i) => {
    // croner does not tell a callback which occurrence it is for (currentRun() is the time it
    // was called): follow the job's own grid, moving past seconds it let go by.
    let scheduledFor = start;
    return new Cron("* * * * * *", { startAt: new Date(start - 1) }, () => {
      const now = Date.now();
      total += 1;
      seen.add(`${i}@${scheduledFor}`);
      lags.push(now - scheduledFor);
      scheduledFor = Math.max(scheduledFor + 1000, Math.floor(now / 1000) * 1000 + 1000);
    });
  });
  await sleep(start - Date.now() + seconds * 1000 - 500);
  for (const job of jobs) job.stop();
  return figures(lags, taskCount * seconds, seen.size, total);
}

async function cronlineStartup(taskCount: number): Promise<number> {
  return withScratchDatabase(async (database) => {
    await seedTasks(database, taskCount, new Date(Date.now() + 3_600_000));
    const scheduler = new Scheduler({ store: new TaskStore(database.client, "sqlite"), events: new EventBus(), logger });
    const started = performance.now();
    await scheduler.start();
    const elapsed = performance.now() - started;
    if (scheduler.size !== taskCount) throw new Error(`scheduled ${scheduler.size} of ${taskCount}`);
    await scheduler.stop();
    return elapsed;
  });
}

function cronerStartup(taskCount: number): number {
  const started = performance.now();
  const jobs = Array.from({ length: taskCount }, () => new Cron("* * * * * *", () => {}));
  const elapsed = performance.now() - started;
  for (const job of jobs) job.stop();
  return elapsed;
}

const cases = {
  cronlineFiring,
  cronerFiring,
  cronlineStartup,
  cronerStartup: async (taskCount: number) => cronerStartup(taskCount),
};
type CaseName = keyof typeof cases;

const benchFile = fileURLToPath(import.meta.url);

/** Runs one case in a fresh process (the same loader, a heap large enough for 100,000 croner jobs). */
async function inChild<T>(name: CaseName, taskCount: number): Promise<T> {
  const args = ["--max-old-space-size=16384", ...process.execArgv, benchFile, "--case", name, "--tasks", String(taskCount), "--seconds", String(seconds)];
  const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as T;
}

async function report(): Promise<void> {
  const progress = (message: string) => process.stderr.write(`${message}\n`);
  const ratio = (ours: number, reference: number) => (reference > 0 ? (ours / reference).toFixed(2) : "n/a");
  const rows: string[][] = [];
  for (const taskCount of [1_000, 10_000]) {
    progress(`firing ${taskCount} tasks for ${seconds}s: Cronline, then bare croner`);
    const ours = await inChild<LagFigures>("cronlineFiring", taskCount);
    const bare = await inChild<LagFigures>("cronerFiring", taskCount);
    for (const [label, key] of [["lag p50 (ms)", "p50"], ["lag p99 (ms)", "p99"], ["lag max (ms)", "max"], ["missed", "missed"], ["duplicates", "duplicates"], ["RSS (MiB)", "rssMiB"]] as const) {
      rows.push([`${taskCount} tasks, ${seconds}s, every second`, label, String(ours[key]), String(bare[key]), ratio(ours[key], bare[key])]);
    }
  }
  for (const taskCount of [10_000, 100_000]) {
    progress(`scheduling ${taskCount} tasks: Cronline, then bare croner`);
    const ours = await inChild<number>("cronlineStartup", taskCount);
    const bare = await inChild<number>("cronerStartup", taskCount);
    rows.push([`schedule ${taskCount} tasks`, "startup (ms)", ours.toFixed(0), bare.toFixed(0), ratio(ours, bare)]);
  }
  const header = ["case", "figure", "Cronline (SQLite, every claim persisted)", "bare croner", "Cronline/croner"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  console.log([line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n"));
}

if (values.case) {
  process.stdout.write(JSON.stringify(await cases[values.case as CaseName](Number(values.tasks))));
} else {
  await report();
}
