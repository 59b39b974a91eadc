// npm run bench:attack [-- --seconds 60 --clients 50 --tasks 1000 --server-env NAME=VALUE ... --cpu-prof DIR] (--quick: --seconds 10)
// Firing and running while the API is attacked: the real server (package.json's start script,
// SQLite) with 1,000 HTTP tasks firing every second against a local sink, measured over a
// quiet window (the reference), then over a window of the same length while 50 API clients
// on loopback, with an ADMIN token, send the heaviest requests the limits allow, back to back:
// `tasks(first: 100)` with each task's runs and their results, the page of runs sized so the
// operation costs just under GRAPHQL_MAX_COST; previewSchedule of a cron schedule under every
// alias allowed, with the largest count the cost limit lets through; `nodes(ids:)` with as many
// task and run ids as its list maximum and the cost limit allow.
// Reported from the database for each window: fire lag (claim), run start lag, skips, runs
// finished per second; and /healthz latency sampled every 100 ms throughout.
import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { encodeGlobalID } from "@pothos/plugin-relay";
import { openDatabase } from "../../src/db/database.js";
import { listMaxima } from "../../src/schema/list-limits.js";
import { goalLine, lagSummary, markdownTable, ratio } from "./report.js";
import { processCpuMs, progress, runFigures, seededDatabase, sleep, windowElapsed, windowFinished, windowFromNow, type RunFigures, type Window } from "./server-runs.js";
import { startServer } from "./server-start.js";
import { startSink } from "./sink.js";
import { buildDist } from "../support/build.js";

// The servers measured here run dist/cronline.js, as `npm start` does: built from the current
// source by the bench's own process (its forked roles find it built).
if (!process.send) buildDist();

const { values } = parseArgs({
  options: {
    seconds: { type: "string" },
    quick: { type: "boolean", default: false },
    clients: { type: "string", default: "50" },
    tasks: { type: "string", default: "1000" },
    role: { type: "string" },
    // Settings for the server under attack, e.g. GRAPHQL_MAX_COST_IN_FLIGHT, to compare them.
    "server-env": { type: "string", multiple: true, default: [] },
    // A folder for the server's CPU profiles (node --cpu-prof), to see what holds its threads.
    "cpu-prof": { type: "string" },
  },
});
const serverSettings = Object.fromEntries(values["server-env"].map((setting) => [setting.slice(0, setting.indexOf("=")), setting.slice(setting.indexOf("=") + 1)]));
const seconds = Number(values.seconds ?? (values.quick ? 10 : 60));
const clientCount = Number(values.clients);
const taskCount = Number(values.tasks);
/** Time the server gets, after it listens, to settle before the quiet window opens (not its startup's catch-up). */
const settleMs = 10_000;
/** How long the windows' runs may take to finish once the attack window has elapsed. */
const drainLimitMs = 30_000;
/** A bound on every attacking client's loop besides its deadline. */
const maxRequestsPerClient = 100_000;
const healthIntervalMs = 100;
const healthGoalMs = 100;

// ---------------------------------------------------------------------------------------------
// The attacking clients: one process of their own, told what to send over IPC.

type AttackKind = "tasksWithRunsAndResults" | "previewScheduleAliases" | "nodesManyIds";
const attackKinds: AttackKind[] = ["tasksWithRunsAndResults", "previewScheduleAliases", "nodesManyIds"];

interface AttackOrder {
  url: string;
  token: string;
  /** Global ids of tasks and runs for nodes(ids:). */
  ids: string[];
  /** How long the attack may last once the cost probes are done: no request is sent after it. */
  attackMs: number;
}

interface AttackRequest {
  query: string;
  variables: Record<string, unknown>;
}

interface AttackKindFigures {
  kind: AttackKind;
  /** What the operation asks for, e.g. "runs(first: 42)". */
  shape: string;
  cost: number | null;
  requests: number;
  ok: number;
  /** Refused by a limit (QUERY_TOO_COMPLEX, TOO_MANY_ALIASES, ...). */
  refused: number;
  failed: number;
  /** In flight when the window ended, aborted. */
  cut: number;
  latency: { p50: number; p99: number; max: number };
  firstError: string | null;
}

const tasksQuery = (runsPerTask: number) => `query HeavyTasks {
  tasks(first: 100) { edges { node {
    id name state nextRunAt lastRunAt lastRunStatus runCount tags payload
    service { id name kind }
    runs(first: ${runsPerTask}) { edges { node {
      id status trigger scheduledFor claimedAt startedAt finishedAt reason
      results(first: 1) { edges { node { id status httpStatus exitCode output durationMs } } }
    } } }
  } } }
}`;

