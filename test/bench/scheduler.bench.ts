// npm run bench:scheduler [-- --seconds 30 --overlap SKIP --cases firing,apscheduler,startup,cold-start]
// Fire lag, missed and duplicate occurrences, startup time and memory of the scheduler with
// every task firing each second on SQLite, against bare croner jobs (one `new Cron` per
// task, a no-op callback) and APScheduler (Debian's python3-apscheduler, when installed)
// measured the same way in the same run; and the cold start of the real server (package.json's
// `start` script) with 100,000 active tasks, against the in-process startup time. Each case
// runs in a process of its own, so its RSS is its own and one case's garbage does not slow
// the next. `--quick` is `--seconds 5`.
//
// Both sides are judged on the same window: the occurrences from the first second to the
// last one that has fully elapsed when the clock stops; whatever fires after that is waited
// for (up to drainLimitMs) but not counted. Cronline's occurrences are counted from the
// database, grouped by task and instant, and one recorded SKIPPED counts as missed. A lag
// goal is met only when nothing was missed or fired twice as well: lags are only measured
// over the occurrences that fired, so a scheduler missing most of them could look fast.
import { execFile, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import { Cron } from "croner";
import { openDatabase, type Database } from "../../src/db/database.js";
import { applyMigrations } from "../../src/db/migrations.js";
import { createScratchDatabase, type ScratchDatabase } from "../../src/db/scratch-database.js";
import type { OverlapPolicy } from "../../src/domain/task-policies.js";
import { EventBus } from "../../src/events/event-bus.js";
import { createLogger } from "../../src/logger.js";
import { Scheduler } from "../../src/scheduler/scheduler.js";
import { TaskStore } from "../../src/scheduler/task-store.js";
import { goalLine, lagSummary, markdownTable, ratio } from "./report.js";
import { seedTasks } from "./seed-tasks.js";
import { startServer } from "./server-start.js";
import { buildDist } from "../support/build.js";

// The servers measured here run dist/cronline.js, as `npm start` does: built from the current
// source by the bench's own process (its forked roles find it built).
if (!process.send) buildDist();

const caseGroups = ["firing", "apscheduler", "startup", "cold-start"] as const;
type CaseGroup = (typeof caseGroups)[number];

const { values } = parseArgs({
  options: {
    seconds: { type: "string" },
    quick: { type: "boolean", default: false },
    cases: { type: "string", default: caseGroups.join(",") },
    case: { type: "string" },
    tasks: { type: "string" },
    overlap: { type: "string", default: "SKIP" },
  },
});
const seconds = Number(values.seconds ?? (values.quick ? 5 : 30));
const selectedGroups = new Set(values.cases.split(",") as CaseGroup[]);
for (const group of selectedGroups) if (!caseGroups.includes(group)) throw new Error(`unknown case group ${group}; known: ${caseGroups.join(", ")}`);
const overlapPolicy = values.overlap as OverlapPolicy;
const logger = createLogger("warn");
/** What the seeded tasks run: nothing executes them here (see finishRunsAtOnce). */
const benchService = { kind: "COMMAND", config: { command: "true" } } as const;
/** How long the occurrences of the window may take to be claimed once it has elapsed. */
const drainLimitMs = 60_000;

interface LagFigures {
  p50: number;
  p99: number;
  max: number;
  /** Occurrences of the window not fired: never claimed, or recorded SKIPPED. */
  missed: number;
  /** Of the missed, those recorded SKIPPED (overlap or misfire policy). */
  skipped: number;
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

function lagFigures(lags: number[], missed: number, skipped: number, duplicates: number): LagFigures {
  return { ...lagSummary(lags), missed, skipped, duplicates, rssMiB: rssMiB() };
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
    const taskIds = await seedTasks(database, { count: taskCount, firstRunAt: new Date(window.first), overlapPolicy, service: benchService });
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
    const [counts] = await database.client.$queryRawUnsafe<{ fired: number; skipped: number; duplicates: number }[]>(
      `SELECT COALESCE(SUM("fired" > 0), 0) AS "fired", COALESCE(SUM("fired" = 0), 0) AS "skipped",
              COALESCE(SUM(CASE WHEN "fired" > 0 THEN "runs" - 1 ELSE 0 END), 0) AS "duplicates" FROM (
         SELECT COUNT(*) AS "runs", SUM("status" <> 'SKIPPED') AS "fired" FROM "Run"
         WHERE "scheduledFor" >= ? AND "scheduledFor" <= ? GROUP BY "taskId", "scheduledFor"
       )`,
      new Date(window.first),
      new Date(window.last),
    );
    return lagFigures(lags, taskCount * seconds - Number(counts!.fired), Number(counts!.skipped), Number(counts!.duplicates));
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
  return lagFigures(lags, taskCount * seconds - fired.size, 0, duplicates);
}

async function cronlineStartup(taskCount: number): Promise<number> {
  return withScratchDatabase(async (database) => {
    await seedTasks(database, { count: taskCount, firstRunAt: new Date(Date.now() + 3_600_000), overlapPolicy, service: benchService });
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

/** Debian's python3 that python3-apscheduler is installed for (a pyenv python3 on PATH would not have it). */
const systemPython = "/usr/bin/python3";
const apschedulerScript = fileURLToPath(new URL("./apscheduler-firing.py", import.meta.url));

/** Why the APScheduler reference cannot run, or null when it can. */
function apschedulerMissing(): string | null {
  const probe = spawnSync(systemPython, ["-c", "import apscheduler"], { encoding: "utf8" });
  if (probe.error) return `${systemPython} is not there (${probe.error.message})`;
  return probe.status === 0 ? null : `${systemPython} has no apscheduler module (apt-get install -y python3-apscheduler)`;
}

/** The same pattern in APScheduler 3, in a python3 process of its own. */
async function apschedulerFiring(taskCount: number): Promise<LagFigures> {
  const args = [apschedulerScript, "--tasks", String(taskCount), "--lead-ms", "3000", "--seconds", String(seconds), "--drain-limit-ms", String(drainLimitMs)];
  const { stdout } = await promisify(execFile)(systemPython, args, { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as LagFigures;
}

/** From spawning the server (as `npm start` does) until it logged the scheduler's start and until it listened. */
interface ColdStart {
  schedulerStartedMs: number;
  listeningMs: number;
  tasksLoaded: number;
}

async function coldStart(taskCount: number): Promise<ColdStart> {
  let scratch: ScratchDatabase | undefined;
  let server: ReturnType<typeof startServer> | undefined;
  try {
    scratch = await createScratchDatabase("sqlite");
    await applyMigrations(scratch.location);
    const database = await openDatabase(scratch.location);
    await seedTasks(database, { count: taskCount, firstRunAt: new Date(Date.now() + 3_600_000), overlapPolicy, service: benchService });
    await database.close();
    server = startServer({ DATABASE_URL: scratch.location.url, LOG_LEVEL: "info" });
    const started = await server.logged((entry) => entry.msg === "scheduler started", 120_000);
    await server.listening(120_000);
    const listened = server.logs.find((log) => log.entry.msg === "Cronline listening")!;
    return {
      // When the thread logged it: its stdout is relayed by the main thread, which may be busy.
      schedulerStartedMs: Date.parse(String(started.entry.time)) - server.spawnedAtEpochMs,
      listeningMs: listened.receivedAt - server.spawnedAt,
      tasksLoaded: Number(started.entry.tasks),
    };
  } finally {
    await server?.stop();
    await scratch?.drop();
  }
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

const progress = (message: string) => process.stderr.write(`${message}\n`);
const firingFigures = [["lag p50 (ms)", "p50"], ["lag p99 (ms)", "p99"], ["lag max (ms)", "max"], ["missed", "missed"], ["of which skipped", "skipped"], ["duplicates", "duplicates"], ["RSS (MiB)", "rssMiB"]] as const;
/** Nothing missed (no SKIPPED either: runs finish at once, so a skip means falling behind) and nothing fired twice. */
const exact = (figures: LagFigures) => figures.missed === 0 && figures.duplicates === 0;
const exactness = (name: string, figures: LagFigures) => `${name}: ${figures.missed} missed, ${figures.duplicates} duplicates`;

async function report(): Promise<void> {
  const goals: string[] = [];
  const firing = new Map<number, { ours: LagFigures; bare: LagFigures }>();
  if (selectedGroups.has("firing") || selectedGroups.has("apscheduler")) {
    const rows: string[][] = [];
    const counts = selectedGroups.has("firing") ? [1_000, 10_000] : [1_000];
    for (const taskCount of counts) {
      progress(`firing ${taskCount} tasks for ${seconds}s: Cronline, then bare croner`);
      const ours = await inChild<LagFigures>("cronlineFiring", taskCount);
      const bare = await inChild<LagFigures>("cronerFiring", taskCount);
      firing.set(taskCount, { ours, bare });
      for (const [label, key] of firingFigures) {
        rows.push([`${taskCount} tasks, ${seconds}s, every second`, label, String(ours[key]), String(bare[key]), ratio(ours[key], bare[key])]);
      }
    }
    console.log(markdownTable(["case", "figure", `Cronline (SQLite, overlap ${overlapPolicy}, every claim persisted)`, "bare croner", "Cronline/croner"], rows));
    for (const [taskCount, { ours, bare }] of firing) {
      goals.push(goalLine(exact(ours), `${taskCount} tasks: every occurrence fired exactly once (${exactness("Cronline", ours)}; ${exactness("croner", bare)})`));
    }
    const atTenThousand = firing.get(10_000);
    if (atTenThousand) {
      const { ours, bare } = atTenThousand;
      goals.push(
        goalLine(exact(ours) && ours.p99 <= bare.p99, `10,000 tasks: p99 lag no worse than bare croner's, nothing missed (${ours.p99} vs ${bare.p99} ms, ${ours.missed} missed)`),
        goalLine(exact(ours) && ours.p50 <= 2 * bare.p50, `10,000 tasks: p50 lag within 2× bare croner's, nothing missed (${ours.p50} vs ${bare.p50} ms, ${ratio(ours.p50, bare.p50)}×)`),
      );
    }
  }

  if (selectedGroups.has("apscheduler")) {
    const missing = apschedulerMissing();
    const ours = firing.get(1_000)!.ours;
    if (missing) {
      console.log(`\nAPScheduler reference skipped: ${missing}.`);
      goals.push(`- not measured: 1,000 tasks, p99 lag at least 5× better than APScheduler's (APScheduler not installed)`);
    } else {
      progress(`firing 1000 tasks for ${seconds}s: APScheduler`);
      const aps = await apschedulerFiring(1_000);
      const rows = firingFigures.filter(([, key]) => key !== "skipped").map(([label, key]) => [`1000 tasks, ${seconds}s, every second`, label, String(ours[key]), String(aps[key]), ratio(aps[key], ours[key])]);
      console.log("\n" + markdownTable(["case", "figure", "Cronline (same run as above)", "APScheduler 3 (python3, BackgroundScheduler)", "APScheduler/Cronline"], rows));
      goals.push(
        goalLine(
          exact(ours) && ours.p99 * 5 <= aps.p99,
          `1,000 tasks: p99 lag at least 5× better than APScheduler's, nothing missed (${ours.p99} vs ${aps.p99} ms: ${ratio(aps.p99, ours.p99)}×; ${exactness("APScheduler", aps)})`,
        ),
      );
    }
  }

  let inProcess100k: number | undefined;
  if (selectedGroups.has("startup")) {
    const rows: string[][] = [];
    for (const taskCount of [10_000, 100_000]) {
      progress(`scheduling ${taskCount} tasks: Cronline, then bare croner`);
      const ours = await inChild<number>("cronlineStartup", taskCount);
      const bare = await inChild<number>("cronerStartup", taskCount);
      if (taskCount === 100_000) inProcess100k = ours;
      rows.push([`schedule ${taskCount} tasks (in-process)`, "startup (ms)", ours.toFixed(0), bare.toFixed(0), ratio(ours, bare)]);
    }
    console.log("\n" + markdownTable(["case", "figure", "Cronline scheduler.start()", "bare croner", "Cronline/croner"], rows));
    goals.push(goalLine(inProcess100k! < 2_000, `100,000 tasks scheduled in-process in under 2 s (${inProcess100k!.toFixed(0)} ms)`));
  }

  if (selectedGroups.has("cold-start")) {
    progress("cold start of the server (package.json's start script) with 100000 active tasks");
    const cold = await coldStart(100_000);
    const reference = inProcess100k ?? (await inChild<number>("cronlineStartup", 100_000));
    const rows = [
      ["100000 active tasks, from spawn", "scheduler started (ms)", cold.schedulerStartedMs.toFixed(0), reference.toFixed(0), ratio(cold.schedulerStartedMs, reference)],
      ["100000 active tasks, from spawn", "listening (ms)", cold.listeningMs.toFixed(0), reference.toFixed(0), ratio(cold.listeningMs, reference)],
      ["100000 active tasks, from spawn", "tasks loaded", String(cold.tasksLoaded), "100000", ratio(cold.tasksLoaded, 100_000)],
    ];
    console.log("\n" + markdownTable(["case", "figure", "Cronline server process (`npm start`'s command)", "in-process scheduler.start()", "server/in-process"], rows));
    goals.push(
      goalLine(
        cold.tasksLoaded === 100_000 && cold.schedulerStartedMs < 2_000,
        `cold start: 100,000 tasks scheduled within 2 s of process start (${cold.schedulerStartedMs.toFixed(0)} ms, ${cold.tasksLoaded} loaded; listening at ${cold.listeningMs.toFixed(0)} ms)`,
      ),
    );
  }
  console.log(["", ...goals].join("\n"));
}

if (values.case) {
  process.stdout.write(JSON.stringify(await cases[values.case as CaseName](Number(values.tasks))));
} else {
  await report();
}
