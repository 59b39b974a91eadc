// A real Cronline server (scheduler, executor, API) for execution tests, with helpers to
// create devices, services and tasks through GraphQL and to wait for a run to finish.
import type { DatabaseProvider } from "../../src/db/prisma-schema.js";
import { finishedRunStatuses } from "../../src/domain/runs.js";
import type { CreatePoolInput } from "../generated/graphql/graphql.js";
import { RunWithResults } from "./execution-operations.js";
import { CreateDevice, CreatePool, CreateService } from "./operations.js";
import { CreateTask, RunTask } from "./task-operations.js";
import type { GraphQLClient } from "./graphql-client.js";
import { useTestServer, type TestServer } from "./test-server.js";

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `node -e <script>` as a command line, the script single-quoted. */
export const nodeCommand = (script: string, ...args: string[]) =>
  [process.execPath, "-e", `'${script.replaceAll("'", `'\\''`)}'`, ...args].join(" ");


/**
 * A cancelled run reads CANCELLED at once; the executor then stops it and writes its counts.
 * For waitForRun: the run is cancelled and the executor is done with it.
 */
export const executorRecordedCancel = (run: RunDetails) => run.status === "CANCELLED" && run.targetCount > 0;

/** Helpers that create devices, services and tasks through GraphQL and wait for runs. */
export interface ExecutionHelpers {
  createDevice(name: string, input?: { properties?: Record<string, unknown>; tags?: string[]; address?: string }): Promise<string>;
  createPool(name: string, input: Omit<CreatePoolInput, "name">): Promise<string>;
  createService(kind: "COMMAND" | "HTTP", config: Record<string, unknown>, extra?: Record<string, unknown>): Promise<string>;
  createTask(serviceId: string, extra?: Record<string, unknown>): Promise<string>;
  runTask(taskId: string): Promise<string>;
  /** Waits until the run is finished and `done` holds (by default, once the executor wrote its results). */
  waitForRun(runId: string, done?: (run: RunDetails) => boolean): Promise<RunDetails>;
  /** Creates a service and a task, runs it once and waits for the end. */
  runOnce(kind: "COMMAND" | "HTTP", config: Record<string, unknown>, task?: Record<string, unknown>): Promise<RunDetails>;
}

export interface ExecutionHarness extends ExecutionHelpers {
  server: TestServer;
}

type RunDetails = NonNullable<Awaited<ReturnType<typeof fetchRun>>>;

/** The run with its results as a plain list (the tests' runs have fewer than 1000). */
async function fetchRun(client: GraphQLClient, id: string) {
  const { run } = await client.data(RunWithResults, { id });
  return run && { ...run, results: run.results.edges.map((edge) => edge.node), resultCount: run.results.totalCount, failureCount: run.failures.totalCount };
}

let counter = 0;
const unique = (prefix: string) => `${prefix}-${++counter}`;

/** `client()`: the client to send requests with (called at each request, so it may be set later). */
export function executionHelpers(client: () => GraphQLClient): ExecutionHelpers {
  const helpers: ExecutionHelpers = {
    async createDevice(name, input = {}) {
      const { createDevice } = await client().data(CreateDevice, { input: { name, address: input.address ?? "127.0.0.1", properties: input.properties, tags: input.tags } });
      if (createDevice.__typename !== "CreateDeviceSuccess") throw new Error(createDevice.message);
      return createDevice.device.id;
    },
    async createPool(name, input) {
      const { createPool } = await client().data(CreatePool, { input: { name, ...input } });
      if (createPool.__typename !== "CreatePoolSuccess") throw new Error(JSON.stringify(createPool));
      return createPool.pool.id;
    },
    async createService(kind, config, extra = {}) {
      const { createService } = await client().data(CreateService, { input: { name: unique("service"), kind, config, ...extra } });
      if (createService.__typename !== "CreateServiceSuccess") throw new Error(JSON.stringify(createService));
      return createService.service.id;
    },
    async createTask(serviceId, extra = {}) {
      const { createTask } = await client().data(CreateTask, {
        input: { name: unique("task"), serviceId, schedule: { once: { at: "2099-01-01T00:00:00Z" } }, ...extra },
      });
      if (createTask.__typename !== "CreateTaskSuccess") throw new Error(JSON.stringify(createTask));
      return createTask.task.id;
    },
    async runTask(taskId) {
      const { runTask } = await client().data(RunTask, { input: { id: taskId, confirm: true } });
      if (runTask.__typename !== "RunTaskSuccess") throw new Error(JSON.stringify(runTask));
      return runTask.run.id;
    },
    async waitForRun(runId, done = () => true) {
      // Generous: a loaded machine may take long to start a run's commands.
      const deadline = Date.now() + 90_000;
      for (;;) {
        const run = await fetchRun(client(), runId);
        if (run && (finishedRunStatuses as readonly string[]).includes(run.status) && run.finishedAt && done(run)) return run;
        if (Date.now() > deadline) throw new Error(`run ${runId} did not finish: ${JSON.stringify(run)}`);
        await sleep(50);
      }
    },
    async runOnce(kind, config, task = {}) {
      const serviceId = await helpers.createService(kind, config);
      const taskId = await helpers.createTask(serviceId, task);
      return helpers.waitForRun(await helpers.runTask(taskId));
    },
  };
  return helpers;
}

export function useExecutionServer(provider: DatabaseProvider, env: Record<string, string> = {}): ExecutionHarness {
  const server = useTestServer(provider, env);
  return { server, ...executionHelpers(() => server.client) };
}
