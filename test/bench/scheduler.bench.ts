// npm run bench:scheduler [-- --seconds 30]
// Fire lag, missed and duplicate occurrences, startup time and memory of the scheduler with
// every task firing each second on SQLite, against bare croner jobs (one `new Cron` per
// task, a no-op callback) measured the same way in the same run.
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

const { values } = parseArgs({ options: { seconds: { type: "string", default: "30" } } });
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

async function seedTasks(database: Database, count: number, firstRunAt: Date): Promise<void> {
  const service = await database.client.service.create({ data: { name: "bench", kind: "COMMAND", config: { command: "true" }, defaultPayload: {} } });
  const schedule = scheduleToJson({ kind: "STANDARD", startAt: firstRunAt, frequencySeconds: 1, endAt: null });
  for (let start = 0; start < count; start += 5_000) {
    await database.client.task.createMany({
      data: Array.from({ length: Math.min(5_000, count - start) }, (_, i) => ({
        name: `bench-${start + i}`,
        serviceId: service.id,
        schedule,
        payload: {},
        state: "ACTIVE",
        misfirePolicy: "SKIP",
        misfireGraceSeconds: 60,
        overlapPolicy: "ALLOW",
        nextRunAt: firstRunAt,
      })),
    });
  }
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
  const jobs = Array.from(
    { length: taskCount },
    (_, i) =>
      new Cron("* * * * * *", { startAt: new Date(start - 1) }, (self: Cron) => {
        const scheduledFor = self.currentRun()?.getTime() ?? Date.now();
        total += 1;
        seen.add(`${i}@${scheduledFor}`);
        lags.push(Date.now() - scheduledFor);
      }),
  );
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

const ratio = (ours: number, reference: number) => (reference > 0 ? (ours / reference).toFixed(2) : "n/a");
const rows: string[][] = [];

for (const taskCount of [1_000, 10_000]) {
  const ours = await cronlineFiring(taskCount);
  const bare = await cronerFiring(taskCount);
  for (const [label, key] of [["lag p50 (ms)", "p50"], ["lag p99 (ms)", "p99"], ["lag max (ms)", "max"], ["missed", "missed"], ["duplicates", "duplicates"], ["RSS (MiB)", "rssMiB"]] as const) {
    rows.push([`${taskCount} tasks, ${seconds}s, every second`, label, String(ours[key]), String(bare[key]), ratio(ours[key], bare[key])]);
  }
}
for (const taskCount of [10_000, 100_000]) {
  const ours = await cronlineStartup(taskCount);
  const bare = cronerStartup(taskCount);
  rows.push([`schedule ${taskCount} tasks`, "startup (ms)", ours.toFixed(0), bare.toFixed(0), ratio(ours, bare)]);
}

const header = ["case", "figure", "Cronline (SQLite, every claim persisted)", "bare croner", "Cronline/croner"];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
console.log([line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n"));
