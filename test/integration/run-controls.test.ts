// What operators do to a task's runs besides running it: skip the next occurrence, backfill
// past ones and cancel the backfill, run with a payload and targets of its own, re-run the
// failed targets, pause (one task or by tag) with the queued runs cancelled; how backfills
// count towards maxRuns; how catch-up runs of one misfire and maxConcurrentRuns order the
// runs. Against a real server on SQLite and PostgreSQL.
import { decodeGlobalID } from "@pothos/plugin-relay";
import { expect, it } from "vitest";
import { describeEachDatabase } from "../support/databases.js";
import { nodeCommand, useExecutionServer } from "../support/execution-harness.js";
import { CancelRun } from "../support/execution-operations.js";
import {
  BackfillTask,
  CancelBackfill,
  PauseTaskCancellingQueued,
  PauseTasksCancellingQueued,
  RerunFailedTargets,
  RunTaskWith,
  RunTimes,
  SkipNextRun,
  TaskConcurrency,
  TaskRunCount,
} from "../support/run-control-operations.js";
import { CreateTask, ResumeTask } from "../support/task-operations.js";
import { startApp } from "../../src/app.js";
import { createLogger } from "../../src/logger.js";
import { testConfig } from "../support/test-server.js";

const databaseId = (globalId: string) => decodeGlobalID(globalId).id;
const forever = nodeCommand("setInterval(() => {}, 1000)");
const briefly = nodeCommand("setTimeout(() => {}, 300)");

interface Timed {
  startedAt: Date;
  finishedAt: Date;
}

/**
 * The most of these intervals that overlap at one instant. Fed with the runs' attempts, which
 * lie within the time their runs are RUNNING in the database (a run's startedAt is stamped
 * before its executor's claim, its finishedAt before its end is written).
 */
function mostAtOnce(attempts: Timed[]): number {
  const edges = attempts.flatMap((r) => [
    [r.startedAt.getTime(), 1],
    [r.finishedAt.getTime(), -1],
  ]);
  // An end and a start at the same millisecond do not overlap.
  edges.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let now = 0;
  let most = 0;
  for (const [, step] of edges) most = Math.max(most, (now += step!));
  return most;
}

