// The live schedule as an external UI sees it: the graphql-ws client over a real socket
// against the real server, with the scheduler and executor running.
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { decodeGlobalID } from "@pothos/plugin-relay";
import { parse } from "graphql";
import pg from "pg";
import { v7 as uuidv7 } from "uuid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type AppOptions, type RunningApp } from "../../src/app.js";
import { defaultWebSocketTimings } from "../../src/http/graphql-ws.js";
import { generateTokenSecret } from "../../src/auth/tokens.js";
import { createScratchDatabase } from "../../src/db/scratch-database.js";
import { LiveSchedule, type ScheduleViewEvent } from "../../src/live/live-schedule.js";
import { createLogger } from "../../src/logger.js";
import { describeEachDatabase } from "../support/databases.js";
import { graphqlClient } from "../support/graphql-client.js";
import { CancelRun } from "../support/execution-operations.js";
import { UpdateService } from "../support/operations.js";
import { createService } from "../support/fixtures.js";
import { RunEvents, ScheduleView, ScheduleViewSchedules, TaskEvents } from "../support/live-operations.js";
import { rawSocket, subscribe, subscriptionClient, type Subscription } from "../support/subscriptions.js";
import { spawnInGroup } from "../support/child-processes.js";
import { spawnServer } from "../support/server-process.js";
import { createTestToken } from "../support/tokens.js";
import { CreateTask, DeleteTask, PauseTask, ResumeTask, RunTask, UpdateTask } from "../support/task-operations.js";
import { testConfig, useTestServer, type TestServer } from "../support/test-server.js";

const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A task of the service firing hourly from ten minutes on, scheduled unless `schedule` is false. */
async function createHourlyTask(server: TestServer, serviceId: string, name: string, extra: Record<string, unknown>, schedule: boolean) {
  const { createTask: result } = await server.client.data(CreateTask, {
    input: { name, serviceId, schedule: { standard: { startAt: inMinutes(10), frequencySeconds: 3600 } }, ...extra } as never,
    schedule,
  });
  if (result.__typename !== "CreateTaskSuccess") throw new Error(result.__typename);
  return result.task;
}

