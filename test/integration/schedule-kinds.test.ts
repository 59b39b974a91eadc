// Window, anyOf/allOf and excluded schedules, DST policies and upcomingRuns through the API
// of a real server, and fired by the scheduler on a real database at the instants they preview.
import { expect, it } from "vitest";
import { graphql } from "../generated/graphql/index.js";
import { describeEachDatabase } from "../support/databases.js";
import { CreateService } from "../support/operations.js";
import { useSchedulerHarness } from "../support/scheduler-harness.js";
import { useTestServer } from "../support/test-server.js";

const Preview = graphql(`
  query KindsPreview($schedule: ScheduleInput!, $timezone: String, $from: DateTime, $count: Int, $dstPolicy: DstPolicy) {
    previewSchedule(schedule: $schedule, timezone: $timezone, from: $from, count: $count, dstPolicy: $dstPolicy) {
      __typename
      ... on PreviewScheduleSuccess { instants }
      ... on ValidationError { fieldErrors { field message } }
    }
  }
`);

const Create = graphql(`
  mutation KindsCreateTask($input: CreateTaskInput!, $schedule: Boolean) {
    createTask(input: $input, schedule: $schedule) {
      __typename
      ... on CreateTaskSuccess { task { id name state nextRunAt dstPolicy timezone schedule { kind asInput } upcomingRuns(count: 6) } }
      ... on ValidationError { fieldErrors { field message } }
    }
  }
`);

const TaskCount = graphql(`
  query KindsTaskCount($name: String!) {
    tasks(first: 10, filter: { nameContains: $name }) { totalCount }
  }
`);

const Upcoming = graphql(`
  query KindsUpcoming($id: ID!, $count: Int!) {
    node(id: $id) { ... on Task { upcomingRuns(count: $count) } }
  }
`);

const utc = (...isos: string[]) => isos.map((iso) => `${iso}.000Z`);

describeEachDatabase("schedule kinds through the API", (provider) => {
  const server = useTestServer(provider);

  const serviceId = async () => {
    const { createService } = await server.client.data(CreateService, { input: { name: `svc-${Math.random().toString(36).slice(2)}`, kind: "COMMAND", config: { command: "true" } } });
    if (createService.__typename !== "CreateServiceSuccess") throw new Error(createService.message);
    return createService.service.id;
  };

  it("previews a window schedule with a DST policy: END_OF_GAP runs the skipped 02:xx once at 03:00 CEST", async () => {
    const schedule = { cron: { expression: "*/20 2 * * *" } };
    const preview = async (dstPolicy?: "VIXIE" | "END_OF_GAP") =>
      (await server.client.data(Preview, { schedule, timezone: "Europe/Berlin", from: "2026-03-28T12:00:00Z", count: 2, dstPolicy })).previewSchedule;
    expect(await preview()).toEqual({ __typename: "PreviewScheduleSuccess", instants: utc("2026-03-30T00:00:00", "2026-03-30T00:20:00") });
    expect(await preview("END_OF_GAP")).toEqual({ __typename: "PreviewScheduleSuccess", instants: utc("2026-03-29T01:00:00", "2026-03-30T00:00:00") });
    const window = { window: { definitions: ["16:00-21:00@30 *:last", "! * wed"], excludedDates: ["2026-10-31"] } };
    const { previewSchedule } = await server.client.data(Preview, { schedule: window, from: "2026-08-31T20:30:00Z", count: 3 });
    // 30 September is a Wednesday and 31 October is excluded by date.
    expect(previewSchedule).toEqual({ __typename: "PreviewScheduleSuccess", instants: utc("2026-08-31T20:30:00", "2026-08-31T21:00:00", "2026-11-30T16:00:00") });
  });

  it("refuses bad definitions and cron fields with the value as written, at the nested field", async () => {
    const refused = async (schedule: unknown) => (await server.client.data(Preview, { schedule: schedule as never, count: 1 })).previewSchedule;
    expect(await refused({ window: { definitions: ["00:00-02:00@121 fri:lst"] } })).toEqual({
      __typename: "ValidationError",
      fieldErrors: [{ field: "schedule.window.definitions.0", message: '"00:00-02:00@121 fri:lst" at column 21, "lst": is not first .. fifth, 1st .. 5th, last or a number' }],
    });
    expect(await refused({ anyOf: { schedules: [{ cron: { expression: "0 * * * *" } }, { cron: { expression: "* * 0 * *" } }] } })).toEqual({
      __typename: "ValidationError",
      fieldErrors: [{ field: "schedule.anyOf.schedules.1.cron.expression", message: "day of month 0 is out of range (1-31)" }],
    });
    expect(await refused({ cron: { expression: "0 * * * *", excludedTimeRanges: ["25:00-26:00"] } })).toMatchObject({
      fieldErrors: [{ field: "schedule.cron.excludedTimeRanges.0" }],
    });
  });

  it("saves combined schedules with a DST policy; upcomingRuns equals a preview of the saved schedule and stops at maxRuns", async () => {
    const input = {
      name: "combined-berlin",
      serviceId: await serviceId(),
      timezone: "Europe/Berlin",
      dstPolicy: "BOTH_PASSES" as const,
      maxRuns: 4,
      schedule: { anyOf: { schedules: [{ cron: { expression: "30 2 * * *" } }, { window: { definitions: ["~12:00-13:00 sat"] } }], excludedDates: ["2026-10-26"] } },
    };
    // Created on the server's own clock: its instants are checked against a preview from its nextRunAt.
    const { createTask } = await server.client.data(Create, { input, schedule: true });
    if (createTask.__typename !== "CreateTaskSuccess") throw new Error(JSON.stringify(createTask));
    const { task } = createTask;
    expect(task.dstPolicy).toBe("BOTH_PASSES");
    expect(task.upcomingRuns).toHaveLength(4);
    expect(task.upcomingRuns[0]).toBe(task.nextRunAt);
    // The spread window took the task's name as its seed: a preview with it lists what fires.
    expect(task.schedule.asInput).toEqual({
      anyOf: { schedules: [{ cron: { expression: "30 2 * * *" } }, { window: { definitions: ["~12:00-13:00 sat"], seed: "combined-berlin" } }], excludedDates: ["2026-10-26"] },
    });
    const { previewSchedule } = await server.client.data(Preview, { schedule: task.schedule.asInput as never, timezone: task.timezone, from: task.nextRunAt, count: 4, dstPolicy: "BOTH_PASSES" });
    expect(previewSchedule).toEqual({ __typename: "PreviewScheduleSuccess", instants: task.upcomingRuns });
    const { node } = await server.client.data(Upcoming, { id: task.id, count: 10 });
    expect(node).toEqual({ upcomingRuns: task.upcomingRuns });
  });

  it("saves nothing when a nested schedule is wrong", async () => {
    const input = { name: "never-saved", serviceId: await serviceId(), schedule: { allOf: { schedules: [{ cron: { expression: "0 0 * * MON" } }, { cron: { expression: "0 0 * * TUE" } }] } } };
    const { createTask } = await server.client.data(Create, { input, schedule: true });
    expect(createTask).toEqual({ __typename: "ValidationError", fieldErrors: [{ field: "input.schedule.allOf", message: expect.stringMatching(/^never fires after /) }] });
    expect((await server.client.data(TaskCount, { name: "never-saved" })).tasks.totalCount).toBe(0);
  });
});

