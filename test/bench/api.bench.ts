// npm run bench:api [-- --seconds 10 --rounds 3 --tasks 1000 --runs 100000 --connections 10 --cpu-prof <dir>]
// GraphQL reads through the real server: requests per second, latency and server CPU per
// request of (a) a page of 50 tasks with their service and targets, and (b) a page of 10 tasks
// with their 5 latest runs each, on SQLite seeded with `--tasks` tasks and `--runs` runs (up
// to 1,000,000; seeded by bulk SQL). The reference, measured in the same rounds, is a bare
// graphql-yoga hello-world. Cronline (`npm start`'s command), the reference server and the load
// generator (autocannon) each run in a process of their own; the rounds alternate between the
// cases so that load from elsewhere on the machine falls on all of them alike.
import { fork, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { createSchema, createYoga } from "graphql-yoga";
import { openDatabase, type Database } from "../../src/db/database.js";
import { applyMigrations } from "../../src/db/migrations.js";
import { createScratchDatabase, type ScratchDatabase } from "../../src/db/scratch-database.js";
import { spawnServer } from "../support/server-process.js";
import { goalLine, markdownTable } from "./report.js";
import { buildDist } from "../support/build.js";

// The servers measured here run dist/cronline.js, as `npm start` does: built from the current
// source by the bench's own process (its forked roles find it built).
if (!process.send) buildDist();

const { values } = parseArgs({
  options: {
    role: { type: "string" },
    seconds: { type: "string", default: "10" },
    rounds: { type: "string", default: "3" },
    tasks: { type: "string", default: "1000" },
    runs: { type: "string", default: "100000" },
    connections: { type: "string", default: "10" },
    "cpu-prof": { type: "string" },
  },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const taskCount = Number(values.tasks);
const runCount = Number(values.runs);
const connections = Number(values.connections);
const maxRuns = 1_000_000;
/** Cronline's goal: the page of 50 tasks at this fraction of the hello-world's requests/s, or more. */
const throughputGoal = 0.4;
const deviceCount = 50;
const poolCount = 20;
const serviceCount = 20;

const benchToken = `cl_${randomBytes(32).toString("base64url")}`;
const progress = (message: string) => process.stderr.write(`${message}\n`);
const clockTicksPerSecond = 100;

const taskPageQuery = `query TaskPage {
  tasks(first: 50) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      id name state nextRunAt lastRunAt lastRunStatus tags
      service { id name kind }
      targetDevices { id name address }
      targetPools { id name }
    } }
  }
}`;
const latestRunsQuery = `query LatestRuns {
  tasks(first: 10) {
    edges { node {
      id name
      runs(first: 5) { edges { node { id status scheduledFor finishedAt } } }
    } }
  }
}`;

// ---------------------------------------------------------------------------------------------
// The reference: graphql-yoga with one field, nothing else, as `createYoga` builds it by default.

async function serveHelloWorld(): Promise<void> {
  const yoga = createYoga({
    schema: createSchema({ typeDefs: "type Query { hello: String! }", resolvers: { Query: { hello: () => "world" } } }),
    logging: false,
  });
  const server = createServer(yoga);
  server.listen(0, "127.0.0.1", () => process.send!({ port: (server.address() as AddressInfo).port }));
  process.once("disconnect", () => process.exit(0));
}

// ---------------------------------------------------------------------------------------------
// Seeding: a few rows through Prisma, the bulk copied from them by SQL, so that every value is
// stored the way Prisma stores it and a million runs take seconds.

async function seed(database: Database): Promise<void> {
  const db = database.client;
  const devices = [];
  for (let i = 0; i < deviceCount; i++) {
    devices.push(await db.device.create({ data: { name: `device-${i}`, address: `10.0.${i >> 8}.${i & 255}`, properties: { rack: i % 4 }, tags: { create: [{ name: `rack-${i % 4}` }] } } }));
  }
  const pools = [];
  for (let i = 0; i < poolCount; i++) {
    const members = [devices[i]!, devices[(i + 1) % deviceCount]!].map((device) => ({ deviceId: device.id }));
    pools.push(await db.pool.create({ data: { name: `pool-${i}`, members: { create: members } } }));
  }
  const services = [];
  for (let i = 0; i < serviceCount; i++) {
    services.push(
      await db.service.create({
        data: {
          name: `service-${i}`,
          kind: "COMMAND",
          config: { command: "true" },
          defaultPayload: {},
          targetDevices: { create: [{ deviceId: devices[i]!.id }] },
          targetPools: { create: [{ poolId: pools[i]!.id }] },
        },
      }),
    );
  }
  const template = await db.task.create({
    data: {
      name: "task-0",
      serviceId: services[0]!.id,
      schedule: { kind: "STANDARD", startAt: "2026-01-01T00:00:00.000Z", frequencySeconds: 3600, endAt: null },
      payload: {},
      state: "PAUSED",
      misfirePolicy: "SKIP",
      misfireGraceSeconds: 60,
      overlapPolicy: "SKIP",
      lastRunAt: new Date(),
      lastRunStatus: "SUCCEEDED",
      tags: { create: [{ name: "bench" }] },
    },
  });
  const columnsOf = async (table: string) =>
    (await db.$queryRawUnsafe<{ name: string }[]>(`SELECT name FROM pragma_table_info('${table}')`)).map((column) => `"${column.name}"`);
  const taskColumns = await columnsOf("Task");
  // The tasks share the services round-robin.
  const copiedTask = taskColumns.map((column) =>
    column === '"id"' ? `t."id" || '-' || n` : column === '"name"' ? `'task-' || n` : column === '"serviceId"' ? `s."id"` : `t.${column}`,
  );
  await db.$executeRawUnsafe(
    `WITH RECURSIVE copies(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM copies WHERE n < ${taskCount - 1}),
     services AS (SELECT "id", ROW_NUMBER() OVER (ORDER BY "name") - 1 AS i FROM "Service")
     INSERT INTO "Task" (${taskColumns.join(", ")}) SELECT ${copiedTask.join(", ")}
     FROM copies JOIN services AS s ON s.i = copies.n % ${serviceCount} JOIN "Task" AS t ON t."id" = ?`,
    template.id,
  );
  // Every task: the "bench" tag, two devices and one pool.
  await db.$executeRawUnsafe(`INSERT INTO "TaskTag" ("taskId", "name") SELECT "id", 'bench' FROM "Task" WHERE "id" <> ?`, template.id);
  await db.$executeRawUnsafe(
    `INSERT INTO "TaskDeviceTarget" ("taskId", "deviceId")
     SELECT t."id", d."id" FROM (SELECT "id", ROW_NUMBER() OVER (ORDER BY "id") AS n FROM "Task") AS t
     JOIN (SELECT "id", ROW_NUMBER() OVER (ORDER BY "id") AS n FROM "Device") AS d ON d.n - 1 IN (t.n % ${deviceCount}, (t.n + 7) % ${deviceCount})`,
  );
  await db.$executeRawUnsafe(
    `INSERT INTO "TaskPoolTarget" ("taskId", "poolId")
     SELECT t."id", p."id" FROM (SELECT "id", ROW_NUMBER() OVER (ORDER BY "id") AS n FROM "Task") AS t
     JOIN (SELECT "id", ROW_NUMBER() OVER (ORDER BY "id") AS n FROM "Pool") AS p ON p.n - 1 = t.n % ${poolCount}`,
  );
  if (runCount === 0) return;
  const runTemplate = await db.run.create({
    data: { taskId: template.id, trigger: "SCHEDULE", status: "SUCCEEDED", scheduledFor: new Date(), payload: {}, claimedAt: new Date(), startedAt: new Date(), finishedAt: new Date(), targetCount: 3, succeededCount: 3 },
  });
  const runColumns = await columnsOf("Run");
  // Runs spread over the tasks, a minute apart per task, the first one the template's.
  const instant = `strftime('%Y-%m-%dT%H:%M:%S.000+00:00', 1767225600 + (n / ${taskCount}) * 60, 'unixepoch')`;
  const copiedRun = runColumns.map((column) =>
    column === '"id"'
      ? `printf('run-%07d', n)`
      : column === '"taskId"'
        ? `t."id"`
        : ['"scheduledFor"', '"claimedAt"', '"startedAt"', '"finishedAt"'].includes(column)
          ? instant
          : `r.${column}`,
  );
  await db.$executeRawUnsafe(
    `WITH RECURSIVE copies(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM copies WHERE n < ${runCount - 1}),
     tasks AS (SELECT "id", ROW_NUMBER() OVER (ORDER BY "id") - 1 AS i FROM "Task")
     INSERT INTO "Run" (${runColumns.join(", ")}) SELECT ${copiedRun.join(", ")}
     FROM copies JOIN tasks AS t ON t.i = copies.n % ${taskCount} JOIN "Run" AS r ON r."id" = ?`,
    runTemplate.id,
  );
}

// ---------------------------------------------------------------------------------------------
// Servers and load.

interface MeasuredServer {
  pid: number;
  url: string;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();

async function startCronline(databaseUrl: string): Promise<MeasuredServer> {
  const profile = values["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${values["cpu-prof"]}`] : [];
  const server = spawnServer(
    {
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: "info",
      CRONLINE_BOOTSTRAP_ADMIN_TOKEN: benchToken,
      SHUTDOWN_GRACE_SECONDS: "5",
      // Nothing fires (every task is paused) and nothing is pruned while the bench measures.
      RUN_RETENTION_KEEP_PER_TASK: "0",
    },
    undefined,
    { nodeArgs: profile },
  );
  children.add(server.child);
  const url = await server.listening;
  return {
    pid: server.child.pid!,
    url,
    stop: async () => {
      server.child.kill("SIGTERM");
      const killing = setTimeout(() => server.child.kill("SIGKILL"), 20_000);
      await server.exited;
      clearTimeout(killing);
      for (const entry of server.logs) if (Number(entry.level) >= 40) progress(`server: ${JSON.stringify(entry)}`);
    },
  };
}

async function startHelloWorld(): Promise<MeasuredServer> {
  const child = fork(fileURLToPath(import.meta.url), ["--role", "hello-world"], { execArgv: process.execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  children.add(child);
  const exited = once(child, "exit");
  const [{ port }] = (await once(child, "message")) as [{ port: number }];
  return {
    pid: child.pid!,
    url: `http://127.0.0.1:${port}/graphql`,
    stop: async () => {
      child.disconnect();
      await exited;
    },
  };
}

function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond) * 1000;
}

interface LoadFigures {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  cpuMsPerRequest: number;
}

/** Checks one answer by hand, then sends `query` from `connections` keep-alive connections for the window. */
async function load(server: MeasuredServer, query: string, check: (data: unknown) => void, windowSeconds = seconds): Promise<LoadFigures> {
  const request = { method: "POST" as const, headers: { "content-type": "application/json", authorization: `Bearer ${benchToken}` }, body: JSON.stringify({ query }) };
  const response = await fetch(server.url, request);
  const answer = (await response.json()) as { data?: unknown; errors?: unknown };
  if (!response.ok || answer.errors) throw new Error(`${server.url} answered ${response.status}: ${JSON.stringify(answer).slice(0, 500)}`);
  check(answer.data);
  const cpuBefore = cpuMs(server.pid);
  const result = await autocannon({ url: server.url, connections, duration: windowSeconds, ...request });
  const cpu = cpuMs(server.pid) - cpuBefore;
  const failed = result.errors + result.timeouts + result.non2xx;
  if (failed > 0) throw new Error(`${failed} of ${result.requests.total} requests failed`);
  return { requestsPerSecond: result.requests.total / windowSeconds, p50: result.latency.p50, p99: result.latency.p99, cpuMsPerRequest: cpu / result.requests.total };
}

type Edges<T> = { edges: { node: T }[] };
const expectHelloWorld = (data: unknown) => {
  if ((data as { hello: string }).hello !== "world") throw new Error("the hello-world answered something else");
};
const expectTaskPage = (data: unknown) => {
  const { edges } = (data as { tasks: Edges<{ service: unknown; targetDevices: unknown[]; targetPools: unknown[] }> }).tasks;
  if (edges.length !== Math.min(50, taskCount)) throw new Error(`a page of ${edges.length} tasks`);
  if (edges.some(({ node }) => !node.service || node.targetDevices.length !== 2 || node.targetPools.length !== 1)) throw new Error("a task without its service or targets");
};
const expectLatestRuns = (data: unknown) => {
  const { edges } = (data as { tasks: Edges<{ runs: Edges<unknown> }> }).tasks;
  const expected = Math.min(5, Math.floor(runCount / taskCount));
  if (edges.some(({ node }) => node.runs.edges.length !== expected)) throw new Error(`a task without its ${expected} latest runs`);
};

// ---------------------------------------------------------------------------------------------

async function orchestrate(): Promise<void> {
  if (runCount > maxRuns) throw new Error(`--runs is at most ${maxRuns}`);
  let scratch: ScratchDatabase | undefined;
  const servers: MeasuredServer[] = [];
  process.once("exit", () => {
    for (const child of children) child.kill("SIGKILL");
  });
  try {
    scratch = await createScratchDatabase("sqlite");
    await applyMigrations(scratch.location);
    progress(`seeding ${taskCount} tasks and ${runCount} runs`);
    const seedStarted = performance.now();
    const database = await openDatabase(scratch.location);
    try {
      await seed(database);
    } finally {
      await database.close();
    }
    progress(`seeded in ${((performance.now() - seedStarted) / 1000).toFixed(1)}s`);

    const cronline = await startCronline(scratch.location.url);
    servers.push(cronline);
    const helloWorld = await startHelloWorld();
    servers.push(helloWorld);
    // Warm-up: JIT, caches, the database's pages.
    progress("warming up");
    await load(helloWorld, "{ hello }", expectHelloWorld, 2);
    await load(cronline, taskPageQuery, expectTaskPage, 2);
    await load(cronline, latestRunsQuery, expectLatestRuns, 2);

    const cases = [
      { label: "(a) tasks(first: 50) with service and targets", query: taskPageQuery, check: expectTaskPage },
      { label: `(b) tasks(first: 10) { runs(first: 5) }, ${runCount} runs`, query: latestRunsQuery, check: expectLatestRuns },
    ];
    const rows: string[][] = [];
    const pageRatios: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      progress(`round ${round} of ${rounds}: hello-world, then each case, ${seconds}s each`);
      const reference = await load(helloWorld, "{ hello }", expectHelloWorld);
      rows.push([String(round), "bare Yoga hello-world", ...figures(reference), "1.00"]);
      for (const [i, { label, query, check }] of cases.entries()) {
        const ours = await load(cronline, query, check);
        const ratio = ours.requestsPerSecond / reference.requestsPerSecond;
        if (i === 0) pageRatios.push(ratio);
        rows.push([String(round), label, ...figures(ours), ratio.toFixed(3)]);
      }
    }
    const medianRatio = [...pageRatios].sort((a, b) => a - b)[Math.floor(pageRatios.length / 2)]!;
    console.log(`\nGraphQL reads over HTTP, Cronline on SQLite (${taskCount} tasks, ${runCount} runs), ${connections} connections, node ${process.version}, ${seconds}s windows\n`);
    console.log(markdownTable(["round", "case", "requests/s", "p50 (ms)", "p99 (ms)", "server CPU per request (ms)", "requests/s ÷ hello-world's"], rows));
    console.log(`\n${goalLine(medianRatio >= throughputGoal, `(a) at ≥ ${throughputGoal}× the hello-world's requests/s (median of ${rounds} rounds: ${medianRatio.toFixed(3)}×)`)}`);
  } finally {
    for (const server of servers) await server.stop();
    await scratch?.drop();
  }
}

function figures(load: LoadFigures): string[] {
  return [load.requestsPerSecond.toFixed(0), load.p50.toFixed(1), load.p99.toFixed(1), load.cpuMsPerRequest.toFixed(2)];
}

if (values.role === "hello-world") await serveHelloWorld();
else await orchestrate();