describeEachDatabase("the live schedule", (provider) => {
  const server = useTestServer(provider);
  let client: ReturnType<typeof subscriptionClient>;
  let serviceId: string;
  let viewerToken: string;

  beforeAll(async () => {
    client = subscriptionClient(server.app.url, server.adminToken);
    viewerToken = await createTestToken(server.app, "VIEWER", "live-viewer");
    serviceId = (await createService(server.client, { name: "live-echo", kind: "COMMAND", config: { command: "echo live" } })).id;
  });
  afterAll(async () => {
    await client.dispose();
  });

  const createTask = (name: string, extra: Record<string, unknown> = {}, schedule = true) => createHourlyTask(server, serviceId, name, extra, schedule);

  it("sends a snapshot of the matching tasks first, then ticks counting down", async () => {
    const due = await createTask("view-due", { tags: ["view"] });
    await createTask("view-paused", { tags: ["view"] }, false);
    await createTask("view-other", { tags: ["elsewhere"] });
    const view = subscribe(client, ScheduleView, { filter: { tags: ["view"] }, tickSeconds: 1 });
    try {
      const snapshot = await view.waitFor(() => true, { from: 0 });
      expect(snapshot.scheduleView.kind).toBe("SNAPSHOT");
      expect(snapshot.scheduleView.tasks.map((t) => [t.name, t.state]).sort()).toEqual([
        ["view-due", "ACTIVE"],
        ["view-paused", "PAUSED"],
      ]);
      const first = snapshot.scheduleView.tasks.find((t) => t.id === due.id)!;
      expect(first).toMatchObject({ serviceName: "live-echo", tags: ["view"], nextRunAt: due.nextRunAt });
      expect(first.secondsUntilNextRun).toBeGreaterThan(590);

      const tickA = await view.waitFor((e) => e.scheduleView.kind === "TICK", { from: 1 });
      const tickB = await view.waitFor((e) => e.scheduleView.kind === "TICK", { from: view.events.indexOf(tickA) + 1 });
      expect(Date.parse(tickB.scheduleView.at) - Date.parse(tickA.scheduleView.at)).toBeGreaterThanOrEqual(900);
      // Each tick's countdown is the whole seconds, rounded up, from its `at` to nextRunAt.
      for (const tick of [snapshot, tickA, tickB]) {
        const row = tick.scheduleView.tasks.find((t) => t.id === due.id)!;
        expect(row.secondsUntilNextRun).toBe(Math.ceil((Date.parse(due.nextRunAt!) - Date.parse(tick.scheduleView.at)) / 1000));
      }
      expect(tickB.scheduleView.tasks).toHaveLength(2);
    } finally {
      view.unsubscribe();
    }
  });

  it("in CHANGES mode, ticks carry their time and only what changed; countdowns computed from nextRunAt and at are FULL mode's", async () => {
    const still = await createTask("changes-still", { tags: ["changes"] });
    const edited = await createTask("changes-edited", { tags: ["changes"] }, false);
    const filter = { tags: ["changes"] };
    const changes = subscribe(client, ScheduleView, { filter, tickSeconds: 1, mode: "CHANGES" });
    const full = subscribe(client, ScheduleView, { filter, tickSeconds: 1 });
    // Fires every second and runs 5 s with overlap SKIP: its next run moves on at every fire,
    // mostly with no run starting or finishing, so only a tick tells a CHANGES client of it.
    const { id: slowServiceId } = await createService(server.client, { name: "changes-slow", kind: "COMMAND", config: { command: "sleep 5" } });
    let firing: Awaited<ReturnType<typeof createTask>> | undefined;
    try {
      const snapshot = (await changes.waitFor(() => true, { from: 0 })).scheduleView;
      expect(snapshot.kind).toBe("SNAPSHOT");
      expect(snapshot.tasks.map((t) => t.name).sort()).toEqual(["changes-edited", "changes-still"]);
      const quiet = (await changes.waitFor((e) => e.scheduleView.kind === "TICK", { from: 1 })).scheduleView;
      expect(quiet).toMatchObject({ tasks: [], runs: [], removedTaskIds: [], change: null });
      expect(Date.parse(quiet.at)).toBeGreaterThan(Date.parse(snapshot.at));

      let from = changes.events.length;
      await server.client.data(UpdateTask, { input: { id: edited.id, name: "changes-renamed" } });
      const onEdit = (await changes.waitFor((e) => e.scheduleView.kind === "TASK_CHANGED", { from })).scheduleView;
      expect(onEdit).toMatchObject({ change: "UPDATED", tasks: [{ id: edited.id, name: "changes-renamed", state: "PAUSED" }] });

      from = changes.events.length;
      await server.client.data(RunTask, { input: { id: still.id } });
      const onRun = (await changes.waitFor((e) => e.scheduleView.runs.some((r) => r.status === "SUCCEEDED"), { from })).scheduleView;
      expect(onRun).toMatchObject({ kind: "RUNS", tasks: [{ id: still.id, lastRunStatus: "SUCCEEDED" }] });

      firing = await createHourlyTask(server, slowServiceId, "changes-firing", { tags: ["changes"], schedule: { standard: { frequencySeconds: 1 } }, overlapPolicy: "SKIP" }, true);
      const moved = (await changes.waitFor((e) => e.scheduleView.kind === "TICK" && e.scheduleView.tasks.length > 0, { from: 0 })).scheduleView;
      expect(moved.tasks.map((t) => t.id)).toEqual([firing.id]);
      expect(Date.parse(moved.tasks[0]!.nextRunAt!)).toBeGreaterThan(Date.parse(firing.nextRunAt!));
      // Nothing else ever came in a tick: the other tasks only counted down.
      const ticked = changes.events.filter((e) => e.scheduleView.kind === "TICK").flatMap((e) => e.scheduleView.tasks.map((t) => t.id));
      expect(new Set(ticked)).toEqual(new Set([firing.id]));

      // A client keeping its own table from the CHANGES events, with countdowns from nextRunAt and at.
      const countdown = (nextRunAt: string | null | undefined, at: string) => (nextRunAt ? Math.max(0, Math.ceil((Date.parse(nextRunAt) - Date.parse(at)) / 1000)) : null);
      type Row = (typeof snapshot.tasks)[number];
      const tablesAt = new Map<string, Row[]>();
      const table = new Map<string, Row>();
      const fullTicksAfterFiring = () => full.events.filter((e) => e.scheduleView.kind === "TICK" && Date.parse(e.scheduleView.at) > Date.parse(moved.at));
      await full.waitFor(() => fullTicksAfterFiring().length >= 3, { from: 0 });
      await changes.waitFor((e) => e.scheduleView.at === fullTicksAfterFiring()[2]!.scheduleView.at, { from: 0 });
      for (const { scheduleView: event } of changes.events) {
        if (event.kind === "SNAPSHOT") table.clear();
        for (const row of event.tasks) table.set(row.id, row);
        for (const id of event.removedTaskIds) table.delete(id);
        if (event.kind === "TICK") tablesAt.set(event.at, [...table.values()].map((row) => ({ ...row, secondsUntilNextRun: countdown(row.nextRunAt, event.at) })));
      }
      const byId = (rows: Row[]) => [...rows].sort((a, b) => a.id.localeCompare(b.id));
      const compared = fullTicksAfterFiring().slice(0, 3);
      for (const { scheduleView: tick } of compared) expect(byId(tablesAt.get(tick.at)!)).toEqual(byId(tick.tasks));
      expect(compared.flatMap((e) => e.scheduleView.tasks.filter((t) => t.id === still.id).map((t) => t.secondsUntilNextRun))).toEqual(
        compared.map((e) => countdown(still.nextRunAt, e.scheduleView.at)),
      );
    } finally {
      changes.unsubscribe();
      full.unsubscribe();
      if (firing) await server.client.data(PauseTask, { input: { id: firing.id } });
    }
  });

  it("sends task changes at once, not at the next tick, and what leaves the view", async () => {
    const view = subscribe(client, ScheduleView, { filter: { tags: ["instant"] }, tickSeconds: 3600 });
    // Each change is awaited among the events that came after the mutation was sent.
    const afterwards = async (mutation: () => Promise<unknown>, test: (event: (typeof view.events)[number]) => boolean) => {
      const from = view.events.length;
      await mutation();
      // Far sooner than the hourly tick, however busy the machine.
      return (await view.waitFor(test, { from })).scheduleView;
    };
    try {
      await view.waitFor((e) => e.scheduleView.kind === "SNAPSHOT", { from: 0 });
      let created: Awaited<ReturnType<typeof createTask>> | undefined;
      const onCreate = await afterwards(async () => (created = await createTask("instant-1", { tags: ["instant"] })), (e) => e.scheduleView.kind === "TASK_CHANGED");
      expect(onCreate).toMatchObject({ change: "CREATED", tasks: [{ id: created!.id, name: "instant-1", state: "ACTIVE" }] });

      const onPause = await afterwards(() => server.client.data(PauseTask, { input: { id: created!.id, note: "window" } }), (e) => e.scheduleView.change === "PAUSED");
      expect(onPause.tasks).toMatchObject([{ id: created!.id, state: "PAUSED", nextRunAt: null, secondsUntilNextRun: null }]);

      const onLeave = await afterwards(() => server.client.data(UpdateTask, { input: { id: created!.id, tags: ["moved"] } }), (e) => e.scheduleView.kind === "TASK_REMOVED");
      expect(onLeave).toMatchObject({ change: "UPDATED", removedTaskIds: [created!.id] });

      const other = await createTask("instant-2", { tags: ["instant"] });
      await view.waitFor((e) => e.scheduleView.tasks.some((t) => t.id === other.id), { from: 0 });
      const onDelete = await afterwards(() => server.client.data(DeleteTask, { input: { id: other.id } }), (e) => e.scheduleView.change === "DELETED");
      expect(onDelete).toMatchObject({ kind: "TASK_REMOVED", removedTaskIds: [other.id] });
      expect(view.events.some((e) => e.scheduleView.kind === "TICK")).toBe(false);
    } finally {
      view.unsubscribe();
    }
  });

  it("says in each row when the task runs: its schedule and time zone, also after an edit", async () => {
    const task = await createTask("rows-cron", { tags: ["rows"], timezone: "Europe/Berlin", schedule: { cron: { expression: "0 2 * * *" } } });
    const view = subscribe(client, ScheduleViewSchedules, { filter: { tags: ["rows"] } });
    try {
      const snapshot = await view.waitFor((e) => e.scheduleView.kind === "SNAPSHOT", { from: 0 });
      expect(snapshot.scheduleView.tasks).toEqual([
        { id: task.id, name: "rows-cron", timezone: "Europe/Berlin", schedule: { kind: "CRON", cron: { expression: "0 2 * * *" }, standard: null } },
      ]);
      const from = view.events.length;
      await server.client.data(UpdateTask, { input: { id: task.id, timezone: "UTC", schedule: { standard: { frequencySeconds: 60 } } } });
      const edited = await view.waitFor((e) => e.scheduleView.kind === "TASK_CHANGED", { from });
      expect(edited.scheduleView.tasks).toEqual([
        { id: task.id, name: "rows-cron", timezone: "UTC", schedule: { kind: "STANDARD", cron: null, standard: { frequencySeconds: 60 } } },
      ]);
    } finally {
      view.unsubscribe();
    }
  });

  it("reports a run as it is queued, starts and finishes, with each target's result", async () => {
    const task = await createTask("run-live", { tags: ["runs"] }, false);
    const view = subscribe(client, ScheduleView, { filter: { taskIds: [task.id] }, tickSeconds: 3600 });
    const runs = subscribe(client, RunEvents, { taskId: task.id });
    try {
      await view.waitFor((e) => e.scheduleView.kind === "SNAPSHOT", { from: 0 });
      await sleep(500); // time for the server to open the runEvents subscription, which sends nothing first
      const { runTask } = await server.client.data(RunTask, { input: { id: task.id } });
      if (runTask.__typename !== "RunTaskSuccess") throw new Error(runTask.__typename);
      const finished = await runs.waitFor((e) => e.runEvents.type === "RUN_FINISHED", { from: 0 });
      expect(finished.runEvents.run).toMatchObject({ id: runTask.run.id, status: "SUCCEEDED", targetCount: 1, succeededCount: 1, failedCount: 0 });
      expect(runs.events.map((e) => e.runEvents.type)).toEqual(["RUN_QUEUED", "RUN_STARTED", "TARGET_FINISHED", "RUN_FINISHED"]);
      expect(runs.events[2]!.runEvents.result).toMatchObject({ attempt: 1, status: "SUCCEEDED", exitCode: 0, output: "live\n" });

      const statuses = await view.waitFor((e) => e.scheduleView.runs.some((r) => r.status === "SUCCEEDED"), { from: 0 });
      expect(statuses.scheduleView.tasks).toMatchObject([{ id: task.id, lastRunStatus: "SUCCEEDED" }]);
      expect(view.events.flatMap((e) => e.scheduleView.runs.map((r) => r.status))).toEqual(["QUEUED", "RUNNING", "SUCCEEDED"]);
    } finally {
      view.unsubscribe();
      runs.unsubscribe();
    }
  });

  it("reports the runs of a task created a moment before, after its creation", async () => {
    const view = subscribe(client, ScheduleView, { filter: { tags: ["fresh-runs"] }, tickSeconds: 3600 });
    try {
      await view.waitFor((e) => e.scheduleView.kind === "SNAPSHOT", { from: 0 });
      // No waiting between the two: the run is queued while the creation may still be being read.
      const task = await createTask("fresh-run", { tags: ["fresh-runs"] }, false);
      const { runTask } = await server.client.data(RunTask, { input: { id: task.id } });
      if (runTask.__typename !== "RunTaskSuccess") throw new Error(runTask.__typename);
      await view.waitFor((e) => e.scheduleView.runs.some((r) => r.status === "SUCCEEDED"), { from: 0 });
      expect(view.events.slice(1, 3).map((e) => [e.scheduleView.kind, e.scheduleView.change, e.scheduleView.runs.map((r) => r.status)])).toEqual([
        ["TASK_CHANGED", "CREATED", []],
        ["RUNS", null, ["QUEUED"]],
      ]);
    } finally {
      view.unsubscribe();
    }
  });

  it("streams task events of matching tasks only", async () => {
    const events = subscribe(client, TaskEvents, { filter: { tags: ["audited"] } });
    try {
      await sleep(500); // time for the server to open the subscription, which sends nothing first
      const task = await createTask("audited-1", { tags: ["audited"] });
      await createTask("unaudited", { tags: ["quiet"] });
      await server.client.data(PauseTask, { input: { id: task.id } });
      await server.client.data(DeleteTask, { input: { id: task.id } });
      await events.waitFor((e) => e.taskEvents.change === "DELETED", { from: 0 });
      expect(events.events.map((e) => [e.taskEvents.change, e.taskEvents.task?.name ?? null])).toEqual([
        ["CREATED", "audited-1"],
        ["PAUSED", "audited-1"],
        ["DELETED", null],
      ]);
      expect(events.events[2]!.taskEvents.taskId).toBe(task.id);
    } finally {
      events.unsubscribe();
    }
  });

  it("reports resumes, completions and edits that keep a task in view, in scheduleView and taskEvents", async () => {
    const view = subscribe(client, ScheduleView, { filter: { tags: ["lifecycle"] }, tickSeconds: 3600 });
    const events = subscribe(client, TaskEvents, { filter: { tags: ["lifecycle"] } });
    try {
      await view.waitFor((e) => e.scheduleView.kind === "SNAPSHOT", { from: 0 });
      await sleep(500); // time for the server to open the taskEvents subscription, which sends nothing first
      const paused = await createTask("lifecycle-paused", { tags: ["lifecycle"] }, false);
      await server.client.data(UpdateTask, { input: { id: paused.id, name: "lifecycle-renamed", tags: ["lifecycle", "extra"] } });
      await server.client.data(ResumeTask, { input: { id: paused.id } });
      // A one-off due in a second: the scheduler fires it and completes the task.
      const { createTask: once } = await server.client.data(CreateTask, {
        input: { name: "lifecycle-once", serviceId, tags: ["lifecycle"], schedule: { once: { at: new Date(Date.now() + 1_000).toISOString() } } } as never,
        schedule: true,
      });
      if (once.__typename !== "CreateTaskSuccess") throw new Error(once.__typename);
      await events.waitFor((e) => e.taskEvents.change === "COMPLETED", { from: 0 });
      await view.waitFor((e) => e.scheduleView.change === "COMPLETED", { from: 0 });

      const changesOf = (id: string) => events.events.filter((e) => e.taskEvents.taskId === id).map((e) => [e.taskEvents.change, e.taskEvents.task?.state, e.taskEvents.task?.name]);
      expect(changesOf(paused.id)).toEqual([
        ["CREATED", "PAUSED", "lifecycle-paused"],
        ["UPDATED", "PAUSED", "lifecycle-renamed"],
        ["RESUMED", "ACTIVE", "lifecycle-renamed"],
      ]);
      expect(changesOf(once.task.id)).toEqual([
        ["CREATED", "ACTIVE", "lifecycle-once"],
        ["COMPLETED", "COMPLETED", "lifecycle-once"],
      ]);
      const viewChanges = view.events
        .filter((e) => e.scheduleView.kind === "TASK_CHANGED" && e.scheduleView.tasks[0]!.id === paused.id)
        .map((e) => [e.scheduleView.change, e.scheduleView.tasks[0]!.state, e.scheduleView.tasks[0]!.name, e.scheduleView.tasks[0]!.tags]);
      expect(viewChanges).toEqual([
        ["CREATED", "PAUSED", "lifecycle-paused", ["lifecycle"]],
        ["UPDATED", "PAUSED", "lifecycle-renamed", ["extra", "lifecycle"]],
        ["RESUMED", "ACTIVE", "lifecycle-renamed", ["extra", "lifecycle"]],
      ]);
      const completed = view.events.find((e) => e.scheduleView.change === "COMPLETED")!.scheduleView;
      expect(completed).toMatchObject({ kind: "TASK_CHANGED", tasks: [{ id: once.task.id, state: "COMPLETED", nextRunAt: null }] });
    } finally {
      view.unsubscribe();
      events.unsubscribe();
    }
  });

  it("reports to taskEvents the edit that takes a task out of its filter", async () => {
    const events = subscribe(client, TaskEvents, { filter: { tags: ["leaving"] } });
    try {
      await sleep(500); // time for the server to open the subscription, which sends nothing first
      const task = await createTask("leaving-1", { tags: ["leaving"] });
      await server.client.data(UpdateTask, { input: { id: task.id, tags: ["arrived"] } });
      await server.client.data(PauseTask, { input: { id: task.id } });
      await events.waitFor((e) => e.taskEvents.change === "UPDATED", { from: 0 });
      // The pause that follows is about a task no longer in the filter.
      await sleep(500);
      expect(events.events.map((e) => [e.taskEvents.change, e.taskEvents.task?.tags])).toEqual([
        ["CREATED", ["leaving"]],
        ["UPDATED", ["arrived"]],
      ]);
    } finally {
      events.unsubscribe();
    }
  });

  it("serves equal filters, whatever the order of their lists, from one view with one tick", async () => {
    const first = subscribe(client, ScheduleView, { filter: { tags: ["order-a", "order-b"] }, tickSeconds: 2 });
    let second: typeof first | undefined;
    try {
      await first.waitFor((e) => e.scheduleView.kind === "TICK", { from: 0 });
      // Half-way between two beats one second later: a view of its own would tick on the other beats.
      await sleep(1_500);
      second = subscribe(client, ScheduleView, { filter: { tags: ["order-b", "order-a"] }, tickSeconds: 2 });
      const tick = await second.waitFor((e) => e.scheduleView.kind === "TICK", { from: 0 });
      await first.waitFor((e) => e.scheduleView.at === tick.scheduleView.at, { from: 0 });
    } finally {
      first.unsubscribe();
      second?.unsubscribe();
    }
  });

  it("narrows scheduleView by states and serviceIds", async () => {
    const otherService = (await createService(server.client, { name: "live-other" })).id;
    const active = await createTask("narrow-active", { tags: ["narrow"] });
    await createTask("narrow-paused", { tags: ["narrow"] }, false);
    const elsewhere = await createTask("narrow-elsewhere", { tags: ["narrow"], serviceId: otherService });
    const byState = subscribe(client, ScheduleView, { filter: { tags: ["narrow"], states: ["ACTIVE"] }, tickSeconds: 3600 });
    const byService = subscribe(client, ScheduleView, { filter: { tags: ["narrow"], serviceIds: [otherService] }, tickSeconds: 3600 });
    try {
      const names = async (view: typeof byState) => (await view.waitFor(() => true, { from: 0 })).scheduleView.tasks.map((t) => t.name).sort();
      expect(await names(byState)).toEqual(["narrow-active", "narrow-elsewhere"]);
      expect(await names(byService)).toEqual(["narrow-elsewhere"]);
      // Pausing takes a task out of the ACTIVE view and leaves the service view untouched.
      await server.client.data(PauseTask, { input: { id: active.id } });
      expect((await byState.waitFor((e) => e.scheduleView.kind === "TASK_REMOVED", { from: 1 })).scheduleView.removedTaskIds).toEqual([active.id]);
      await server.client.data(PauseTask, { input: { id: elsewhere.id } });
      expect((await byService.waitFor((e) => e.scheduleView.kind === "TASK_CHANGED", { from: 1 })).scheduleView.tasks).toMatchObject([{ id: elsewhere.id, state: "PAUSED" }]);
      expect(byService.events.some((e) => JSON.stringify(e).includes(active.id))).toBe(false);
    } finally {
      byState.unsubscribe();
      byService.unsubscribe();
    }
  });

  it("narrows runEvents by runId and by statuses", async () => {
    const task = await createTask("run-narrow", { tags: ["run-narrow"] }, false);
    const finishedOnly = subscribe(client, RunEvents, { taskId: task.id, statuses: ["SUCCEEDED", "FAILED"] });
    await sleep(500); // time for the server to open the subscription, which sends nothing first
    const { runTask: first } = await server.client.data(RunTask, { input: { id: task.id } });
    if (first.__typename !== "RunTaskSuccess") throw new Error(first.__typename);
    await finishedOnly.waitFor((e) => e.runEvents.run.id === first.run.id, { from: 0 });
    const byRun = subscribe(client, RunEvents, { runId: first.run.id });
    try {
      await sleep(500);
      const { runTask: second } = await server.client.data(RunTask, { input: { id: task.id } });
      if (second.__typename !== "RunTaskSuccess") throw new Error(second.__typename);
      await finishedOnly.waitFor((e) => e.runEvents.run.id === second.run.id, { from: 0 });
      // Only what ended in SUCCEEDED: RUN_FINISHED, and TARGET_FINISHED, which reports the run as it is (RUNNING), is left out.
      expect(finishedOnly.events.map((e) => [e.runEvents.type, e.runEvents.run.id, e.runEvents.run.status])).toEqual([
        ["RUN_FINISHED", first.run.id, "SUCCEEDED"],
        ["RUN_FINISHED", second.run.id, "SUCCEEDED"],
      ]);
      // The first run was over before byRun opened, and the second is another run.
      expect(byRun.events).toEqual([]);
    } finally {
      finishedOnly.unsubscribe();
      byRun.unsubscribe();
    }
  });

  it("executes and serializes each event once for all the subscribers of one operation", async () => {
    const clients = [client, ...Array.from({ length: 3 }, () => subscriptionClient(server.app.url, server.adminToken))];
    const viewer = subscriptionClient(server.app.url, viewerToken);
    const brief = parse("subscription Brief($filter: LiveTaskFilter) { scheduleView(filter: $filter, tickSeconds: 3600) { kind tasks { name } } }") as TypedDocumentNode<
      { scheduleView: { kind: string; tasks: { name: string }[] } },
      Record<string, unknown>
    >;
    const filter = { tags: ["shared"] };
    // Five sockets with four subscriptions each of one operation, one with another selection, one with another role.
    const same = clients.flatMap((c) => Array.from({ length: 5 }, () => subscribe(c, ScheduleView, { filter, tickSeconds: 3600 })));
    const otherSelection = subscribe(client, brief, { filter });
    const otherRole = subscribe(viewer, ScheduleView, { filter, tickSeconds: 3600 });
    const all = [...same, otherSelection, otherRole] as Subscription<unknown>[];
    try {
      await Promise.all(all.map((s) => s.waitFor(() => true, { from: 0 })));
      const before = { executions: server.app.subscriptionResults!.executions, serializations: server.app.subscriptionResults!.serializations };
      await createTask("shared-1", { tags: ["shared"] });
      await Promise.all(all.map((s) => s.waitFor(() => true, { from: 1 })));
      expect(same.map((s) => s.events[1])).toEqual(same.map(() => same[0]!.events[1]));
      expect(same[0]!.events[1]).toMatchObject({ scheduleView: { kind: "TASK_CHANGED", tasks: [{ name: "shared-1", tags: ["shared"] }] } });
      expect(otherSelection.events[1]).toEqual({ scheduleView: { kind: "TASK_CHANGED", tasks: [{ name: "shared-1" }] } });
      // 22 subscribers, 3 distinct operations: 3 executions and 3 serializations.
      expect(server.app.subscriptionResults!.executions - before.executions).toBe(3);
      expect(server.app.subscriptionResults!.serializations - before.serializations).toBe(3);
    } finally {
      for (const subscription of all) subscription.unsubscribe();
      await Promise.all(clients.slice(1).map((c) => c.dispose()));
      await viewer.dispose();
    }
  });

  it("answers an invalid runEvents or taskEvents argument with a GraphQL error and keeps the socket", async () => {
    const badRun = subscribe(client, RunEvents, { runId: "not-a-run-id" });
    await badRun.ended;
    expect(JSON.stringify(badRun.errors)).toMatch(/runId/);
    const badTask = subscribe(client, TaskEvents, { filter: { tags: ["not a tag!"] } });
    await badTask.ended;
    expect(JSON.stringify(badTask.errors)).toMatch(/filter\.tags/);
    const good = subscribe(client, ScheduleView, { tickSeconds: 1 });
    try {
      expect((await good.waitFor(() => true, { from: 0 })).scheduleView.kind).toBe("SNAPSHOT");
    } finally {
      good.unsubscribe();
    }
  });

  it("answers an invalid filter with a GraphQL error and keeps the socket for other subscriptions", async () => {
    const bad = subscribe(client, ScheduleView, { filter: { taskIds: ["not-a-task-id"] }, tickSeconds: 1 });
    await bad.ended;
    expect(JSON.stringify(bad.errors)).toMatch(/filter\.taskIds\.0/);
    const badTick = subscribe(client, ScheduleView, { tickSeconds: 0 });
    await badTick.ended;
    expect(JSON.stringify(badTick.errors)).toMatch(/tickSeconds: must be at least 1/);
    const good = subscribe(client, ScheduleView, { tickSeconds: 1 });
    try {
      expect((await good.waitFor(() => true, { from: 0 })).scheduleView.kind).toBe("SNAPSHOT");
    } finally {
      good.unsubscribe();
    }
  });

  it("stops sending once unsubscribed", async () => {
    const view = subscribe(client, ScheduleView, { tickSeconds: 1 });
    await view.waitFor((e) => e.scheduleView.kind === "TICK", { from: 0 });
    view.unsubscribe();
    const count = view.events.length;
    await sleep(2_200);
    expect(view.events).toHaveLength(count);
  });

  it("serves subscriptions over server-sent events too, as GraphiQL uses them", async () => {
    const response = await fetch(server.app.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${server.adminToken}` },
      body: JSON.stringify({ query: "subscription { scheduleView(tickSeconds: 1) { kind } }" }),
    });
    expect(response.headers.get("content-type")).toMatch(/text\/event-stream/);
    const reader = response.body!.getReader();
    let text = "";
    while (!text.includes("SNAPSHOT")) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    expect(text).toContain('"kind":"SNAPSHOT"');
  });
});

describe("a live view that falls behind", () => {
  it("skips to a fresh snapshot instead of queueing old events", async () => {
    const scratch = await createScratchDatabase("sqlite");
    const app = await startApp(testConfig(scratch.location.url), createLogger("silent"));
    const live = new LiveSchedule({ db: app.database.client, provider: "sqlite", events: app.events, clock: Date.now, logger: createLogger("silent"), resyncIntervalMs: 60_000 });
    const stream = live.scheduleView({ tags: [], states: [], taskIds: [], serviceIds: [] }, 1);
    try {
      expect((await stream.next()).value).toMatchObject({ kind: "SNAPSHOT", tasks: [] });
      // Not reading for a while: ticks pass, and a change happens among them.
      await sleep(1_500);
      app.events.emit("tasksAdvanced", { tasks: [] });
      app.events.emit("runsCreated", { runs: [] });
      const service = await app.database.client.service.create({ data: { name: "behind", kind: "COMMAND", config: { command: "true" }, defaultPayload: {} } });
      const task = await app.database.client.task.create({
        data: { name: "appeared", serviceId: service.id, schedule: {}, payload: {}, state: "PAUSED", misfirePolicy: "SKIP", misfireGraceSeconds: 60, overlapPolicy: "SKIP" },
      });
      app.events.emit("taskChanged", { taskId: task.id, change: "CREATED" });
      await sleep(1_500);
      const caughtUp = (await stream.next()).value as ScheduleViewEvent;
      expect(caughtUp.kind).toBe("SNAPSHOT");
      expect(caughtUp.tasks.map((t) => t.name)).toEqual(["appeared"]);
      // Nothing older is waiting: the next event is a new tick.
      const started = Date.now();
      expect(((await stream.next()).value as ScheduleViewEvent).kind).toBe("TICK");
      expect(Date.now() - started).toBeGreaterThan(50);
    } finally {
      await stream.return?.();
      live.close();
      await app.stop();
      await scratch.drop();
    }
  });
});

describe("a live view that falls behind on ticks only", () => {
  // FULL: the latest tick replaces the older; CHANGES: the ticks merge, as each holds only what changed.
  it.each(["FULL", "CHANGES"] as const)("gets, in %s mode, the ticks it missed as one, with the latest row of every task they carried", async (mode) => {
    const scratch = await createScratchDatabase("sqlite");
    const app = await startApp(testConfig(scratch.location.url), createLogger("silent"));
    const live = new LiveSchedule({ db: app.database.client, provider: "sqlite", events: app.events, clock: Date.now, logger: createLogger("silent"), resyncIntervalMs: 60_000 });
    const service = await app.database.client.service.create({ data: { name: "behind", kind: "COMMAND", config: { command: "true" }, defaultPayload: {} } });
    const [first, second] = await Promise.all(
      ["first", "second"].map((name) =>
        app.database.client.task.create({
          data: { name, serviceId: service.id, schedule: {}, payload: {}, state: "PAUSED", misfirePolicy: "SKIP", misfireGraceSeconds: 60, overlapPolicy: "SKIP" },
        }),
      ),
    );
    const everything = { tags: [], states: [], taskIds: [], serviceIds: [] };
    const lagging = live.scheduleView(everything, 1, mode);
    // Another subscriber of the same view, read at once: it tells when the view has ticked.
    const reading = live.scheduleView(everything, 1, mode);
    const nextTickWith = async (taskId: string, nextRunAt: Date) => {
      for (;;) {
        const event = (await reading.next()).value as ScheduleViewEvent;
        if (event.kind === "TICK" && event.tasks.some((task) => task.id === taskId && task.nextRunAt?.getTime() === nextRunAt.getTime())) return event;
      }
    };
    try {
      expect((await lagging.next()).value).toMatchObject({ kind: "SNAPSHOT" });
      expect((await reading.next()).value).toMatchObject({ kind: "SNAPSHOT" });
      const firstNext = new Date(Date.now() + 60_000);
      const secondNext = new Date(Date.now() + 120_000);
      app.events.emit("tasksAdvanced", { tasks: [{ taskId: first!.id, nextRunAt: firstNext, version: 0 }] });
      await nextTickWith(first!.id, firstNext);
      app.events.emit("tasksAdvanced", { tasks: [{ taskId: second!.id, nextRunAt: secondNext, version: 0 }] });
      const latest = await nextTickWith(second!.id, secondNext);
      if (mode === "CHANGES") expect(latest.tasks.map((task) => task.id)).toEqual([second!.id]);

      const caughtUp = (await lagging.next()).value as ScheduleViewEvent;
      expect(caughtUp.kind).toBe("TICK");
      expect(caughtUp.at).toEqual(latest.at);
      expect(caughtUp.tasks.map((task) => [task.id, task.nextRunAt, task.secondsUntilNextRun]).sort()).toEqual(
        [
          [first!.id, firstNext, Math.ceil((firstNext.getTime() - latest.at.getTime()) / 1000)],
          [second!.id, secondNext, Math.ceil((secondNext.getTime() - latest.at.getTime()) / 1000)],
        ].sort(),
      );
    } finally {
      await lagging.return?.();
      await reading.return?.();
      live.close();
      await app.stop();
      await scratch.drop();
    }
  });
});

describe("server shutdown", () => {
  it("closes websocket connections cleanly with 1001", async () => {
    const scratch = await createScratchDatabase("sqlite");
    const app = await startApp(testConfig(scratch.location.url), createLogger("silent"));
    const client = subscriptionClient(app.url, await createTestToken(app, "VIEWER"));
    const view = subscribe(client, ScheduleView, { tickSeconds: 1 });
    try {
      await view.waitFor(() => true, { from: 0 });
      await app.stop();
      expect(await client.closed).toMatchObject({ code: 1001 });
      await view.ended;
    } finally {
      await client.dispose();
      await scratch.drop();
    }
  });

  it("ends an open server-sent-events subscription, so stopping does not wait for its client", async () => {
    const scratch = await createScratchDatabase("sqlite");
    // A grace far beyond the test's timeout: stop() must not need it.
    const app = await startApp(testConfig(scratch.location.url, { SHUTDOWN_GRACE_SECONDS: "600" }), createLogger("silent"));
    const reader = await openServerSentView(app.url, await createTestToken(app, "VIEWER"));
    await app.stop();
    // The response ended as a response does, not cut off.
    while (!(await reader.read()).done);
    await scratch.drop();
  });

  it("exits with 0 on SIGTERM while a server-sent-events subscription is open", async () => {
    const scratch = await createScratchDatabase("sqlite");
    const token = generateTokenSecret();
    const server = spawnServer({ DATABASE_URL: scratch.location.url, CRONLINE_BOOTSTRAP_ADMIN_TOKEN: token, SHUTDOWN_GRACE_SECONDS: "600" });
    try {
      const reader = await openServerSentView(await server.listening, token);
      server.child.kill("SIGTERM");
      expect(await server.exited).toBe(0);
      await reader.cancel().catch(() => {});
    } finally {
      server.child.kill("SIGKILL");
      await scratch.drop();
    }
  }, 30_000);
});

/** A scheduleView subscription over server-sent events, read up to its first event. */
async function openServerSentView(url: string, token: string) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: "subscription { scheduleView(tickSeconds: 1) { kind } }" }),
  });
  const reader = response.body!.getReader();
  let text = "";
  while (!text.includes("SNAPSHOT")) text += new TextDecoder().decode((await reader.read()).value);
  return reader;
}

describeEachDatabase("the live schedule of two Cronline processes on one database", (provider) => {
  it("shows in one process the tasks another creates, pauses and deletes, and the services it renames", async () => {
    const scratch = await createScratchDatabase(provider);
    // A looks at the database every 0.2 s while it has subscribers; B never needs to.
    const appA = await startApp(testConfig(scratch.location.url, { LIVE_RESYNC_SECONDS: "0.2" }), createLogger("silent"), { executorOwnerId: "live-a" });
    const appB = await startApp(testConfig(scratch.location.url), createLogger("silent"), { executorOwnerId: "live-b" });
    const token = await createTestToken(appA, "ADMIN");
    const clientA = subscriptionClient(appA.url, token);
    const httpB = graphqlClient(appB.url, token);
    const view = subscribe(clientA, ScheduleView, { filter: { tags: ["remote"] }, tickSeconds: 3600 });
    const events = subscribe(clientA, TaskEvents, { filter: { tags: ["remote"] } });
    try {
      await view.waitFor((e) => e.scheduleView.kind === "SNAPSHOT", { from: 0 });
      const service = await createService(httpB, { name: "remote-service" });
      const { createTask } = await httpB.data(CreateTask, {
        input: { name: "remote-1", serviceId: service.id, tags: ["remote"], schedule: { standard: { startAt: inMinutes(10), frequencySeconds: 3600 } } },
        schedule: true,
      });
      if (createTask.__typename !== "CreateTaskSuccess") throw new Error(createTask.__typename);
      const id = createTask.task.id;
      const created = await view.waitFor((e) => e.scheduleView.change === "CREATED", { from: 0 });
      expect(created.scheduleView).toMatchObject({ kind: "TASK_CHANGED", tasks: [{ id, name: "remote-1", serviceName: "remote-service", state: "ACTIVE" }] });

      await httpB.data(UpdateService, { input: { id: service.id, name: "remote-renamed" } });
      const renamed = await view.waitFor((e) => e.scheduleView.tasks.some((t) => t.serviceName === "remote-renamed"), { from: 0 });
      expect(renamed.scheduleView).toMatchObject({ kind: "TASK_CHANGED", change: null, tasks: [{ id }] });

      await httpB.data(PauseTask, { input: { id } });
      expect((await view.waitFor((e) => e.scheduleView.change === "PAUSED", { from: 0 })).scheduleView.tasks).toMatchObject([{ id, state: "PAUSED" }]);
      await httpB.data(DeleteTask, { input: { id } });
      expect((await view.waitFor((e) => e.scheduleView.change === "DELETED", { from: 0 })).scheduleView).toMatchObject({ kind: "TASK_REMOVED", removedTaskIds: [id] });
      await events.waitFor((e) => e.taskEvents.change === "DELETED", { from: 0 });
      expect(events.events.map((e) => [e.taskEvents.change, e.taskEvents.taskId])).toEqual([
        ["CREATED", id],
        ["PAUSED", id],
        ["DELETED", id],
      ]);
    } finally {
      view.unsubscribe();
      events.unsubscribe();
      await clientA.dispose();
      await appA.stop();
      await appB.stop();
      await scratch.drop();
    }
  });
});

/** A run event as the executor emits it; `reason` pads it to a size. */
const fakeRunEvent = (taskId: string, reason: string | null = null) => ({
  type: "RUN_STARTED" as const,
  run: {
    id: crypto.randomUUID(),
    taskId,
    trigger: "MANUAL" as const,
    status: "RUNNING" as const,
    scheduledFor: new Date(),
    reason,
    startedAt: new Date(),
    finishedAt: null,
    targetCount: 1,
    succeededCount: 0,
    failedCount: 0,
  },
  result: null,
});

const liveListeners = (app: RunningApp) =>
  (["taskChanged", "tasksAdvanced", "runsCreated", "runProgress"] as const).reduce((sum, event) => sum + app.events.listenerCount(event), 0);

/** Resolves once `condition` holds, looking every 20 ms. */
async function eventually(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(20);
  }
}

describe("subscribers that read slowly or not at all", () => {
  async function appWith(options: AppOptions) {
    const scratch = await createScratchDatabase("sqlite");
    const app = await startApp(testConfig(scratch.location.url), createLogger("silent"), options);
    const token = await createTestToken(app, "ADMIN");
    return { app, token, stop: async () => (await app.stop(), await scratch.drop()) };
  }

  it("buffers only the events a runEvents filter selects, survives a burst, and cuts off a reader that stops", async () => {
    const { app, stop } = await appWith({});
    const live = new LiveSchedule({
      db: app.database.client,
      provider: "sqlite",
      events: app.events,
      clock: Date.now,
      logger: createLogger("silent"),
      resyncIntervalMs: 60_000,
      readerLimits: { stalledReaderMs: 300, maxUnreadEvents: 100 },
    });
    const baseline = liveListeners(app);
    const stream = live.runEvents({ taskId: "watched", runId: null, statuses: [] });
    try {
      const first = stream.next();
      await eventually(() => liveListeners(app) === baseline + 4);
      // Far more unrelated events than the limit: none is buffered for this subscriber.
      for (let i = 0; i < 1_000; i += 1) app.events.emit("runProgress", fakeRunEvent("unrelated"));
      app.events.emit("runProgress", fakeRunEvent("watched"));
      expect((await first).value).toMatchObject({ type: "RUN_STARTED", run: { taskId: "watched" } });
      // A burst within the bound, read at once: all of it arrives.
      for (let i = 0; i < 100; i += 1) app.events.emit("runProgress", fakeRunEvent("watched"));
      for (let i = 0; i < 100; i += 1) expect((await stream.next()).done).toBe(false);
      // Unread events and no reading for longer than stalledReaderMs: cut off, without the backlog.
      app.events.emit("runProgress", fakeRunEvent("watched"));
      await sleep(1_000);
      await expect(stream.next()).rejects.toMatchObject({ extensions: { code: "SUBSCRIBER_TOO_SLOW" } });
      expect(liveListeners(app)).toBe(baseline);
    } finally {
      await stream.return?.();
      await stop();
    }
  });

  it("keeps a reader that takes a burst larger than the default bound as fast as it can", async () => {
    const { app, stop } = await appWith({});
    const live = new LiveSchedule({ db: app.database.client, provider: "sqlite", events: app.events, clock: Date.now, logger: createLogger("silent"), resyncIntervalMs: 60_000 });
    const baseline = liveListeners(app);
    const stream = live.runEvents({ taskId: null, runId: null, statuses: [] });
    try {
      const first = stream.next();
      await eventually(() => liveListeners(app) === baseline + 4);
      for (let i = 0; i < 5_000; i += 1) app.events.emit("runProgress", fakeRunEvent("burst"));
      await first;
      for (let i = 1; i < 5_000; i += 1) expect((await stream.next()).done).toBe(false);
    } finally {
      await stream.return?.();
      await stop();
    }
  });

  it("sends a subscriber cut off over its socket a SUBSCRIBER_TOO_SLOW error", async () => {
    const { app, token, stop } = await appWith({ readerLimits: { stalledReaderMs: 60_000, maxUnreadEvents: 5 } });
    const client = subscriptionClient(app.url, token);
    const baseline = liveListeners(app);
    const runs = subscribe(client, RunEvents, {});
    try {
      await eventually(() => liveListeners(app) === baseline + 4);
      for (let i = 0; i < 50; i += 1) app.events.emit("runProgress", fakeRunEvent("overflow"));
      await runs.ended;
      expect(runs.errors.flat()).toMatchObject([{ message: expect.stringMatching(/cut off: more than 5 events were left unread/), extensions: { code: "SUBSCRIBER_TOO_SLOW" } }]);
      expect(runs.events.length).toBeLessThan(50);
    } finally {
      await client.dispose();
      await stop();
    }
  });

  it("lets go of the event bus when a runEvents subscriber leaves, whatever events pass meanwhile", async () => {
    const { app, token, stop } = await appWith({});
    const client = subscriptionClient(app.url, token);
    const baseline = liveListeners(app);
    try {
      const runs = subscribe(client, RunEvents, { taskId: "VGFzazpub25l" /* Task:none */ });
      await eventually(() => liveListeners(app) === baseline + 4);
      app.events.emit("runProgress", fakeRunEvent("other"));
      runs.unsubscribe();
      app.events.emit("runProgress", fakeRunEvent("other"));
      await eventually(() => liveListeners(app) === baseline);
      expect(runs.events).toEqual([]);
    } finally {
      await client.dispose();
      await stop();
    }
  });

  it("keeps delivering to a reading client while another client's socket has stopped reading", async () => {
    const { app, token, stop } = await appWith({});
    const query = "subscription { runEvents { type run { id reason } } }";
    const stalled = rawSocket(app.url);
    const client = subscriptionClient(app.url, token);
    const reading = subscribe(client, parse(query) as TypedDocumentNode<{ runEvents: { run: { reason: string | null } } }, Record<string, never>>, {});
    try {
      stalled.socket.on("open", () => stalled.socket.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${token}` } })));
      await stalled.waitFor((m) => m.type === "connection_ack");
      stalled.socket.send(JSON.stringify({ type: "subscribe", id: "stalled", payload: { query } }));
      // Both are subscribed once each has received an event.
      while (!stalled.messages.some((m) => m.type === "next") || reading.events.length === 0) {
        app.events.emit("runProgress", fakeRunEvent("probe", "probe"));
        await sleep(100);
      }
      stalled.socket.pause();
      const before = reading.events.length;
      // 200 events of 64 KB, more than the stalled client's socket takes without reading.
      const padding = "x".repeat(64 * 1024);
      for (let i = 0; i < 200; i += 1) app.events.emit("runProgress", fakeRunEvent("big", padding));
      await eventually(() => reading.events.length - before >= 200, 30_000);
      expect(reading.errors).toEqual([]);
      // The stalled client gets what its socket already held, then the cut-off.
      // What the stalled client had not taken is still to come, in order, once it reads again.
      stalled.socket.resume();
      await stalled.waitFor((m) => m.type === "next" && (m.payload as { data: { runEvents: { run: { reason: string } } } }).data.runEvents.run.reason === padding);
    } finally {
      stalled.socket.terminate();
      await client.dispose();
      await stop();
    }
  }, 60_000);
});

