// Starts the scheduler and worker roles in threads of their own and steers them: every thread
// (the main one included) gets a direct event link to every other, so a claim reaches the
// worker without passing through a busy API thread. A thread that dies takes no silent
// half of Cronline with it: its failure is reported, and the process is expected to stop.
import { EventEmitter, once } from "node:events";
import { readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { MessageChannel, Worker, type MessagePort } from "node:worker_threads";
import type { Config } from "../config.js";
import type { DatabaseLocation } from "../db/driver-adapter.js";
import type { EventBus, EventName } from "../events/event-bus.js";
import { linkEventBus } from "../events/event-link.js";
import type { Logger } from "../logger.js";
import type { ThreadMetricsJson } from "../metrics/process-metrics.js";
import { projectRoot } from "../project-root.js";
import type { SecretsKeys } from "../secrets/secrets-key.js";
import type { ControlReply, ControlRequest, Question, RoleThreadData } from "./role-thread.js";
import { eventsConsumedBy, type ThreadRole } from "./roles.js";

export interface RoleThreadsOptions {
  roles: readonly ThreadRole[];
  config: Config;
  location: DatabaseLocation;
  /** The key the worker opens the services' secrets with. */
  secretsKeys: SecretsKeys;
  logger: Logger;
  /** The main thread's bus, and the events its listeners use. */
  events: EventBus;
  mainConsumes: readonly EventName[];
  instanceId: string;
  /** ProcessStats' buffer, shared with every thread. */
  stats: SharedArrayBuffer;
  executorOwnerId?: string;
  /** Called with the SQL statements the threads send (tests count them). */
  onQuery?: (sql: string) => void;
  /** A thread failed or exited on its own: Cronline is no longer whole. */
  onFailure(error: Error): void;
}

/** How long a stopped thread has to exit by itself before it is terminated. */
const exitGraceMs = 5_000;

/**
 * The thread's code: the bundle's own file when running from dist/. From src/ (tests,
 * `npm run dev`), the bundle in dist/ when it is newer than every source file (loading it
 * takes half the time of compiling the source in each thread), else the TypeScript source,
 * loaded through tsx inside the thread. Chosen once for all the threads of a process start.
 */
function roleThreadEntry(): URL {
  if (!import.meta.url.endsWith(".ts")) return new URL("./role-thread.js", import.meta.url);
  const bundle = path.join(projectRoot, "dist", "role-thread.js");
  if (isNewerThanSources(bundle)) return pathToFileURL(bundle);
  const tsxApi = new URL("./dist/esm/api/index.mjs", pathToFileURL(createRequire(import.meta.url).resolve("tsx/package.json"))).href;
  const entry = new URL("./role-thread.ts", import.meta.url).href;
  const bootstrap = `import { register } from ${JSON.stringify(tsxApi)}; register(); await import(${JSON.stringify(entry)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`);
}

function isNewerThanSources(file: string): boolean {
  const built = statSync(file, { throwIfNoEntry: false })?.mtimeMs;
  if (built === undefined) return false;
  const sources = path.join(projectRoot, "src");
  return readdirSync(sources, { recursive: true, withFileTypes: true }).every(
    (entry) => !entry.isFile() || statSync(path.join(entry.parentPath, entry.name)).mtimeMs <= built,
  );
}

class RoleThread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, (value: unknown) => void>();
  readonly #replies = new EventEmitter();
  readonly exited: Promise<unknown>;
  #nextQuestion = 0;
  stopping = false;

  constructor(
    readonly role: ThreadRole,
    entry: URL,
    data: RoleThreadData,
    transferList: MessagePort[],
    onQuery: ((sql: string) => void) | undefined,
  ) {
    this.#worker = new Worker(entry, { workerData: data, transferList });
    this.exited = once(this.#worker, "exit");
    this.#worker.on("message", (message: ControlReply) => {
      if (message.type === "statements") {
        for (const sql of message.statements) onQuery?.(sql);
      } else if (message.type === "answer") {
        this.#pending.get(message.id)?.(message.value);
        this.#pending.delete(message.id);
      } else this.#replies.emit(message.type, message);
    });
  }

  get worker(): Worker {
    return this.#worker;
  }

  /** Resolves with the next reply of that type, or rejects when the thread fails first. */
  reply<T extends ControlReply["type"]>(type: T): Promise<Extract<ControlReply, { type: T }>> {
    return new Promise((resolve, reject) => {
      const onError = (error: unknown) => reject(error instanceof Error ? error : new Error(String(error)));
      const onExit = (code: number) => reject(new Error(`the ${this.role} thread exited with code ${code}`));
      this.#worker.once("error", onError).once("exit", onExit);
      this.#replies.once(type, (message: Extract<ControlReply, { type: T }>) => {
        this.#worker.off("error", onError).off("exit", onExit);
        resolve(message);
      });
    });
  }

  send(request: ControlRequest): void {
    this.#worker.postMessage(request);
  }

  /** Asks the thread; undefined when it does not answer within `timeoutMs`. */
  ask(question: Question, timeoutMs: number): Promise<unknown> {
    const id = this.#nextQuestion++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        resolve(undefined);
      }, timeoutMs);
      this.#pending.set(id, (value) => {
        clearTimeout(timer);
        resolve(value);
      });
      this.send({ ...question, type: "ask", id });
    });
  }
}

export class RoleThreads {
  readonly #threads: RoleThread[];
  readonly #loaded: Promise<unknown>;
  readonly #unlinkMain: (() => void)[];
  readonly #options: RoleThreadsOptions;
  #executorOwnerId: string | null = null;

