// The failover scenario the failover test and `npm run bench:failover` share: Cronline
// processes on one PostgreSQL database, tasks firing every second (misfire RUN_ALL, overlap
// BUFFER_ALL), and one process SIGKILLed and restarted at random (seeded) intervals. The
// figures are counted from the database once every run of the window has ended.
import { hostname, loadavg } from "node:os";
import pg from "pg";
import { createScratchDatabase } from "../../src/db/scratch-database.js";
import { rerunPrefix } from "../../src/domain/runs.js";
import { lagSummary, markdownTable } from "../bench/report.js";
import { signalProcessGroup } from "./child-processes.js";
import { testCluster, type ClusterInstance } from "./cluster.js";
import { CreateService } from "./operations.js";
import { CreateTask } from "./task-operations.js";

export interface FailoverOptions {
  /** Occurrences per task: the window's length in seconds. */
  seconds: number;
  tasks: number;
  instances: number;
  /** Milliseconds from one kill to the next, drawn uniformly between the two. */
  killEveryMs: [number, number];
  leaseSeconds: number;
  seed: number;
  /** What each run executes. */
  command: string;
  progress: (message: string) => void;
}

export interface Kill {
  /** Epoch ms of the SIGKILL. */
  at: number;
  ownerId: string;
}

export interface FailoverFigures {
  seed: number;
  kills: Kill[];
  /** Tasks × seconds of the window. */
  occurrences: number;
  /** Occurrences claimed more than once. */
  duplicateOccurrences: number;
  /** Occurrences without a run, or whose run (or chain of re-runs) never succeeded. */
  missed: number;
  /** Runs closed as interrupted, and among them those whose process had not been killed. */
  interrupted: number;
  interruptedAlive: number;
  /** How long after the kill of its process each interrupted run was closed (ms). */
  closureDelaysMs: number[];
  /** Per kill that interrupted runs: until the last of them was closed (ms). */
  recoveryDelaysMs: number[];
  /** Runs still QUEUED or RUNNING once the cluster had EXECUTOR_LEASE_SECONDS + 60 s to finish. */
  leftActive: number;
  /** The longest time between two consecutive starts of one task's runs within the window (ms). */
  longestGapMs: number;
  gapLimitMs: number;
  /** Load average (1 min) at the start and at the end. */
  load: [number, number];
}

