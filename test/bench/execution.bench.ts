// npm run bench:execution [-- --single-runs 3000 --max-runs 50 --runs 10 --targets 1000 --concurrency 64]
// Runs executed per second by Cronline's executor, every result persisted, on SQLite and on
// PostgreSQL, each beside a reference measured in the same run:
// - `true` COMMAND runs of 1 target each, `--max-runs` at a time, against a bare
//   child_process.spawn loop of `true` at the same concurrency;
// - HTTP runs of 1 target each against a local sink server (a separate process), against a
//   bare fetch (undici) loop at the same concurrency;
// - HTTP runs of 1,000 targets each (a fan-out), against the same bare fetch loop.
// A case queues all its runs at once, announces them as the scheduler does, and is timed
// until the last RUN_FINISHED event; runs, their statuses and results are then counted in
// the database.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { parseArgs } from "node:util";
import { openDatabase, type Database } from "../../src/db/database.js";
import { applyMigrations } from "../../src/db/migrations.js";
import type { DatabaseProvider } from "../../src/db/prisma-schema.js";
import { createScratchDatabase, postgresUnavailableReason } from "../../src/db/scratch-database.js";
import { HttpEgressPolicy } from "../../src/domain/http-egress.js";
import { unscheduledRun } from "../../src/domain/runs.js";
import { EventBus } from "../../src/events/event-bus.js";
import { createEgressAgent } from "../../src/execution/egress-agent.js";
import { Executor } from "../../src/execution/executor.js";
import { RunStore } from "../../src/execution/run-store.js";
import { createLogger } from "../../src/logger.js";
import { SecretsCipher } from "../../src/secrets/secrets-cipher.js";
import { goalLine, markdownTable } from "./report.js";
import { startSink } from "./sink.js";

const { values } = parseArgs({
  options: {
    "single-runs": { type: "string", default: "3000" },
    "max-runs": { type: "string", default: "50" },
    "single-tasks": { type: "string", default: "100" },
    runs: { type: "string", default: "10" },
    targets: { type: "string", default: "1000" },
    concurrency: { type: "string", default: "64" },
    cases: { type: "string", default: "command,http,fan-out" },
  },
});
const singleRuns = Number(values["single-runs"]);
const maxRuns = Number(values["max-runs"]);
const singleTasks = Number(values["single-tasks"]);
const fanOutRuns = Number(values.runs);
const fanOutTargets = Number(values.targets);
const fanOutConcurrency = Number(values.concurrency);
const caseNames = values.cases.split(",");
const logger = createLogger("warn");
/** The sink listens on loopback, which HTTP services may not reach by default. */
const loopbackAllowed = new HttpEgressPolicy({ allowedHosts: [], deniedNetworks: [] });

/** `total` jobs, `concurrency` at a time; returns jobs per second. */
async function loop(total: number, concurrency: number, job: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, total) }, async () => {
      while (next < total) await job(next++);
    }),
  );
  return total / ((performance.now() - started) / 1000);
}