  private constructor(threads: RoleThread[], unlinkMain: (() => void)[], options: RoleThreadsOptions) {
    this.#threads = threads;
    this.#unlinkMain = unlinkMain;
    this.#options = options;
    this.#loaded = Promise.all(threads.map((thread) => thread.reply("loaded")));
    // Until start() awaits it, a thread that fails to load must not be an unhandled rejection.
    this.#loaded.catch(() => {});
  }

  /**
   * Creates the threads, which load their code at once: the main thread migrates the database
   * meanwhile. They touch the database only when started.
   */
  static load(options: RoleThreadsOptions): RoleThreads {
    const { roles } = options;
    const links = new Map<ThreadRole, RoleThreadData["links"]>(roles.map((role) => [role, []]));
    const unlinkMain: (() => void)[] = [];
    for (const [index, role] of roles.entries()) {
      const fromMain = new MessageChannel();
      unlinkMain.push(linkEventBus(options.events, fromMain.port1, eventsConsumedBy[role]));
      links.get(role)!.push({ port: fromMain.port2, peerConsumes: options.mainConsumes });
      for (const other of roles.slice(index + 1)) {
        const between = new MessageChannel();
        links.get(role)!.push({ port: between.port1, peerConsumes: eventsConsumedBy[other] });
        links.get(other)!.push({ port: between.port2, peerConsumes: eventsConsumedBy[role] });
      }
    }
    // Only what a thread needs crosses over: no bootstrap token, and the secrets keys once, resolved.
    const config: Config = {
      ...options.config,
      auth: { ...options.config.auth, bootstrapAdminToken: undefined },
      secrets: { key: undefined, keyFile: undefined, previousKeys: undefined, previousKeysFile: undefined },
      metrics: { token: undefined },
    };
    const entry = roleThreadEntry();
    const threads = roles.map((role) => {
      const roleLinks = links.get(role)!;
      const data: RoleThreadData = {
        role,
        config,
        location: options.location,
        secretsKeys: options.secretsKeys,
        instanceId: options.instanceId,
        stats: options.stats,
        executorOwnerId: options.executorOwnerId,
        reportStatements: options.onQuery !== undefined,
        links: roleLinks,
      };
      return new RoleThread(role, entry, data, roleLinks.map((link) => link.port), options.onQuery);
    });
    return new RoleThreads(threads, unlinkMain, options);
  }

  /** The executor's owner id (Run.ownerId), once started, when this process has the worker role. */
  get executorOwnerId(): string | null {
    return this.#executorOwnerId;
  }

  /** Starts the roles on the migrated database: the worker first (it closes dead processes' runs), then the scheduler. */
  async start(): Promise<void> {
    const threads = this.#threads;
    try {
      await this.#loaded;
      // Every thread opens its database at once; the roles then start one after the other.
      await Promise.all(
        threads.map((thread) => {
          const opened = thread.reply("opened");
          thread.send({ type: "open" });
          return opened;
        }),
      );
      for (const role of ["worker", "scheduler"] as const) {
        const thread = threads.find((candidate) => candidate.role === role);
        if (!thread) continue;
        const started = thread.reply("started");
        thread.send({ type: "start" });
        const { executorOwnerId } = await started;
        if (executorOwnerId !== null) this.#executorOwnerId = executorOwnerId;
      }
      for (const thread of threads) {
        const fail = (error: Error) => {
          if (!thread.stopping) this.#options.onFailure(error);
        };
        thread.worker.on("error", (error) => fail(error));
        thread.worker.on("exit", (code) => fail(new Error(`the ${thread.role} thread exited with code ${code}`)));
      }
      this.#options.logger.info({ roles: this.#options.roles }, "scheduler and worker threads started");
    } catch (error) {
      await this.terminate();
      throw error;
    }
  }

  /** Ends the threads at once, started or not: for a process that failed to start. */
  async terminate(): Promise<void> {
    for (const thread of this.#threads) thread.stopping = true;
    await Promise.all(this.#threads.map((thread) => thread.worker.terminate()));
    for (const unlink of this.#unlinkMain) unlink();
  }

  /** When the scheduler thread will next fire the task (undefined: not scheduled here). */
  async fireTimeOf(taskId: string): Promise<number | undefined> {
    const scheduler = this.#threads.find((thread) => thread.role === "scheduler");
    if (!scheduler) throw new Error("this process has no scheduler role");
    return (await scheduler.ask({ question: "fireTimeOf", taskId }, 10_000)) as number | undefined;
  }

  /** Each thread's metrics (see ProcessMetrics); undefined for a thread that does not answer within `timeoutMs`. */
  async metricsOf(timeoutMs: number): Promise<{ thread: ThreadRole; metrics: ThreadMetricsJson | undefined }[]> {
    return Promise.all(this.#threads.map(async (thread) => ({ thread: thread.role, metrics: (await thread.ask({ question: "metrics" }, timeoutMs)) as ThreadMetricsJson | undefined })));
  }

  /** True when every thread answers within `timeoutMs`: none is stuck or gone. */
  async areResponsive(timeoutMs: number): Promise<boolean> {
    const answers = await Promise.all(this.#threads.map((thread) => thread.ask({ question: "ping" }, timeoutMs)));
    return answers.every((answer) => answer === true);
  }

  /** The scheduler stops firing, then running runs get `graceMs`; each thread closes its database and exits. */
  async stop(graceMs: number): Promise<void> {
    for (const role of ["scheduler", "worker"] as const) {
      const thread = this.#threads.find((candidate) => candidate.role === role);
      if (!thread) continue;
      thread.stopping = true;
      const stopped = thread.reply("stopped").catch(() => undefined);
      thread.send({ type: "stop", graceMs });
      await stopped;
      const timer = setTimeout(() => void thread.worker.terminate(), exitGraceMs);
      await thread.exited;
      clearTimeout(timer);
    }
    for (const unlink of this.#unlinkMain) unlink();
  }
}
