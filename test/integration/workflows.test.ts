// WORKFLOW services against real commands and a real local HTTP server: data passed from step
// to step, failure branches, parallel steps, cancel in the middle, validation when saved; and a
// server killed in the middle of a workflow, whose run resumes after a restart.
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeGlobalID } from "@pothos/plugin-relay";
import { afterAll, beforeAll, expect, it } from "vitest";
import { generateTokenSecret } from "../../src/auth/tokens.js";
import { createScratchDatabase } from "../../src/db/scratch-database.js";
import { describeEachDatabase } from "../support/databases.js";
import { nodeCommand, useExecutionServer } from "../support/execution-harness.js";
import { CancelRun } from "../support/execution-operations.js";
import { graphqlClient, type GraphQLClient } from "../support/graphql-client.js";
import { CreateDevice, CreateService, UpdateService } from "../support/operations.js";
import { spawnServer } from "../support/server-process.js";
import { subscribe, subscriptionClient } from "../support/subscriptions.js";
import { CreateTask, RunTask } from "../support/task-operations.js";
import { RunSteps, WorkflowRunEvents, WorkflowScheduleView } from "../support/workflow-operations.js";

let counter = 0;
const unique = (prefix: string) => `${prefix}-${++counter}`;

async function createService(client: GraphQLClient, name: string, kind: "COMMAND" | "HTTP" | "WORKFLOW", config: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const { createService } = await client.data(CreateService, { input: { name, kind, config, ...extra } });
  if (createService.__typename !== "CreateServiceSuccess") throw new Error(JSON.stringify(createService));
  return createService.service.id;
}

async function createTask(client: GraphQLClient, serviceId: string, extra: Record<string, unknown> = {}) {
  const { createTask } = await client.data(CreateTask, { input: { name: unique("task"), serviceId, schedule: { once: { at: "2099-01-01T00:00:00Z" } }, ...extra } });
  if (createTask.__typename !== "CreateTaskSuccess") throw new Error(JSON.stringify(createTask));
  return createTask.task.id;
}

async function runTask(client: GraphQLClient, taskId: string) {
  const { runTask } = await client.data(RunTask, { input: { id: taskId, confirm: true } });
  if (runTask.__typename !== "RunTaskSuccess") throw new Error(JSON.stringify(runTask));
  return runTask.run.id;
}

type StepRun = NonNullable<Awaited<ReturnType<typeof fetchRun>>>;

async function fetchRun(client: GraphQLClient, id: string) {
  const { run } = await client.data(RunSteps, { id });
  return run && { ...run, results: run.results.edges.map((edge) => edge.node) };
}

/** Waits until the run has finished and `done` holds. */
async function waitForRun(client: GraphQLClient, id: string, done: (run: StepRun) => boolean = () => true): Promise<StepRun> {
  let last: StepRun | null = null;
  await expect
    .poll(
      async () => {
        last = await fetchRun(client, id);
        return last !== null && last.finishedAt !== null && done(last);
      },
      { timeout: 90_000, interval: 100 },
    )
    .toBe(true);
  return last!;
}

const stepsOf = (run: StepRun) => Object.fromEntries(run.steps.map((step) => [step.name, step.status]));

