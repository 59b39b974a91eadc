// npm run bench:scheduler [-- --seconds 30]
// Fire lag, missed and duplicate occurrences, startup time and memory of the scheduler with
// every task firing each second on SQLite, against bare croner jobs (one `new Cron` per
// task, a no-op callback) measured the same way in the same run. Each case runs in a
// process of its own, so its RSS is its own and one case's garbage does not slow the next.
//
// Both sides are judged on the same window: the occurrences from the first second to the
// last one that has fully elapsed when the clock stops; whatever fires after that is waited
// for (up to drainLimitMs) but not counted. Cronline's occurrences are counted from the
// database, grouped by task and instant, and one recorded SKIPPED counts as missed.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import { Cron } from "croner";
import { openDatabase, type Database } from "../../src/db/database.js";
import { applyMigrations } from "../../src/db/migrations.js";
import { createScratchDatabase } from "../../src/db/scratch-database.js";
import type { OverlapPolicy } from "../../src/domain/task-policies.js";
import { scheduleToJson } from "../../src/domain/task-schedule.js";
import { EventBus } from "../../src/events/event-bus.js";
import { createLogger } from "../../src/logger.js";
import { Scheduler } from "../../src/scheduler/scheduler.js";
import { TaskStore } from "../../src/scheduler/task-store.js";
import { goalLine, markdownTable, percentile } from "./report.js";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "30" },
    case: { type: "string" },
    tasks: { type: "string" },
    overlap: { type: "string", default: "SKIP" },
  },
});
const seconds = Number(values.seconds);
const overlapPolicy = values.overlap as OverlapPolicy;
const logger = createLogger("warn");
/** How long the occurrences of the window may take to be claimed once it has elapsed. */
const drainLimitMs = 60_000;

interface LagFigures {
  p50: number;
  p99: number;
  max: number;
  missed: number;
  duplicates: number;
  rssMiB: number;
}

const rssMiB = () => Math.round(process.memoryUsage().rss / 2 ** 20);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The occurrences measured: each second from `first` to `last`, both included. */
interface Window {
  first: number;
  last: number;
}

function windowStartingSoon(): Window {
  const first = Math.ceil(Date.now() / 1000) * 1000 + 3_000;
  return { first, last: first + (seconds - 1) * 1000 };
}

const inWindow = (window: Window, instant: number) => instant >= window.first && instant <= window.last;

/** Sleeps until the last second of the window has fully elapsed. */
const windowElapsed = (window: Window) => sleep(window.last + 1000 - Date.now());

/** Polls until `done` or drainLimitMs; true when done. */
async function drained(done: () => boolean): Promise<boolean> {
  const limit = Date.now() + drainLimitMs;
  while (!done()) {
    if (Date.now() > limit) return false;
    await sleep(100);
  }
  return true;
}

function lagFigures(lags: number[], missed: number, duplicates: number): LagFigures {
  lags.sort((a, b) => a - b);
  return { p50: percentile(lags, 50), p99: percentile(lags, 99), max: lags.at(-1) ?? NaN, missed, duplicates, rssMiB: rssMiB() };
}

/**
 * One task written by Prisma, then copied by SQL: the copies store every value exactly as
 * Prisma does, and seeding 100,000 takes a second rather than minutes. Returns their ids.
 */