/** The reference for HTTP: the same requests, bodies read, nothing stored. */
const bareFetch = (port: number, requests: number, concurrency: number, devices: number) =>
  loop(requests, concurrency, async (i) => {
    const response = await fetch(`http://127.0.0.1:${port}/hook/device-${i % devices}`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    await response.text();
    if (response.status !== 200) throw new Error(`sink answered ${response.status}`);
  });

/** The reference for commands: `true` spawned with its output piped and read, nothing stored. */
const bareSpawn = (count: number, concurrency: number) =>
  loop(count, concurrency, async () => {
    const child = spawn("true", [], { stdio: ["pipe", "pipe", "pipe"] });
    // `true` does not read its stdin and may close it first.
    child.stdin.on("error", () => {});
    child.stdin.end("{}");
    child.stdout.resume();
    child.stderr.resume();
    const [code] = (await once(child, "close")) as [number];
    if (code !== 0) throw new Error(`true exited with ${code}`);
  });

interface CaseSetup {
  kind: "COMMAND" | "HTTP";
  config: Record<string, unknown>;
  /** Tasks the runs are spread over, each with its own targets. */
  tasks: number;
  targetsPerTask: number;
  /** Targets of one service at a time. */
  serviceConcurrency: number;
}

/** One service and its tasks (overlap ALLOW, so runs of a task may go side by side), each task with its own devices. */
async function seed(database: Database, setup: CaseSetup): Promise<string[]> {
  const db = database.client;
  const service = await db.service.create({
    data: { name: "bench", kind: setup.kind, config: setup.config as object, defaultPayload: {}, concurrency: setup.serviceConcurrency },
  });
  const taskIds: string[] = [];
  for (let t = 0; t < setup.tasks; t++) {
    await db.device.createMany({ data: Array.from({ length: setup.targetsPerTask }, (_, i) => ({ name: `device-${t}-${i}`, address: "127.0.0.1", properties: {} })) });
    const devices = await db.device.findMany({ where: { name: { startsWith: `device-${t}-` } }, select: { id: true } });
    const task = await db.task.create({
      data: {
        name: `task-${t}`,
        serviceId: service.id,
        schedule: { kind: "ONCE", at: "2099-01-01T00:00:00.000Z" },
        payload: {},
        state: "PAUSED",
        misfirePolicy: "SKIP",
        misfireGraceSeconds: 60,
        overlapPolicy: "ALLOW",
        targetDevices: { create: devices.map((d) => ({ deviceId: d.id })) },
      },
    });
    taskIds.push(task.id);
  }
  return taskIds;
}

interface Outcome {
  seconds: number;
  succeeded: number;
  results: number;
}

/** Queues `count` runs over the tasks, announces them, waits for every RUN_FINISHED, then counts what was stored. */
async function executeRuns(database: Database, events: EventBus, taskIds: string[], count: number): Promise<Outcome> {
  const now = new Date();
  const runs = Array.from({ length: count }, (_, i) => unscheduledRun(taskIds[i % taskIds.length]!, "MANUAL", {}, now));
  const ids = new Set(runs.map((run) => run.id));
  let finished = 0;
  const allFinished = new Promise<void>((resolve) => {
    const unsubscribe = events.on("runProgress", ({ type, run }) => {
      if (type !== "RUN_FINISHED" || !ids.has(run.id)) return;
      if (++finished === count) {
        unsubscribe();
        resolve();
      }
    });
  });
  const started = performance.now();
  for (let i = 0; i < runs.length; i += 1000) {
    const chunk = runs.slice(i, i + 1000);
    await database.client.run.createMany({ data: chunk.map((run) => ({ ...run, payload: {} })) });
    events.emit("runsCreated", { runs: chunk });
  }
  await allFinished;
  const seconds = (performance.now() - started) / 1000;
  const idList = [...ids];
  let succeeded = 0;
  let results = 0;
  for (let i = 0; i < idList.length; i += 500) {
    const slice = idList.slice(i, i + 500);
    succeeded += await database.client.run.count({ where: { id: { in: slice }, status: "SUCCEEDED" } });
    results += await database.client.runResult.count({ where: { runId: { in: slice } } });
  }
  return { seconds, succeeded, results };
}

interface BenchCase {
  name: string;
  runs: number;
  targetsPerRun: number;
  maxConcurrentRuns: number;
  setup: (port: number) => CaseSetup;
  reference: { name: string; unit: string; perSecond: (port: number) => Promise<number>; warmUp: (port: number) => Promise<unknown> };
}

const cases: BenchCase[] = [
  {
    name: "command",
    runs: singleRuns,
    targetsPerRun: 1,
    maxConcurrentRuns: maxRuns,
    setup: () => ({ kind: "COMMAND", config: { command: "true" }, tasks: singleTasks, targetsPerTask: 1, serviceConcurrency: maxRuns }),
    reference: {
      name: `bare spawn loop of true, ${maxRuns} at a time`,
      unit: "spawns/s",
      perSecond: () => bareSpawn(singleRuns, maxRuns),
      warmUp: () => bareSpawn(maxRuns, maxRuns),
    },
  },
  {
    name: "http",
    runs: singleRuns,
    targetsPerRun: 1,
    maxConcurrentRuns: maxRuns,
    setup: (port) => ({
      kind: "HTTP",
      config: { url: `http://{{device.address}}:${port}/hook/{{device.name}}`, method: "POST" },
      tasks: singleTasks,
      targetsPerTask: 1,
      serviceConcurrency: maxRuns,
    }),
    reference: {
      name: `bare fetch loop, ${maxRuns} at a time`,
      unit: "req/s",
      perSecond: (port) => bareFetch(port, singleRuns, maxRuns, singleTasks),
      warmUp: (port) => bareFetch(port, maxRuns * 10, maxRuns, singleTasks),
    },
  },
  {
    name: "fan-out",
    runs: fanOutRuns,
    targetsPerRun: fanOutTargets,
    maxConcurrentRuns: fanOutRuns,
    setup: (port) => ({
      kind: "HTTP",
      config: { url: `http://{{device.address}}:${port}/hook/{{device.name}}`, method: "POST" },
      tasks: 1,
      targetsPerTask: fanOutTargets,
      serviceConcurrency: fanOutConcurrency,
    }),
    reference: {
      name: `bare fetch loop, ${fanOutConcurrency} at a time`,
      unit: "req/s",
      perSecond: (port) => bareFetch(port, fanOutRuns * fanOutTargets, fanOutConcurrency, fanOutTargets),
      warmUp: (port) => bareFetch(port, fanOutTargets, fanOutConcurrency, fanOutTargets),
    },
  },
];

interface Row {
  bench: BenchCase;
  provider: DatabaseProvider;
  outcome: Outcome;
  referencePerSecond: number;
}

async function measure(bench: BenchCase, provider: DatabaseProvider, port: number): Promise<Row> {
  const scratch = await createScratchDatabase(provider);
  await applyMigrations(scratch.location);
  const database = await openDatabase(scratch.location);
  const events = new EventBus();
  const executor = new Executor({
    db: database.client,
    store: new RunStore(database.client, provider),
    events,
    logger,
    pollIntervalMs: 60_000,
    maxConcurrentRuns: bench.maxConcurrentRuns,
    limits: { outputLimitBytes: 64 * 1024, killGraceMs: 5_000, runAsAllowedUsers: [], runAsAllowedGroups: [], commandDefaultUser: undefined, httpEgress: { policy: loopbackAllowed, agent: createEgressAgent(loopbackAllowed) } },
    // The seeded services hold no secrets: any key does.
    secrets: new SecretsCipher({ current: { id: "bench", bytes: randomBytes(32) }, previous: [] }),
  });
  const progress = (step: string) => console.error(`${bench.name} on ${provider}: ${step}`);
  try {
    const taskIds = await seed(database, bench.setup(port));
    progress("seeded");
    await executor.start();
    await executeRuns(database, events, taskIds, Math.min(bench.maxConcurrentRuns, bench.runs)); // warm-up: connections, JIT, caches
    progress("warmed up");
    const outcome = await executeRuns(database, events, taskIds, bench.runs);
    progress(`${bench.runs} runs in ${outcome.seconds.toFixed(1)} s`);
    await bench.reference.warmUp(port);
    const referencePerSecond = await bench.reference.perSecond(port);
    return { bench, provider, outcome, referencePerSecond };
  } finally {
    await executor.stop(5_000);
    await database.close();
    await scratch.drop();
  }
}

const sink = await startSink();
try {
  const providers: DatabaseProvider[] = ["sqlite"];
  const postgresProblem = await postgresUnavailableReason();
  if (postgresProblem) console.error(`PostgreSQL skipped: ${postgresProblem}`);
  else providers.push("postgresql");
  const rows: Row[] = [];
  for (const bench of cases.filter((c) => caseNames.includes(c.name))) {
    for (const provider of providers) rows.push(await measure(bench, provider, sink.port));
  }

  const fixed = (n: number, digits = 0) => n.toFixed(digits);
  console.log(`\nExecution throughput, node ${process.version}: runs queued at once, timed to the last RUN_FINISHED; stored runs and results counted afterwards\n`);
  console.log(
    markdownTable(
      ["case", "store", "runs", "runs at a time", "succeeded", "results stored", "seconds", "runs/s", "results/s", "reference", "reference/s", "Cronline/reference"],
      rows.map(({ bench, provider, outcome, referencePerSecond }) => {
        const resultsPerSecond = outcome.results / outcome.seconds;
        // A run of one target is compared run for spawn (or request); a fan-out result for request.
        const perSecond = bench.targetsPerRun === 1 ? bench.runs / outcome.seconds : resultsPerSecond;
        return [
          `${bench.name} (${bench.targetsPerRun} target${bench.targetsPerRun === 1 ? "" : "s"}/run)`,
          provider,
          String(bench.runs),
          String(bench.maxConcurrentRuns),
          String(outcome.succeeded),
          String(outcome.results),
          fixed(outcome.seconds, 2),
          fixed(bench.runs / outcome.seconds, 1),
          fixed(resultsPerSecond),
          bench.reference.name,
          `${fixed(referencePerSecond)} ${bench.reference.unit}`,
          fixed(perSecond / referencePerSecond, 2),
        ];
      }),
    ),
  );
  const complete = rows.every(({ bench, outcome }) => outcome.succeeded === bench.runs && outcome.results === bench.runs * bench.targetsPerRun);
  const sqliteRate = (name: string) => {
    const row = rows.find((r) => r.bench.name === name && r.provider === "sqlite");
    return row ? row.bench.runs / row.outcome.seconds : null;
  };
  const commandRate = sqliteRate("command");
  const httpRate = sqliteRate("http");
  console.log("");
  console.log(goalLine(complete, "every run succeeded and every result was stored"));
  if (commandRate !== null) console.log(goalLine(commandRate >= 200, `at least 200 \`true\` command runs/s on SQLite (${fixed(commandRate)})`));
  if (httpRate !== null) console.log(goalLine(httpRate >= 1000, `at least 1,000 HTTP runs/s on SQLite against the local sink (${fixed(httpRate)})`));
} finally {
  sink.stop();
}
