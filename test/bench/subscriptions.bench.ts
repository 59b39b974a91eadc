// npm run bench:subscriptions [-- --seconds 15 --subscribers 1000 --tasks 1000 --modes FULL,CHANGES --run-subscribers 100]
// (--run-subscribers 0 leaves out the runEvents case)
// Delivery latency, server CPU and server memory of the live subscriptions with many
// websocket clients: scheduleView ticks to 1,000 subscribers (on one filter, then spread over
// 10), and RUN_FINISHED events to 100 runEvents subscribers while 100 runs a second finish.
// The reference, measured the same way in the same run, is a bare `ws` server broadcasting a
// real tick message once a second. Cronline (`npm start`'s command on a fresh SQLite database), the
// bare server and the subscribers each run in a process of their own, so /proc tells whose
// CPU and memory is whose.
import { execFileSync, fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { decodeGlobalID, encodeGlobalID } from "@pothos/plugin-relay";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { parse, print } from "graphql";
import WebSocket, { WebSocketServer } from "ws";
import { openDatabase } from "../../src/db/database.js";
import type { DatabaseLocation } from "../../src/db/driver-adapter.js";
import { createScratchDatabase, type ScratchDatabase } from "../../src/db/scratch-database.js";
import { createService } from "../support/fixtures.js";
import { graphqlClient, type GraphQLClient } from "../support/graphql-client.js";
import { ScheduleView } from "../support/live-operations.js";
import { spawnServer, type ServerProcess } from "../support/server-process.js";
import { CreateTask, RunTask } from "../support/task-operations.js";
import { goalLine, markdownTable, percentile } from "./report.js";
import { buildDist } from "../support/build.js";

// The servers measured here run dist/cronline.js, as `npm start` does: built from the current
// source by the bench's own process (its forked roles find it built).
if (!process.send) buildDist();

const { values } = parseArgs({
  options: {
    role: { type: "string" },
    seconds: { type: "string", default: "15" },
    subscribers: { type: "string", default: "1000" },
    tasks: { type: "string", default: "1000" },
    "run-subscribers": { type: "string", default: "100" },
    "runs-per-second": { type: "string", default: "100" },
    "run-seconds": { type: "string", default: "10" },
    /** scheduleView modes to measure, comma-separated. */
    modes: { type: "string", default: "FULL,CHANGES" },
  },
});
const viewModes = values.modes.split(",").map((mode) => {
  if (mode !== "FULL" && mode !== "CHANGES") throw new Error(`--modes: ${mode} is neither FULL nor CHANGES`);
  return mode;
});
const measureSeconds = Number(values.seconds);
const subscriberCount = Number(values.subscribers);
const taskCount = Number(values.tasks);
const runSubscriberCount = Number(values["run-subscribers"]);
const runsPerSecond = Number(values["runs-per-second"]);
const runSeconds = Number(values["run-seconds"]);
const teamCount = 10;
/** Cronline's goals on a 2-core machine at 1,000 subscribers of 1,000 tasks (issue 10). */
const goals = { p99Ms: 100, cpuRatio: 2, rssKiBPerConnection: 50 };
/** Tasks share a batch tag ten at a time: runTasks on one starts ten runs. */
const tasksPerBatch = 10;
const batchCount = Math.ceil(taskCount / tasksPerBatch);

/** The ADMIN token the bench's servers start with and every client sends; forked processes inherit it. */
const benchToken = (process.env.CRONLINE_BENCH_TOKEN ??= `cl_${randomBytes(32).toString("base64url")}`);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const progress = (message: string) => process.stderr.write(`${message}\n`);

// ---------------------------------------------------------------------------------------------
// Messages between the orchestrating process and the subscriber and bare-server processes.

type DeliveryMode = "ticks" | "runs";

interface SubscriptionRequest {
  query: string;
  variables: Record<string, unknown>;
}

/**
 * Every event a subscriber should have received counts: its latency, or Infinity when it never
 * arrived, so a percentile over dropped events is not flattered by leaving them out.
 */
interface DeliveryFigures {
  p50: number;
  p99: number;
  max: number;
  /** Events every subscriber should have received, summed over subscribers. */
  expected: number;
  /** Of those, the ones received (once each). */
  delivered: number;
  /** expected - delivered: dropped ticks, unheard run events. */
  dropped: number;
  duplicates: number;
  /** Ticks mode: the distinct ticks (server beats) in the window, which every subscriber should get, against the window's whole seconds. */
  beats: number;
  windowSeconds: number;
  /** Subscribers that had their first event when the window opened. */
  subscribersReady: number;
  /** One TICK message as received (ticks mode). */
  tickMessage: string | null;
  /** Runs started in the window (runs mode). */
  runsStarted: number;
  /** Of those, the runs whose RUN_FINISHED reached any subscriber. */
  runsFinished: number;
}

type ClientCommand =
  | { type: "open"; url: string; mode: DeliveryMode; subscriptions: SubscriptionRequest[] }
  | { type: "measure" }
  | { type: "stop"; runIds: string[] };

type ClientReport =
  | { type: "ready" }
  | { type: "result"; figures: DeliveryFigures }
  | { type: "failed"; message: string };

type BareCommand = { type: "serve"; tickMessage: string };
type BareReport = { type: "listening"; port: number } | { type: "failed"; message: string };

interface MessagePort {
  on(event: "message", listener: (message: unknown) => void): unknown;
}

/**
 * Messages from a process, kept until asked for: a report may arrive before the code that
 * waits for it. A "failed" message or the sender's exit rejects every wait.
 */
function inbox<T extends { type: string }>(port: MessagePort, exited?: Promise<unknown>) {
  const received: T[] = [];
  const wakers = new Set<() => void>();
  let failure: Error | undefined;
  const wakeAll = () => {
    for (const wake of wakers) wake();
  };
  port.on("message", (message) => {
    const typed = message as T;
    if (typed.type === "failed") failure = new Error((typed as unknown as { message: string }).message);
    received.push(typed);
    wakeAll();
  });
  void exited?.then(() => {
    failure ??= new Error("the process exited before reporting");
    wakeAll();
  });
  return <K extends T["type"]>(type: K, timeoutMs: number) =>
    new Promise<Extract<T, { type: K }>>((resolve, reject) => {
      const check = () => {
        const index = received.findIndex((message) => message.type === type);
        if (index >= 0) {
          done();
          resolve(received.splice(index, 1)[0] as Extract<T, { type: K }>);
        } else if (failure) {
          done();
          reject(failure);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no "${type}" within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        wakers.delete(check);
      };
      wakers.add(check);
      check();
    });
}

/** Sends over the IPC channel (process.send exists in a forked process). */
const send = (target: Pick<ChildProcess, "send"> | NodeJS.Process, message: ClientCommand | ClientReport | BareCommand | BareReport) => target.send!(message);

// ---------------------------------------------------------------------------------------------
// The subscribers: one process, one websocket per subscriber, speaking graphql-ws directly.

/**
 * Where a next message's own time sits: graphql-ws writes `{"id","type","payload"}` and the
 * selection puts `kind` and `at` first, so the head of a tick is enough. Parsing the whole
 * ~250 KB tick per subscriber would make this process, not the server, the bottleneck.
 */
const tickHead = /"type":"next".*?"kind":"(\w+)","at":"([^"]+)"/;
const headBytes = 200;
/** How long the subscribers may take, after the window, to receive what was sent in it. */
const drainTimeoutMs = 10_000;
/** How long every subscriber may take to get its first event; past it, the window opens anyway. */
const readyTimeoutMs = 20_000;

