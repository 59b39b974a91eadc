// npm run bench:end-to-end [-- --seconds 30 --cases http,command --cpu-prof <dir>] (--quick: --seconds 10)
// Cronline end to end: the real server (package.json's start script, SQLite, scheduler and
// executor) with tasks firing every second, overlap policy SKIP, one attempt per run:
//   http:    1,000 HTTP tasks POSTing to a local sink server (a process of its own);
//   command: 100 COMMAND tasks running `true`.
// Counted from the database over a window of occurrences: runs against occurrences, the
// occurrences skipped because the task's previous run was still queued or running (executor
// backlog), run start lag (startedAt − scheduledFor − jitter), runs finished per second,
// results stored. References in the same run: the in-process scheduler with nothing executing
// (bench:scheduler's firing case), and bare croner jobs doing the same work (a fetch to the
// sink, or child_process.spawn of `true`), 50 at a time as the executor, with the same
// skip-while-active rule, nothing stored.
import { execFile, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import { Cron } from "croner";
import { goalLine, lagSummary, markdownTable, ratio } from "./report.js";
import { processCpuMs, processRssMiB, progress, runFigures, seededDatabase, sleep, windowElapsed, windowFinished, windowFromNow, type RunFigures } from "./server-runs.js";
import { startServer } from "./server-start.js";
import { startSink, type Sink } from "./sink.js";
import { buildDist } from "../support/build.js";

// The servers measured here run dist/cronline.js, as `npm start` does: built from the current
// source by the bench's own process (its forked roles find it built).
if (!process.send) buildDist();

const caseNames = ["http", "command"] as const;
type CaseName = (typeof caseNames)[number];

const { values } = parseArgs({
  options: {
    seconds: { type: "string" },
    quick: { type: "boolean", default: false },
    cases: { type: "string", default: caseNames.join(",") },
    // A directory for the server's CPU profiles, one per thread (node --cpu-prof).
    "cpu-prof": { type: "string" },
    // Internal: the bare reference's own process.
    role: { type: "string" },
    kind: { type: "string" },
    tasks: { type: "string" },
    port: { type: "string" },
  },
});
const seconds = Number(values.seconds ?? (values.quick ? 10 : 30));
/** Time the server gets, after it listens, to settle before the window opens. */
const settleMs = 3_000;
/** How long the window's runs may take to finish once it has elapsed. */
const drainLimitMs = 30_000;

const taskCounts: Record<CaseName, number> = { http: 1_000, command: 100 };
/** EXECUTOR_MAX_CONCURRENT_RUNS's default: the server runs at most this many runs at once. */
const executorConcurrency = 50;
const sinkUrl = (port: number) => `http://127.0.0.1:${port}/hook`;

interface BareFigures {
  expected: number;
  started: number;
  overlapSkips: number;
  startLag: { p50: number; p99: number; max: number };
  startedWithinSecond: number;
  finishedPerSecond: number;
  cpuPercent: number;
}

/**
 * The reference: croner jobs doing each task's work with no database, at most
 * `executorConcurrency` at a time as the executor (the rest wait in order), and skipping an
 * occurrence while the job's previous one is still waiting or active (Cronline's overlap
 * SKIP). Start lag is when the request or spawn is issued, minus the occurrence.
 */
async function bareRunner(kind: CaseName, taskCount: number, port: number): Promise<BareFigures> {
  const window = windowFromNow(seconds, settleMs);
  const inWindow = (instant: number) => instant >= window.first && instant <= window.last;
  const lags: number[] = [];
  let overlapSkips = 0;
  let finishedInWindow = 0;
  const active = new Array<boolean>(taskCount).fill(false);
  const waiting: { task: number; scheduledFor: number }[] = [];
  let running = 0;
  const done = (task: number) => {
    active[task] = false;
    running -= 1;
    const now = Date.now();
    if (now >= window.first && now < window.last + 1000) finishedInWindow += 1;
    startWaiting();
  };
  const work = (task: number) => {
    if (kind === "command") {
      const child = spawn("true", { stdio: "ignore" });
      child.on("exit", () => done(task));
      child.on("error", () => done(task));
    } else {
      fetch(sinkUrl(port), { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })
        .then((response) => response.text())
        .then(() => done(task), () => done(task));
    }
  };
  const startWaiting = () => {
    while (running < executorConcurrency && waiting.length > 0) {
      const { task, scheduledFor } = waiting.shift()!;
      running += 1;
      if (inWindow(scheduledFor)) lags.push(Date.now() - scheduledFor);
      work(task);
    }
  };
  // As in bench:scheduler's croner case: each job follows its own grid of occurrences.
  const nextOccurrence = new Array<number>(taskCount).fill(window.first - 2_000);
  const jobs = Array.from({ length: taskCount }, (_, task) =>
    new Cron("* * * * * *", { startAt: new Date(window.first - 2_001) }, () => {
      const now = Date.now();
      const scheduledFor = nextOccurrence[task]!;
      nextOccurrence[task] = Math.max(scheduledFor + 1000, Math.floor(now / 1000) * 1000 + 1000);
      if (active[task]) {
        if (inWindow(scheduledFor)) overlapSkips += 1;
        return;
      }
      active[task] = true;
      waiting.push({ task, scheduledFor });
      startWaiting();
    }),
  );
  await sleep(window.first - Date.now());
  const cpuAtStart = process.cpuUsage();
  await windowElapsed(window);
  const cpu = process.cpuUsage(cpuAtStart);
  for (const job of jobs) job.stop();
  const started = lags.length;
  return {
    expected: taskCount * seconds,
    started,
    overlapSkips,
    startLag: lagSummary(lags),
    startedWithinSecond: lags.filter((lag) => lag <= 1000).length,
    finishedPerSecond: finishedInWindow / seconds,
    cpuPercent: ((cpu.user + cpu.system) / 1000 / (seconds * 1000)) * 100,
  };
}

interface ServerFigures {
  runs: RunFigures;
  cpuPercent: number;
  rssMiB: number;
  /** Whether every run of the window finished within drainLimitMs. */
  drained: boolean;
}

async function throughServer(kind: CaseName, sink: Sink | undefined): Promise<ServerFigures> {
  const taskCount = taskCounts[kind];
  const service = kind === "http" ? ({ kind: "HTTP", config: { url: sinkUrl(sink!.port), method: "POST" } } as const) : ({ kind: "COMMAND", config: { command: "true" } } as const);
  const scratch = await seededDatabase({ count: taskCount, overlapPolicy: "SKIP", service });
  // LOG_LEVEL info, the default: a line per finished run is part of what a run costs.
  // HTTP_DENIED_NETWORKS: the sink listens on loopback, which HTTP services may not reach by default.
  const nodeArgs = values["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(values["cpu-prof"], kind)}`] : [];
  const server = startServer({ DATABASE_URL: scratch.location.url, LOG_LEVEL: "info", SHUTDOWN_GRACE_SECONDS: "5", HTTP_DENIED_NETWORKS: "none" }, { nodeArgs });
  try {
    await server.listening(180_000);
    const window = windowFromNow(seconds, settleMs);
    await sleep(window.first - Date.now());
    const cpuAtStart = processCpuMs(server.child.pid!);
    await windowElapsed(window);
    const cpuMs = processCpuMs(server.child.pid!) - cpuAtStart;
    const rssMiB = processRssMiB(server.child.pid!);
    const drained = await windowFinished(scratch.location.url, window, drainLimitMs);
    return { runs: await runFigures(scratch.location.url, window, taskCount), cpuPercent: (cpuMs / (seconds * 1000)) * 100, rssMiB, drained };
  } finally {
    await server.stop();
    await scratch.drop();
  }
}

interface CaseFigures {
  server: ServerFigures;
  bare: BareFigures;
  /** The in-process scheduler alone, nothing executed (bench:scheduler's firing case). */
  schedulerOnly: { p50: number; p99: number; max: number; missed: number; duplicates: number };
}

const benchFile = fileURLToPath(import.meta.url);
const schedulerBench = fileURLToPath(new URL("./scheduler.bench.ts", import.meta.url));

async function childJson<T>(file: string, args: string[]): Promise<T> {
  const { stdout } = await promisify(execFile)(process.execPath, [...process.execArgv, file, ...args], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as T;
}

async function measure(kind: CaseName): Promise<CaseFigures> {
  const taskCount = taskCounts[kind];
  const sink = kind === "http" ? await startSink() : undefined;
  try {
    progress(`${kind}: ${taskCount} tasks every second for ${seconds}s through the server`);
    const server = await throughServer(kind, sink);
    progress(`${kind}: the same with bare croner jobs`);
    const bare = await childJson<BareFigures>(benchFile, ["--role", "bare", "--kind", kind, "--tasks", String(taskCount), "--port", String(sink?.port ?? 0), "--seconds", String(seconds)]);
    progress(`${kind}: the in-process scheduler alone`);
    const schedulerOnly = await childJson<CaseFigures["schedulerOnly"]>(schedulerBench, ["--case", "cronlineFiring", "--tasks", String(taskCount), "--seconds", String(seconds), "--overlap", "SKIP"]);
    return { server, bare, schedulerOnly };
  } finally {
    sink?.stop();
  }
}

function printCase(kind: CaseName, { server, bare, schedulerOnly }: CaseFigures): void {
  const runs = server.runs;
  const taskCount = taskCounts[kind];
  const what = kind === "http" ? `${taskCount} HTTP tasks → local sink` : `${taskCount} COMMAND tasks running \`true\``;
  const bareName = kind === "http" ? "bare croner + fetch" : "bare croner + spawn";
  const n = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : "n/a");
  const row = (figure: string, ours: number, reference: number | null, inProcess: number | null = null, digits = 0) => [
    figure,
    n(ours, digits),
    reference === null ? "" : n(reference, digits),
    reference === null ? "" : ratio(ours, reference),
    inProcess === null ? "" : n(inProcess, digits),
    inProcess === null ? "" : ratio(ours, inProcess),
  ];
  const rows = [
    row("occurrences expected", runs.expected, bare.expected),
    row("runs (not skipped)", runs.runs, bare.started),
    row("skipped: previous run still active", runs.overlapSkips, bare.overlapSkips),
    row("skipped: other reasons", runs.otherSkips, null),
    row("never recorded (bare: never fired)", runs.unrecorded, bare.expected - bare.started - bare.overlapSkips, schedulerOnly.missed),
    row("runs started", runs.started, bare.started),
    row("runs finished", runs.finished, null),
    row("runs succeeded", runs.succeeded, null),
    row("results stored", runs.results, null),
    row("fire lag p50 (ms, claim)", runs.fireLag.p50, null, schedulerOnly.p50),
    row("fire lag p99 (ms, claim)", runs.fireLag.p99, null, schedulerOnly.p99),
    row("start lag p50 (ms)", runs.startLag.p50, bare.startLag.p50, schedulerOnly.p50),
    row("start lag p99 (ms)", runs.startLag.p99, bare.startLag.p99, schedulerOnly.p99),
    row("start lag max (ms)", runs.startLag.max, bare.startLag.max, schedulerOnly.max),
    row("runs started within 1 s", runs.startedWithinSecond, bare.startedWithinSecond),
    row("runs finished per second", runs.finishedPerSecond, bare.finishedPerSecond, null, 1),
    row("process CPU (% of a core)", server.cpuPercent, bare.cpuPercent, null, 0),
    row("server RSS (MiB)", server.rssMiB, null),
  ];
  console.log(`\n${what}, ${seconds}s window, SQLite, overlap SKIP\n`);
  console.log(markdownTable(["figure", "Cronline server", bareName, "Cronline/bare", "in-process scheduler only", "Cronline/scheduler only"], rows));
  const everyOccurrence = runs.unrecorded === 0 && runs.otherSkips === 0 && runs.overlapSkips === 0;
  const everyRun = server.drained && runs.finished === runs.runs && runs.results === runs.runs;
  console.log(
    [
      "",
      goalLine(runs.overlapSkips === 0, `no occurrence skipped because the previous run was still active (${runs.overlapSkips} of ${runs.expected})`),
      goalLine(everyOccurrence, `every occurrence has its run (${runs.runs} of ${runs.expected}; ${runs.unrecorded} never recorded, ${runs.otherSkips + runs.overlapSkips} skipped)`),
      goalLine(
        everyOccurrence && runs.started === runs.runs && runs.startLag.p99 < 1_000,
        `runs start within 1 s at p99, every occurrence started (p99 ${n(runs.startLag.p99)} ms, ${runs.started} of ${runs.expected} started)`,
      ),
      goalLine(everyRun, `every run finished and its result stored (${runs.finished} finished, ${runs.results} results for ${runs.runs} runs${server.drained ? "" : `; not all finished ${drainLimitMs / 1000}s after the window`})`),
    ].join("\n"),
  );
}

if (values.role === "bare") {
  process.stdout.write(JSON.stringify(await bareRunner(values.kind as CaseName, Number(values.tasks), Number(values.port))));
} else {
  const selected = values.cases.split(",") as CaseName[];
  for (const kind of selected) if (!caseNames.includes(kind)) throw new Error(`unknown case ${kind}; known: ${caseNames.join(", ")}`);
  for (const kind of selected) printCase(kind, await measure(kind));
}
