// npm run bench:execution [-- --runs 10 --targets 1000 --concurrency 64]
// Runs and results per second of HTTP services executed by Cronline's executor against a
// local sink server (a separate process), every result persisted, on SQLite and on
// PostgreSQL; and, as the reference measured in the same run, the same requests sent by a
// bare fetch (undici) loop with the same concurrency and no persistence.
import { parseArgs } from "node:util";
import { openDatabase, type Database } from "../../src/db/database.js";
import { applyMigrations } from "../../src/db/migrations.js";
import type { DatabaseProvider } from "../../src/db/prisma-schema.js";
import { createScratchDatabase, postgresUnavailableReason } from "../../src/db/scratch-database.js";
import { unscheduledRun } from "../../src/domain/runs.js";
import { EventBus } from "../../src/events/event-bus.js";
import { Executor } from "../../src/execution/executor.js";
import { RunStore } from "../../src/execution/run-store.js";
import { createLogger } from "../../src/logger.js";
import { startSink } from "./sink.js";

const { values } = parseArgs({
  options: { runs: { type: "string", default: "10" }, targets: { type: "string", default: "1000" }, concurrency: { type: "string", default: "64" } },
});
const runCount = Number(values.runs);
const targetCount = Number(values.targets);
const concurrency = Number(values.concurrency);
const logger = createLogger("warn");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const urlOf = (port: number, device: number) => `http://127.0.0.1:${port}/hook/device-${device}`;

/** The reference: the same requests, `concurrency` at a time, bodies read, nothing stored. */
async function bareLoop(port: number, requests: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        const device = next++ % targetCount;
        const response = await fetch(urlOf(port, device), { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
        await response.text();
        if (response.status !== 200) throw new Error(`sink answered ${response.status}`);
      }
    }),
  );
  return requests / ((performance.now() - started) / 1000);
}

async function seed(database: Database, port: number): Promise<string> {
  const db = database.client;
  await db.device.createMany({ data: Array.from({ length: targetCount }, (_, i) => ({ name: `device-${i}`, address: "127.0.0.1", properties: {} })) });
  const devices = await db.device.findMany({ select: { id: true } });
  const service = await db.service.create({
    data: { name: "sink", kind: "HTTP", config: { url: `http://{{device.address}}:${port}/hook/{{device.name}}`, method: "POST" }, defaultPayload: {}, concurrency },
  });
  const task = await db.task.create({
    data: {
      name: "fan-out",
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
  return task.id;
}

/** Queues `count` runs of the task, announces them, and resolves when all are finished. */
async function executeRuns(database: Database, events: EventBus, taskId: string, count: number): Promise<number> {
  const now = new Date();
  const runs = Array.from({ length: count }, () => unscheduledRun(taskId, "MANUAL", {}, now));
  const started = performance.now();
  await database.client.run.createMany({ data: runs.map((run) => ({ ...run, payload: {} })) });
  events.emit("runsCreated", { runs });
  const ids = runs.map((r) => r.id);
  while ((await database.client.run.count({ where: { id: { in: ids }, finishedAt: { not: null } } })) < count) await sleep(20);
  const seconds = (performance.now() - started) / 1000;
  const failed = await database.client.run.count({ where: { id: { in: ids }, status: { not: "SUCCEEDED" } } });
  const stored = await database.client.runResult.count({ where: { runId: { in: ids } } });
  if (failed > 0 || stored !== count * targetCount) throw new Error(`${failed} runs failed, ${stored} of ${count * targetCount} results stored`);
  return seconds;
}

interface Row {
  provider: DatabaseProvider;
  seconds: number;
  runsPerSecond: number;
  resultsPerSecond: number;
  barePerSecond: number;
}

async function measure(provider: DatabaseProvider, port: number): Promise<Row> {
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
    maxConcurrentRuns: runCount,
    limits: { outputLimitBytes: 64 * 1024, killGraceMs: 5_000, runAsAllowedUsers: [] },
  });
  try {
    const taskId = await seed(database, port);
    await executor.start();
    await executeRuns(database, events, taskId, 1); // warm-up: connections, JIT, caches
    const seconds = await executeRuns(database, events, taskId, runCount);
    const barePerSecond = await bareLoop(port, runCount * targetCount);
    return { provider, seconds, runsPerSecond: runCount / seconds, resultsPerSecond: (runCount * targetCount) / seconds, barePerSecond };
  } finally {
    await executor.stop(5_000);
    await database.close();
    await scratch.drop();
  }
}

const sink = await startSink();
try {
  await bareLoop(sink.port, targetCount); // warm-up of the reference
  const providers: DatabaseProvider[] = ["sqlite"];
  const postgresProblem = await postgresUnavailableReason();
  if (postgresProblem) console.error(`PostgreSQL skipped: ${postgresProblem}`);
  else providers.push("postgresql");
  const rows: Row[] = [];
  for (const provider of providers) rows.push(await measure(provider, sink.port));

  const fixed = (n: number, digits = 0) => n.toFixed(digits);
  console.log(`\nHTTP fan-out: ${runCount} runs × ${targetCount} targets, ${concurrency} requests at a time, node ${process.version}\n`);
  console.log("| store | runs | results stored | seconds | runs/s | results/s | bare undici loop req/s | ratio |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const row of rows) {
    console.log(
      `| ${row.provider} | ${runCount} | ${runCount * targetCount} | ${fixed(row.seconds, 2)} | ${fixed(row.runsPerSecond, 2)} | ${fixed(row.resultsPerSecond)} | ${fixed(row.barePerSecond)} | ${fixed(row.resultsPerSecond / row.barePerSecond, 2)} |`,
    );
  }
} finally {
  sink.stop();
}