interface Subscriber {
  view: string;
  started: boolean;
  /** Send time of the newest event received. */
  latestSentAt: number;
  /** The window's ticks this subscriber received: receive time by send time (`at`). */
  windowSentAts: Map<number, number>;
  /** Window ticks received more than once. */
  duplicateTicks: number;
  /** RUN_FINISHED events received per run id: the first one's latency, and how many came. */
  finishedRuns: Map<string, { ms: number; count: number }>;
}

interface RunFinishedMessage {
  type: string;
  payload?: { data?: { runEvents?: { type: string; run: { id: string; finishedAt: string | null } } } };
}

async function runSubscribers(): Promise<void> {
  const nextCommand = inbox<ClientCommand>(process);
  // Resolves once the message is out: disconnecting earlier can lose a large one.
  const report = (message: ClientReport) => new Promise<void>((resolve) => process.send!(message, undefined, undefined, () => resolve()));
  const { url, mode, subscriptions } = await nextCommand("open", 60_000);
  const subscribers: Subscriber[] = subscriptions.map((request) => ({
    view: JSON.stringify(request.variables),
    started: false,
    latestSentAt: 0,
    windowSentAts: new Map(),
    duplicateTicks: 0,
    finishedRuns: new Map(),
  }));
  const window = { start: Infinity, end: Infinity };
  let startedCount = 0;
  let tickMessage: string | null = null;
  let failure: string | null = null;
  const wakers = new Set<() => void>();

  const received = (subscriber: Subscriber, data: Buffer, receivedAt: number) => {
    if (mode === "ticks") {
      const match = tickHead.exec(data.toString("latin1", 0, headBytes));
      if (!match) return void (failure ??= `unexpected message: ${data.toString("utf8", 0, 500)}`);
      const [, kind, atText] = match;
      const sentAt = Date.parse(atText!);
      subscriber.latestSentAt = sentAt;
      if (kind === "TICK") {
        tickMessage ??= data.toString("utf8");
        if (sentAt >= window.start && sentAt < window.end) {
          if (subscriber.windowSentAts.has(sentAt)) subscriber.duplicateTicks += 1;
          else subscriber.windowSentAts.set(sentAt, receivedAt);
        }
      }
    } else {
      const message = JSON.parse(data.toString("utf8")) as RunFinishedMessage;
      const event = message.payload?.data?.runEvents;
      if (message.type !== "next" || !event) return void (failure ??= `unexpected message: ${data.toString("utf8", 0, 500)}`);
      if (event.type === "RUN_FINISHED" && event.run.finishedAt) {
        const earlier = subscriber.finishedRuns.get(event.run.id);
        if (earlier) earlier.count += 1;
        else subscriber.finishedRuns.set(event.run.id, { ms: receivedAt - Date.parse(event.run.finishedAt), count: 1 });
      }
    }
    if (!subscriber.started) {
      subscriber.started = true;
      startedCount += 1;
    }
    for (const wake of wakers) wake();
  };

  const sockets: WebSocket[] = [];
  let closing = false;
  /** Resolves once the server acknowledged the connection and the subscribe message is sent. */
  const open = (subscriber: Subscriber, request: SubscriptionRequest) =>
    new Promise<void>((resolve, reject) => {
      const socket = new WebSocket(url.replace(/^http/, "ws"), "graphql-transport-ws");
      sockets.push(socket);
      socket.on("open", () => socket.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${benchToken}` } })));
      socket.on("error", reject);
      socket.on("close", (code, reason) => {
        if (!closing) failure ??= `a subscriber's socket closed: ${code} ${reason.toString()}`;
      });
      socket.on("message", (data: Buffer) => {
        const receivedAt = Date.now();
        if (data.toString("latin1", 0, 40).includes('"type":"connection_ack"')) {
          socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: request }));
          resolve();
        } else received(subscriber, data, receivedAt);
      });
    });

  const until = (condition: () => boolean, timeoutMs: number) =>
    new Promise<boolean>((resolve) => {
      const check = () => {
        if (!condition() && failure === null) return;
        clearTimeout(timer);
        wakers.delete(check);
        resolve(condition());
      };
      const timer = setTimeout(() => {
        wakers.delete(check);
        resolve(false);
      }, timeoutMs);
      wakers.add(check);
      check();
    });

  try {
    // A few handshakes at a time, as clients arriving over a second or so would; an overloaded
    // server may still be answering them when the window opens.
    const connecting = 50;
    void (async () => {
      for (let first = 0; first < subscribers.length && !closing; first += connecting) {
        await Promise.all(subscribers.slice(first, first + connecting).map((subscriber, i) => open(subscriber, subscriptions[first + i]!)));
      }
    })().catch((error: unknown) => (failure ??= `could not connect: ${(error as Error).message}`));
    const measuring = nextCommand("measure", 600_000);
    void until(() => startedCount === subscribers.length && (mode === "runs" || tickMessage !== null), 600_000).then((ready) => {
      if (ready) void report({ type: "ready" });
    });
    await measuring;
    if (failure !== null) throw new Error(failure);
    window.start = Date.now();
    const subscribersReady = startedCount;
    const { runIds } = await nextCommand("stop", 600_000);
    window.end = Date.now();
    const expectedRuns = new Set(runIds);
    // Events leave each socket in order: past an event sent after the window, nothing of it is still coming.
    const drained = (subscriber: Subscriber) =>
      mode === "ticks" ? subscriber.latestSentAt >= window.end : runIds.every((id) => subscriber.finishedRuns.has(id));
    await until(() => subscribers.every(drained), drainTimeoutMs);
    if (failure !== null) throw new Error(failure);

    const latencies: number[] = [];
    let expected = 0;
    let delivered = 0;
    let duplicates = 0;
    let beats = 0;
    // A run counts as finished once any subscriber heard so.
    const runsFinished = runIds.filter((id) => subscribers.some((subscriber) => subscriber.finishedRuns.has(id)));
    if (mode === "ticks") {
      // Every view ticks at every beat of the server's ticker with the same `at`: a beat any
      // subscriber received is one every subscriber should have received.
      const windowBeats = new Set<number>();
      for (const subscriber of subscribers) for (const at of subscriber.windowSentAts.keys()) windowBeats.add(at);
      beats = windowBeats.size;
      for (const subscriber of subscribers) {
        for (const at of windowBeats) {
          const receivedAt = subscriber.windowSentAts.get(at);
          latencies.push(receivedAt === undefined ? Infinity : receivedAt - at);
        }
        expected += windowBeats.size;
        delivered += subscriber.windowSentAts.size;
        duplicates += subscriber.duplicateTicks;
      }
    } else {
      // Every run started in the window must reach every subscriber as RUN_FINISHED.
      for (const subscriber of subscribers) {
        for (const id of runIds) {
          const heard = subscriber.finishedRuns.get(id);
          latencies.push(heard === undefined ? Infinity : heard.ms);
          if (heard !== undefined) {
            delivered += 1;
            duplicates += heard.count - 1;
          }
        }
        expected += runIds.length;
      }
    }
    latencies.sort((a, b) => a - b);
    await report({
      type: "result",
      figures: {
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: latencies.at(-1) ?? NaN,
        expected,
        delivered,
        dropped: expected - delivered,
        duplicates,
        beats,
        windowSeconds: Math.floor((window.end - window.start) / 1000),
        subscribersReady,
        tickMessage,
        runsStarted: runIds.length,
        runsFinished: runsFinished.length,
      },
    });
  } catch (error) {
    await report({ type: "failed", message: (error as Error).message });
  } finally {
    closing = true;
    for (const socket of sockets) socket.terminate();
    process.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// The reference: a bare ws server sending a real tick, re-stamped, to every subscriber each second.

async function serveBare(): Promise<void> {
  const { tickMessage } = await inbox<BareCommand>(process)("serve", 60_000);
  const atStart = tickMessage.indexOf('"at":"') + '"at":"'.length;
  const atEnd = tickMessage.indexOf('"', atStart);
  // The same bytes with this send's time: ISO instants all have the same length.
  const stamped = () => Buffer.from(tickMessage.slice(0, atStart) + new Date().toISOString() + tickMessage.slice(atEnd));
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await once(server, "listening");
  const subscribed = new Set<WebSocket>();
  server.on("connection", (socket) => {
    socket.on("message", (data: Buffer) => {
      const message = JSON.parse(data.toString()) as { type: string };
      if (message.type === "connection_init") socket.send(JSON.stringify({ type: "connection_ack" }));
      if (message.type === "subscribe") {
        subscribed.add(socket);
        socket.send(stamped());
      }
    });
    socket.on("close", () => subscribed.delete(socket));
  });
  setInterval(() => {
    const message = stamped();
    for (const socket of subscribed) socket.send(message);
  }, 1_000);
  send(process, { type: "listening", port: (server.address() as AddressInfo).port });
  process.once("disconnect", () => process.exit(0));
}

// ---------------------------------------------------------------------------------------------
// The orchestrating process.

const benchFile = fileURLToPath(import.meta.url);
const children = new Set<ChildProcess>();

function track<T extends ChildProcess>(child: T): T {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

/** This file in a process of its own, in the given role, with the same loader. */
function forkRole(role: "subscribers" | "bare-server"): ChildProcess {
  // Structured clone, not JSON: a figure may be Infinity (an event never delivered).
  return track(fork(benchFile, ["--role", role], { execArgv: process.execArgv, stdio: ["ignore", "ignore", "inherit", "ipc"], serialization: "advanced" }));
}

const clockTicksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }));
const pageBytes = Number(execFileSync("getconf", ["PAGESIZE"], { encoding: "utf8" }));