/** mulberry32: a small seeded generator, so a run's kills can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(ms, 0)));

const isRunning = (instance: ClusterInstance) => instance.server.child.exitCode === null && instance.server.child.signalCode === null;

export async function runFailover(options: FailoverOptions): Promise<FailoverFigures> {
  const load: [number, number] = [loadavg()[0]!, 0];
  const random = seededRandom(options.seed);
  const scratch = await createScratchDatabase("postgresql");
  const cluster = testCluster(scratch.location.url, {
    EXECUTOR_LEASE_SECONDS: String(options.leaseSeconds),
    SHUTDOWN_GRACE_SECONDS: "1",
  });
  const kills: Kill[] = [];
  try {
    const first = await cluster.start();
    for (let i = 1; i < options.instances; i++) await cluster.start();
    const { createService } = await first.client.data(CreateService, { input: { name: "failover", kind: "COMMAND", config: { command: options.command } } });
    if (createService.__typename !== "CreateServiceSuccess") throw new Error(createService.__typename);
    // Far enough ahead for every task to be created (ten at a time) and heard of by every
    // instance, even on a loaded machine.
    const startAt = Math.ceil((Date.now() + 5_000 + options.tasks * 200) / 1000) * 1000;
    const lastAt = startAt + (options.seconds - 1) * 1000;
    const createTask = async (i: number) => {
      const { createTask: created } = await first.client.data(CreateTask, {
        input: {
          name: `failover-${i}`,
          serviceId: createService.service.id,
          misfirePolicy: "RUN_ALL",
          overlapPolicy: "BUFFER_ALL",
          schedule: { standard: { startAt: new Date(startAt).toISOString(), frequencySeconds: 1, endAt: new Date(lastAt).toISOString() } },
        },
        schedule: true,
      });
      if (created.__typename !== "CreateTaskSuccess") throw new Error(JSON.stringify(created));
    };
    for (let i = 0; i < options.tasks; i += 10) await Promise.all(Array.from({ length: Math.min(10, options.tasks - i) }, (_, j) => createTask(i + j)));
    options.progress(`failover: ${options.tasks} tasks every second from ${new Date(startAt).toISOString()} (${((startAt - Date.now()) / 1000).toFixed(1)} s from now) for ${options.seconds} s, seed ${options.seed}`);

    // Kills while the window lasts, each killed instance restarted at once; a kill waits
    // while fewer than two instances listen (a loaded machine restarts slowly).
    const [shortest, longest] = options.killEveryMs;
    const restarts = new Set<Promise<unknown>>();
    let nextKill = startAt + shortest + random() * (longest - shortest);
    while (nextKill < lastAt) {
      await sleep(nextKill - Date.now());
      let live = cluster.started.filter(isRunning);
      while (live.length < 2 && restarts.size > 0) {
        await Promise.race(restarts);
        live = cluster.started.filter(isRunning);
      }
      const victim = live[Math.floor(random() * live.length)]!;
      const at = Date.now();
      signalProcessGroup(victim.server.child, "SIGKILL");
      await victim.server.exited;
      kills.push({ at, ownerId: ownerIdOf(victim) });
      options.progress(`failover: killed pid ${victim.server.child.pid} at +${((at - startAt) / 1000).toFixed(1)} s`);
      const restart = cluster.start().finally(() => restarts.delete(restart));
      restarts.add(restart);
      nextKill = at + shortest + random() * (longest - shortest);
    }
    await Promise.all(restarts);

    // Every run of the window ended: tasks completed, nothing queued or running.
    const db = new pg.Client({ connectionString: scratch.location.url });
    await db.connect();
    try {
      const deadline = lastAt + (options.leaseSeconds + 60) * 1000;
      let active = Number.POSITIVE_INFINITY;
      while (Date.now() < deadline) {
        const { rows } = await db.query<{ active: number; pending: number }>(
          `SELECT (SELECT COUNT(*) FROM "Run" WHERE "status" IN ('QUEUED', 'RUNNING'))::int AS active,
                  (SELECT COUNT(*) FROM "Task" WHERE "state" <> 'COMPLETED')::int AS pending`,
        );
        active = rows[0]!.active + rows[0]!.pending;
        if (active === 0) break;
        await sleep(250);
      }
      load[1] = loadavg()[0]!;
      return { ...(await figuresOf(db, options, kills, startAt, lastAt)), load };
    } finally {
      await db.end();
    }
  } finally {
    await cluster.stop();
    await scratch.drop();
  }
}

/** The Run.ownerId of an instance's executor: its host and pid. */
const ownerIdOf = (instance: ClusterInstance) => `${hostname()}:${instance.server.child.pid}`;

interface RunRow {
  id: string;
  taskId: string;
  trigger: string;
  status: string;
  reason: string | null;
  ownerId: string | null;
  occurrence: number | null;
  startedAt: number | null;
  finishedAt: number | null;
}

