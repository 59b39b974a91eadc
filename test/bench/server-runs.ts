// What the benchmarks that drive the real server share: a SQLite database seeded with tasks
// firing every second, a window of occurrences measured, and the figures of the window's
// runs read back from the database the server wrote (fire lag, start lag, skips, throughput).
import { readFileSync } from "node:fs";
import { openDatabase } from "../../src/db/database.js";
import { applyMigrations } from "../../src/db/migrations.js";
import { createScratchDatabase, type ScratchDatabase } from "../../src/db/scratch-database.js";
import { lagSummary } from "./report.js";
import { seedTasks, type SeedOptions } from "./seed-tasks.js";

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const progress = (message: string) => process.stderr.write(`${message}\n`);

/** The occurrences measured: each second from `first` to `last` (epoch ms), both included. */
export interface Window {
  first: number;
  last: number;
}

/** `seconds` occurrences starting at the first whole second at least `settleMs` from now. */
export function windowFromNow(seconds: number, settleMs: number): Window {
  const first = Math.ceil((Date.now() + settleMs) / 1000) * 1000;
  return { first, last: first + (seconds - 1) * 1000 };
}

/** Sleeps until the last second of the window has fully elapsed. */
export const windowElapsed = (window: Window) => sleep(window.last + 1000 - Date.now());

/** A fresh SQLite database with `options.count` tasks firing every second from now on. */
export async function seededDatabase(options: Omit<SeedOptions, "firstRunAt">): Promise<ScratchDatabase> {
  const scratch = await createScratchDatabase("sqlite");
  try {
    await applyMigrations(scratch.location);
    const database = await openDatabase(scratch.location);
    try {
      await seedTasks(database, { ...options, firstRunAt: new Date(Math.ceil(Date.now() / 1000) * 1000) });
    } finally {
      await database.close();
    }
    return scratch;
  } catch (error) {
    await scratch.drop();
    throw error;
  }
}

export interface RunFigures {
  /** Tasks × seconds of the window. */
  expected: number;
  /** Occurrences with a run that was not skipped. */
  runs: number;
  /** Occurrences skipped because the task's previous run was still queued or running. */
  overlapSkips: number;
  /** Occurrences skipped for any other reason (misfire). */
  otherSkips: number;
  /** Occurrences with no run recorded at all. */
  unrecorded: number;
  started: number;
  finished: number;
  succeeded: number;
  /** Results stored for the window's runs. */
  results: number;
  /** claimedAt − (scheduledFor + jitter), ms. */
  fireLag: { p50: number; p99: number; max: number };
  /** startedAt − (scheduledFor + jitter), ms, over the runs that started. */
  startLag: { p50: number; p99: number; max: number };
  /** Runs started within 1 s of their fire time. */
  startedWithinSecond: number;
  /** Runs of any task finished during the window's seconds, per second. */
  finishedPerSecond: number;
}

/** Whether every run of the window has finished (or `limitMs` passed); true when finished. */
export async function windowFinished(url: string, window: Window, limitMs: number): Promise<boolean> {
  const database = await openDatabase({ provider: "sqlite", url });
  try {
    const limit = Date.now() + limitMs;
    const between = { gte: new Date(window.first), lte: new Date(window.last) };
    for (;;) {
      const open = await database.client.run.count({ where: { scheduledFor: between, status: { in: ["QUEUED", "RUNNING"] } } });
      if (open === 0) return true;
      if (Date.now() > limit) return false;
      await sleep(500);
    }
  } finally {
    await database.close();
  }
}

/** The window's figures, read from the database the server wrote. */
export async function runFigures(url: string, window: Window, taskCount: number): Promise<RunFigures> {
  const database = await openDatabase({ provider: "sqlite", url });
  try {
    const seconds = (window.last - window.first) / 1000 + 1;
    const runs = await database.client.run.findMany({
      where: { scheduledFor: { gte: new Date(window.first), lte: new Date(window.last) }, trigger: { not: "MANUAL" } },
      select: { id: true, taskId: true, status: true, reason: true, scheduledFor: true, jitterMs: true, claimedAt: true, startedAt: true, finishedAt: true },
    });
    const fired = runs.filter((run) => run.status !== "SKIPPED");
    const skipped = runs.filter((run) => run.status === "SKIPPED");
    const overlapSkips = skipped.filter((run) => run.reason?.startsWith("the previous run is still active")).length;
    const started = fired.filter((run) => run.startedAt !== null);
    const fireAt = (run: (typeof runs)[number]) => run.scheduledFor.getTime() + run.jitterMs;
    const startLags = started.map((run) => run.startedAt!.getTime() - fireAt(run));
    const finishedDuringWindow = await database.client.run.count({
      where: { finishedAt: { gte: new Date(window.first), lt: new Date(window.last + 1000) }, status: { not: "SKIPPED" } },
    });
    // A relation filter, not an id list: a window's runs exceed the database's parameter limit.
    const results = await database.client.runResult.count({
      where: {
        run: {
          scheduledFor: { gte: new Date(window.first), lte: new Date(window.last) },
          trigger: { not: "MANUAL" },
          status: { not: "SKIPPED" },
        },
      },
    });
    return {
      expected: taskCount * seconds,
      runs: fired.length,
      overlapSkips,
      otherSkips: skipped.length - overlapSkips,
      unrecorded: taskCount * seconds - new Set(runs.map((run) => `${run.taskId}@${run.scheduledFor.getTime()}`)).size,
      started: started.length,
      finished: fired.filter((run) => run.finishedAt !== null).length,
      succeeded: fired.filter((run) => run.status === "SUCCEEDED").length,
      results,
      fireLag: lagSummary(fired.map((run) => run.claimedAt.getTime() - fireAt(run))),
      startLag: lagSummary(startLags),
      startedWithinSecond: startLags.filter((lag) => lag <= 1000).length,
      finishedPerSecond: finishedDuringWindow / seconds,
    };
  } finally {
    await database.close();
  }
}

/** CPU time (user + system) a process has used so far, from /proc, in ms. */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const clockTicksPerSecond = 100;
  return ((Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond) * 1000;
}

/** Resident memory of a process, from /proc, in MiB. */
export function processRssMiB(pid: number): number {
  const pages = Number(readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]);
  return Math.round((pages * 4096) / 2 ** 20);
}