interface ProcessUsage {
  /** User plus system CPU time so far. */
  cpuMs: number;
  rssBytes: number;
  takenAt: number;
}

function processUsage(pid: number): ProcessUsage {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The fields after the command name (which may hold spaces), starting with field 3, state.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const field = (number: number) => Number(fields[number - 3]);
  return { cpuMs: ((field(14) + field(15)) / clockTicksPerSecond) * 1000, rssBytes: field(24) * pageBytes, takenAt: performance.now() };
}

interface MeasuredServer {
  pid: number;
  url: string;
  stop(): Promise<void>;
}

async function startCronline(databaseUrl: string): Promise<MeasuredServer> {
  const server: ServerProcess = spawnServer({ DATABASE_URL: databaseUrl, LOG_LEVEL: "info", SHUTDOWN_GRACE_SECONDS: "5", CRONLINE_BOOTSTRAP_ADMIN_TOKEN: benchToken });
  track(server.child);
  const url = await server.listening;
  // A server that dies mid-case says why.
  const stopping = { requested: false };
  void server.exited.then((code) => {
    if (!stopping.requested) progress(`Cronline exited with ${code} before the case ended: ${server.stderr.join("").slice(-2000)}`);
  });
  return {
    pid: server.child.pid!,
    url,
    stop: async () => {
      stopping.requested = true;
      server.child.kill("SIGTERM");
      // An overloaded server may not get to its own shutdown in time.
      const killing = setTimeout(() => server.child.kill("SIGKILL"), 15_000);
      await server.exited;
      clearTimeout(killing);
      // A warning in the server's log can explain a figure (a failed load, a dropped subscriber).
      for (const entry of server.logs) if (Number(entry.level) >= 40) progress(`server: ${JSON.stringify(entry)}`);
    },
  };
}

