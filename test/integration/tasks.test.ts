import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { decodeGlobalID } from "@pothos/plugin-relay";
import { parse } from "graphql";
import { beforeAll, describe, expect, it } from "vitest";
import { describeEachDatabase } from "../support/databases.js";
import { createDevice, createPool, createService } from "../support/fixtures.js";
import { CreateDevice, CreateService, DeleteDevice, DeletePool, DeleteService } from "../support/operations.js";
import {
  CreateTask,
  DeleteTask,
  DuplicateTask,
  PauseTask,
  PauseTasks,
  PreviewSchedule,
  ResumeTask,
  ResumeTasks,
  RunTask,
  RunTasks,
  TaskRuns,
  TasksPage,
  UpdateTask,
} from "../support/task-operations.js";
import { useTestServer } from "../support/test-server.js";
import type { OrderDirection, TaskFilter } from "../generated/graphql/graphql.js";

const hourly = { standard: { frequencySeconds: 3600 } };
const databaseId = (globalId: string) => decodeGlobalID(globalId).id;
const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

describeEachDatabase("tasks", (provider) => {
  const server = useTestServer(provider);
  let serviceId: string;
  let dangerousServiceId: string;

  beforeAll(async () => {
    const create = async (name: string, extra: Record<string, unknown> = {}) => {
      const { createService } = await server.client.data(CreateService, { input: { name, kind: "COMMAND", config: { command: "true" }, defaultPayload: { from: "service", level: 1 }, ...extra } });
      if (createService.__typename !== "CreateServiceSuccess") throw new Error(createService.message);
      return createService.service.id;
    };
    serviceId = await create("ping");
    dangerousServiceId = await create("reboot", { requiresConfirmation: true });
  });

  async function createTask(input: Record<string, unknown>, schedule?: boolean) {
    const { createTask: result } = await server.client.data(CreateTask, { input: { serviceId, schedule: hourly, ...input } as never, schedule });
    if (result.__typename !== "CreateTaskSuccess") throw new Error(`${result.__typename}: ${result.message}`);
    return result.task;
  }

  describe("creation", () => {
    it("creates a PAUSED task by default, with the eNMS defaults", async () => {
      const task = await createTask({ name: "paused-by-default" });
      expect(task).toMatchObject({
        state: "PAUSED",
        nextRunAt: null,
        secondsUntilNextRun: null,
        timezone: "UTC",
        misfirePolicy: "SKIP",
        overlapPolicy: "SKIP",
        misfireGraceSeconds: 60,
        jitterSeconds: 0,
        maxRuns: null,
        runCount: 0,
        service: { name: "ping" },
        schedule: { kind: "STANDARD", standard: { frequencySeconds: 3600 } },
      });
    });

    it("schedules at once with schedule: true and exposes the countdown", async () => {
      const startAt = inAnHour();
      const task = await createTask({ name: "scheduled", schedule: { standard: { startAt, frequencySeconds: 60 } } }, true);
      expect(task.state).toBe("ACTIVE");
      expect(task.nextRunAt).toBe(startAt);
      expect(task.secondsUntilNextRun).toBeGreaterThan(3590);
      expect(task.secondsUntilNextRun).toBeLessThanOrEqual(3600);
    });

    it("stores each schedule kind as given", async () => {
      const cron = await createTask({ name: "kind-cron", timezone: "Europe/Berlin", schedule: { cron: { expression: "0 30 2 * * *" } } });
      expect(cron.schedule).toMatchObject({ kind: "CRON", cron: { expression: "0 30 2 * * *" }, standard: null });
      const once = await createTask({ name: "kind-once", schedule: { once: { at: "2030-05-01T12:00:00.000Z" } } });
      expect(once.schedule).toMatchObject({ kind: "ONCE", once: { at: "2030-05-01T12:00:00.000Z" } });
      const calendar = await createTask({
        name: "kind-calendar",
        schedule: { calendar: { frequency: "MONTHLY_WEEKDAY", ordinal: 2, weekday: "TUESDAY", timeOfDay: "09:15", excludedDates: ["2030-01-08"] } },
      });
      expect(calendar.schedule.calendar).toMatchObject({ frequency: "MONTHLY_WEEKDAY", ordinal: 2, weekday: "TUESDAY", timeOfDay: "09:15", excludedDates: ["2030-01-08"] });
    });

    it("names what is wrong in a schedule", async () => {
      const attempt = async (input: Record<string, unknown>, schedule?: boolean) =>
        (await server.client.data(CreateTask, { input: { name: "bad", serviceId, schedule: hourly, ...input } as never, schedule })).createTask;
      expect(await attempt({ schedule: { cron: { expression: "61 * * * *" } } })).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ field: "input.schedule.cron.expression" }] });
      expect(await attempt({ schedule: { cron: { expression: "* * * * *" }, once: { at: inAnHour() } } })).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ field: "input.schedule" }] });
      expect(await attempt({ schedule: { cron: { expression: "0 0 30 2 *" } } })).toMatchObject({
        __typename: "ValidationError",
        fieldErrors: [{ field: "input.schedule.cron.expression", message: expect.stringMatching(/^never fires after /) }],
      });
      expect(await attempt({ timezone: "Mars/Olympus" })).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ field: "input.timezone" }] });
      expect(await attempt({ schedule: { calendar: { frequency: "WEEKLY", timeOfDay: "09:00" } } })).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ field: "input.schedule.calendar.weekdays" }] });
      expect(await attempt({ schedule: { once: { at: "2020-01-01T00:00:00.000Z" } } }, true)).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ field: "input.schedule" }] });
      expect(await attempt({ serviceId: "U2VydmljZTpub3BlLW5vcGU=" })).toMatchObject({ __typename: "NotFoundError", field: "input.serviceId" });
      expect(await attempt({ maxRuns: 0, jitterSeconds: -1 })).toMatchObject({ __typename: "ValidationError" });
      const page = await server.client.data(TasksPage, { filter: { nameContains: "bad" } });
      expect(page.tasks.totalCount).toBe(0);
    });

    it("refuses calendar fields of another frequency instead of dropping them", async () => {
      const { createTask: result } = await server.client.data(CreateTask, {
        input: { name: "stray-fields", serviceId, schedule: { calendar: { frequency: "DAILY", timeOfDay: "09:00", day: 5, weekdays: ["MONDAY"] } } },
      });
      expect(result).toMatchObject({
        __typename: "ValidationError",
        fieldErrors: [
          { field: "input.schedule.calendar.weekdays", message: "does not apply when frequency is DAILY" },
          { field: "input.schedule.calendar.day", message: "does not apply when frequency is DAILY" },
        ],
      });
    });

    it("stores the time zone as Intl spells it", async () => {
      const task = await createTask({ name: "lower-case-zone", timezone: "europe/berlin" });
      expect(task.timezone).toBe("Europe/Berlin");
      const { updateTask } = await server.client.data(UpdateTask, { input: { id: task.id, timezone: "america/new_york" } });
      expect(updateTask).toMatchObject({ task: { timezone: "America/New_York" } });
    });

    it("rejects a duplicate name", async () => {
      await createTask({ name: "unique-name" });
      const { createTask: result } = await server.client.data(CreateTask, { input: { name: "unique-name", serviceId, schedule: hourly } });
      expect(result).toMatchObject({ __typename: "ConflictError", field: "input.name" });
    });
  });

  it("applies an update at once, rescheduling an active task", async () => {
    const task = await createTask({ name: "to-update", schedule: { standard: { startAt: inAnHour(), frequencySeconds: 3600 } } }, true);
    const startAt = new Date(Date.now() + 120_000).toISOString();
    const { updateTask } = await server.client.data(UpdateTask, {
      input: { id: task.id, schedule: { standard: { startAt, frequencySeconds: 60 } }, description: "faster", tags: ["ops"] },
    });
    expect(updateTask).toMatchObject({ __typename: "UpdateTaskSuccess", task: { nextRunAt: startAt, description: "faster", tags: ["ops"], state: "ACTIVE" } });
    await expect.poll(() => server.app.threads.fireTimeOf(databaseId(task.id))).toBe(Date.parse(startAt));
  });

  it("duplicates as PAUSED copies named after the original", async () => {
    const device = (await server.client.data(CreateDevice, { input: { name: "dup-target", address: "10.1.1.1" } })).createDevice;
    if (device.__typename !== "CreateDeviceSuccess") throw new Error();
    const task = await createTask({ name: "original", tags: ["t"], targetDeviceIds: [device.device.id], payload: { a: 1 } }, true);
    const first = (await server.client.data(DuplicateTask, { input: { id: task.id } })).duplicateTask;
    const second = (await server.client.data(DuplicateTask, { input: { id: task.id } })).duplicateTask;
    const named = (await server.client.data(DuplicateTask, { input: { id: task.id, name: "chosen" } })).duplicateTask;
    expect([first, second, named].map((r) => r.__typename === "DuplicateTaskSuccess" && [r.task.name, r.task.state, r.task.nextRunAt])).toEqual([
      ["original (copy)", "PAUSED", null],
      ["original (copy 2)", "PAUSED", null],
      ["chosen", "PAUSED", null],
    ]);
    expect(first).toMatchObject({ task: { tags: ["t"], payload: { a: 1 }, targetDevices: [{ name: "dup-target" }] } });
  });

  it("asks for a name when the generated copy name would be too long", async () => {
    const task = await createTask({ name: "n".repeat(200) });
    const { duplicateTask } = await server.client.data(DuplicateTask, { input: { id: task.id } });
    expect(duplicateTask).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ field: "input.name", message: "must be at most 200 characters" }] });
    expect((await server.client.data(DuplicateTask, { input: { id: task.id, name: "short copy" } })).duplicateTask).toMatchObject({ task: { name: "short copy" } });
  });

  it("pauses with a note, resumes, and deletes", async () => {
    const task = await createTask({ name: "lifecycle" }, true);
    const paused = (await server.client.data(PauseTask, { input: { id: task.id, note: "disk swap" } })).pauseTask;
    expect(paused).toMatchObject({ task: { state: "PAUSED", pauseNote: "disk swap", nextRunAt: null } });
    await expect.poll(() => server.app.threads.fireTimeOf(databaseId(task.id))).toBeUndefined();
    const resumed = (await server.client.data(ResumeTask, { input: { id: task.id } })).resumeTask;
    expect(resumed).toMatchObject({ task: { state: "ACTIVE", pauseNote: null } });
    await expect.poll(() => server.app.threads.fireTimeOf(databaseId(task.id))).toBeDefined();
    expect((await server.client.data(DeleteTask, { input: { id: task.id } })).deleteTask).toMatchObject({ deletedId: task.id });
    await expect.poll(() => server.app.threads.fireTimeOf(databaseId(task.id))).toBeUndefined();
    expect((await server.client.data(DeleteTask, { input: { id: task.id } })).deleteTask).toMatchObject({ __typename: "NotFoundError" });
    expect((await server.client.data(TaskRuns, { id: task.id })).node).toBeNull();
  });

  it("keeps the service, devices and pools a task uses from being deleted, naming the task", async () => {
    const service = await createService(server.client, { name: "held-by-task" });
    const device = await createDevice(server.client, { name: "held-device" });
    const pool = await createPool(server.client, { name: "held-pool" });
    const task = await createTask({ name: "holder", serviceId: service.id, targetDeviceIds: [device.id], targetPoolIds: [pool.id] });
    const usedByTask = { __typename: "InUseError", field: "input.id", usedBy: ['task "holder"'] };
    expect((await server.client.data(DeleteService, { input: { id: service.id } })).deleteService).toMatchObject(usedByTask);
    expect((await server.client.data(DeleteDevice, { input: { id: device.id } })).deleteDevice).toMatchObject(usedByTask);
    expect((await server.client.data(DeletePool, { input: { id: pool.id } })).deletePool).toMatchObject(usedByTask);
    await server.client.data(DeleteTask, { input: { id: task.id } });
    expect((await server.client.data(DeleteService, { input: { id: service.id } })).deleteService).toMatchObject({ deletedId: service.id });
    expect((await server.client.data(DeleteDevice, { input: { id: device.id } })).deleteDevice).toMatchObject({ deletedId: device.id });
    expect((await server.client.data(DeletePool, { input: { id: pool.id } })).deletePool).toMatchObject({ deletedId: pool.id });
  });

  it("refuses to pause a completed task", async () => {
    const task = await createTask({ name: "one-shot", schedule: { once: { at: "2020-01-01T00:00:00.000Z" } } });
    const resumed = (await server.client.data(ResumeTask, { input: { id: task.id } })).resumeTask;
    expect(resumed).toMatchObject({ task: { state: "COMPLETED", nextRunAt: null } });
    expect((await server.client.data(PauseTask, { input: { id: task.id } })).pauseTask).toMatchObject({ __typename: "StateError", field: "input.id" });
  });

  describe("running by hand", () => {
    it("queues a MANUAL run now, also while paused, with the merged payload", async () => {
      const task = await createTask({ name: "manual", payload: { level: 2 } });
      const { runTask } = await server.client.data(RunTask, { input: { id: task.id } });
      expect(runTask).toMatchObject({ __typename: "RunTaskSuccess", run: { trigger: "MANUAL", payload: { from: "service", level: 2 }, task: { name: "manual" } } });
      if (runTask.__typename !== "RunTaskSuccess") throw new Error(runTask.__typename);
      // The executor's thread may have started (or even finished) the run before the answer is read.
      const liveOrDone = ["QUEUED", "RUNNING", "SUCCEEDED"];
      expect(liveOrDone).toContain(runTask.run.status);
      expect(liveOrDone).toContain(runTask.run.task.lastRunStatus);
      // The task's last run time: the run's scheduled time, or its start once it has started.
      expect(Date.parse(runTask.run.task.lastRunAt!)).toBeGreaterThanOrEqual(Date.parse(runTask.run.scheduledFor));
    });

    it("requires confirmation for a dangerous task or service, and runs nothing without it", async () => {
      const byTask = await createTask({ name: "dangerous-task", requiresConfirmation: true });
      const byService = await createTask({ name: "dangerous-service", serviceId: dangerousServiceId });
      for (const task of [byTask, byService]) {
        expect((await server.client.data(RunTask, { input: { id: task.id } })).runTask).toMatchObject({ __typename: "ConfirmationRequiredError", taskNames: [task.name] });
        const runs = await server.client.data(TaskRuns, { id: task.id });
        expect(runs.node).toMatchObject({ runs: { edges: [] } });
        expect((await server.client.data(RunTask, { input: { id: task.id, confirm: true } })).runTask).toMatchObject({ __typename: "RunTaskSuccess" });
      }
    });
  });

  it("pauses, resumes and runs every task carrying a tag", async () => {
    const tag1 = await createTask({ name: "tag-1", tags: ["nightly"] }, true);
    const tag2 = await createTask({ name: "tag-2", tags: ["nightly"], requiresConfirmation: true }, true);
    await createTask({ name: "untagged" }, true);
    const paused = (await server.client.data(PauseTasks, { input: { tag: "nightly", note: "freeze" } })).pauseTasks;
    expect(paused).toMatchObject({ tasks: [{ name: "tag-1", state: "PAUSED", pauseNote: "freeze" }, { name: "tag-2", state: "PAUSED" }] });
    const resumed = (await server.client.data(ResumeTasks, { input: { tag: "nightly" } })).resumeTasks;
    expect(resumed).toMatchObject({ tasks: [{ name: "tag-1", state: "ACTIVE" }, { name: "tag-2", state: "ACTIVE" }] });
    expect((await server.client.data(RunTasks, { input: { tag: "nightly" } })).runTasks).toMatchObject({ __typename: "ConfirmationRequiredError", taskNames: ["tag-2"] });
    // Refused as a whole: not even the task needing no confirmation has a manual run.
    const manualRuns = async (id: string) => {
      const { node } = await server.client.data(TaskRuns, { id });
      return node && "runs" in node ? node.runs.edges.filter((e) => e.node.trigger === "MANUAL").length : null;
    };
    for (const task of [tag1, tag2]) expect(await manualRuns(task.id)).toBe(0);
    const ran = (await server.client.data(RunTasks, { input: { tag: "nightly", confirm: true } })).runTasks;
    expect(ran.__typename === "RunTasksSuccess" && ran.runs.map((r) => r.task.name).sort()).toEqual(["tag-1", "tag-2"]);
    for (const task of [tag1, tag2]) expect(await manualRuns(task.id)).toBe(1);
  });

  it("announces a task resumed by tag that has nothing left to run as COMPLETED", async () => {
    const changes: { taskId: string; change: string }[] = [];
    const stop = server.app.events.on("taskChanged", (event) => changes.push(event));
    try {
      const done = await createTask({ name: "resume-done", tags: ["resume-by-tag"], schedule: { once: { at: "2020-01-01T00:00:00.000Z" } } });
      const due = await createTask({ name: "resume-due", tags: ["resume-by-tag"] });
      const { resumeTasks } = await server.client.data(ResumeTasks, { input: { tag: "resume-by-tag" } });
      expect(resumeTasks).toMatchObject({ tasks: [{ name: "resume-done", state: "COMPLETED" }, { name: "resume-due", state: "ACTIVE" }] });
      const ours = new Set([done.id, due.id].map(databaseId));
      const announced = changes.filter((c) => ours.has(c.taskId) && c.change !== "CREATED");
      expect(announced).toHaveLength(2);
      expect(announced).toEqual(
        expect.arrayContaining([
          { taskId: databaseId(done.id), change: "COMPLETED" },
          { taskId: databaseId(due.id), change: "RESUMED" },
        ]),
      );
    } finally {
      stop();
    }
  });

  it("answers mutations whose result selects only __typename", async () => {
    const typenameOnly = async (mutation: string) =>
      (await server.client.request(parse(mutation) as TypedDocumentNode<Record<string, { __typename: string }>, Record<string, never>>)).data;
    expect(await typenameOnly(`mutation { createDevice(input: { name: "typename-only", address: "10.9.9.9" }) { __typename } }`)).toEqual({
      createDevice: { __typename: "CreateDeviceSuccess" },
    });
    await createTask({ name: "typename-task", tags: ["typename"] }, true);
    expect(await typenameOnly(`mutation { pauseTasks(input: { tag: "typename" }) { __typename } }`)).toEqual({ pauseTasks: { __typename: "PauseTasksSuccess" } });
  });

  it("lists tasks by state, tag and next run", async () => {
    const soon = await createTask({ name: "list-soon", tags: ["listing"], schedule: { once: { at: new Date(Date.now() + 600_000).toISOString() } } }, true);
    const later = await createTask({ name: "list-later", tags: ["listing"], schedule: { once: { at: new Date(Date.now() + 900_000).toISOString() } } }, true);
    await createTask({ name: "list-paused", tags: ["listing"] });
    const byNextRun = await server.client.data(TasksPage, { filter: { tag: "listing" }, orderBy: { field: "NEXT_RUN_AT" } });
    expect(byNextRun.tasks.edges.map((e) => e.node.name)).toEqual(["list-soon", "list-later", "list-paused"]);
    const active = await server.client.data(TasksPage, { filter: { tag: "listing", states: ["ACTIVE"] } });
    expect(active.tasks.edges.map((e) => e.node.id).sort()).toEqual([soon.id, later.id].sort());
    const names = async (filter: TaskFilter, direction: OrderDirection = "ASC") =>
      (await server.client.data(TasksPage, { filter, orderBy: { field: "NAME", direction } })).tasks.edges.map((e) => e.node.name);
    expect(await names({ tag: "listing" })).toEqual(["list-later", "list-paused", "list-soon"]);
    expect(await names({ tag: "listing" }, "DESC")).toEqual(["list-soon", "list-paused", "list-later"]);
    // A case-insensitive substring, anywhere in the name.
    expect(await names({ nameContains: "IST-P" })).toEqual(["list-paused"]);
    expect(await names({ nameContains: "list-", states: ["PAUSED"] })).toEqual(["list-paused"]);
    const otherService = await createService(server.client, { name: "listing-service" });
    await createTask({ name: "list-other-service", tags: ["listing"], serviceId: otherService.id });
    expect(await names({ serviceId: otherService.id })).toEqual(["list-other-service"]);
    expect(await names({ tag: "listing", serviceId })).toEqual(["list-later", "list-paused", "list-soon"]);
  });

  describe("previewSchedule", () => {
    it("returns the next instants, computed like the scheduler does", async () => {
      const result = await server.client.data(PreviewSchedule, {
        schedule: { calendar: { frequency: "MONTHLY_WEEKDAY", ordinal: 2, weekday: "TUESDAY", timeOfDay: "02:30" } },
        timezone: "Europe/Berlin",
        from: "2026-01-01T00:00:00.000Z",
        count: 3,
      });
      expect(result.previewSchedule).toEqual({
        __typename: "PreviewScheduleSuccess",
        instants: ["2026-01-13T01:30:00.000Z", "2026-02-10T01:30:00.000Z", "2026-03-10T01:30:00.000Z"],
      });
    });

    it("starts at `from` itself, where a task scheduled then fires first", async () => {
      const from = "2026-06-01T08:00:00.000Z";
      const preview = async (schedule: Record<string, unknown>) => (await server.client.data(PreviewSchedule, { schedule: schedule as never, from, count: 3 })).previewSchedule;
      expect(await preview({ standard: {} })).toEqual({ __typename: "PreviewScheduleSuccess", instants: [from] });
      expect(await preview({ standard: { frequencySeconds: 60 } })).toEqual({
        __typename: "PreviewScheduleSuccess",
        instants: [from, "2026-06-01T08:01:00.000Z", "2026-06-01T08:02:00.000Z"],
      });
      expect(await preview({ cron: { expression: "0 8 * * *" } })).toMatchObject({ instants: [from, "2026-06-02T08:00:00.000Z", "2026-06-03T08:00:00.000Z"] });
    });

    it("names the field at fault", async () => {
      const result = await server.client.data(PreviewSchedule, { schedule: { cron: { expression: "0 0 * * MOO" } } });
      expect(result.previewSchedule).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ field: "schedule.cron.expression" }] });
      const tooLong = { cron: { expression: "@every 100000000d" } };
      expect((await server.client.data(PreviewSchedule, { schedule: tooLong })).previewSchedule).toMatchObject({
        __typename: "ValidationError",
        fieldErrors: [{ field: "schedule.cron.expression", message: expect.stringContaining("at most") }],
      });
      expect((await server.client.data(CreateTask, { input: { name: "too-long", serviceId, schedule: tooLong }, schedule: true })).createTask).toMatchObject({
        __typename: "ValidationError",
        fieldErrors: [{ field: "input.schedule.cron.expression" }],
      });
      const count = await server.client.data(PreviewSchedule, { schedule: { cron: { expression: "@daily" } }, count: 5000 });
      expect(count.previewSchedule).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ field: "count" }] });
    });
  });
});