describe("websocket keep-alive and connection_init timeout", () => {
  it("drops a client that answers no ping and one that never sends connection_init; keeps one that answers", async () => {
    const scratch = await createScratchDatabase("sqlite");
    const app = await startApp(testConfig(scratch.location.url), createLogger("silent"), { webSocketTimings: { ...defaultWebSocketTimings, keepAliveMs: 200, connectionInitTimeoutMs: 300 } });
    const token = await createTestToken(app, "VIEWER");
    const init = (raw: ReturnType<typeof rawSocket>) =>
      raw.socket.on("open", () => raw.socket.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${token}` } })));
    const silent = rawSocket(app.url);
    const deaf = rawSocket(app.url, { autoPong: false });
    const healthy = rawSocket(app.url);
    init(deaf);
    init(healthy);
    try {
      expect(await silent.closed).toMatchObject({ code: 4408 });
      await deaf.waitFor((m) => m.type === "connection_ack");
      // Terminated, not closed: a client that does not answer pings would not answer a close either.
      expect(await deaf.closed).toMatchObject({ code: 1006 });
      expect(deaf.pings).toBeGreaterThanOrEqual(1);
      await healthy.waitFor((m) => m.type === "connection_ack");
      await eventually(() => healthy.pings >= 5);
      expect(healthy.socket.readyState).toBe(healthy.socket.OPEN);
    } finally {
      for (const raw of [silent, deaf, healthy]) raw.socket.terminate();
      await app.stop();
      await scratch.drop();
    }
  });
});

describeEachDatabase("the live schedule looking at the database every 0.1 s", (provider) => {
  const server = useTestServer(provider, { LIVE_RESYNC_SECONDS: "0.1" });
  const db = () => server.app.database.client;
  const databaseId = (globalId: string) => decodeGlobalID(globalId).id;
  let client: ReturnType<typeof subscriptionClient>;
  let serviceId: string;

  beforeAll(async () => {
    client = subscriptionClient(server.app.url, server.adminToken);
    serviceId = (await createService(server.client, { name: "resync-echo", kind: "COMMAND", config: { command: "echo resync" } })).id;
  });
  afterAll(async () => {
    await client.dispose();
  });

  const createTask = (name: string, extra: Record<string, unknown> = {}, schedule = true) => createHourlyTask(server, serviceId, name, extra, schedule);

  /** A run of the task in another, live Cronline process: runs queued here wait behind it (overlap policies other than ALLOW). */
  async function runElsewhere(taskGlobalId: string) {
    const longAgo = new Date(Date.now() - 60_000);
    await db().run.create({
      data: {
        id: uuidv7(),
        taskId: databaseId(taskGlobalId),
        trigger: "MANUAL",
        status: "RUNNING",
        scheduledFor: longAgo,
        startedAt: longAgo,
        claimedAt: longAgo,
        payload: {},
        ownerId: "elsewhere:1",
        leaseExpiresAt: new Date(Date.now() + 3_600_000),
      },
    });
  }

  async function runTask(taskGlobalId: string) {
    const { runTask: result } = await server.client.data(RunTask, { input: { id: taskGlobalId } });
    if (result.__typename !== "RunTaskSuccess") throw new Error(result.__typename);
    return result.run;
  }

  it("says CANCELLED for a task whose latest run is cancelled while queued, in the database and in live views, after a resync too", async () => {
    const task = await createTask("cancel-latest", { tags: ["cancel-latest"], overlapPolicy: "BUFFER_ALL" }, false);
    const marker = await createTask("cancel-marker", { tags: ["cancel-latest"] }, false);
    await runElsewhere(task.id);
    const view = subscribe(client, ScheduleView, { filter: { tags: ["cancel-latest"] }, tickSeconds: 3600 });
    try {
      await view.waitFor((e) => e.scheduleView.kind === "SNAPSHOT", { from: 0 });
      const run = await runTask(task.id);
      await view.waitFor((e) => e.scheduleView.runs.some((r) => r.id === run.id && r.status === "QUEUED"), { from: 0 });
      const from = view.events.length;
      const { cancelRun } = await server.client.data(CancelRun, { input: { id: run.id } });
      expect(cancelRun.__typename).toBe("CancelRunSuccess");
      const cancelled = await view.waitFor((e) => e.scheduleView.runs.some((r) => r.id === run.id && r.status === "CANCELLED"), { from });
      expect(cancelled.scheduleView.tasks).toMatchObject([{ id: task.id, lastRunStatus: "CANCELLED", lastRunAt: run.scheduledFor }]);
      expect(await db().task.findUniqueOrThrow({ where: { id: databaseId(task.id) }, select: { lastRunStatus: true, lastRunAt: true } })).toEqual({
        lastRunStatus: "CANCELLED",
        lastRunAt: new Date(run.scheduledFor),
      });
      // Written to the database only, the rename reaches the view through a resync, which has then read the cancelled task too.
      await db().task.update({ where: { id: databaseId(marker.id) }, data: { name: "cancel-marker-renamed" } });
      await view.waitFor((e) => e.scheduleView.tasks.some((t) => t.name === "cancel-marker-renamed"), { from });
      // A resync that read the task before the cancel may announce it QUEUED before the cancel reaches the view; none after.
      const shownSinceCancel = view.events.slice(view.events.indexOf(cancelled)).flatMap((e) => e.scheduleView.tasks.filter((t) => t.id === task.id).map((t) => t.lastRunStatus));
      expect(new Set(shownSinceCancel)).toEqual(new Set(["CANCELLED"]));
    } finally {
      view.unsubscribe();
    }
  });

  it("shows the run that superseded a queued one (CANCEL_PREVIOUS), not the cancelled one", async () => {
    const task = await createTask("superseded-view", { tags: ["superseded-view"], overlapPolicy: "CANCEL_PREVIOUS" }, false);
    await runElsewhere(task.id);
    const view = subscribe(client, ScheduleView, { filter: { tags: ["superseded-view"] }, tickSeconds: 3600 });
    try {
      await view.waitFor((e) => e.scheduleView.kind === "SNAPSHOT", { from: 0 });
      const older = await runTask(task.id);
      await sleep(5); // the newer run is due a few milliseconds later
      const newer = await runTask(task.id);
      await view.waitFor((e) => e.scheduleView.runs.some((r) => r.id === newer.id && r.status === "QUEUED"), { from: 0 });
      const from = view.events.length;
      // As the scheduler does when it queues an occurrence under CANCEL_PREVIOUS.
      server.app.events.emit("runsSuperseded", { runs: [{ taskId: databaseId(task.id), runId: databaseId(newer.id) }] });
      const cancelled = await view.waitFor((e) => e.scheduleView.runs.some((r) => r.id === older.id && r.status === "CANCELLED"), { from });
      const shown = cancelled.scheduleView.tasks;
      expect(shown).toMatchObject([{ id: task.id }]);
      expect(["QUEUED", "RUNNING"]).toContain(shown[0]!.lastRunStatus);
      // The newer run describes the task: its due time while it waits, its start once it runs.
      const newerRun = await db().run.findUniqueOrThrow({ where: { id: databaseId(newer.id) }, select: { startedAt: true } });
      expect(shown[0]!.lastRunAt).toBe(shown[0]!.lastRunStatus === "QUEUED" ? newer.scheduledFor : newerRun.startedAt?.toISOString());
      await view.waitFor((e) => e.scheduleView.runs.some((r) => r.id === newer.id && r.status === "SUCCEEDED"), { from });
      const statuses = view.events.slice(from).flatMap((e) => e.scheduleView.tasks.filter((t) => t.id === task.id).map((t) => t.lastRunStatus));
      expect(statuses).not.toContain("CANCELLED");
      expect(await db().task.findUniqueOrThrow({ where: { id: databaseId(task.id) }, select: { lastRunStatus: true } })).toEqual({ lastRunStatus: "SUCCEEDED" });
    } finally {
      view.unsubscribe();
    }
  });

  it("does not announce a task as changed when it is run by hand", async () => {
    const task = await createTask("run-by-hand", { tags: ["by-hand"] }, false);
    const marker = await createTask("by-hand-marker", { tags: ["by-hand"] }, false);
    const view = subscribe(client, ScheduleView, { filter: { tags: ["by-hand"] }, tickSeconds: 3600 });
    try {
      await view.waitFor((e) => e.scheduleView.kind === "SNAPSHOT", { from: 0 });
      const run = await runTask(task.id);
      // The executor's thread may have started (or finished) the run before the answer is read; lastRunAt is then its start.
      expect(["QUEUED", "RUNNING", "SUCCEEDED"]).toContain(run.task.lastRunStatus);
      expect(Date.parse(run.task.lastRunAt!)).toBeGreaterThanOrEqual(Date.parse(run.scheduledFor));
      await view.waitFor((e) => e.scheduleView.runs.some((r) => r.id === run.id && r.status === "SUCCEEDED"), { from: 0 });
      // Written to the database only, the rename reaches the view through a resync, which has then read the run task too.
      await db().task.update({ where: { id: databaseId(marker.id) }, data: { name: "by-hand-marker-renamed" } });
      await view.waitFor((e) => e.scheduleView.tasks.some((t) => t.name === "by-hand-marker-renamed"), { from: 0 });
      // A resync that reads the run's progress before its event may show it (change null); an edit it is not.
      const changes = view.events.filter((e) => e.scheduleView.kind === "TASK_CHANGED" && e.scheduleView.tasks[0]!.id === task.id).map((e) => e.scheduleView.change);
      expect(changes.filter((change) => change !== null)).toEqual([]);
    } finally {
      view.unsubscribe();
    }
  });

  it("announces each change once, though a resync may read it before its event is applied", async () => {
    const view = subscribe(client, ScheduleView, { filter: { tags: ["once"] }, tickSeconds: 3600 });
    const events = subscribe(client, TaskEvents, { filter: { tags: ["once"] } });
    try {
      await view.waitFor((e) => e.scheduleView.kind === "SNAPSHOT", { from: 0 });
      await sleep(500); // time for the server to open the taskEvents subscription, which sends nothing first
      const changes: [() => Promise<unknown>, string][] = [];
      const task = await createTask("once-1", { tags: ["once"] }, false);
      await events.waitFor((e) => e.taskEvents.change === "CREATED", { from: 0 });
      changes.push(
        [() => server.client.data(UpdateTask, { input: { id: task.id, name: "once-2" } }), "UPDATED"],
        [() => server.client.data(ResumeTask, { input: { id: task.id } }), "RESUMED"],
        [() => server.client.data(PauseTask, { input: { id: task.id } }), "PAUSED"],
        [() => server.client.data(DeleteTask, { input: { id: task.id } }), "DELETED"],
      );
      for (const [mutation, change] of changes) {
        const from = events.events.length;
        await mutation();
        await events.waitFor((e) => e.taskEvents.change === change, { from });
        // Long enough for several resyncs, any of which may have read the change first.
        await sleep(300);
      }
      expect(events.events.map((e) => e.taskEvents.change)).toEqual(["CREATED", "UPDATED", "RESUMED", "PAUSED", "DELETED"]);
      expect(view.events.filter((e) => e.scheduleView.change !== null).map((e) => e.scheduleView.change)).toEqual(["CREATED", "UPDATED", "RESUMED", "PAUSED", "DELETED"]);
    } finally {
      view.unsubscribe();
      events.unsubscribe();
    }
  });
});

describeEachDatabase("a change a resync has announced before its event is applied", (provider) => {
  it("is not announced again by the event", async () => {
    const scratch = await createScratchDatabase(provider);
    const app = await startApp(testConfig(scratch.location.url), createLogger("silent"));
    const db = app.database.client;
    const live = new LiveSchedule({ db, provider, events: app.events, clock: Date.now, logger: createLogger("silent"), resyncIntervalMs: 100 });
    const taskEvents = live.taskEvents({ tags: [], states: [], taskIds: [], serviceIds: [] });
    const runEvents = live.runEvents({ taskId: null, runId: null, statuses: [] });
    const announced: string[] = [];
    const marks: string[] = [];
    const reading = (async () => {
      for await (const event of taskEvents) announced.push(event.change);
    })();
    const readingRuns = (async () => {
      for await (const event of runEvents) marks.push(event.run.id);
    })();
    /** Events are applied in order: once a run event sent now reaches runEvents, everything sent before has been applied. */
    const applied = async () => {
      for (;;) {
        const mark = fakeRunEvent("none");
        app.events.emit("runProgress", { ...mark, type: "TARGET_FINISHED" });
        try {
          return await eventually(() => marks.includes(mark.run.id), 500);
        } catch {
          // The runEvents stream was not listening yet: send another.
        }
      }
    };
    try {
      await applied(); // and so the table is loaded before the task below exists
      const service = await db.service.create({ data: { name: "announced", kind: "COMMAND", config: { command: "true" }, defaultPayload: {} } });
      const emitLate = async (taskId: string, change: "CREATED" | "UPDATED" | "COMPLETED" | "DELETED") => {
        // The change is committed and a resync announces it before this process's event about it comes.
        await eventually(() => announced.at(-1) === change);
        app.events.emit("taskChanged", { taskId, change });
        await applied();
      };
      const task = await db.task.create({
        data: { name: "announced-1", serviceId: service.id, schedule: {}, payload: {}, state: "PAUSED", misfirePolicy: "SKIP", misfireGraceSeconds: 60, overlapPolicy: "SKIP" },
      });
      await emitLate(task.id, "CREATED");
      await db.task.update({ where: { id: task.id }, data: { name: "announced-2", version: { increment: 1 } } });
      await emitLate(task.id, "UPDATED");
      // As the scheduler completes a task with its last claim: the version moves, updatedAt does not.
      await db.$executeRawUnsafe(`UPDATE "Task" SET "state" = 'COMPLETED', "version" = "version" + 1 WHERE "id" = '${task.id}'`);
      await emitLate(task.id, "COMPLETED");
      await db.task.delete({ where: { id: task.id } });
      await emitLate(task.id, "DELETED");
      expect(announced).toEqual(["CREATED", "UPDATED", "COMPLETED", "DELETED"]);
    } finally {
      await taskEvents.return?.();
      await runEvents.return?.();
      await Promise.all([reading, readingRuns]);
      live.close();
      await app.stop();
      await scratch.drop();
    }
  });
});

describeEachDatabase("an event that comes after its task was deleted", (provider) => {
  it("announces the deletion, once, in taskEvents and scheduleView", async () => {
    const scratch = await createScratchDatabase(provider);
    const app = await startApp(testConfig(scratch.location.url), createLogger("silent"));
    const db = app.database.client;
    // No resync within the test: only the events move the table.
    const live = new LiveSchedule({ db, provider, events: app.events, clock: Date.now, logger: createLogger("silent"), resyncIntervalMs: 600_000 });
    const filter = { tags: ["late"], states: [], taskIds: [], serviceIds: [] };
    const taskEvents = live.taskEvents(filter);
    const view = live.scheduleView(filter, 3600);
    const runEvents = live.runEvents({ taskId: null, runId: null, statuses: [] });
    const announced: string[] = [];
    const shown: ScheduleViewEvent[] = [];
    const marks: string[] = [];
    const reading = (async () => {
      for await (const event of taskEvents) announced.push(event.change);
    })();
    const watching = (async () => {
      for await (const event of view) shown.push(event);
    })();
    const readingRuns = (async () => {
      for await (const event of runEvents) marks.push(event.run.id);
    })();
    /** Events are applied in order: once a run event sent now reaches runEvents, everything sent before has been applied. */
    const applied = async () => {
      const mark = fakeRunEvent("none");
      app.events.emit("runProgress", { ...mark, type: "TARGET_FINISHED" });
      await eventually(() => marks.includes(mark.run.id));
    };
    try {
      await eventually(() => shown.some((event) => event.kind === "SNAPSHOT"));
      const service = await db.service.create({ data: { name: "late", kind: "COMMAND", config: { command: "true" }, defaultPayload: {} } });
      const task = await db.task.create({
        data: { name: "late-1", serviceId: service.id, tags: { create: [{ name: "late" }] }, schedule: {}, payload: {}, state: "ACTIVE", misfirePolicy: "SKIP", misfireGraceSeconds: 60, overlapPolicy: "SKIP" },
      });
      app.events.emit("taskChanged", { taskId: task.id, change: "CREATED" });
      await eventually(() => announced.length === 1);
      // Paused, then deleted, and only then the pause's event is applied.
      await db.task.delete({ where: { id: task.id } });
      app.events.emit("taskChanged", { taskId: task.id, change: "PAUSED" });
      app.events.emit("taskChanged", { taskId: task.id, change: "DELETED" });
      await applied();
      expect(announced).toEqual(["CREATED", "DELETED"]);
      const removals = shown.filter((event) => event.kind === "TASK_REMOVED");
      expect(removals.map((event) => [event.change, event.removedTaskIds])).toEqual([["DELETED", [task.id]]]);
    } finally {
      await taskEvents.return?.();
      await view.return?.();
      await runEvents.return?.();
      await Promise.all([reading, watching, readingRuns]);
      live.close();
      await app.stop();
      await scratch.drop();
    }
  });
});

describe("a resync that takes longer than the resync interval", () => {
  it("has at most one more waiting behind it, not one per interval", async () => {
    // On PostgreSQL a lock held by another connection stalls the resync's read for as long as the test wants.
    const scratch = await createScratchDatabase("postgresql");
    const fingerprintReads: string[] = [];
    const app = await startApp(testConfig(scratch.location.url), createLogger("silent"), {
      database: { onQuery: (sql) => sql.includes('"Task"."version"') && !sql.includes('"Task"."name"') && fingerprintReads.push(sql) },
    });
    const live = new LiveSchedule({ db: app.database.client, provider: "postgresql", events: app.events, clock: Date.now, logger: createLogger("silent"), resyncIntervalMs: 100 });
    const stream = live.scheduleView({ tags: [], states: [], taskIds: [], serviceIds: [] }, 3600);
    const locker = new pg.Client({ connectionString: scratch.location.url });
    await locker.connect();
    try {
      expect((await stream.next()).value).toMatchObject({ kind: "SNAPSHOT" });
      await eventually(() => fingerprintReads.length > 0);
      await locker.query('BEGIN; LOCK TABLE "Task" IN ACCESS EXCLUSIVE MODE');
      const readsBefore = fingerprintReads.length;
      await sleep(1_500); // fifteen intervals
      // No more ticks once the view is closed; what was queued still runs once the lock goes.
      await stream.return?.();
      await locker.query("COMMIT");
      await sleep(1_000);
      expect(fingerprintReads.length - readsBefore).toBeLessThanOrEqual(2);
    } finally {
      await locker.end();
      live.close();
      await app.stop();
      await scratch.drop();
    }
  });
});

describe("a taskEvents or runEvents stream that has stopped", () => {
  it("arms no stalled-reader timer when its reader takes what was left unread", async () => {
    // In a process of its own: a timer armed after the stop would keep it alive for stalledReaderMs.
    const script = `
      import { boundedStream } from ${JSON.stringify(new URL("../../src/live/bounded-stream.ts", import.meta.url).href)};
      const stream = boundedStream({ stalledReaderMs: 120000, maxUnreadEvents: 100 }, async (push, stop) => {
        push(1); push(2); push(3);
        setTimeout(stop, 10);
        return () => {};
      });
      await stream.next();
      await new Promise((resolve) => setTimeout(resolve, 100));
      await stream.next(); // a leftover, taken after the stop
    `;
    const tsxLoader = new URL("../../node_modules/tsx/dist/loader.mjs", import.meta.url).href;
    const child = spawnInGroup(process.execPath, ["--import", tsxLoader, "--input-type=module", "-e", script], { stdio: "inherit" });
    const started = Date.now();
    const exitCode = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(exitCode).toBe(0);
    // Far below the 120 s the timer would hold it, however slow the machine is to start a process.
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 150_000);
});