async function seedTasks(database: Database, count: number, firstRunAt: Date): Promise<string[]> {
  const service = await database.client.service.create({ data: { name: "bench", kind: "COMMAND", config: { command: "true" }, defaultPayload: {} } });
  const schedule = scheduleToJson({ kind: "STANDARD", startAt: firstRunAt, frequencySeconds: 1, endAt: null });
  await database.client.task.create({
    data: { name: "bench-template", serviceId: service.id, schedule, payload: {}, state: "ACTIVE", misfirePolicy: "SKIP", misfireGraceSeconds: 60, overlapPolicy, nextRunAt: firstRunAt },
  });
  const columns = (await database.client.$queryRawUnsafe<{ name: string }[]>(`SELECT name FROM pragma_table_info('Task')`)).map((c) => `"${c.name}"`);
  const copied = columns.map((c) => (c === '"id"' || c === '"name"' ? `${c} || '-' || n` : c));
  await database.client.$executeRawUnsafe(
    `WITH RECURSIVE copies(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM copies WHERE n < ${count - 1})
     INSERT INTO "Task" (${columns.join(", ")}) SELECT ${copied.join(", ")} FROM "Task", copies WHERE "name" = 'bench-template'`,
  );
  return (await database.client.task.findMany({ select: { id: true } })).map((task) => task.id);
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

/**
 * Under the overlap policy SKIP an occurrence is skipped while the previous run is queued:
 * this stands in for an executor whose runs finish at once, with one UPDATE per batch.
 */
function finishRunsAtOnce(database: Database, events: EventBus): void {
  events.on("runsCreated", ({ runs }) => {
    const queued = runs.filter((run) => run.status === "QUEUED").map((run) => run.id);
    if (queued.length === 0) return;
    // A Prisma promise only runs once something waits for it.
    database.client
      .$executeRawUnsafe(`UPDATE "Run" SET "status" = 'SUCCEEDED' WHERE "id" IN (SELECT value FROM json_each(?))`, JSON.stringify(queued))
      .catch((error: unknown) => process.stderr.write(`finishing runs failed: ${String(error)}\n`));
  });
}

async function cronlineFiring(taskCount: number): Promise<LagFigures> {
  return withScratchDatabase(async (database) => {
    const window = windowStartingSoon();
    const taskIds = await seedTasks(database, taskCount, new Date(window.first));
    const events = new EventBus();
    if (overlapPolicy !== "ALLOW") finishRunsAtOnce(database, events);
    // Claim time: when the runs are committed and handed to the executor.
    const lags: number[] = [];
    events.on("runsCreated", ({ runs }) => {
      const claimed = Date.now();
      for (const run of runs) {
        const scheduledFor = run.scheduledFor.getTime();
        if (run.status === "QUEUED" && inWindow(window, scheduledFor)) lags.push(claimed - scheduledFor);
      }
    });
    const scheduler = new Scheduler({ store: new TaskStore(database.client, "sqlite"), events, logger });
    await scheduler.start();
    await windowElapsed(window);
    const complete = await drained(() => taskIds.every((id) => (scheduler.fireTimeOf(id) ?? Infinity) > window.last));
    await scheduler.stop();
    if (!complete) process.stderr.write(`cronlineFiring ${taskCount}: the window was not claimed within ${drainLimitMs} ms\n`);
    const [counts] = await database.client.$queryRawUnsafe<{ fired: number; duplicates: number }[]>(
      `SELECT COUNT(*) AS "fired", COALESCE(SUM("runs" - 1), 0) AS "duplicates" FROM (
         SELECT COUNT(*) AS "runs", SUM("status" <> 'SKIPPED') AS "fired" FROM "Run"
         WHERE "scheduledFor" >= ? AND "scheduledFor" <= ? GROUP BY "taskId", "scheduledFor"
       ) WHERE "fired" > 0`,
      new Date(window.first),
      new Date(window.last),
    );
    return lagFigures(lags, taskCount * seconds - Number(counts!.fired), Number(counts!.duplicates));
  });
}

async function cronerFiring(taskCount: number): Promise<LagFigures> {
  const window = windowStartingSoon();
  const lags: number[] = [];
  const fired = new Set<string>();
  let duplicates = 0;
  // croner does not tell a callback which occurrence it is for (currentRun() is the time it
  // was called): each job follows its own grid, as croner does, moving past seconds it let
  // go by (it never catches up on them).
  const nextOccurrence = new Array<number>(taskCount).fill(window.first);
  const jobs = Array.from({ length: taskCount }, (_, i) =>
    new Cron("* * * * * *", { startAt: new Date(window.first - 1) }, () => {
      const now = Date.now();
      const scheduledFor = nextOccurrence[i]!;
      if (inWindow(window, scheduledFor)) {
        const key = `${i}@${scheduledFor}`;
        if (fired.has(key)) duplicates += 1;
        fired.add(key);
        lags.push(now - scheduledFor);
      }
      nextOccurrence[i] = Math.max(scheduledFor + 1000, Math.floor(now / 1000) * 1000 + 1000);
    }),
  );
  await windowElapsed(window);
  const complete = await drained(() => nextOccurrence.every((next) => next > window.last));
  for (const job of jobs) job.stop();
  if (!complete) process.stderr.write(`cronerFiring ${taskCount}: the window was not fired within ${drainLimitMs} ms\n`);
  return lagFigures(lags, taskCount * seconds - fired.size, duplicates);
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
  const args = ["--max-old-space-size=16384", ...process.execArgv, benchFile, "--case", name, "--tasks", String(taskCount), "--seconds", String(seconds), "--overlap", overlapPolicy];
  const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as T;
}

async function report(): Promise<void> {
  const progress = (message: string) => process.stderr.write(`${message}\n`);
  const ratio = (ours: number, reference: number) => (reference > 0 ? (ours / reference).toFixed(2) : "n/a");
  const rows: string[][] = [];
  const firing = new Map<number, { ours: LagFigures; bare: LagFigures }>();
  for (const taskCount of [1_000, 10_000]) {
    progress(`firing ${taskCount} tasks for ${seconds}s: Cronline, then bare croner`);
    const ours = await inChild<LagFigures>("cronlineFiring", taskCount);
    const bare = await inChild<LagFigures>("cronerFiring", taskCount);
    firing.set(taskCount, { ours, bare });
    for (const [label, key] of [["lag p50 (ms)", "p50"], ["lag p99 (ms)", "p99"], ["lag max (ms)", "max"], ["missed", "missed"], ["duplicates", "duplicates"], ["RSS (MiB)", "rssMiB"]] as const) {
      rows.push([`${taskCount} tasks, ${seconds}s, every second`, label, String(ours[key]), String(bare[key]), ratio(ours[key], bare[key])]);
    }
  }
  const startup = new Map<number, number>();
  for (const taskCount of [10_000, 100_000]) {
    progress(`scheduling ${taskCount} tasks: Cronline, then bare croner`);
    const ours = await inChild<number>("cronlineStartup", taskCount);
    const bare = await inChild<number>("cronerStartup", taskCount);
    startup.set(taskCount, ours);
    rows.push([`schedule ${taskCount} tasks`, "startup (ms)", ours.toFixed(0), bare.toFixed(0), ratio(ours, bare)]);
  }
  console.log(markdownTable(["case", "figure", `Cronline (SQLite, overlap ${overlapPolicy}, every claim persisted)`, "bare croner", "Cronline/croner"], rows));
  const atTenThousand = firing.get(10_000)!;
  const exact = [...firing].every(([, { ours }]) => ours.missed === 0 && ours.duplicates === 0);
  console.log(
    [
      "",
      goalLine(atTenThousand.ours.p99 <= atTenThousand.bare.p99, `p99 lag at 10,000 tasks no worse than bare croner's (${atTenThousand.ours.p99} vs ${atTenThousand.bare.p99} ms)`),
      goalLine(startup.get(100_000)! < 2_000, `100,000 tasks scheduled in under 2 s (${startup.get(100_000)!.toFixed(0)} ms)`),
      goalLine(exact, "no missed and no duplicate occurrence"),
    ].join("\n"),
  );
}

if (values.case) {
  process.stdout.write(JSON.stringify(await cases[values.case as CaseName](Number(values.tasks))));
} else {
  await report();
}