/** Cron schedules: each instant is a search through the pattern, the costliest kind to preview. */
function previewQuery(aliases: number, count: number): string {
  const fields = Array.from(
    { length: aliases },
    (_, i) => `p${i}: previewSchedule(count: ${count}, schedule: { cron: { expression: "*/${i + 2} * * * *" } }) { __typename ... on PreviewScheduleSuccess { instants } }`,
  );
  return `query ManyPreviews {\n${fields.join("\n")}\n}`;
}

const nodesQuery = `query ManyNodes($ids: [ID!]!) {
  nodes(ids: $ids) { id ... on Task { name state nextRunAt } ... on Run { status scheduledFor startedAt } }
}`;

interface GraphQLReply {
  data?: unknown;
  errors?: { message: string; extensions?: { code?: string; cost?: number; maxCost?: number } }[];
}

async function post(order: AttackOrder, request: AttackRequest, signal?: AbortSignal): Promise<GraphQLReply> {
  const response = await fetch(order.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${order.token}` },
    body: JSON.stringify(request),
    signal,
  });
  return (await response.json()) as GraphQLReply;
}

const limitCodes = new Set(["QUERY_TOO_COMPLEX", "QUERY_TOO_DEEP", "TOO_MANY_ALIASES", "TOO_MANY_TOKENS", "TOO_MANY_DIRECTIVES", "BAD_USER_INPUT"]);

/** The cost the server finds for a request, and the limit, from the error of an over-limit probe. */
async function costOf(order: AttackOrder, request: AttackRequest): Promise<{ cost: number; maxCost: number } | null> {
  const reply = await post(order, request);
  const error = reply.errors?.find((e) => e.extensions?.code === "QUERY_TOO_COMPLEX");
  return error ? { cost: error.extensions!.cost!, maxCost: error.extensions!.maxCost! } : null;
}

/**
 * The largest size (page of runs, number of ids) whose request the cost limit lets through,
 * and its cost when known. Cost grows linearly with the size: through two over-limit probes
 * (refused before they run, with the cost found) the line gives the size at the limit.
 */
async function largestUnderLimit(order: AttackOrder, make: (size: number) => AttackRequest, most: number): Promise<{ size: number; cost: number | null }> {
  const over: { size: number; cost: number }[] = [];
  let size = most;
  let estimate: number | null = null;
  for (let attempt = 0; attempt < 10; attempt += 1) {
    const refusal = await costOf(order, make(size));
    if (!refusal) return { size, cost: estimate };
    over.push({ size, cost: refusal.cost });
    const [a, b] = over.slice(-2);
    if (!b) {
      // One point: a little smaller, most likely still over, to get the line's slope.
      size = Math.max(1, Math.floor(size * 0.9));
      continue;
    }
    const perUnit = (a!.cost - b.cost) / (a!.size - b.size);
    size = Math.max(1, Math.floor(b.size + (refusal.maxCost - b.cost) / perUnit));
    estimate = Math.round(b.cost + perUnit * (size - b.size));
  }
  throw new Error("no request size under the cost limit was found");
}

async function heaviestRequests(order: AttackOrder): Promise<Map<AttackKind, { request: AttackRequest; shape: string; cost: number | null }>> {
  const requests = new Map<AttackKind, { request: AttackRequest; shape: string; cost: number | null }>();
  const tasks = await largestUnderLimit(order, (size) => ({ query: tasksQuery(size), variables: {} }), 100);
  requests.set("tasksWithRunsAndResults", { request: { query: tasksQuery(tasks.size), variables: {} }, shape: `tasks(first: 100) × runs(first: ${tasks.size}) × results(first: 1)`, cost: tasks.cost });
  const previews = await largestUnderLimit(order, (count) => ({ query: previewQuery(30, count), variables: {} }), 1000);
  requests.set("previewScheduleAliases", {
    request: { query: previewQuery(30, previews.size), variables: {} },
    shape: `30 aliases × previewSchedule(count: ${previews.size})`,
    cost: previews.cost,
  });
  const idsFor = (size: number) => Array.from({ length: size }, (_, i) => order.ids[i % order.ids.length]!);
  const nodes = await largestUnderLimit(order, (size) => ({ query: nodesQuery, variables: { ids: idsFor(size) } }), listMaxima.nodeIds);
  requests.set("nodesManyIds", { request: { query: nodesQuery, variables: { ids: idsFor(nodes.size) } }, shape: `nodes(ids: ${nodes.size} ids)`, cost: nodes.cost });
  return requests;
}

/** Aborts the requests in flight when the orchestrator says the window is over. */
const stopping = new AbortController();

async function attack(order: AttackOrder): Promise<AttackKindFigures[]> {
  // This load is only ever aimed at a server on this machine.
  if (new URL(order.url).hostname !== "127.0.0.1") throw new Error(`refusing to attack ${order.url}: loopback only`);
  const heaviest = await heaviestRequests(order);
  const figures = new Map<AttackKind, AttackKindFigures & { latencies: number[] }>();
  for (const kind of attackKinds) {
    const { shape, cost } = heaviest.get(kind)!;
    figures.set(kind, { kind, shape, cost, requests: 0, ok: 0, refused: 0, failed: 0, cut: 0, latency: { p50: NaN, p99: NaN, max: NaN }, firstError: null, latencies: [] });
  }
  // The orchestrator opens the window once the probes are done.
  process.send!({ type: "attacking" });
  const deadline = AbortSignal.any([stopping.signal, AbortSignal.timeout(order.attackMs)]);
  await Promise.all(
    Array.from({ length: clientCount }, async (_, client) => {
      for (let sent = 0; sent < maxRequestsPerClient && !deadline.aborted; sent += 1) {
        const kind = attackKinds[(client + sent) % attackKinds.length]!;
        const entry = figures.get(kind)!;
        const started = performance.now();
        entry.requests += 1;
        try {
          const reply = await post(order, heaviest.get(kind)!.request, deadline);
          const codes = (reply.errors ?? []).map((e) => e.extensions?.code ?? "");
          if (codes.some((code) => limitCodes.has(code))) entry.refused += 1;
          else if (reply.errors?.length) entry.failed += 1;
          else entry.ok += 1;
          if (reply.errors?.length) entry.firstError ??= reply.errors[0]!.message.slice(0, 200);
          entry.latencies.push(performance.now() - started);
        } catch (error) {
          if (deadline.aborted) entry.cut += 1;
          else {
            entry.failed += 1;
            // fetch's own message is "fetch failed"; the reason (timeout, reset, refused) is its cause.
            const cause = (error as { cause?: unknown }).cause;
            entry.firstError ??= `${String(error)}${cause ? `: ${String(cause)}` : ""}`.slice(0, 200);
          }
        }
      }
    }),
  );
  return [...figures.values()].map(({ latencies, ...rest }) => ({ ...rest, latency: lagSummary(latencies) }));
}

if (values.role === "attacker") {
  process.on("message", (message: AttackOrder | { type: "stop" }) => {
    if ("type" in message) return stopping.abort();
    attack(message).then(
      (figures) => process.send!({ type: "done", figures }, undefined, undefined, () => process.exit(0)),
      (error: unknown) => process.send!({ type: "failed", message: String(error) }, undefined, undefined, () => process.exit(1)),
    );
  });
}

// ---------------------------------------------------------------------------------------------
// The orchestration: server, sink, health sampling, the two windows, the report.

interface HealthSample {
  sentAt: number;
  latencyMs: number;
  ok: boolean;
}

/** GET /healthz every 100 ms, each on its own (a slow answer does not delay the next sample). */
function sampleHealth(baseUrl: string): { samples: HealthSample[]; stop(): Promise<void> } {
  const samples: HealthSample[] = [];
  const pending = new Set<Promise<void>>();
  const timer = setInterval(() => {
    const sentAt = Date.now();
    const started = performance.now();
    const request = fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(60_000) })
      .then(async (response) => {
        await response.text();
        samples.push({ sentAt, latencyMs: performance.now() - started, ok: response.status === 200 });
      })
      .catch(() => {
        samples.push({ sentAt, latencyMs: performance.now() - started, ok: false });
      })
      .finally(() => pending.delete(request));
    pending.add(request);
  }, healthIntervalMs);
  return {
    samples,
    stop: async () => {
      clearInterval(timer);
      await Promise.all(pending);
    },
  };
}

interface HealthFigures {
  samples: number;
  failed: number;
  p50: number;
  p99: number;
  max: number;
}

function healthIn(samples: HealthSample[], window: Window): HealthFigures {
  const inside = samples.filter((sample) => sample.sentAt >= window.first && sample.sentAt < window.last + 1000);
  return { samples: inside.length, failed: inside.filter((sample) => !sample.ok).length, ...lagSummary(inside.map((sample) => sample.latencyMs)) };
}

interface WindowFigures {
  runs: RunFigures;
  health: HealthFigures;
  cpuPercent: number;
}

async function globalIds(url: string, quiet: Window): Promise<string[]> {
  const database = await openDatabase({ provider: "sqlite", url });
  try {
    const tasks = await database.client.task.findMany({ select: { id: true } });
    const runs = await database.client.run.findMany({ where: { scheduledFor: { gte: new Date(quiet.first), lte: new Date(quiet.last) } }, select: { id: true } });
    return [...tasks.map((task) => encodeGlobalID("Task", task.id)), ...runs.map((run) => encodeGlobalID("Run", run.id))];
  } finally {
    await database.close();
  }
}

async function orchestrate(): Promise<void> {
  const sink = await startSink();
  const token = `cl_${randomBytes(32).toString("base64url")}`;
  const scratch = await seededDatabase({ count: taskCount, overlapPolicy: "SKIP", service: { kind: "HTTP", config: { url: `http://127.0.0.1:${sink.port}/hook`, method: "POST" } } });
  // The sink listens on loopback, which HTTP services may not reach by default.
  const server = startServer({ DATABASE_URL: scratch.location.url, HOST: "127.0.0.1", LOG_LEVEL: "info", SHUTDOWN_GRACE_SECONDS: "5", CRONLINE_BOOTSTRAP_ADMIN_TOKEN: token, HTTP_DENIED_NETWORKS: "none", ...serverSettings }, {
    nodeArgs: values["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${values["cpu-prof"]}`] : [],
  });
  const attacker = fork(fileURLToPath(import.meta.url), ["--role", "attacker", "--clients", String(clientCount)], { execArgv: process.execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const attackerExited = new Promise<void>((resolve) => attacker.once("exit", () => resolve()));
  let health: ReturnType<typeof sampleHealth> | undefined;
  try {
    const url = await server.listening(180_000);
    health = sampleHealth(new URL(url).origin);
    const pid = server.child.pid!;
    const measureWindow = async (window: Window) => {
      await sleep(window.first - Date.now());
      const cpuAtStart = processCpuMs(pid);
      await windowElapsed(window);
      return ((processCpuMs(pid) - cpuAtStart) / (seconds * 1000)) * 100;
    };

    const quiet = windowFromNow(seconds, settleMs);
    progress(`${taskCount} HTTP tasks every second: quiet window of ${seconds}s`);
    const quietCpu = await measureWindow(quiet);

    const ids = await globalIds(scratch.location.url, quiet);
    const reply = new Promise<{ type: string; figures?: AttackKindFigures[]; message?: string }[]>((resolve) => {
      const messages: { type: string; figures?: AttackKindFigures[]; message?: string }[] = [];
      attacker.on("message", (message: { type: string }) => {
        messages.push(message);
        if (message.type !== "attacking") resolve(messages);
      });
      void attackerExited.then(() => resolve(messages));
    });
    const attacking = new Promise<void>((resolve) => attacker.on("message", (message: { type: string }) => message.type === "attacking" && resolve()));
    // The attack lasts from the end of the cost probes to the end of the window (or a little
    // longer, should the stop message come late).
    attacker.send({ url, token, ids, attackMs: (seconds + 10) * 1000 } satisfies AttackOrder);
    progress(`${clientCount} API clients probing the limits, then attacking`);
    await Promise.race([attacking, attackerExited]);
    const attacked = windowFromNow(seconds, 1_000);
    progress(`attack window of ${seconds}s`);
    const attackedCpu = await measureWindow(attacked);
    // Ends the attack now rather than at its deadline.
    if (attacker.connected) attacker.send({ type: "stop" });
    const attackerMessages = await reply;
    const done = attackerMessages.find((message) => message.type === "done");
    const failed = attackerMessages.find((message) => message.type === "failed");
    if (failed) console.error(`the attacking clients failed: ${failed.message}`);

    await health.stop();
    await windowFinished(scratch.location.url, quiet, drainLimitMs);
    const drained = await windowFinished(scratch.location.url, attacked, drainLimitMs);
    const quietFigures: WindowFigures = { runs: await runFigures(scratch.location.url, quiet, taskCount), health: healthIn(health.samples, quiet), cpuPercent: quietCpu };
    const attackedFigures: WindowFigures = { runs: await runFigures(scratch.location.url, attacked, taskCount), health: healthIn(health.samples, attacked), cpuPercent: attackedCpu };
    printReport(quietFigures, attackedFigures, done?.figures ?? null, drained);
  } finally {
    await health?.stop();
    attacker.kill("SIGKILL");
    await attackerExited;
    await server.stop();
    sink.stop();
    await scratch.drop();
  }
}

function printReport(quiet: WindowFigures, attacked: WindowFigures, attack: AttackKindFigures[] | null, drained: boolean): void {
  const n = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : "n/a");
  const row = (figure: string, pick: (figures: WindowFigures) => number, digits = 0) => [figure, n(pick(attacked), digits), n(pick(quiet), digits), ratio(pick(attacked), pick(quiet))];
  const rows = [
    row("occurrences expected", (f) => f.runs.expected),
    row("runs (not skipped)", (f) => f.runs.runs),
    row("skipped: previous run still active", (f) => f.runs.overlapSkips),
    row("skipped: other reasons", (f) => f.runs.otherSkips),
    row("never recorded", (f) => f.runs.unrecorded),
    row("fire lag p50 (ms, claim)", (f) => f.runs.fireLag.p50),
    row("fire lag p99 (ms, claim)", (f) => f.runs.fireLag.p99),
    row("fire lag max (ms, claim)", (f) => f.runs.fireLag.max),
    row("start lag p50 (ms)", (f) => f.runs.startLag.p50),
    row("start lag p99 (ms)", (f) => f.runs.startLag.p99),
    row("runs started within 1 s", (f) => f.runs.startedWithinSecond),
    row("runs finished per second", (f) => f.runs.finishedPerSecond, 1),
    row("results stored", (f) => f.runs.results),
    row("/healthz samples (every 100 ms)", (f) => f.health.samples),
    row("/healthz failed or unanswered", (f) => f.health.failed),
    row("/healthz p50 (ms)", (f) => f.health.p50, 1),
    row("/healthz p99 (ms)", (f) => f.health.p99, 1),
    row("/healthz max (ms)", (f) => f.health.max, 1),
    row("server CPU (% of a core)", (f) => f.cpuPercent),
  ];
  console.log(`\n${taskCount} HTTP tasks every second, ${seconds}s windows, SQLite, overlap SKIP; ${clientCount} API clients in the attack window\n`);
  console.log(markdownTable(["figure", "under attack", "quiet (same server, window before)", "attack/quiet"], rows));
  if (attack) {
    console.log("\nThe attack (requests sent until the attack window ended):\n");
    console.log(
      markdownTable(
        ["request", "shape", "cost", "requests", "answered", "refused by a limit", "failed", "cut at the end", "latency p50 (ms)", "latency p99 (ms)", "first error"],
        attack.map((kind) => [kind.kind, kind.shape, String(kind.cost ?? "under the limit"), String(kind.requests), String(kind.ok), String(kind.refused), String(kind.failed), String(kind.cut), n(kind.latency.p50), n(kind.latency.p99), kind.firstError ?? ""]),
      ),
    );
  } else {
    console.log("\nThe attacking clients did not report their figures.");
  }
  const a = attacked.runs;
  const scheduled = a.unrecorded === 0 && a.otherSkips === 0;
  console.log(
    [
      "",
      goalLine(
        scheduled && a.fireLag.p99 <= 2 * quiet.runs.fireLag.p99,
        `under attack, fire lag p99 within 2× the quiet window's, nothing missed (${n(a.fireLag.p99)} vs ${n(quiet.runs.fireLag.p99)} ms: ${ratio(a.fireLag.p99, quiet.runs.fireLag.p99)}×; ${a.unrecorded} never recorded, ${a.otherSkips} skipped late)`,
      ),
      goalLine(
        scheduled && a.overlapSkips === 0 && a.started === a.expected && a.startLag.p99 < 1_000,
        `under attack, runs start within 1 s of their fire at p99, every occurrence started (p99 ${n(a.startLag.p99)} ms; ${a.started} of ${a.expected} started, ${a.overlapSkips} skipped as still active${drained ? "" : "; runs still open 30 s after the window"})`,
      ),
      goalLine(
        attacked.health.failed === 0 && attacked.health.max < healthGoalMs,
        `under attack, /healthz answers within ${healthGoalMs} ms throughout (max ${n(attacked.health.max, 1)} ms, p99 ${n(attacked.health.p99, 1)} ms, ${attacked.health.failed} of ${attacked.health.samples} failed)`,
      ),
      goalLine((attack ?? []).every((kind) => kind.ok > 0), "every kind of heavy request was answered at least once (the attack really ran)"),
    ].join("\n"),
  );
}

if (values.role !== "attacker") await orchestrate();