async function figuresOf(db: pg.Client, options: FailoverOptions, kills: Kill[], startAt: number, lastAt: number): Promise<Omit<FailoverFigures, "load">> {
  const epochMs = (column: string) => `(EXTRACT(EPOCH FROM "${column}") * 1000)::float8 AS "${column}"`;
  const { rows } = await db.query<RunRow>(
    `SELECT "id", "taskId", "trigger", "status", "reason", "ownerId", ${epochMs("occurrence")}, ${epochMs("startedAt")}, ${epochMs("finishedAt")} FROM "Run"`,
  );
  const { rows: tasks } = await db.query<{ id: string }>(`SELECT "id" FROM "Task"`);

  // Occurrences: one claimed run each.
  const byOccurrence = new Map<string, RunRow[]>();
  for (const run of rows) {
    if (run.trigger !== "SCHEDULE" || run.occurrence === null) continue;
    const key = `${run.taskId} ${run.occurrence}`;
    byOccurrence.set(key, [...(byOccurrence.get(key) ?? []), run]);
  }
  const duplicateOccurrences = [...byOccurrence.values()].filter((runs) => runs.length > 1).length;

  // An occurrence is done when its run, or the last of its chain of re-runs, succeeded.
  const succeeded = new Set<string>();
  for (const run of rows) {
    if (run.status !== "SUCCEEDED") continue;
    // The chain's last id is the first run interrupted: "re-run of interrupted run C, itself a re-run of interrupted run A".
    const origin = run.trigger === "RETRY" && run.reason?.startsWith(rerunPrefix) ? run.reason.slice(run.reason.lastIndexOf(rerunPrefix) + rerunPrefix.length) : run.id;
    succeeded.add(origin);
  }
  let missed = 0;
  for (const { id } of tasks) {
    for (let at = startAt; at <= lastAt; at += 1000) {
      const runs = byOccurrence.get(`${id} ${at}`) ?? [];
      if (!runs.some((run) => succeeded.has(run.id))) missed += 1;
    }
  }

  // The longest time a task went without a run starting, within the window.
  let longestGapMs = 0;
  const byTask = new Map<string, RunRow[]>();
  for (const run of rows) if (run.startedAt !== null) byTask.set(run.taskId, [...(byTask.get(run.taskId) ?? []), run]);
  for (const runs of byTask.values()) {
    runs.sort((a, b) => a.startedAt! - b.startedAt!);
    for (let i = 1; i < runs.length; i++) {
      const [previous, run] = [runs[i - 1]!.startedAt!, runs[i]!.startedAt!];
      if (previous >= startAt && run <= lastAt + 1000) longestGapMs = Math.max(longestGapMs, run - previous);
    }
  }

  // Interrupted runs, against the kill of their process.
  const killOf = new Map(kills.map((kill) => [kill.ownerId, kill]));
  const interruptedRuns = rows.filter((run) => run.status === "FAILED" && run.reason?.startsWith("interrupted"));
  const closureDelaysMs: number[] = [];
  const lastClosure = new Map<Kill, number>();
  let interruptedAlive = 0;
  for (const run of interruptedRuns) {
    const kill = run.ownerId === null ? undefined : killOf.get(run.ownerId);
    // Closed before its process was killed: taken for dead while it was alive.
    if (!kill || run.finishedAt! < kill.at) {
      interruptedAlive += 1;
      continue;
    }
    const delay = run.finishedAt! - kill.at;
    closureDelaysMs.push(delay);
    lastClosure.set(kill, Math.max(lastClosure.get(kill) ?? 0, delay));
  }
  return {
    seed: options.seed,
    kills,
    occurrences: tasks.length * ((lastAt - startAt) / 1000 + 1),
    duplicateOccurrences,
    missed,
    interrupted: interruptedRuns.length,
    interruptedAlive,
    closureDelaysMs,
    recoveryDelaysMs: [...lastClosure.values()],
    leftActive: rows.filter((run) => run.status === "QUEUED" || run.status === "RUNNING").length,
    longestGapMs,
    gapLimitMs: (options.leaseSeconds + 2) * 1000,
  };
}

const seconds = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : "n/a");

/** The figures as a markdown table. */
export function failoverTable(figures: FailoverFigures, leaseSeconds: number): string {
  const closure = lagSummary([...figures.closureDelaysMs]);
  const recovery = lagSummary([...figures.recoveryDelaysMs]);
  return markdownTable(
    ["figure", "value", "limit"],
    [
      ["seed", String(figures.seed), ""],
      ["kills", String(figures.kills.length), ""],
      ["occurrences", String(figures.occurrences), ""],
      ["duplicate occurrences", String(figures.duplicateOccurrences), "0"],
      ["missed occurrences", String(figures.missed), "0"],
      ["runs interrupted (closed by a survivor)", String(figures.interrupted), ""],
      ["runs interrupted whose process was alive", String(figures.interruptedAlive), "0"],
      ["closure after the kill p50 / max", `${seconds(closure.p50)} / ${seconds(closure.max)}`, `${leaseSeconds + 5} s (lease + 5 s)`],
      ["recovery delay after each kill p50 / max", `${seconds(recovery.p50)} / ${seconds(recovery.max)}`, ""],
      ["runs left QUEUED or RUNNING", String(figures.leftActive), "0"],
      ["longest gap between starts of a task", seconds(figures.longestGapMs), `< ${seconds(figures.gapLimitMs)} (lease + 2 s)`],
      ["load average (1 min) start / end", `${figures.load[0].toFixed(2)} / ${figures.load[1].toFixed(2)}`, ""],
    ],
  );
}