describeEachDatabase("workflows", (provider) => {
  // The webhook sink listens on loopback, which HTTP services may not reach by default.
  const h = useExecutionServer(provider, { HTTP_DENIED_NETWORKS: "none" });
  const client = () => h.server.client;
  const received: { url: string; body: string }[] = [];
  let sink: Server;
  let base: string;
  let dir: string;
  let devices: string[];

  beforeAll(async () => {
    sink = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => {
        received.push({ url: req.url!, body });
        res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => sink.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
    dir = mkdtempSync(join(tmpdir(), "workflows-"));
    devices = [await h.createDevice("r1"), await h.createDevice("r2")];
  });
  afterAll(() => new Promise<void>((resolve) => sink.close(() => resolve())));

  it("runs three steps passing data along: JSON output, one device's stdout, a step payload; every step's results kept per device", async () => {
    const tag = unique("pass");
    await createService(client(), `${tag}-inventory`, "COMMAND", { command: nodeCommand(`console.log(JSON.stringify({ version: "1.2", build: { id: 7 } }))`) });
    await createService(client(), `${tag}-backup`, "COMMAND", { command: "echo backup-of-{{device.name}}" });
    await createService(client(), `${tag}-report`, "HTTP", {
      url: `${base}/report`,
      headers: { "content-type": "application/json" },
      body: '{"version": "{{steps.inventory.json.version}}", "build": {{steps.inventory.json.build.id}}, "r1": "{{steps.backup.devices.r1.stdout}}", "r2": "{{payload.r2}}"}',
    });
    const workflow = await createService(client(), `${tag}-nightly`, "WORKFLOW", {
      steps: [
        { name: "inventory", service: `${tag}-inventory`, targets: "SERVICE" },
        { name: "backup", service: `${tag}-backup`, after: [{ step: "inventory", on: "SUCCESS" }] },
        { name: "report", service: `${tag}-report`, targets: "SERVICE", after: [{ step: "backup" }], payload: { r2: "{{steps.backup.devices.r2.stdout}}" } },
      ],
    });
    const taskId = await createTask(client(), workflow, { targetDeviceIds: devices });
    const ws = subscriptionClient(h.server.app.url, h.server.adminToken);
    const events = subscribe(ws, WorkflowRunEvents, { taskId });
    const view = subscribe(ws, WorkflowScheduleView, { taskIds: [taskId] });
    try {
      await view.waitFor((e) => e.scheduleView.kind === "SNAPSHOT", { from: 0 });
      const runId = await runTask(client(), taskId);
      const run = await waitForRun(client(), runId);

      expect(run).toMatchObject({ status: "SUCCEEDED", reason: null, targetCount: 4, succeededCount: 4, failedCount: 0 });
      expect(run.steps.map((s) => [s.name, s.serviceName, s.status, s.targetCount])).toEqual([
        ["inventory", `${tag}-inventory`, "SUCCEEDED", 1],
        ["backup", `${tag}-backup`, "SUCCEEDED", 2],
        ["report", `${tag}-report`, "SUCCEEDED", 1],
      ]);
      const request = received.find((r) => r.url === "/report");
      expect(JSON.parse(request!.body)).toEqual({ version: "1.2", build: 7, r1: "backup-of-r1\n", r2: "backup-of-r2\n" });
      expect(run.results.map((r) => [r.stepName, r.deviceName, r.status]).sort()).toEqual([
        ["backup", "r1", "SUCCEEDED"],
        ["backup", "r2", "SUCCEEDED"],
        ["inventory", null, "SUCCEEDED"],
        ["report", null, "SUCCEEDED"],
      ]);

      // Live: each step started and finished, every target told with its step, the tree in scheduleView.
      const finished = await events.waitFor((e) => e.runEvents.type === "RUN_FINISHED", { from: 0 });
      expect(finished.runEvents.run.steps.map((s) => [s.name, s.status])).toEqual([
        ["inventory", "SUCCEEDED"],
        ["backup", "SUCCEEDED"],
        ["report", "SUCCEEDED"],
      ]);
      const seen = events.events.map((e) => [e.runEvents.type, e.runEvents.step?.name ?? e.runEvents.result?.stepName ?? null]);
      for (const step of ["inventory", "backup", "report"]) {
        expect(seen).toContainEqual(["STEP_STARTED", step]);
        expect(seen).toContainEqual(["TARGET_FINISHED", step]);
        expect(seen).toContainEqual(["STEP_FINISHED", step]);
      }
      const index = (type: string, step: string) => seen.findIndex(([t, s]) => t === type && s === step);
      expect(index("STEP_FINISHED", "inventory")).toBeLessThan(index("STEP_STARTED", "backup"));
      await view.waitFor((e) => e.scheduleView.runs.some((r) => r.status === "RUNNING" && r.steps.some((s) => s.name === "backup")), { from: 0 });
    } finally {
      events.unsubscribe();
      view.unsubscribe();
      await ws.dispose();
    }
  });

  it("takes the failure branch: the handled failure leaves the run SUCCEEDED; without a branch the run fails naming the step", async () => {
    const tag = unique("branch");
    await createService(client(), `${tag}-check`, "COMMAND", { command: nodeCommand("process.exit(3)") });
    await createService(client(), `${tag}-alert`, "HTTP", {
      url: `${base}/alert/${tag}`,
      headers: { "content-type": "application/json" },
      body: '{"status": "{{steps.check.status}}", "code": {{steps.check.exitCode}}}',
    });
    await createService(client(), `${tag}-next`, "COMMAND", { command: "echo next" });
    const handled = await createService(client(), `${tag}-handled`, "WORKFLOW", {
      steps: [
        { name: "check", service: `${tag}-check` },
        { name: "alert", service: `${tag}-alert`, after: [{ step: "check", on: "FAILURE" }] },
        { name: "next", service: `${tag}-next`, after: [{ step: "check", on: "SUCCESS" }] },
      ],
    });
    const run = await waitForRun(client(), await runTask(client(), await createTask(client(), handled)));
    expect(run.status).toBe("SUCCEEDED");
    expect(stepsOf(run)).toEqual({ check: "FAILED", alert: "SUCCEEDED", next: "SKIPPED" });
    expect(run.steps.find((s) => s.name === "next")!.reason).toBe('step "check" ended FAILED; this step runs on SUCCESS');
    expect(JSON.parse(received.find((r) => r.url === `/alert/${tag}`)!.body)).toEqual({ status: "FAILED", code: 3 });

    const unhandled = await createService(client(), `${tag}-unhandled`, "WORKFLOW", {
      steps: [
        { name: "check", service: `${tag}-check` },
        { name: "next", service: `${tag}-next`, after: [{ step: "check" }] },
        { name: "cleanup", service: `${tag}-next`, after: [{ step: "check", on: "ALWAYS" }] },
      ],
    });
    const failed = await waitForRun(client(), await runTask(client(), await createTask(client(), unhandled)));
    expect(failed).toMatchObject({ status: "FAILED", reason: 'step "check" failed with no failure branch' });
    expect(stepsOf(failed)).toEqual({ check: "FAILED", next: "SKIPPED", cleanup: "SUCCEEDED" });
  });

  it("runs steps in parallel where the graph allows, and joins them", async () => {
    const tag = unique("parallel");
    // Each side marks that it runs and waits for the other's mark: only together can both succeed.
    const side = (mine: string, other: string) =>
      nodeCommand(
        `const fs = require("fs"); fs.writeFileSync(process.argv[1], ""); const end = Date.now() + 30000;` +
          `const t = setInterval(() => { if (fs.existsSync(process.argv[2])) { clearInterval(t); console.log("met"); } else if (Date.now() > end) process.exit(1); }, 20);`,
        join(dir, `${tag}-${mine}`),
        join(dir, `${tag}-${other}`),
      );
    await createService(client(), `${tag}-left`, "COMMAND", { command: side("left", "right") });
    await createService(client(), `${tag}-right`, "COMMAND", { command: side("right", "left") });
    await createService(client(), `${tag}-join`, "COMMAND", { command: "echo {{steps.left.stdout}}{{steps.right.stdout}}" });
    const workflow = await createService(client(), `${tag}-flow`, "WORKFLOW", {
      steps: [
        { name: "left", service: `${tag}-left` },
        { name: "right", service: `${tag}-right` },
        { name: "join", service: `${tag}-join`, after: [{ step: "left" }, { step: "right" }] },
      ],
    });
    const run = await waitForRun(client(), await runTask(client(), await createTask(client(), workflow)));
    expect(run.status).toBe("SUCCEEDED");
    expect(stepsOf(run)).toEqual({ left: "SUCCEEDED", right: "SUCCEEDED", join: "SUCCEEDED" });
    expect(run.results.find((r) => r.stepName === "join")!.output).toBe("met\nmet\n\n");
  });

  it("stops the whole run when cancelled in the middle: the running step's process is killed, later steps skipped", async () => {
    const tag = unique("cancel");
    const pidFile = join(dir, `${tag}.pid`);
    await createService(client(), `${tag}-first`, "COMMAND", { command: "echo first" });
    await createService(client(), `${tag}-long`, "COMMAND", {
      command: nodeCommand(`require("fs").writeFileSync(process.argv[1], String(process.pid)); setInterval(() => {}, 1000);`, pidFile),
    });
    await createService(client(), `${tag}-after`, "COMMAND", { command: "echo after" });
    const workflow = await createService(client(), `${tag}-flow`, "WORKFLOW", {
      steps: [
        { name: "first", service: `${tag}-first` },
        { name: "long", service: `${tag}-long`, after: [{ step: "first" }] },
        { name: "after", service: `${tag}-after`, after: [{ step: "long", on: "ALWAYS" }] },
      ],
    });
    const runId = await runTask(client(), await createTask(client(), workflow));
    await expect.poll(() => existsSync(pidFile) && readFileSync(pidFile, "utf8") !== "", { timeout: 60_000 }).toBe(true);
    const pid = Number(readFileSync(pidFile, "utf8"));
    const { cancelRun } = await client().data(CancelRun, { input: { id: runId } });
    expect(cancelRun.__typename).toBe("CancelRunSuccess");
    // The run reads CANCELLED at once; the executor then stops it and writes its counts.
    const run = await waitForRun(client(), runId, (r) => r.targetCount > 0 && r.steps.every((s) => s.status !== "RUNNING"));
    expect(run.status).toBe("CANCELLED");
    expect(stepsOf(run)).toEqual({ first: "SUCCEEDED", long: "CANCELLED", after: "SKIPPED" });
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await expect.poll(alive, { timeout: 30_000 }).toBe(false);
  });

  it("refuses a workflow with an unknown service, a cycle, an unreachable step or a template naming an unknown step, naming the step, and saves nothing", async () => {
    const tag = unique("invalid");
    await createService(client(), `${tag}-echo`, "COMMAND", { command: "echo {{steps.ghost.stdout}}" });
    await createService(client(), `${tag}-plain`, "COMMAND", { command: "echo plain" });
    const refused = async (config: Record<string, unknown>, name = `${tag}-flow`) => {
      const { createService } = await client().data(CreateService, { input: { name, kind: "WORKFLOW", config } });
      expect(createService.__typename).toBe("ValidationError");
      return "fieldErrors" in createService ? createService.fieldErrors : [];
    };
    expect(await refused({ steps: [{ name: "a", service: `${tag}-plain` }, { name: "b", service: "nowhere" }] })).toEqual([
      { field: "input.config.steps.1.service", message: 'step "b": no service is named "nowhere"' },
    ]);
    expect(
      await refused({
        steps: [
          { name: "a", service: `${tag}-plain`, after: [{ step: "c" }] },
          { name: "b", service: `${tag}-plain`, after: [{ step: "a" }] },
          { name: "c", service: `${tag}-plain`, after: [{ step: "b" }] },
        ],
      }),
    ).toEqual([{ field: "input.config.steps.0.after", message: 'step "a" is in a cycle: a → c → b → a' }]);
    expect(
      await refused({
        steps: [
          { name: "a", service: `${tag}-plain` },
          { name: "b", service: `${tag}-plain`, after: [{ step: "a", on: "FAILURE" }] },
          { name: "c", service: `${tag}-plain`, after: [{ step: "a", on: "SUCCESS" }, { step: "b" }] },
        ],
      }),
    ).toEqual([{ field: "input.config.steps.2.after", message: 'step "c" is unreachable: it needs step "a" to both succeed and fail' }]);
    expect(await refused({ steps: [{ name: "a", service: `${tag}-plain`, payload: { x: "{{steps.b.stdout}}" } }, { name: "b", service: `${tag}-plain` }] })).toEqual([
      { field: "input.config.steps.0.payload.x", message: 'step "a": {{steps.b.stdout}} names step "b", which does not run before step "a" (list it in "after")' },
    ]);
    expect(await refused({ steps: [{ name: "a", service: `${tag}-echo` }] })).toEqual([
      { field: "input.config.steps.0.service", message: `step "a": service "${tag}-echo" config.command: {{steps.ghost.stdout}} names no step of this workflow` },
    ]);
    // A workflow running itself through another.
    const inner = await createService(client(), `${tag}-inner`, "WORKFLOW", { steps: [{ name: "x", service: `${tag}-plain` }] });
    await createService(client(), `${tag}-outer`, "WORKFLOW", { steps: [{ name: "inner", service: `${tag}-inner` }] });
    const { updateService } = await client().data(UpdateService, { input: { id: inner, config: { steps: [{ name: "x", service: `${tag}-outer` }] } } });
    expect(updateService).toMatchObject({
      __typename: "ValidationError",
      fieldErrors: [{ field: "input.config.steps.0.service", message: `step "x" would run this workflow inside itself: ${tag}-inner → ${tag}-outer → ${tag}-inner` }],
    });
    // A service a workflow runs is neither deleted nor renamed from under it.
    const renamed = await client().data(UpdateService, { input: { id: inner, name: `${tag}-renamed` } });
    expect(renamed.updateService.__typename).toBe("InUseError");
    expect(await h.server.app.database.client.service.count({ where: { name: `${tag}-flow` } })).toBe(0);
  });

  it("refuses an edit of a service that would break a workflow running it, naming the workflow and step, and saves nothing", async () => {
    const tag = unique("edited");
    await createService(client(), `${tag}-plain`, "COMMAND", { command: "echo plain" });
    const echo = await createService(client(), `${tag}-echo`, "COMMAND", { command: "echo {{steps.first.stdout}}" });
    const inner = await createService(client(), `${tag}-inner`, "WORKFLOW", { steps: [{ name: "x", service: `${tag}-plain` }] });
    await createService(client(), `${tag}-flow`, "WORKFLOW", {
      steps: [
        { name: "first", service: `${tag}-plain` },
        { name: "second", service: `${tag}-echo`, after: [{ step: "first" }] },
        { name: "nested", service: `${tag}-inner`, after: [{ step: "first" }] },
      ],
    });
    const stored = (id: string) => h.server.app.database.client.service.findUniqueOrThrow({ where: { id: decodeGlobalID(id).id }, select: { kind: true, config: true } });
    const before = { echo: await stored(echo), inner: await stored(inner) };

    // A template naming a step that does not run before the one using the service.
    const { updateService: laterStep } = await client().data(UpdateService, { input: { id: echo, config: { command: "echo {{steps.nested.stdout}}" } } });
    expect(laterStep).toMatchObject({
      __typename: "ValidationError",
      fieldErrors: [
        {
          field: "input.config",
          message: `workflow "${tag}-flow" step "second": config.command: {{steps.nested.stdout}} names step "nested", which does not run before step "second" (list it in "after")`,
        },
      ],
    });
    // A nested workflow made a command whose template names no step of the workflow running it.
    const { updateService: kindChange } = await client().data(UpdateService, { input: { id: inner, kind: "COMMAND", config: { command: "echo {{steps.x.stdout}}" } } });
    expect(kindChange).toMatchObject({
      __typename: "ValidationError",
      fieldErrors: [{ field: "input.config", message: `workflow "${tag}-flow" step "nested": config.command: {{steps.x.stdout}} names no step of this workflow` }],
    });
    expect({ echo: await stored(echo), inner: await stored(inner) }).toEqual(before);

    // What the workflow can still run is saved.
    const { updateService: fine } = await client().data(UpdateService, { input: { id: echo, config: { command: "echo {{steps.first.exitCode}}" } } });
    expect(fine.__typename).toBe("UpdateServiceSuccess");
    const { updateService: nowCommand } = await client().data(UpdateService, { input: { id: inner, kind: "COMMAND", config: { command: "echo {{steps.first.stdout}}" } } });
    expect(nowCommand.__typename).toBe("UpdateServiceSuccess");
  });

  it("runs a nested workflow as one step, its steps named under it", async () => {
    const tag = unique("nested");
    await createService(client(), `${tag}-hello`, "COMMAND", { command: "echo hello" });
    await createService(client(), `${tag}-inner`, "WORKFLOW", {
      steps: [
        { name: "one", service: `${tag}-hello` },
        { name: "two", service: `${tag}-hello`, after: [{ step: "one" }] },
      ],
    });
    const outer = await createService(client(), `${tag}-outer`, "WORKFLOW", {
      steps: [
        { name: "prepare", service: `${tag}-hello` },
        { name: "deploy", service: `${tag}-inner`, after: [{ step: "prepare" }] },
      ],
    });
    const run = await waitForRun(client(), await runTask(client(), await createTask(client(), outer)));
    expect(run.status).toBe("SUCCEEDED");
    expect(run.steps.map((s) => [s.name, s.parentName, s.status])).toEqual([
      ["prepare", null, "SUCCEEDED"],
      ["deploy", null, "SUCCEEDED"],
      ["deploy/one", "deploy", "SUCCEEDED"],
      ["deploy/two", "deploy", "SUCCEEDED"],
    ]);
  });
});

describeEachDatabase("workflows across a crash", (provider) => {
  it("resumes a workflow run after the server is killed in the middle: finished steps kept, no step run twice", async () => {
    const scratch = await createScratchDatabase(provider);
    const token = generateTokenSecret();
    const dir = mkdtempSync(join(tmpdir(), "workflow-crash-"));
        // The commands write to the test's own temporary directory, which only root may.
    const env = {
      DATABASE_URL: scratch.location.url,
      CRONLINE_BOOTSTRAP_ADMIN_TOKEN: token,
      LOG_LEVEL: "info",
      COMMAND_DEFAULT_USER: "root",
      EXECUTOR_LEASE_SECONDS: "2",
      EXECUTOR_POLL_SECONDS: "0.2",
    };
    // Each step appends a line to its own file; "slow" then waits until its server is gone (it leaves with its parent).
    const append = (file: string, wait: boolean) =>
      nodeCommand(
        `require("fs").appendFileSync(process.argv[1], "ran\\n");` +
          (wait ? `const parent = process.ppid; setInterval(() => { if (process.ppid !== parent) process.exit(0); }, 100);` : ""),
        join(dir, file),
      );
    let server = spawnServer(env);
    try {
      const client = graphqlClient(await server.listening, token);
      await createService(client, "quick", "COMMAND", { command: append("quick.log", false) });
      await createService(client, "slow", "COMMAND", { command: append("slow.log", true) });
      await createService(client, "last", "COMMAND", { command: append("last.log", false) });
      const workflow = await createService(client, "crashing", "WORKFLOW", {
        steps: [
          { name: "quick", service: "quick" },
          { name: "slow", service: "slow", after: [{ step: "quick" }] },
          { name: "last", service: "last", after: [{ step: "slow", on: "ALWAYS" }] },
        ],
      });
      const { createDevice } = await client.data(CreateDevice, { input: { name: "box", address: "127.0.0.1" } });
      if (createDevice.__typename !== "CreateDeviceSuccess") throw new Error(createDevice.__typename);
      const runId = await runTask(client, await createTask(client, workflow, { targetDeviceIds: [createDevice.device.id] }));
      await expect.poll(() => existsSync(join(dir, "slow.log")), { timeout: 60_000 }).toBe(true);
      server.child.kill("SIGKILL");
      await server.exited;

      server = spawnServer(env);
      const again = graphqlClient(await server.listening, token);
      const run = await waitForRun(again, runId);
      expect(run).toMatchObject({ status: "FAILED", reason: 'step "slow" failed with no failure branch' });
      expect(run.steps.map((s) => [s.name, s.status, s.reason])).toEqual([
        ["quick", "SUCCEEDED", null],
        ["slow", "FAILED", "interrupted: the server running it stopped; not run again"],
        ["last", "SUCCEEDED", null],
      ]);
      expect(run.results.map((r) => [r.stepName, r.deviceName, r.status])).toEqual([
        ["quick", "box", "SUCCEEDED"],
        ["last", "box", "SUCCEEDED"],
      ]);
      for (const file of ["quick.log", "slow.log", "last.log"]) expect(readFileSync(join(dir, file), "utf8")).toBe("ran\n");
    } finally {
      server.child.kill("SIGKILL");
      await server.exited;
      await scratch.drop();
    }
  }, 180_000);

  it("stops the whole run at shutdown: the running step's process group killed, the run CANCELLED, later steps skipped", async () => {
    const scratch = await createScratchDatabase(provider);
    const token = generateTokenSecret();
    const dir = mkdtempSync(join(tmpdir(), "workflow-shutdown-"));
    const pidFile = join(dir, "long.pid");
    const server = spawnServer({ DATABASE_URL: scratch.location.url, CRONLINE_BOOTSTRAP_ADMIN_TOKEN: token, COMMAND_DEFAULT_USER: "root", SHUTDOWN_GRACE_SECONDS: "1" });
    try {
      const client = graphqlClient(await server.listening, token);
      // The long step ignores SIGTERM: only the SIGKILL to its group after the kill grace ends it.
      await createService(client, "long", "COMMAND", {
        command: nodeCommand(`process.on("SIGTERM", () => {}); require("fs").writeFileSync(process.argv[1], String(process.pid)); setInterval(() => {}, 1000);`, pidFile),
      });
      await createService(client, "never", "COMMAND", { command: "echo never" });
      const workflow = await createService(client, "stopping", "WORKFLOW", {
        steps: [
          { name: "long", service: "long", killGraceSeconds: 1 },
          { name: "never", service: "never", after: [{ step: "long", on: "ALWAYS" }] },
        ],
      });
      const runId = await runTask(client, await createTask(client, workflow));
      await expect.poll(() => existsSync(pidFile) && readFileSync(pidFile, "utf8") !== "", { timeout: 60_000 }).toBe(true);
      const pid = Number(readFileSync(pidFile, "utf8"));
      server.child.kill("SIGTERM");
      expect(await server.exited).toBe(0);
      expect(() => process.kill(pid, 0)).toThrow();

      const again = spawnServer({ DATABASE_URL: scratch.location.url, CRONLINE_BOOTSTRAP_ADMIN_TOKEN: token });
      try {
        const run = await fetchRun(graphqlClient(await again.listening, token), runId);
        expect(run).toMatchObject({ status: "CANCELLED", reason: "cancelled: the server was shutting down" });
        expect(stepsOf(run!)).toEqual({ long: "CANCELLED", never: "SKIPPED" });
      } finally {
        again.child.kill("SIGKILL");
        await again.exited;
      }
    } finally {
      server.child.kill("SIGKILL");
      await server.exited;
      await scratch.drop();
    }
  }, 180_000);
});
