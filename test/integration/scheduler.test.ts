import { describe, expect, it } from "vitest";
import { pauseTask, resumeTask, updateTask } from "../../src/domain/tasks.js";
import { openDatabase, type DbClient } from "../../src/db/database.js";
import { scheduleFromInput } from "../../src/domain/task-schedule.js";
import { previewSchedule } from "../../src/scheduler/time/index.js";
import type { Scheduler } from "../../src/scheduler/scheduler.js";
import { TaskStore, type Claim } from "../../src/scheduler/task-store.js";
import { describeEachDatabase } from "../support/databases.js";
import { useSchedulerHarness } from "../support/scheduler-harness.js";

const second = 1_000;
const iso = (d: Date | null) => d?.toISOString() ?? null;
const everySecond = { standard: { frequencySeconds: 1 } };

describeEachDatabase("the scheduler", (provider) => {
  const h = useSchedulerHarness(provider);
  const taskRow = (id: string) => h.database.client.task.findUniqueOrThrow({ where: { id } });

  it("fires each occurrence once, on time, and keeps nextRunAt persisted", async () => {
    h.clock.set("2026-01-01T00:00:00.000Z");
    const id = await h.createTask({ name: "each-second", schedule: everySecond, overlapPolicy: "ALLOW", payload: { level: 2 } });
    const scheduler = await h.startScheduler();
    for (let i = 0; i < 4; i++) {
      h.clock.advance(second);
      await scheduler.checkNow();
    }
    const runs = await h.runsOf(id);
    expect(runs.map((r) => iso(r.scheduledFor))).toEqual([0, 1, 2, 3, 4].map((s) => `2026-01-01T00:00:0${s}.000Z`));
    expect(runs.every((r) => r.trigger === "SCHEDULE" && r.status === "QUEUED" && iso(r.occurrence) === iso(r.scheduledFor))).toBe(true);
    expect(runs[0]!.payload).toEqual({ from: "service", level: 2 });
    const task = await taskRow(id);
    expect(iso(task.nextRunAt)).toBe("2026-01-01T00:00:05.000Z");
    expect(iso(task.lastRunAt)).toBe("2026-01-01T00:00:04.000Z");
    expect(task.scheduledRunCount).toBe(5);
    expect(task.lastRunStatus).toBe("QUEUED");
  });

  it("keeps a due task when its claim fails, and fires it on the next try", async () => {
    h.clock.set("2026-01-01T00:00:00.000Z");
    const id = await h.createTask({ name: "database-hiccup", schedule: { standard: { frequencySeconds: 60 } } });
    class StoreFailingOnce extends TaskStore {
      failures = 1;
      override async applyClaims(claims: Claim[]) {
        if (this.failures-- > 0) throw new Error("database unreachable");
        return super.applyClaims(claims);
      }
    }
    const scheduler = await h.startScheduler({ store: new StoreFailingOnce(h.database.client, provider) });
    expect(await h.runsOf(id)).toHaveLength(0);
    h.clock.advance(second);
    await scheduler.checkNow();
    expect((await h.runsOf(id)).map((r) => [iso(r.scheduledFor), r.status, r.trigger])).toEqual([["2026-01-01T00:00:00.000Z", "QUEUED", "SCHEDULE"]]);
    expect(scheduler.fireTimeOf(id)).toBe(Date.parse("2026-01-01T00:01:00.000Z"));
  });

  it("does not fire before the occurrence, nor twice when the clock steps back", async () => {
    h.clock.set("2026-01-01T00:00:00.000Z");
    const id = await h.createTask({ name: "clock-back", schedule: { standard: { frequencySeconds: 10 } }, overlapPolicy: "ALLOW" });
    const scheduler = await h.startScheduler();
    h.clock.advance(9_999);
    await scheduler.checkNow();
    expect((await h.runsOf(id)).map((r) => iso(r.scheduledFor))).toEqual(["2026-01-01T00:00:00.000Z"]);
    h.clock.advance(1);
    await scheduler.checkNow();
    h.clock.set("2026-01-01T00:00:05.000Z");
    await scheduler.checkNow();
    h.clock.set("2026-01-01T00:00:10.500Z");
    await scheduler.checkNow();
    expect((await h.runsOf(id)).map((r) => iso(r.scheduledFor))).toEqual(["2026-01-01T00:00:00.000Z", "2026-01-01T00:00:10.000Z"]);
  });

  describe("misfires, after the clock jumps 10 minutes forward", () => {
    async function missTenMinutes(misfirePolicy: string) {
      h.clock.set("2026-01-01T00:00:00.000Z");
      const id = await h.createTask({
        name: `misfire-${misfirePolicy}`,
        schedule: { standard: { frequencySeconds: 60 } },
        misfirePolicy,
        misfireGraceSeconds: 30,
        overlapPolicy: "ALLOW",
      });
      const scheduler = await h.startScheduler();
      h.clock.set("2026-01-01T00:10:20.000Z");
      await scheduler.checkNow();
      return { id, runs: await h.runsOf(id), task: await taskRow(id) };
    }

    it("SKIP records each missed occurrence as skipped and runs the one within the grace", async () => {
      const { runs, task } = await missTenMinutes("SKIP");
      const afterFirst = runs.slice(1);
      expect(afterFirst.filter((r) => r.status === "SKIPPED").map((r) => iso(r.scheduledFor))).toEqual(
        [1, 2, 3, 4, 5, 6, 7, 8, 9].map((m) => `2026-01-01T00:0${m}:00.000Z`),
      );
      expect(afterFirst.filter((r) => r.status === "SKIPPED").every((r) => /missed by \d+s, beyond the 30s grace \(misfire policy SKIP\)/.test(r.reason ?? ""))).toBe(true);
      expect(afterFirst.filter((r) => r.status === "QUEUED").map((r) => [iso(r.scheduledFor), r.trigger])).toEqual([["2026-01-01T00:10:00.000Z", "SCHEDULE"]]);
      expect(iso(task.nextRunAt)).toBe("2026-01-01T00:11:00.000Z");
    });

    it("RUN_ONCE runs the latest missed occurrence as a catch-up and records the others", async () => {
      h.clock.set("2026-01-01T00:00:00.000Z");
      const id = await h.createTask({ name: "misfire-once", schedule: { standard: { frequencySeconds: 60 } }, misfirePolicy: "RUN_ONCE", misfireGraceSeconds: 5, overlapPolicy: "ALLOW" });
      const scheduler = await h.startScheduler();
      h.clock.set("2026-01-01T00:10:20.000Z");
      await scheduler.checkNow();
      const later = (await h.runsOf(id)).slice(1);
      expect(later.filter((r) => r.status === "QUEUED").map((r) => [iso(r.scheduledFor), r.trigger])).toEqual([["2026-01-01T00:10:00.000Z", "CATCHUP"]]);
      expect(later.filter((r) => r.status === "SKIPPED")).toHaveLength(9);
    });

    it("RUN_ALL runs every missed occurrence as catch-ups", async () => {
      const { runs } = await missTenMinutes("RUN_ALL");
      const later = runs.slice(1);
      expect(later.map((r) => [iso(r.scheduledFor), r.status, r.trigger])).toEqual([
        ...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((m) => [`2026-01-01T00:0${m}:00.000Z`, "QUEUED", "CATCHUP"]),
        ["2026-01-01T00:10:00.000Z", "QUEUED", "SCHEDULE"],
      ]);
    });
  });

  it("records missed occurrences beyond the 1,000 listed one by one in a single SKIPPED run", async () => {
    h.clock.set("2026-01-01T00:00:00.000Z");
    const id = await h.createTask({ name: "long-gap", schedule: everySecond, overlapPolicy: "ALLOW" });
    const scheduler = await h.startScheduler();
    h.clock.set("2026-01-01T00:30:00.000Z");
    await scheduler.checkNow();
    // 1,800 due after the first: 61 within the grace (00:29:00 to 00:30:00) run, 1,739 are skipped.
    const runs = (await h.runsOf(id)).slice(1);
    expect(runs.filter((r) => r.status === "QUEUED")).toHaveLength(61);
    const skipped = runs.filter((r) => r.status === "SKIPPED");
    expect(skipped).toHaveLength(1_001);
    expect(skipped[0]).toMatchObject({
      scheduledFor: new Date("2026-01-01T00:00:01.000Z"),
      trigger: "CATCHUP",
      reason: expect.stringMatching(/^739 missed occurrences from 2026-01-01T00:00:01\.000Z to 2026-01-01T00:12:19\.000Z skipped/),
    });
    expect(iso(skipped[1]!.scheduledFor)).toBe("2026-01-01T00:12:20.000Z");
  });

  it("handles occurrences missed while the server was down when it starts again", async () => {
    h.clock.set("2026-01-01T00:00:00.000Z");
    const id = await h.createTask({ name: "downtime", schedule: { standard: { frequencySeconds: 3600 } }, misfirePolicy: "RUN_ONCE", overlapPolicy: "ALLOW" });
    const first = await h.startScheduler();
    await first.stop();
    h.clock.set("2026-01-01T05:30:00.000Z");
    await h.startScheduler();
    const runs = await h.runsOf(id);
    expect(runs.map((r) => [iso(r.scheduledFor), r.status, r.trigger])).toEqual([
      ["2026-01-01T00:00:00.000Z", "QUEUED", "SCHEDULE"],
      ["2026-01-01T01:00:00.000Z", "SKIPPED", "CATCHUP"],
      ["2026-01-01T02:00:00.000Z", "SKIPPED", "CATCHUP"],
      ["2026-01-01T03:00:00.000Z", "SKIPPED", "CATCHUP"],
      ["2026-01-01T04:00:00.000Z", "SKIPPED", "CATCHUP"],
      ["2026-01-01T05:00:00.000Z", "QUEUED", "CATCHUP"],
    ]);
    expect(iso((await taskRow(id)).nextRunAt)).toBe("2026-01-01T06:00:00.000Z");
  });

  describe("overlap, while the first run is still queued", () => {
    async function threeOccurrences(overlapPolicy: string) {
      h.clock.set("2026-01-01T00:00:00.000Z");
      const id = await h.createTask({ name: `overlap-${overlapPolicy}`, schedule: everySecond, overlapPolicy });
      const scheduler = await h.startScheduler();
      for (let i = 0; i < 2; i++) {
        h.clock.advance(second);
        await scheduler.checkNow();
      }
      return { id, statuses: (await h.runsOf(id)).map((r) => r.status) };
    }

    it("SKIP records the later occurrences as skipped", async () => {
      const { id, statuses } = await threeOccurrences("SKIP");
      expect(statuses).toEqual(["QUEUED", "SKIPPED", "SKIPPED"]);
      expect((await h.runsOf(id))[1]!.reason).toBe("the previous run is still active (overlap policy SKIP)");
    });
    it("BUFFER_ONE skips while a run is waiting", async () => expect((await threeOccurrences("BUFFER_ONE")).statuses).toEqual(["QUEUED", "SKIPPED", "SKIPPED"]));
    it("BUFFER_ONE queues one behind a running run", async () => {
      h.clock.set("2026-01-01T00:00:00.000Z");
      const id = await h.createTask({ name: "buffer-one-running", schedule: everySecond, overlapPolicy: "BUFFER_ONE" });
      const scheduler = await h.startScheduler();
      await h.database.client.run.updateMany({ where: { taskId: id }, data: { status: "RUNNING" } });
      for (let i = 0; i < 2; i++) {
        h.clock.advance(second);
        await scheduler.checkNow();
      }
      expect((await h.runsOf(id)).map((r) => r.status)).toEqual(["RUNNING", "QUEUED", "SKIPPED"]);
    });
    it("BUFFER_ALL queues them all", async () => expect((await threeOccurrences("BUFFER_ALL")).statuses).toEqual(["QUEUED", "QUEUED", "QUEUED"]));
    it("ALLOW queues them all", async () => expect((await threeOccurrences("ALLOW")).statuses).toEqual(["QUEUED", "QUEUED", "QUEUED"]));
    it("CANCEL_PREVIOUS queues each and asks for the active one to be cancelled", async () => {
      const { id, statuses } = await threeOccurrences("CANCEL_PREVIOUS");
      expect(statuses).toEqual(["QUEUED", "QUEUED", "QUEUED"]);
      const runs = await h.runsOf(id);
      // Each new occurrence replaces the runs queued before it.
      expect(h.emitted.runsSuperseded).toEqual([{ runs: [{ taskId: id, runId: runs[1]!.id }] }, { runs: [{ taskId: id, runId: runs[2]!.id }] }]);
    });
    it("SKIP lets the next occurrence run once the previous run has finished", async () => {
      h.clock.set("2026-01-01T00:00:00.000Z");
      const id = await h.createTask({ name: "overlap-finished", schedule: everySecond });
      const scheduler = await h.startScheduler();
      await h.database.client.run.updateMany({ where: { taskId: id }, data: { status: "SUCCEEDED" } });
      h.clock.advance(second);
      await scheduler.checkNow();
      expect((await h.runsOf(id)).map((r) => r.status)).toEqual(["SUCCEEDED", "QUEUED"]);
    });
  });

  it("completes a task after maxRuns, and one whose endAt has passed", async () => {
    h.clock.set("2026-01-01T00:00:00.000Z");
    const limited = await h.createTask({ name: "max-3", schedule: everySecond, maxRuns: 3, overlapPolicy: "ALLOW" });
    const ending = await h.createTask({ name: "ends", schedule: { standard: { frequencySeconds: 1, endAt: new Date("2026-01-01T00:00:01.000Z") } }, overlapPolicy: "ALLOW" });
    const scheduler = await h.startScheduler();
    for (let i = 0; i < 5; i++) {
      h.clock.advance(second);
      await scheduler.checkNow();
    }
    expect(await h.runsOf(limited)).toHaveLength(3);
    expect(await h.runsOf(ending)).toHaveLength(2);
    for (const id of [limited, ending]) {
      expect(await taskRow(id)).toMatchObject({ state: "COMPLETED", nextRunAt: null });
      expect(h.emitted.taskChanged).toContainEqual({ taskId: id, change: "COMPLETED" });
    }
    expect(scheduler.size).toBe(0);
  });

  it("counts towards maxRuns only the runs it queues, not an occurrence recorded already", async () => {
    h.clock.set("2026-01-01T00:00:00.000Z");
    const id = await h.createTask({ name: "recorded-already", schedule: everySecond, maxRuns: 1, overlapPolicy: "ALLOW" });
    // The first occurrence already has a run (recorded before the clock stepped back, say).
    await h.database.client.run.create({
      data: { taskId: id, trigger: "SCHEDULE", status: "SUCCEEDED", scheduledFor: h.clock.date, occurrence: h.clock.date, payload: {}, claimedAt: h.clock.date },
    });
    const scheduler = await h.startScheduler();
    expect(await taskRow(id)).toMatchObject({ scheduledRunCount: 0, state: "ACTIVE", nextRunAt: new Date("2026-01-01T00:00:01.000Z") });
    expect(scheduler.fireTimeOf(id)).toBe(Date.parse("2026-01-01T00:00:01.000Z"));
    expect(h.emitted.runsCreated).toEqual([]);
    h.clock.advance(second);
    await scheduler.checkNow();
    expect((await h.runsOf(id)).map((r) => [iso(r.scheduledFor), r.status])).toEqual([
      ["2026-01-01T00:00:00.000Z", "SUCCEEDED"],
      ["2026-01-01T00:00:01.000Z", "QUEUED"],
    ]);
    expect(await taskRow(id)).toMatchObject({ scheduledRunCount: 1, state: "COMPLETED", nextRunAt: null });
  });

  it("starts tasks that share every setting each from its own place in its series, with its own payload and run count", async () => {
    h.clock.set("2026-01-01T00:00:00.000Z");
    const schedule = { standard: { startAt: new Date("2026-01-01T00:00:00.000Z"), frequencySeconds: 60 } };
    const early = await h.createTask({ name: "shared-early", schedule, payload: { level: 2 }, maxRuns: 3, overlapPolicy: "ALLOW" });
    const first = await h.startScheduler();
    h.clock.set("2026-01-01T00:01:00.000Z");
    await first.checkNow();
    await first.stop();
    h.clock.set("2026-01-01T00:01:30.000Z");
    const late = await h.createTask({ name: "shared-late", schedule, payload: { level: 2 }, maxRuns: 3, overlapPolicy: "ALLOW" });
    const other = await h.createTask({ name: "shared-other-payload", schedule, payload: { level: 3 }, maxRuns: 3, overlapPolicy: "ALLOW" });
    const scheduler = await h.startScheduler();
    h.clock.set("2026-01-01T00:02:00.000Z");
    await scheduler.checkNow();
    // Due together from one schedule, each is planned from its own run count.
    expect(await taskRow(early)).toMatchObject({ scheduledRunCount: 3, version: 3, state: "COMPLETED" });
    expect(await taskRow(late)).toMatchObject({ scheduledRunCount: 1, version: 1, state: "ACTIVE" });
    expect((await h.runsOf(early)).map((r) => iso(r.scheduledFor))).toEqual(["00", "01", "02"].map((m) => `2026-01-01T00:${m}:00.000Z`));
    expect((await h.runsOf(other)).map((r) => r.payload)).toEqual([{ from: "service", level: 3 }]);
    expect((await h.runsOf(late)).map((r) => r.payload)).toEqual([{ from: "service", level: 2 }]);
  });

  it("takes a changed schedule into account at once", async () => {
    h.clock.set("2026-01-01T00:00:00.000Z");
    const id = await h.createTask({ name: "edited", schedule: { standard: { frequencySeconds: 3600 } }, overlapPolicy: "ALLOW" });
    const scheduler = await h.startScheduler();
    h.clock.set("2026-01-01T00:00:30.000Z");
    await updateTask({ db: h.database.client, now: h.clock.date }, id, { schedule: { standard: { frequencySeconds: 60 } } });
    scheduler.reload([id]);
    await scheduler.checkNow();
    expect(scheduler.fireTimeOf(id)).toBe(Date.parse("2026-01-01T00:01:30.000Z"));
    h.clock.set("2026-01-01T00:01:30.000Z");
    await scheduler.checkNow();
    expect((await h.runsOf(id)).map((r) => iso(r.scheduledFor))).toEqual([
      "2026-01-01T00:00:00.000Z",
      "2026-01-01T00:00:30.000Z",
      "2026-01-01T00:01:30.000Z",
    ]);
  });

  it("does not fire a paused task, and resumes from now without counting the pause as missed", async () => {
    h.clock.set("2026-01-01T00:00:00.000Z");
    const id = await h.createTask({ name: "paused", schedule: { standard: { frequencySeconds: 60 } }, overlapPolicy: "ALLOW" });
    const scheduler = await h.startScheduler();
    const deps = () => ({ db: h.database.client, now: h.clock.date });
    await pauseTask(deps(), id, "maintenance");
    scheduler.reload([id]);
    h.clock.set("2026-01-01T00:30:10.000Z");
    await scheduler.checkNow();
    expect(await h.runsOf(id)).toHaveLength(1);
    expect(await resumeTask(deps(), id)).toBe("ACTIVE");
    scheduler.reload([id]);
    h.clock.set("2026-01-01T00:31:00.000Z");
    await scheduler.checkNow();
    expect((await h.runsOf(id)).map((r) => [iso(r.scheduledFor), r.status])).toEqual([
      ["2026-01-01T00:00:00.000Z", "QUEUED"],
      ["2026-01-01T00:31:00.000Z", "QUEUED"],
    ]);
  });

  describe("a claim that lands between an API change's read and its write", () => {
    /** A client whose first task update lets the one-shot fire (its claim commits) first. */
    function claimingBeforeFirstWrite(scheduler: Scheduler, fireAt: string) {
      const state = { claimed: false };
      const db = h.database.client.$extends({
        query: {
          task: {
            async update({ args, query }) {
              if (!state.claimed) {
                state.claimed = true;
                h.clock.set(fireAt);
                await scheduler.checkNow();
              }
              return query(args);
            },
          },
        },
      }) as unknown as DbClient;
      return { db, state };
    }
    const oneShot = { once: { at: new Date("2026-01-01T00:01:00.000Z") } };

    it("is kept by an update that does not touch the schedule", async () => {
      h.clock.set("2026-01-01T00:00:00.000Z");
      const id = await h.createTask({ name: "raced-update", schedule: oneShot });
      const scheduler = await h.startScheduler();
      const racing = claimingBeforeFirstWrite(scheduler, "2026-01-01T00:01:00.000Z");
      await updateTask({ db: racing.db, now: new Date("2026-01-01T00:00:59.000Z") }, id, { description: "edited while firing" });
      expect(racing.state.claimed).toBe(true);
      expect(await taskRow(id)).toMatchObject({ state: "COMPLETED", nextRunAt: null, scheduledRunCount: 1, description: "edited while firing" });
      scheduler.reload([id]);
      h.clock.advance(60 * second);
      await scheduler.checkNow();
      expect(await h.runsOf(id)).toHaveLength(1);
      expect(await taskRow(id)).toMatchObject({ state: "COMPLETED", scheduledRunCount: 1 });
    });

    it("makes the change be planned again from what the claim wrote", async () => {
      h.clock.set("2026-01-01T00:00:00.000Z");
      const id = await h.createTask({ name: "raced-pause", schedule: oneShot });
      const scheduler = await h.startScheduler();
      const racing = claimingBeforeFirstWrite(scheduler, "2026-01-01T00:01:00.000Z");
      // Read ACTIVE, but by the write the task has completed: pausing it no longer applies.
      await expect(pauseTask({ db: racing.db, now: new Date("2026-01-01T00:00:59.000Z") }, id, "too late")).rejects.toMatchObject({ name: "StateError" });
      expect(racing.state.claimed).toBe(true);
      expect(await taskRow(id)).toMatchObject({ state: "COMPLETED", pauseNote: null, scheduledRunCount: 1 });
    });
  });

  it("keeps a task whose maxRuns is reached COMPLETED when its schedule is edited", async () => {
    h.clock.set("2026-01-01T00:00:00.000Z");
    const id = await h.createTask({ name: "used-up", schedule: everySecond, maxRuns: 1 });
    await h.startScheduler();
    expect(await taskRow(id)).toMatchObject({ state: "COMPLETED", scheduledRunCount: 1 });
    await updateTask({ db: h.database.client, now: h.clock.date }, id, { schedule: { standard: { frequencySeconds: 60 } } });
    expect(await taskRow(id)).toMatchObject({ state: "COMPLETED", nextRunAt: null });
    await updateTask({ db: h.database.client, now: h.clock.date }, id, { maxRuns: 2, schedule: { standard: { frequencySeconds: 60 } } });
    expect(await taskRow(id)).toMatchObject({ state: "ACTIVE", nextRunAt: new Date("2026-01-01T00:00:00.000Z") });
  });

  it("starts a STANDARD schedule without startAt when the task is scheduled, not when it was created", async () => {
    h.clock.set("2026-01-01T00:00:00.000Z");
    const deps = () => ({ db: h.database.client, now: h.clock.date });
    const once = await h.createTask({ name: "start-on-resume", schedule: { standard: {} } }, false);
    const repeating = await h.createTask({ name: "repeat-on-resume", schedule: { standard: { frequencySeconds: 60 } } }, false);
    expect((await taskRow(once)).schedule).toMatchObject({ startAt: null });
    const scheduler = await h.startScheduler();
    h.clock.set("2026-01-01T00:05:30.000Z");
    for (const id of [once, repeating]) expect(await resumeTask(deps(), id)).toBe("ACTIVE");
    expect((await taskRow(once)).schedule).toMatchObject({ startAt: "2026-01-01T00:05:30.000Z" });
    scheduler.reload([once, repeating]);
    await scheduler.checkNow();
    h.clock.set("2026-01-01T00:06:30.000Z");
    await scheduler.checkNow();
    expect((await h.runsOf(once)).map((r) => [iso(r.scheduledFor), r.status])).toEqual([["2026-01-01T00:05:30.000Z", "QUEUED"]]);
    expect(await taskRow(once)).toMatchObject({ state: "COMPLETED" });
    expect((await h.runsOf(repeating)).map((r) => iso(r.scheduledFor))).toEqual(["2026-01-01T00:05:30.000Z", "2026-01-01T00:06:30.000Z"]);
  });

  it("fires exactly what previewSchedule lists from the moment the task is scheduled", async () => {
    h.clock.set("2026-01-01T00:00:00.000Z");
    const schedules = [{ standard: {} }, { standard: { frequencySeconds: 60 } }, { cron: { expression: "* * * * *" } }];
    const ids: string[] = [];
    for (const [i, schedule] of schedules.entries()) ids.push(await h.createTask({ name: `as-previewed-${i}`, schedule, overlapPolicy: "ALLOW" }));
    const previews = schedules.map((schedule) => previewSchedule(scheduleFromInput(schedule, "UTC", h.clock.date), "UTC", h.clock.date, 3).map(iso));
    expect(previews[0]).toEqual(["2026-01-01T00:00:00.000Z"]);
    const scheduler = await h.startScheduler();
    for (let minute = 1; minute <= 2; minute++) {
      h.clock.set(`2026-01-01T00:0${minute}:00.000Z`);
      await scheduler.checkNow();
    }
    for (const [i, id] of ids.entries()) expect((await h.runsOf(id)).map((r) => iso(r.scheduledFor)), JSON.stringify(schedules[i])).toEqual(previews[i]);
  });

  it("delays each occurrence by its jitter and records it", async () => {
    h.clock.set("2026-01-01T00:00:00.000Z");
    const id = await h.createTask({ name: "jittered", schedule: { standard: { startAt: new Date("2026-01-01T00:01:00.000Z"), frequencySeconds: 60 } }, jitterSeconds: 10, overlapPolicy: "ALLOW" }, true);
    const scheduler = await h.startScheduler({ random: () => 0.5 });
    h.clock.set("2026-01-01T00:01:04.999Z");
    await scheduler.checkNow();
    expect(await h.runsOf(id)).toHaveLength(0);
    h.clock.set("2026-01-01T00:01:05.000Z");
    await scheduler.checkNow();
    expect((await h.runsOf(id)).map((r) => [iso(r.scheduledFor), r.jitterMs])).toEqual([["2026-01-01T00:01:00.000Z", 5000]]);
    // After a jump the first due occurrences are skipped: the jitter goes with the run queued.
    h.clock.set("2026-01-01T00:05:05.000Z");
    await scheduler.checkNow();
    expect((await h.runsOf(id)).slice(1).map((r) => [iso(r.scheduledFor), r.status, r.jitterMs])).toEqual([
      ["2026-01-01T00:02:00.000Z", "SKIPPED", 0],
      ["2026-01-01T00:03:00.000Z", "SKIPPED", 0],
      ["2026-01-01T00:04:00.000Z", "QUEUED", 5000],
      ["2026-01-01T00:05:00.000Z", "QUEUED", 0],
    ]);
  });

  it("lets only one of two schedulers sharing the database claim an occurrence", async () => {
    h.clock.set("2026-01-01T00:00:00.000Z");
    const ids = await Promise.all([1, 2, 3].map((n) => h.createTask({ name: `shared-${n}`, schedule: everySecond, overlapPolicy: "ALLOW" })));
    const second_db = await openDatabase(h.database.location);
    try {
      const a = await h.startScheduler();
      const b = await h.startScheduler({ database: second_db });
      for (let i = 0; i < 5; i++) {
        h.clock.advance(second);
        // b plans from what it read before a's claims: its claims must all lose.
        await a.checkNow();
        await b.checkNow();
      }
      for (const id of ids) {
        const occurrences = (await h.runsOf(id)).map((r) => iso(r.scheduledFor));
        expect(occurrences).toEqual([0, 1, 2, 3, 4, 5].map((s) => `2026-01-01T00:00:0${s}.000Z`));
        expect((await taskRow(id)).scheduledRunCount).toBe(6);
      }
    } finally {
      await second_db.close();
    }
  });
});