describeEachDatabase("the scheduler fires new kinds where they preview", (provider) => {
  const h = useSchedulerHarness(provider, "2026-03-28T12:00:00.000Z");

  it("fires an interval-style cron under END_OF_GAP at the end of Berlin's gap, then on from the next day", async () => {
    h.clock.set("2026-03-28T12:00:00.000Z");
    const id = await h.createTask({ name: "end-of-gap", timezone: "Europe/Berlin", dstPolicy: "END_OF_GAP", schedule: { cron: { expression: "*/20 2 * * *" } } });
    const vixie = await h.createTask({ name: "vixie", timezone: "Europe/Berlin", schedule: { cron: { expression: "*/20 2 * * *" } } });
    const scheduler = await h.startScheduler();
    h.clock.set("2026-03-29T01:00:00.000Z");
    await scheduler.checkNow();
    expect((await h.runsOf(id)).map((run) => run.occurrence?.toISOString())).toEqual(["2026-03-29T01:00:00.000Z"]);
    expect((await h.runsOf(vixie)).length).toBe(0);
    const rows = await h.database.client.task.findMany({ where: { id: { in: [id, vixie] } }, orderBy: { name: "asc" } });
    expect(rows.map((row) => [row.name, row.nextRunAt?.toISOString()])).toEqual([
      ["end-of-gap", "2026-03-30T00:00:00.000Z"],
      ["vixie", "2026-03-30T00:00:00.000Z"],
    ]);
  });

  it("fires a window schedule's instants and skips its exclusions", async () => {
    h.clock.set("2026-03-28T11:00:00.000Z");
    const id = await h.createTask({ name: "window", overlapPolicy: "ALLOW", schedule: { window: { definitions: ["12:00-13:00@30 sat,sun", "! 12:30-12:30 sun"], excludedDates: ["2026-04-04"] } } });
    const scheduler = await h.startScheduler();
    for (const at of ["2026-03-28T12:00:00Z", "2026-03-28T12:30:00Z", "2026-03-28T13:00:00Z", "2026-03-29T12:00:00Z", "2026-03-29T13:00:00Z", "2026-04-05T12:00:00Z"]) {
      h.clock.set(at);
      await scheduler.checkNow();
    }
    expect((await h.runsOf(id)).map((run) => run.occurrence?.toISOString())).toEqual(
      utc("2026-03-28T12:00:00", "2026-03-28T12:30:00", "2026-03-28T13:00:00", "2026-03-29T12:00:00", "2026-03-29T13:00:00", "2026-04-05T12:00:00"),
    );
  });
});