async function startBare(tickMessage: string): Promise<MeasuredServer> {
  const child = forkRole("bare-server");
  const exited = once(child, "exit");
  const nextReport = inbox<BareReport>(child, exited);
  send(child, { type: "serve", tickMessage });
  const { port } = await nextReport("listening", 30_000);
  return {
    pid: child.pid!,
    url: `http://127.0.0.1:${port}/`,
    stop: async () => {
      child.disconnect();
      await exited;
    },
  };
}

interface CaseFigures {
  delivery: DeliveryFigures;
  subscribers: number;
  windowMs: number;
  serverCpuMs: number;
  clientCpuMs: number;
  /** Server RSS with the subscribers connected, less before they connected. */
  serverRssGrowthBytes: number;
}

interface Measurement {
  mode: DeliveryMode;
  subscriptions: SubscriptionRequest[];
  /** Helps the subscribers to their first event (`ready`), for readyTimeoutMs at most. */
  warmUp(ready: Promise<unknown>): Promise<void>;
  /** The measured window; resolves with the runs whose RUN_FINISHED every subscriber must receive. */
  load(): Promise<string[]>;
}

async function measure(server: MeasuredServer, { mode, subscriptions, warmUp, load }: Measurement): Promise<CaseFigures> {
  const client = forkRole("subscribers");
  const nextReport = inbox<ClientReport>(client, once(client, "exit"));
  try {
    const before = processUsage(server.pid);
    send(client, { type: "open", url: server.url, mode, subscriptions });
    const ready = nextReport("ready", 3_600_000);
    await warmUp(ready);
    await Promise.race([ready, sleep(readyTimeoutMs)]);
    const serverAtStart = processUsage(server.pid);
    const clientAtStart = processUsage(client.pid!);
    send(client, { type: "measure" });
    const runIds = await load();
    const serverAtEnd = processUsage(server.pid);
    let clientAtEnd: ProcessUsage;
    try {
      clientAtEnd = processUsage(client.pid!);
    } catch (error) {
      // A subscriber process that gave up has said why: that, rather than its missing /proc entry.
      await nextReport("result", 5_000);
      throw error;
    }
    send(client, { type: "stop", runIds });
    const { figures } = await nextReport("result", drainTimeoutMs + 30_000);
    return {
      delivery: figures,
      subscribers: subscriptions.length,
      windowMs: serverAtEnd.takenAt - serverAtStart.takenAt,
      serverCpuMs: serverAtEnd.cpuMs - serverAtStart.cpuMs,
      clientCpuMs: clientAtEnd.cpuMs - clientAtStart.cpuMs,
      serverRssGrowthBytes: serverAtEnd.rssBytes - before.rssBytes,
    };
  } finally {
    client.kill();
  }
}