describeEachDatabase("run controls", (provider) => {
  const h = useExecutionServer(provider);
  const client = () => h.server.client;
  const db = () => h.server.app.database.client;

  async function runsOf(taskId: string, triggers?: ("SCHEDULE" | "MANUAL" | "CATCHUP" | "RETRY" | "BACKFILL")[]) {
    const { runs } = await client().data(RunTimes, { filter: { taskId, ...(triggers && { triggers }) } });
    return runs.edges.map((e) => e.node).sort((a, b) => Date.parse(a.scheduledFor) - Date.parse(b.scheduledFor));
  }

  /** Every attempt of the task's runs (of these triggers), with when it started and ended. */
  const attemptsOf = (taskId: string, triggers?: string[]) =>
    db().runResult.findMany({ where: { run: { taskId: databaseId(taskId), ...(triggers && { trigger: { in: triggers } }) } }, select: { startedAt: true, finishedAt: true } });

  async function scheduledTask(serviceId: string, input: Record<string, unknown>) {
    const { createTask } = await client().data(CreateTask, { input: { name: `scheduled-${Math.random()}`, serviceId, ...input } as never, schedule: true });
    if (createTask.__typename !== "CreateTaskSuccess") throw new Error(JSON.stringify(createTask));
    return createTask.task;
  }

  it("skipNextRun records the next occurrence as SKIPPED with who and why, moves nextRunAt on, and the scheduler never runs it", async () => {
    const serviceId = await h.createService("COMMAND", { command: "true" });
    const task = await scheduledTask(serviceId, { schedule: { standard: { frequencySeconds: 4 } } });
    const skippedAt = task.nextRunAt!;
    const { skipNextRun } = await client().data(SkipNextRun, { input: { id: task.id, note: "maintenance window" } });
    if (skipNextRun.__typename !== "SkipNextRunSuccess") throw new Error(JSON.stringify(skipNextRun));
    const { run } = skipNextRun;
    // It may have fired just before the skip: then the occurrence after it was skipped.
    const skippedFor = Date.parse(run.scheduledFor);
    expect([0, 4_000]).toContain(skippedFor - Date.parse(skippedAt));
    expect(run).toMatchObject({ status: "SKIPPED", trigger: "SCHEDULE", reason: "skipped by skipNextRun: maintenance window", requestedBy: "test-admin" });
    expect(Date.parse(run.task.nextRunAt!)).toBe(skippedFor + 4_000);
    // The row holds it, so a restarted or another scheduler reads the same.
    expect((await db().task.findUniqueOrThrow({ where: { id: databaseId(task.id) } })).nextRunAt!.getTime()).toBe(skippedFor + 4_000);
    // The occurrence after the skipped one runs; the skipped one has its one SKIPPED record only.
    await expect.poll(async () => (await runsOf(task.id)).some((r) => Date.parse(r.scheduledFor) === skippedFor + 4_000 && r.status === "SUCCEEDED"), { timeout: 60_000 }).toBe(true);
    const atSkipped = (await runsOf(task.id)).filter((r) => Date.parse(r.scheduledFor) === skippedFor);
    expect(atSkipped.map((r) => r.status)).toEqual(["SKIPPED"]);

    await client().data(PauseTaskCancellingQueued, { input: { id: task.id } });
    const paused = await client().data(SkipNextRun, { input: { id: task.id } });
    expect(paused.skipNextRun).toMatchObject({ __typename: "StateError", field: "input.id", message: "input.id: the task is paused: it has no next run to skip" });
  });

  it("backfillTask queues each past occurrence once, one after the other, refuses more than 1000 before writing, and cancelBackfill cancels what is queued", async () => {
    const serviceId = await h.createService("COMMAND", { command: briefly });
    const taskId = await h.createTask(serviceId, { schedule: { standard: { startAt: "2026-01-01T00:00:00Z", frequencySeconds: 3600 } } });
    const backfill = async (from: string, to: string, extra: Record<string, unknown> = {}) => (await client().data(BackfillTask, { input: { id: taskId, from, to, ...extra } })).backfillTask;

    const first = await backfill("2026-01-01T00:00:00Z", "2026-01-01T04:00:00Z");
    if (first.__typename !== "BackfillTaskSuccess") throw new Error(JSON.stringify(first));
    expect(first.runs.map((r) => [r.scheduledFor, r.trigger, r.status, r.requestedBy])).toEqual(
      [0, 1, 2, 3, 4].map((hour) => [`2026-01-01T0${hour}:00:00.000Z`, "BACKFILL", "QUEUED", "test-admin"]),
    );
    // Overlapping the first: only the occurrences without a run are queued.
    const second = await backfill("2026-01-01T03:00:00Z", "2026-01-01T06:00:00Z");
    expect(second.__typename === "BackfillTaskSuccess" && second.runs.map((r) => r.scheduledFor)).toEqual(["2026-01-01T05:00:00.000Z", "2026-01-01T06:00:00.000Z"]);
    for (const run of [...first.runs, ...(second.__typename === "BackfillTaskSuccess" ? second.runs : [])]) await h.waitForRun(run.id);
    const done = await runsOf(taskId, ["BACKFILL"]);
    expect(done.map((r) => r.status)).toEqual(Array(7).fill("SUCCEEDED"));
    expect(new Set(done.map((r) => r.scheduledFor)).size).toBe(7);
    expect(mostAtOnce(await attemptsOf(taskId, ["BACKFILL"]))).toBe(1);

    const before = await db().run.count({ where: { taskId: databaseId(taskId) } });
    const tooMany = await backfill("2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z");
    expect(tooMany).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ field: "input.to", message: "the range holds more than 1000 occurrences; backfill at most 1000 at once" }] });
    const future = await backfill("2026-01-01T00:00:00Z", "2999-01-01T00:00:00Z");
    expect(future).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ field: "input.to", message: expect.stringMatching(/^must not be after now/) }] });
    const reversed = await backfill("2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z");
    expect(reversed).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ field: "input.to", message: "must not be before input.from" }] });
    expect(await db().run.count({ where: { taskId: databaseId(taskId) } })).toBe(before);

    // A backfill of a task whose runs never end: the first runs, the others wait, and are cancelled.
    const stuckService = await h.createService("COMMAND", { command: forever });
    const stuck = await h.createTask(stuckService, { schedule: { standard: { startAt: "2026-01-01T00:00:00Z", frequencySeconds: 3600 } } });
    const queued = await client().data(BackfillTask, { input: { id: stuck, from: "2026-01-01T00:00:00Z", to: "2026-01-01T03:00:00Z" } });
    if (queued.backfillTask.__typename !== "BackfillTaskSuccess") throw new Error(JSON.stringify(queued));
    await expect.poll(async () => (await runsOf(stuck)).map((r) => r.status), { timeout: 60_000 }).toEqual(["RUNNING", "QUEUED", "QUEUED", "QUEUED"]);
    const { cancelBackfill } = await client().data(CancelBackfill, { input: { id: stuck } });
    expect(cancelBackfill.__typename === "CancelBackfillSuccess" && cancelBackfill.runs.map((r) => [r.status, r.reason])).toEqual(
      Array(3).fill(["CANCELLED", "cancelled by cancelBackfill (test-admin)"]),
    );
    const running = (await runsOf(stuck)).find((r) => r.status === "RUNNING")!;
    await client().data(CancelRun, { input: { id: running.id } });
    await h.waitForRun(running.id, (r) => r.targetCount > 0);
  });

  it("backfillTask finds the occurrences with the task's DST policy, as its scheduler would", async () => {
    const serviceId = await h.createService("COMMAND", { command: briefly });
    // 02:30 in Berlin on 26 October 2025 comes twice (CEST, then CET): BOTH_PASSES fires at both.
    const taskId = await h.createTask(serviceId, { timezone: "Europe/Berlin", dstPolicy: "BOTH_PASSES", schedule: { cron: { expression: "30 2 * * *" } } });
    const { backfillTask } = await client().data(BackfillTask, { input: { id: taskId, from: "2025-10-25T00:00:00Z", to: "2025-10-27T12:00:00Z" } });
    if (backfillTask.__typename !== "BackfillTaskSuccess") throw new Error(JSON.stringify(backfillTask));
    expect(backfillTask.runs.map((r) => r.scheduledFor)).toEqual(["2025-10-25T00:30:00.000Z", "2025-10-26T00:30:00.000Z", "2025-10-26T01:30:00.000Z", "2025-10-27T01:30:00.000Z"]);
    for (const run of backfillTask.runs) await h.waitForRun(run.id);
  });

  it("runTask takes a payload and targets for that run only, checked as the task's are", async () => {
    const usual = await h.createDevice(`usual-${provider}`);
    const other = await h.createDevice(`other-${provider}`);
    const serviceId = await h.createService("COMMAND", { command: "echo {{device.name}} {{payload.greeting}} {{payload.kept}}" });
    const taskId = await h.createTask(serviceId, { targetDeviceIds: [usual], payload: { greeting: "hello", kept: "as-is" } });
    const { runTask } = await client().data(RunTaskWith, { input: { id: taskId, payload: { greeting: "override" }, targetDeviceIds: [other] } });
    if (runTask.__typename !== "RunTaskSuccess") throw new Error(JSON.stringify(runTask));
    expect(runTask.run).toMatchObject({ payload: { greeting: "override", kept: "as-is" }, ownTargets: true, requestedBy: "test-admin" });
    const done = await h.waitForRun(runTask.run.id);
    expect(done.results.map((r) => [r.deviceName, r.output?.trim()])).toEqual([[`other-${provider}`, `other-${provider} override as-is`]]);
    // The task itself is unchanged: its next manual run goes to its own device with its own payload.
    const plain = await h.waitForRun(await h.runTask(taskId));
    expect(plain.results.map((r) => r.output?.trim())).toEqual([`usual-${provider} hello as-is`]);

    const before = await db().run.count({ where: { taskId: databaseId(taskId) } });
    const missing = await client().data(RunTaskWith, { input: { id: taskId, targetPoolIds: [usual.replace(/./, "x")] } });
    expect(missing.runTask.__typename).toMatch(/^(ValidationError|NotFoundError)$/);
    const gone = await client().data(RunTaskWith, { input: { id: taskId, targetDeviceIds: [other.slice(0, -2) + "zz"] } });
    expect(gone.runTask.__typename).toMatch(/^(ValidationError|NotFoundError)$/);
    const huge = await client().data(RunTaskWith, { input: { id: taskId, payload: { big: "x".repeat(70_000) } } });
    expect(huge.runTask).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ field: "input.payload" }] });
    expect(await db().run.count({ where: { taskId: databaseId(taskId) } })).toBe(before);
  });

  it("rerunFailedTargets runs again on the devices whose last attempt failed, with the run's payload", async () => {
    const devices = await Promise.all(["fine", "bad-1", "bad-2"].map((name) => h.createDevice(`${name}-${provider}`)));
    const serviceId = await h.createService("COMMAND", { command: nodeCommand("process.exit(process.argv[1].startsWith(\"bad\") ? 3 : 0)", "{{device.name}}") });
    const taskId = await h.createTask(serviceId, { targetDeviceIds: devices, payload: { n: 1 } });
    const failed = await h.waitForRun(await h.runTask(taskId));
    expect(failed).toMatchObject({ status: "FAILED", targetCount: 3, failedCount: 2 });
    const failedId = failed.id;
    const { rerunFailedTargets } = await client().data(RerunFailedTargets, { input: { id: failedId } });
    if (rerunFailedTargets.__typename !== "RerunFailedTargetsSuccess") throw new Error(JSON.stringify(rerunFailedTargets));
    expect(rerunFailedTargets.run).toMatchObject({ trigger: "MANUAL", ownTargets: true, reason: `re-run of the failed targets of run ${databaseId(failedId)}`, payload: { n: 1 } });
    const rerun = await h.waitForRun(rerunFailedTargets.run.id);
    expect(rerun.results.map((r) => r.deviceName).sort()).toEqual([`bad-1-${provider}`, `bad-2-${provider}`]);

    const fine = await h.waitForRun(await h.runTask(await h.createTask(await h.createService("COMMAND", { command: "true" }))));
    const nothing = await client().data(RerunFailedTargets, { input: { id: fine.id } });
    expect(nothing.rerunFailedTargets).toMatchObject({ __typename: "StateError", field: "input.id", message: "input.id: no target of the run failed" });
  });

  it("pauseTask with cancelQueued cancels the queued runs; without it they still start", async () => {
    const stuckService = await h.createService("COMMAND", { command: forever });
    const stuck = await h.createTask(stuckService, { overlapPolicy: "BUFFER_ALL" });
    const [first, ...rest] = [await h.runTask(stuck), await h.runTask(stuck), await h.runTask(stuck)];
    await expect.poll(async () => (await runsOf(stuck)).filter((r) => r.status === "RUNNING").length, { timeout: 60_000 }).toBe(1);
    await client().data(PauseTaskCancellingQueued, { input: { id: stuck, cancelQueued: true } });
    const after = await runsOf(stuck);
    expect(after.filter((r) => r.id !== first).map((r) => [r.status, r.reason])).toEqual(Array(2).fill(["CANCELLED", "cancelled by pauseTask (test-admin)"]));
    expect(rest.sort()).toEqual(after.filter((r) => r.status === "CANCELLED").map((r) => r.id).sort());
    await client().data(CancelRun, { input: { id: first! } });
    await h.waitForRun(first!, (r) => r.targetCount > 0);

    const slowService = await h.createService("COMMAND", { command: briefly });
    const slow = await h.createTask(slowService, { overlapPolicy: "BUFFER_ALL" });
    const runs = [await h.runTask(slow), await h.runTask(slow), await h.runTask(slow)];
    await client().data(PauseTaskCancellingQueued, { input: { id: slow } });
    for (const id of runs) expect((await h.waitForRun(id)).status).toBe("SUCCEEDED");
  });

  it("pauseTasks with cancelQueued cancels the queued runs of the tag's paused tasks in one transaction, recording who and why; without it they still start", async () => {
    const tag = `stop-${provider}-${Math.random()}`;
    const stuckService = await h.createService("COMMAND", { command: forever });
    const active = (await scheduledTask(stuckService, { schedule: { once: { at: "2099-01-01T00:00:00Z" } }, tags: [tag], overlapPolicy: "BUFFER_ALL" })).id;
    const pausedAlready = await h.createTask(stuckService, { tags: [tag], overlapPolicy: "BUFFER_ALL" });
    const untagged = await h.createTask(stuckService, { tags: [`${tag}-other`], overlapPolicy: "BUFFER_ALL" });
    const tasks = [active, pausedAlready, untagged];
    for (const taskId of tasks) await Promise.all([h.runTask(taskId), h.runTask(taskId)]);
    const statuses = async (taskId: string) => (await runsOf(taskId)).map((r) => r.status).sort();
    for (const taskId of tasks) await expect.poll(() => statuses(taskId), { timeout: 60_000 }).toEqual(["QUEUED", "RUNNING"]);

    // A cancellation the database refuses half-way through undoes the whole pause.
    const refusal =
      provider === "sqlite"
        ? [`CREATE TRIGGER refuse_cancel BEFORE UPDATE ON "Run" WHEN NEW."status" = 'CANCELLED' AND OLD."taskId" = '${databaseId(pausedAlready)}' BEGIN SELECT RAISE(ABORT, 'refused'); END`]
        : [
            `CREATE FUNCTION refuse_cancel() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$`,
            `CREATE TRIGGER refuse_cancel BEFORE UPDATE ON "Run" FOR EACH ROW WHEN (NEW."status" = 'CANCELLED' AND OLD."taskId" = '${databaseId(pausedAlready)}') EXECUTE FUNCTION refuse_cancel()`,
          ];
    for (const statement of refusal) await db().$executeRawUnsafe(statement);
    try {
      const failed = await client().request(PauseTasksCancellingQueued, { input: { tag, cancelQueued: true } });
      expect(failed.errors?.length).toBe(1);
    } finally {
      await db().$executeRawUnsafe(provider === "sqlite" ? "DROP TRIGGER refuse_cancel" : `DROP TRIGGER refuse_cancel ON "Run"`);
      if (provider === "postgresql") await db().$executeRawUnsafe("DROP FUNCTION refuse_cancel");
    }
    expect((await db().task.findUniqueOrThrow({ where: { id: databaseId(active) } })).state).toBe("ACTIVE");
    for (const taskId of tasks) expect(await statuses(taskId)).toEqual(["QUEUED", "RUNNING"]);

    const { pauseTasks } = await client().data(PauseTasksCancellingQueued, { input: { tag, note: "maintenance", cancelQueued: true } });
    expect(pauseTasks).toMatchObject({ __typename: "PauseTasksSuccess", tasks: [{ id: active, state: "PAUSED", pausedBy: "test-admin" }] });
    for (const taskId of [active, pausedAlready]) {
      const runs = await runsOf(taskId);
      expect(runs.map((r) => [r.status, r.reason]).sort()).toEqual([
        ["CANCELLED", "cancelled by pauseTasks (test-admin)"],
        ["RUNNING", null],
      ]);
    }
    expect(await statuses(untagged)).toEqual(["QUEUED", "RUNNING"]);
    for (const taskId of tasks) {
      for (const run of (await runsOf(taskId)).filter((r) => r.status === "QUEUED" || r.status === "RUNNING")) {
        await client().data(CancelRun, { input: { id: run.id } });
        await h.waitForRun(run.id);
      }
    }

    const slowTag = `slow-${provider}-${Math.random()}`;
    const slow = (await scheduledTask(await h.createService("COMMAND", { command: briefly }), { schedule: { once: { at: "2099-01-01T00:00:00Z" } }, tags: [slowTag], overlapPolicy: "BUFFER_ALL" })).id;
    const runs = [await h.runTask(slow), await h.runTask(slow), await h.runTask(slow)];
    const kept = await client().data(PauseTasksCancellingQueued, { input: { tag: slowTag } });
    expect(kept.pauseTasks).toMatchObject({ tasks: [{ id: slow, state: "PAUSED" }] });
    for (const id of runs) expect((await h.waitForRun(id)).status).toBe("SUCCEEDED");
  });

  /** The task's state, runCount and coming instants. */
  async function countOf(taskId: string) {
    const { node } = await client().data(TaskRunCount, { id: taskId });
    if (!node || !("runCount" in node)) throw new Error(`no task ${taskId}`);
    return node;
  }

  it("backfilled runs count towards maxRuns: more than it leaves is refused whole, reaching it completes the task, and manual runs do not count", async () => {
    const serviceId = await h.createService("COMMAND", { command: "true" });
    // Yearly, so that the scheduler fires nothing while the test runs; its past New Years are backfilled.
    const task = await scheduledTask(serviceId, { schedule: { cron: { expression: "0 0 1 1 *" } }, maxRuns: 5 });
    const backfill = async (from: number, to: number) =>
      (await client().data(BackfillTask, { input: { id: task.id, from: `${from}-01-01T00:00:00Z`, to: `${to}-01-01T00:00:00Z` } })).backfillTask;
    const newYears = (from: number, count: number) => Array.from({ length: count }, (_, i) => `${from + i}-01-01T00:00:00.000Z`);
    const nextYear = Number(task.nextRunAt!.slice(0, 4));
    expect((await countOf(task.id)).upcomingRuns).toEqual(newYears(nextYear, 5));
    const queued: string[] = [];

    const first = await backfill(2020, 2021);
    if (first.__typename !== "BackfillTaskSuccess") throw new Error(JSON.stringify(first));
    queued.push(...first.runs.map((r) => r.id));
    expect(await countOf(task.id)).toMatchObject({ state: "ACTIVE", runCount: 2, upcomingRuns: newYears(nextYear, 3) });
    queued.push(await h.runTask(task.id));
    expect((await countOf(task.id)).runCount).toBe(2);

    const tooMany = await backfill(2022, 2025);
    expect(tooMany).toMatchObject({
      __typename: "ValidationError",
      fieldErrors: [
        {
          field: "input.to",
          message: "the range holds 4 occurrences without a run, but maxRuns (5) leaves 3 (2 counted so far); backfill at most 3: to 2024-01-01T00:00:00.000Z at the latest, or raise maxRuns",
        },
      ],
    });
    const backfilled = () => db().run.count({ where: { taskId: databaseId(task.id), trigger: "BACKFILL" } });
    expect(await backfilled()).toBe(2);
    expect((await countOf(task.id)).runCount).toBe(2);

    // 2021 has its run already: it neither runs again nor counts again.
    const last = await backfill(2021, 2024);
    if (last.__typename !== "BackfillTaskSuccess") throw new Error(JSON.stringify(last));
    expect(last.runs.map((r) => r.scheduledFor)).toEqual(newYears(2022, 3));
    queued.push(...last.runs.map((r) => r.id));
    expect(await countOf(task.id)).toMatchObject({ state: "COMPLETED", runCount: 5, nextRunAt: null, upcomingRuns: [] });

    const beyond = await backfill(2019, 2019);
    expect(beyond).toMatchObject({
      __typename: "ValidationError",
      fieldErrors: [{ field: "input.to", message: "the range holds 1 occurrence without a run, but maxRuns (5) leaves 0 (5 counted so far); raise maxRuns to backfill" }],
    });
    expect(await backfilled()).toBe(5);
    for (const id of queued) expect((await h.waitForRun(id)).status).toBe("SUCCEEDED");
  });

  it("the scheduler counts backfilled runs towards maxRuns, and a backfill completes a paused task that reaches it", async () => {
    const serviceId = await h.createService("COMMAND", { command: "true" });
    const startAt = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    const schedule = { standard: { startAt: startAt.toISOString(), frequencySeconds: 2 } };
    const backfill = async (id: string, occurrences: number) => {
      const { backfillTask } = await client().data(BackfillTask, { input: { id, from: startAt.toISOString(), to: new Date(startAt.getTime() + (occurrences - 1) * 2_000).toISOString() } });
      if (backfillTask.__typename !== "BackfillTaskSuccess") throw new Error(JSON.stringify(backfillTask));
      return backfillTask.runs;
    };

    const taskId = await h.createTask(serviceId, { maxRuns: 3, schedule });
    expect(await backfill(taskId, 2)).toHaveLength(2);
    expect(await countOf(taskId)).toMatchObject({ state: "PAUSED", runCount: 2 });
    await client().data(ResumeTask, { input: { id: taskId } });
    await expect.poll(async () => (await countOf(taskId)).state, { timeout: 60_000 }).toBe("COMPLETED");
    const runs = await runsOf(taskId);
    expect(runs.map((r) => r.trigger)).toEqual(["BACKFILL", "BACKFILL", "SCHEDULE"]);
    expect((await countOf(taskId)).runCount).toBe(3);

    const held = await h.createTask(serviceId, { maxRuns: 1, schedule });
    await client().data(PauseTaskCancellingQueued, { input: { id: held, note: "held" } });
    const [only] = await backfill(held, 1);
    expect(await countOf(held)).toMatchObject({ state: "COMPLETED", runCount: 1, pauseNote: null, upcomingRuns: [] });
    for (const id of [...runs.map((r) => r.id), only!.id]) expect((await h.waitForRun(id)).status).toBe("SUCCEEDED");
  });

  it("runs the catch-up runs of one misfire one after the other, whatever the overlap policy", async () => {
    const serviceId = await h.createService("COMMAND", { command: briefly });
    for (const overlapPolicy of ["SKIP", "ALLOW"]) {
      const taskId = await h.createTask(serviceId, { misfirePolicy: "RUN_ALL", overlapPolicy, misfireGraceSeconds: 1, schedule: { standard: { frequencySeconds: 3600 } } });
      // As if the server had been down for three hours and a half.
      const missedFrom = new Date(Math.floor(Date.now() / 1000) * 1000 - 3.5 * 3600_000);
      const id = databaseId(taskId);
      await db().task.update({
        where: { id },
        data: { state: "ACTIVE", nextRunAt: missedFrom, schedule: { kind: "STANDARD", startAt: missedFrom.toISOString(), frequencySeconds: 3600, endAt: null }, version: { increment: 1 } },
      });
      h.server.app.events.emit("taskChanged", { taskId: id, change: "RESUMED" });
      await expect.poll(async () => (await runsOf(taskId)).map((r) => [r.trigger, r.status]), { timeout: 60_000 }).toEqual(Array(4).fill(["CATCHUP", "SUCCEEDED"]));
      expect(mostAtOnce(await attemptsOf(taskId))).toBe(1);
    }
  });

  it("maxConcurrentRuns: only with ALLOW, and at most that many runs of the task execute at once", async () => {
    const serviceId = await h.createService("COMMAND", { command: nodeCommand("setTimeout(() => {}, 700)") }, { concurrency: 20 });
    const refused = await client().data(CreateTask, { input: { name: `limited-${provider}`, serviceId, schedule: { once: { at: "2099-01-01T00:00:00Z" } }, maxConcurrentRuns: 2 } });
    expect(refused.createTask).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ field: "input.maxConcurrentRuns", message: "applies only to overlapPolicy ALLOW (SKIP runs one at a time)" }] });
    const taskId = await h.createTask(serviceId, { overlapPolicy: "ALLOW", maxConcurrentRuns: 2 });
    const away = await client().data(TaskConcurrency, { input: { id: taskId, overlapPolicy: "BUFFER_ALL" } });
    expect(away.updateTask).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ field: "input.overlapPolicy" }] });
    const runs = await Promise.all(Array.from({ length: 6 }, () => h.runTask(taskId)));
    for (const id of runs) await h.waitForRun(id);
    expect(mostAtOnce(await attemptsOf(taskId))).toBe(2);
    const lifted = await client().data(TaskConcurrency, { input: { id: taskId, maxConcurrentRuns: null } });
    expect(lifted.updateTask).toMatchObject({ task: { overlapPolicy: "ALLOW", maxConcurrentRuns: null } });
  });

  it("across two instances on one database: a skip holds against the other's scheduler, and maxConcurrentRuns against the other's executor", async () => {
    const second = await startApp(testConfig(h.server.app.database.location.url), createLogger("silent"), { executorOwnerId: "second-process:1" });
    try {
      const quick = await h.createService("COMMAND", { command: "true" });
      const task = await scheduledTask(quick, { schedule: { standard: { frequencySeconds: 3 } } });
      const { skipNextRun } = await client().data(SkipNextRun, { input: { id: task.id, note: "twice held" } });
      if (skipNextRun.__typename !== "SkipNextRunSuccess") throw new Error(JSON.stringify(skipNextRun));
      const skippedFor = Date.parse(skipNextRun.run.scheduledFor);
      await expect.poll(async () => (await runsOf(task.id)).filter((r) => Date.parse(r.scheduledFor) > skippedFor && r.status === "SUCCEEDED").length, { timeout: 60_000 }).toBeGreaterThanOrEqual(2);
      await client().data(PauseTaskCancellingQueued, { input: { id: task.id } });
      const runs = await runsOf(task.id);
      expect(runs.filter((r) => Date.parse(r.scheduledFor) === skippedFor).map((r) => r.status)).toEqual(["SKIPPED"]);
      expect(new Set(runs.map((r) => r.scheduledFor)).size).toBe(runs.length);

      const slow = await h.createService("COMMAND", { command: nodeCommand("setTimeout(() => {}, 500)") }, { concurrency: 20 });
      const limited = await h.createTask(slow, { overlapPolicy: "ALLOW", maxConcurrentRuns: 2 });
      const ids = await Promise.all(Array.from({ length: 10 }, () => h.runTask(limited)));
      for (const id of ids) await h.waitForRun(id);
      expect(mostAtOnce(await attemptsOf(limited))).toBe(2);
      const owners = await db().run.findMany({ where: { taskId: databaseId(limited) }, select: { ownerId: true } });
      expect(owners.every((o) => o.ownerId === "second-process:1" || o.ownerId === h.server.app.threads.executorOwnerId)).toBe(true);
    } finally {
      await second.stop();
    }
  });
});
