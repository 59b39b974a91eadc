// Instances on one PostgreSQL behave as one system: each hears the others' task changes,
// claims and run events through LISTEN/NOTIFY, so a UI connected to any of them sees every
// run live and every scheduler picks up tasks created through another, with no resync to
// wait for; and what notifications miss, a resync finds and counts.
import { mkdtempSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { decodeGlobalID } from "@pothos/plugin-relay";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/database.js";
import { createScratchDatabase, type ScratchDatabase } from "../../src/db/scratch-database.js";
import { testCluster, type TestCluster } from "../support/cluster.js";
import { DrainInstance, Instances } from "../support/cluster-operations.js";
import { withoutPostgres } from "../support/databases.js";
import { createService } from "../support/fixtures.js";
import { RunEvents, ScheduleView } from "../support/live-operations.js";
import { subscribe, subscriptionClient } from "../support/subscriptions.js";
import { CreateTask, PauseTask, RunTask } from "../support/task-operations.js";
import { WorkflowRunEvents, WorkflowScheduleView } from "../support/workflow-operations.js";

/** Nothing but notifications can bring news within a test: resyncs and polls are an hour apart. */
const notificationsOnly = { SCHEDULER_RESYNC_SECONDS: "3600", LIVE_RESYNC_SECONDS: "3600", EXECUTOR_POLL_SECONDS: "3600" };

describe.skipIf(withoutPostgres)("instances on one PostgreSQL", () => {
  let scratch: ScratchDatabase | undefined;
  let cluster: TestCluster | undefined;
  afterEach(async () => {
    const codes = await cluster?.stop();
    await scratch?.drop();
    expect(codes?.every((code) => code === 0)).not.toBe(false);
  });

  it("hear each other at once: a UI on one sees every run another executes, and a scheduler fires tasks created through another", { timeout: 120_000 }, async () => {
    scratch = await createScratchDatabase("postgresql");
    cluster = testCluster(scratch.location.url, notificationsOnly);
    const a = await cluster.start();
    const b = await cluster.start();
    // A claims and executes nothing: whatever runs, runs on B.
    const { drainInstance } = await b.client.data(DrainInstance, { input: { id: a.instanceId } });
    expect(drainInstance).toEqual({ __typename: "DrainInstanceSuccess", instance: { id: a.instanceId, draining: true } });

    const socket = subscriptionClient(a.url, cluster.adminToken);
    const runEvents = subscribe(socket, RunEvents, {});
    const view = subscribe(socket, ScheduleView, { filter: { tags: ["cluster"] }, tickSeconds: 3600 });
    try {
      await view.waitFor((event) => event.scheduleView.kind === "SNAPSHOT", { from: 0 });
      const service = await createService(a.client, { name: "echo", config: { command: "echo from {{task.name}}" } });
      // Created through A, which does not schedule: only B's scheduler, hearing of it, fires it.
      const startAt = new Date(Math.ceil(Date.now() / 1000) * 1000 + 1_000);
      const { createTask } = await a.client.data(CreateTask, {
        input: {
          name: "through-a",
          serviceId: service.id,
          tags: ["cluster"],
          overlapPolicy: "ALLOW",
          schedule: { standard: { startAt: startAt.toISOString(), frequencySeconds: 1, endAt: new Date(startAt.getTime() + 2_000).toISOString() } },
        },
        schedule: true,
      });
      if (createTask.__typename !== "CreateTaskSuccess") throw new Error(createTask.__typename);

      // A's view hears B's claims and runs, up to the task's completion by B's scheduler.
      await view.waitFor((event) => event.scheduleView.change === "COMPLETED", { from: 0, timeoutMs: 60_000 });
      await expect.poll(() => runEvents.events.filter((event) => event.runEvents.type === "RUN_FINISHED").length, { timeout: 60_000 }).toBe(3);

      const database = await openDatabase(scratch.location);
      try {
        const runs = await database.client.run.findMany({ orderBy: { scheduledFor: "asc" } });
        expect(runs.map((run) => [run.status, run.ownerId])).toEqual(Array(3).fill(["SUCCEEDED", `${hostname()}:${b.server.child.pid}`]));
        // Every run, every step, as A's UI saw it.
        for (const run of runs) {
          const steps = runEvents.events.filter((event) => decodeGlobalID(event.runEvents.run.id).id === run.id);
          expect(steps.map((event) => event.runEvents.type), run.id).toEqual(["RUN_QUEUED", "RUN_STARTED", "TARGET_FINISHED", "RUN_FINISHED"]);
          expect(steps[2]!.runEvents.result).toMatchObject({ status: "SUCCEEDED", exitCode: 0, output: "from through-a\n" });
          expect(steps[3]!.runEvents.run).toMatchObject({ status: "SUCCEEDED", succeededCount: 1 });
        }
      } finally {
        await database.close();
      }
      const runsSeen = view.events.filter((event) => event.scheduleView.kind === "RUNS").flatMap((event) => event.scheduleView.runs.map((run) => run.status));
      expect(runsSeen).toEqual(expect.arrayContaining(["QUEUED", "RUNNING", "SUCCEEDED"]));

      // A task created through B appears in A's view at once (its resync is an hour away).
      let from = view.events.length;
      const { createTask: second } = await b.client.data(CreateTask, { input: { name: "through-b", serviceId: service.id, tags: ["cluster"], schedule: { once: { at: "2099-01-01T00:00:00Z" } } } });
      if (second.__typename !== "CreateTaskSuccess") throw new Error(second.__typename);
      await view.waitFor((event) => event.scheduleView.change === "CREATED" && event.scheduleView.tasks.some((task) => task.name === "through-b"), { from });
      from = view.events.length;
      const { pauseTask } = await b.client.data(PauseTask, { input: { id: second.task.id, note: "seen from A" } });
      expect(pauseTask.__typename).toBe("PauseTaskSuccess");
      await view.waitFor((event) => event.scheduleView.change === "PAUSED", { from });

      const { instances } = await a.client.data(Instances);
      expect(instances.map((instance) => [instance.id, instance.pid, instance.draining, instance.roles])).toEqual([
        [a.instanceId, a.server.child.pid, true, ["API", "SCHEDULER", "WORKER"]],
        [b.instanceId, b.server.child.pid, false, ["API", "SCHEDULER", "WORKER"]],
      ]);
    } finally {
      runEvents.unsubscribe();
      view.unsubscribe();
      await socket.dispose();
    }
  });

  it("show a UI on one the steps of a workflow run another executes, in order, with the step tree", { timeout: 120_000 }, async () => {
    scratch = await createScratchDatabase("postgresql");
    cluster = testCluster(scratch.location.url, notificationsOnly);
    const a = await cluster.start();
    const b = await cluster.start();
    // A executes nothing: the workflow runs on B.
    await b.client.data(DrainInstance, { input: { id: a.instanceId } });
    await createService(a.client, { name: "fetch", config: { command: "echo fetched" } });
    await createService(a.client, { name: "store", config: { command: "echo stored {{steps.fetch.stdout}}" } });
    const workflow = await createService(a.client, {
      name: "fetch-then-store",
      kind: "WORKFLOW",
      config: { steps: [{ name: "fetch", service: "fetch" }, { name: "store", service: "store", after: [{ step: "fetch" }] }] },
    });
    const { createTask } = await a.client.data(CreateTask, { input: { name: "workflow-elsewhere", serviceId: workflow.id, schedule: { once: { at: "2099-01-01T00:00:00Z" } } } });
    if (createTask.__typename !== "CreateTaskSuccess") throw new Error(createTask.__typename);

    const socket = subscriptionClient(a.url, cluster.adminToken);
    const runEvents = subscribe(socket, WorkflowRunEvents, { taskId: createTask.task.id });
    const view = subscribe(socket, WorkflowScheduleView, { taskIds: [createTask.task.id] });
    try {
      await view.waitFor((event) => event.scheduleView.kind === "SNAPSHOT", { from: 0 });
      const { runTask } = await a.client.data(RunTask, { input: { id: createTask.task.id, confirm: true } });
      if (runTask.__typename !== "RunTaskSuccess") throw new Error(runTask.__typename);
      await runEvents.waitFor((event) => event.runEvents.type === "RUN_FINISHED", { from: 0 });

      const events = runEvents.events.map((event) => event.runEvents);
      expect(events.map((event) => [event.type, event.step?.name ?? event.result?.stepName ?? null, event.step?.status ?? event.result?.status ?? event.run.status])).toEqual([
        ["RUN_QUEUED", null, "QUEUED"],
        ["RUN_STARTED", null, "RUNNING"],
        ["STEP_STARTED", "fetch", "RUNNING"],
        ["TARGET_FINISHED", "fetch", "SUCCEEDED"],
        ["STEP_FINISHED", "fetch", "SUCCEEDED"],
        ["STEP_STARTED", "store", "RUNNING"],
        ["TARGET_FINISHED", "store", "SUCCEEDED"],
        ["STEP_FINISHED", "store", "SUCCEEDED"],
        ["RUN_FINISHED", null, "SUCCEEDED"],
      ]);
      // The events carry the run's step tree, as those of the executing instance do.
      expect(events.at(-1)!.run.steps).toEqual([
        { name: "fetch", status: "SUCCEEDED" },
        { name: "store", status: "SUCCEEDED" },
      ]);
      for (const event of events.filter((event) => event.type === "STEP_FINISHED")) expect(event.run.steps).toContainEqual({ name: event.step!.name, status: "SUCCEEDED" });
      // The schedule table on A shows the run with its steps while it goes on.
      const seen = view.events.flatMap((event) => event.scheduleView.runs.flatMap((run) => run.steps.map((step) => `${step.name}:${step.status}`)));
      expect(seen).toEqual(expect.arrayContaining(["fetch:SUCCEEDED", "store:RUNNING", "store:SUCCEEDED"]));
    } finally {
      runEvents.unsubscribe();
      view.unsubscribe();
      await socket.dispose();
    }
  });

  it("start a run that waited for a run of its task on another instance as soon as that one ends, not at the next poll", { timeout: 120_000 }, async () => {
    scratch = await createScratchDatabase("postgresql");
    // Commands run as root here, as in-process test servers run them: the gate is in the test run's private directory.
    // A lease of 10 minutes: no executor wakes for a lease's end within the test either.
    cluster = testCluster(scratch.location.url, { ...notificationsOnly, EXECUTOR_LEASE_SECONDS: "600", COMMAND_DEFAULT_USER: "root" });
    const a = await cluster.start();
    // The first run goes on until the test opens the gate.
    const gate = path.join(mkdtempSync(path.join(tmpdir(), "gate-")), "open");
    const service = await createService(a.client, { name: "gated", config: { command: `sh -c 'until [ -e ${gate} ]; do sleep 0.05; done'` } });
    const { createTask } = await a.client.data(CreateTask, { input: { name: "one-at-a-time", serviceId: service.id, overlapPolicy: "BUFFER_ALL", schedule: { once: { at: "2099-01-01T00:00:00Z" } } } });
    if (createTask.__typename !== "CreateTaskSuccess") throw new Error(createTask.__typename);
    const runOnce = async (through: typeof a) => {
      const { runTask } = await through.client.data(RunTask, { input: { id: createTask.task.id, confirm: true } });
      if (runTask.__typename !== "RunTaskSuccess") throw new Error(runTask.__typename);
      return decodeGlobalID(runTask.run.id).id;
    };
    const database = await openDatabase(scratch.location);
    const statusOf = async (id: string) => (await database.client.run.findUnique({ where: { id } }))?.status;
    try {
      const first = await runOnce(a);
      await expect.poll(() => statusOf(first), { timeout: 60_000 }).toBe("RUNNING");
      // B takes the second run, and must keep it waiting while A's run of the task goes on.
      const b = await cluster.start();
      await b.client.data(DrainInstance, { input: { id: a.instanceId } });
      const second = await runOnce(b);
      expect(await statusOf(second)).toBe("QUEUED");
      writeFileSync(gate, "");
      // B polls once an hour: only hearing that A's run ended can start the second run within the minute.
      await expect.poll(() => statusOf(second), { timeout: 60_000 }).toBe("SUCCEEDED");
      const ranFirst = await database.client.run.findUniqueOrThrow({ where: { id: first } });
      const ranSecond = await database.client.run.findUniqueOrThrow({ where: { id: second } });
      expect(ranFirst).toMatchObject({ status: "SUCCEEDED", ownerId: `${hostname()}:${a.server.child.pid}` });
      expect(ranSecond.ownerId).toBe(`${hostname()}:${b.server.child.pid}`);
    } finally {
      writeFileSync(gate, "");
      await database.close();
    }
  });

  it("find what lost notifications missed once the listening connection is back, and count it", { timeout: 120_000 }, async () => {
    scratch = await createScratchDatabase("postgresql");
    // A heartbeat every second, so the count shows soon.
    cluster = testCluster(scratch.location.url, { ...notificationsOnly, EXECUTOR_LEASE_SECONDS: "3" });
    const a = await cluster.start();
    const service = await createService(a.client, { name: "noop" });
    const { createTask } = await a.client.data(CreateTask, {
      input: { name: "resumed-elsewhere", serviceId: service.id, overlapPolicy: "ALLOW", schedule: { standard: { startAt: new Date().toISOString(), frequencySeconds: 1 } } },
    });
    if (createTask.__typename !== "CreateTaskSuccess") throw new Error(createTask.__typename);
    const taskId = decodeGlobalID(createTask.task.id).id;
    const database = await openDatabase(scratch.location);
    try {
      // Resumed by a writer that told nobody, as a process that died between its commit and its notification.
      await database.client.$executeRawUnsafe(
        `UPDATE "Task" SET "state" = 'ACTIVE', "nextRunAt" = (now() AT TIME ZONE 'UTC') + interval '1 second', "version" = "version" + 1 WHERE "id" = $1`,
        taskId,
      );
      const runs = () => database.client.run.count({ where: { taskId } });
      // The listening connection drops: once back, the instance looks at the database.
      const [listener] = await database.client.$queryRawUnsafe<{ terminated: boolean }[]>(
        `SELECT bool_or(pg_terminate_backend(pid)) AS terminated FROM pg_stat_activity WHERE application_name = $1`,
        `cronline ${a.instanceId}`,
      );
      expect(listener?.terminated).toBe(true);
      await expect.poll(runs, { timeout: 30_000 }).toBeGreaterThan(0);
      expect(a.server.logs.some((entry) => entry.msg === "listening to other instances again; looking at the database for what was missed")).toBe(true);
      const missed = async () => (await a.client.data(Instances)).instances[0]!.missedChanges;
      await expect.poll(missed, { timeout: 30_000 }).toBe(1);
    } finally {
      await database.close();
    }
  });
});