/** Ticks of scheduleView: nothing to bring about, the window is just time passing. */
function tickMeasurement(filters: (Record<string, unknown> | null)[], viewMode: "FULL" | "CHANGES"): Measurement {
  const query = print(ScheduleView);
  return {
    mode: "ticks",
    subscriptions: Array.from({ length: subscriberCount }, (_, i) => ({ query, variables: { filter: filters[i % filters.length], tickSeconds: 1, mode: viewMode } })),
    warmUp: async () => {},
    load: async () => {
      await sleep(measureSeconds * 1000);
      return [];
    },
  };
}

// Written out rather than with graphql(): the benchmark needs finishedAt, which the tests' RunEvents leaves out.
const runFinishedTimes = "subscription RunFinishedTimes { runEvents { type run { id finishedAt } } }";

async function runTask(client: GraphQLClient, taskId: string): Promise<string> {
  const { runTask: result } = await client.data(RunTask, { input: { id: taskId, confirm: true } });
  if (result.__typename !== "RunTaskSuccess") throw new Error(`runTask answered ${result.__typename}`);
  return result.run.id;
}

// Its own document rather than the tests' RunTasks, which leaves out the run ids.
const RunBatch = parse(`
  mutation RunBatch($tag: String!) {
    runTasks(input: { tag: $tag, confirm: true }) { __typename ... on RunTasksSuccess { runs { id } } }
  }
`) as TypedDocumentNode<{ runTasks: { __typename: string; runs?: { id: string }[] } }, { tag: string }>;

/**
 * runEvents while runs start at a steady rate, each of `true` on the server's machine: a
 * batch's tag every tenth of a second, so the API's own cost per request stays small.
 */
function runMeasurement(client: GraphQLClient, taskIds: string[]): Measurement {
  const batchesPerSecond = runsPerSecond / tasksPerBatch;
  return {
    mode: "runs",
    subscriptions: Array.from({ length: runSubscriberCount }, () => ({ query: runFinishedTimes, variables: {} })),
    // runEvents sends nothing until something happens to a run: run one each second until every subscriber has seen one.
    warmUp: async (ready) => {
      const settled = ready.then(() => true, () => true);
      for (let second = 0; second < readyTimeoutMs / 1000; second++) {
        await runTask(client, taskIds[0]!);
        if (await Promise.race([settled, sleep(1_000).then(() => false)])) return;
      }
    },
    load: async () => {
      const started = performance.now();
      const batches: Promise<string[]>[] = [];
      for (let i = 0; i < batchesPerSecond * runSeconds; i++) {
        await sleep(started + (i * 1000) / batchesPerSecond - performance.now());
        batches.push(
          client.data(RunBatch, { tag: `batch-${i % batchCount}` }).then(({ runTasks }) => {
            if (!runTasks.runs) throw new Error(`runTasks answered ${runTasks.__typename}`);
            return runTasks.runs.map((run) => run.id);
          }),
        );
      }
      return (await Promise.all(batches)).flat();
    },
  };
}

/**
 * The tasks every case shows: active, next due in a day, so no run happens unless asked for.
 * One is created through the API, the rest copied from it by SQL (creating 1,000 through
 * GraphQL takes over a minute), each tagged with one of the teams and one of the batches.
 */
async function seedTasks(location: DatabaseLocation): Promise<string[]> {
  const templateId = await withServer(
    () => startCronline(location.url),
    async (server) => {
      const client = graphqlClient(server.url, benchToken);
      const service = await createService(client, { name: "bench" });
      const startAt = new Date(Date.now() + 86_400_000).toISOString();
      const { createTask } = await client.data(CreateTask, {
        input: { name: "task-0", serviceId: service.id, schedule: { standard: { startAt, frequencySeconds: 86_400 } }, tags: ["team-0", "batch-0"] },
        schedule: true,
      });
      if (createTask.__typename !== "CreateTaskSuccess") throw new Error(`createTask answered ${createTask.__typename}`);
      return decodeGlobalID(createTask.task.id).id;
    },
  );
  const database = await openDatabase(location);
  try {
    const db = database.client;
    const columns = (await db.$queryRawUnsafe<{ name: string }[]>(`SELECT name FROM pragma_table_info('Task')`)).map((column) => `"${column.name}"`);
    const copied = columns.map((column) => (column === '"id"' ? `"id" || '-' || n` : column === '"name"' ? `'task-' || n` : column));
    await db.$executeRawUnsafe(
      `WITH RECURSIVE copies(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM copies WHERE n < ${taskCount - 1})
       INSERT INTO "Task" (${columns.join(", ")}) SELECT ${copied.join(", ")} FROM "Task", copies WHERE "id" = ?`,
      templateId,
    );
    for (const [prefix, groups] of [["team", teamCount], ["batch", batchCount]] as const) {
      await db.$executeRawUnsafe(
        `INSERT INTO "TaskTag" ("taskId", "name") SELECT "id", '${prefix}-' || (CAST(substr("name", 6) AS INTEGER) % ${groups}) FROM "Task" WHERE "id" <> ?`,
        templateId,
      );
    }
    const tasks = await db.task.findMany({ select: { id: true } });
    if (tasks.length !== taskCount) throw new Error(`seeded ${tasks.length} of ${taskCount} tasks`);
    return tasks.map((task) => encodeGlobalID("Task", task.id));
  } finally {
    await database.close();
  }
}

async function withServer<T>(start: () => Promise<MeasuredServer>, work: (server: MeasuredServer) => Promise<T>): Promise<T> {
  const server = await start();
  try {
    return await work(server);
  } finally {
    await server.stop();
  }
}

const perConnection = (figures: CaseFigures) => ({
  cpuPercent: (figures.serverCpuMs / figures.windowMs) * 100,
  cpuMicrosPerSecond: ((figures.serverCpuMs / figures.windowMs) * 1_000_000) / figures.subscribers,
  rssKiB: figures.serverRssGrowthBytes / 1024 / figures.subscribers,
  clientCpuPercent: (figures.clientCpuMs / figures.windowMs) * 100,
});

/** Issue 10's goals for a tick case: each is met only when every subscriber got every tick. */
function goalsOf(label: string, ours: CaseFigures, bare: CaseFigures): string[] {
  const { delivery } = ours;
  const allDelivered = delivery.dropped === 0 && delivery.expected > 0 && delivery.beats >= delivery.windowSeconds - 1;
  const cpuRatio = perConnection(ours).cpuPercent / perConnection(bare).cpuPercent;
  const { rssKiB } = perConnection(ours);
  const of = `${delivery.delivered}/${delivery.expected} ticks delivered`;
  return [
    goalLine(allDelivered, `${label}: every tick to every subscriber, none dropped (${of}, ${delivery.dropped} dropped, ${delivery.beats} ticks in ${delivery.windowSeconds} s)`),
    goalLine(allDelivered && delivery.p99 < goals.p99Ms, `${label}: delivery p99 under ${goals.p99Ms} ms over every expected tick (${delivery.p99.toFixed(1)} ms)`),
    goalLine(allDelivered && cpuRatio <= goals.cpuRatio, `${label}: server CPU at most ${goals.cpuRatio}× a bare ws broadcast of the same bytes (${cpuRatio.toFixed(2)}×)`),
    goalLine(allDelivered && rssKiB <= goals.rssKiBPerConnection, `${label}: server RSS at most ${goals.rssKiBPerConnection} KiB per connection (${rssKiB.toFixed(1)} KiB)`),
  ];
}

function reportRows(label: string, ours: CaseFigures, bare: CaseFigures | null): string[][] {
  const figuresOf = (figures: CaseFigures): [string, number, number][] => {
    const { cpuPercent, cpuMicrosPerSecond, rssKiB, clientCpuPercent } = perConnection(figures);
    const { delivery } = figures;
    return [
      ["delivery p50 (ms, an undelivered event is ∞)", delivery.p50, 0],
      ["delivery p99 (ms, an undelivered event is ∞)", delivery.p99, 0],
      ["delivery max (ms)", delivery.max, 0],
      ["events expected (every subscriber, every event)", delivery.expected, 0],
      ["events delivered", delivery.delivered, 0],
      ["delivered / expected (%)", (delivery.delivered / delivery.expected) * 100, 1],
      ["dropped", delivery.dropped, 0],
      ["duplicates", delivery.duplicates, 0],
      ...(delivery.tickMessage === null ? [] : ([["ticks in the window (beats) / window seconds", delivery.beats / delivery.windowSeconds, 2]] as [string, number, number][])),
      ["subscribers with a first event at window start", delivery.subscribersReady, 0],
      ...(delivery.tickMessage === null
        ? ([
            ["runs started", delivery.runsStarted, 0],
            ["runs finished (heard by any subscriber)", delivery.runsFinished, 0],
          ] as [string, number, number][])
        : []),
      ["server CPU (% of a core)", cpuPercent, 1],
      // Running 100 runs a second, not the connections, is what the server spends on in the runEvents case.
      ...(delivery.tickMessage === null
        ? []
        : ([
            ["tick message (bytes)", Buffer.byteLength(delivery.tickMessage), 0],
            ["server CPU per connection (µs/s)", cpuMicrosPerSecond, 1],
            ["server RSS per connection (KiB)", rssKiB, 1],
          ] as [string, number, number][])),
      ["subscriber process CPU (% of a core)", clientCpuPercent, 1],
    ];
  };
  const bareFigures = bare && figuresOf(bare);
  return figuresOf(ours).map(([name, value, digits], i) => {
    const reference = bareFigures?.[i]?.[1];
    const ratio = reference === undefined ? "" : reference > 0 ? (value / reference).toFixed(2) : "n/a";
    return [label, name, value.toFixed(digits), reference === undefined ? "" : reference.toFixed(digits), ratio];
  });
}

async function orchestrate(): Promise<void> {
  let scratch: ScratchDatabase | undefined;
  const cleanUp = async () => {
    for (const child of children) child.kill("SIGKILL");
    await scratch?.drop();
  };
  process.once("exit", () => {
    for (const child of children) child.kill("SIGKILL");
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
  try {
    scratch = await createScratchDatabase("sqlite");
    const databaseUrl = scratch.location.url;
    progress(`seeding ${taskCount} tasks`);
    const seedStarted = performance.now();
    const taskIds = await seedTasks(scratch.location);
    progress(`seeded in ${((performance.now() - seedStarted) / 1000).toFixed(1)}s`);

    const rows: string[][] = [];
    // The goals, checked against each tick case; none is met while an event is dropped.
    const goalLines: string[] = [];
    const variants = [
      { label: "1 filter (all tasks)", filters: [null] },
      { label: `${teamCount} filters (a tag each)`, filters: Array.from({ length: teamCount }, (_, i) => ({ tags: [`team-${i}`] })) },
    ];
    for (const viewMode of viewModes) {
      for (const { label, filters } of variants) {
        const caseLabel = `scheduleView ${viewMode} ticks, ${subscriberCount} subscribers, ${label}, ${taskCount} tasks`;
        progress(`${caseLabel}: Cronline for ${measureSeconds}s`);
        const ours = await withServer(() => startCronline(databaseUrl), (server) => measure(server, tickMeasurement(filters, viewMode)));
        // A view that failed to load ticks empty, and fast: the figures would mean nothing.
        const { tickMessage } = ours.delivery;
        if (tickMessage === null) throw new Error("no subscriber received a tick");
        const tick = JSON.parse(tickMessage) as { payload: { data: { scheduleView: { tasks: unknown[] } } } };
        const shown = tick.payload.data.scheduleView.tasks.length;
        // The bench's tasks are due in a day: nothing changes between CHANGES ticks.
        const shouldShow = viewMode === "FULL" ? taskCount / filters.length : 0;
        if (shown !== shouldShow) throw new Error(`a tick shows ${shown} tasks, not ${shouldShow}`);
        progress(`${caseLabel}: a bare ws server sending the same bytes for ${measureSeconds}s`);
        const bare = await withServer(() => startBare(tickMessage), (server) => measure(server, tickMeasurement(filters, viewMode)));
        rows.push(...reportRows(caseLabel, ours, bare));
        goalLines.push(...goalsOf(`scheduleView ${viewMode}, ${label}`, ours, bare));
      }
    }
    if (runSubscriberCount > 0) {
      progress(`runEvents: ${runSubscriberCount} subscribers, ${runsPerSecond} runs/s for ${runSeconds}s`);
      const runs = await withServer(() => startCronline(databaseUrl), (server) => measure(server, runMeasurement(graphqlClient(server.url, benchToken), taskIds)));
      rows.push(...reportRows(`runEvents RUN_FINISHED, ${runSubscriberCount} subscribers, ${runsPerSecond} runs/s`, runs, null));
    }

    console.log(`\nLive subscriptions over graphql-ws, Cronline on SQLite, node ${process.version}, ${measureSeconds}s windows\n`);
    console.log(markdownTable(["case", "figure", "Cronline", "bare ws", "Cronline/bare"], rows));
    console.log(`\n${goalLines.join("\n")}`);
  } finally {
    await cleanUp();
  }
}

if (values.role === "subscribers") await runSubscribers();
else if (values.role === "bare-server") await serveBare();
else await orchestrate();
