import { describe, expect, it } from "vitest";
import { planFire, type SchedulableTask } from "../../src/scheduler/fire-plan.js";

const at = (iso: string) => new Date(iso);
const iso = (d: Date | null) => d?.toISOString() ?? null;

function everyMinute(overrides: Partial<SchedulableTask> = {}): SchedulableTask {
  return {
    id: "t",
    version: 3,
    schedule: { kind: "STANDARD", startAt: at("2026-03-01T00:00:00Z"), frequencySeconds: 60, endAt: null },
    timezone: "UTC",
    dstPolicy: "VIXIE",
    nextRunAt: at("2026-03-01T00:00:00Z"),
    scheduledRunCount: 0,
    maxRuns: null,
    misfirePolicy: "SKIP",
    misfireGraceSeconds: 60,
    overlapPolicy: "ALLOW",
    maxConcurrentRuns: null,
    ...overrides,
  };
}

const idle = { queued: 0, running: 0 };

describe("planFire", () => {
  it("runs an on-time occurrence and moves to the next one", () => {
    const plan = planFire(everyMinute(), at("2026-03-01T00:00:00.120Z"), idle);
    expect(plan.runs).toEqual([{ occurrence: at("2026-03-01T00:00:00Z"), trigger: "SCHEDULE", status: "QUEUED", reason: null, outcome: "queued", occurrences: 1, overlapPolicy: null }]);
    expect(iso(plan.nextRunAt)).toBe("2026-03-01T00:01:00.000Z");
    expect(plan).toMatchObject({ state: "ACTIVE", queued: 1, supersedeActiveRuns: false });
  });

  it("counts a late occurrence within the grace as on time", () => {
    const plan = planFire(everyMinute(), at("2026-03-01T00:00:59Z"), idle);
    expect(plan.runs.map((r) => [r.status, r.trigger])).toEqual([["QUEUED", "SCHEDULE"]]);
  });

  it("measures lateness from the occurrence plus its jitter", () => {
    // Fired 5 minutes after the occurrence, 4m50s of it jitter: 10 s late, within the grace.
    const plan = planFire(everyMinute({ overlapPolicy: "SKIP" }), at("2026-03-01T00:05:00Z"), idle, 290_000);
    expect(plan.runs.filter((r) => r.status === "QUEUED").map((r) => [iso(r.occurrence), r.trigger])).toEqual([
      ["2026-03-01T00:00:00.000Z", "SCHEDULE"],
    ]);
    const unjittered = planFire(everyMinute({ overlapPolicy: "SKIP" }), at("2026-03-01T00:05:00Z"), idle);
    expect(unjittered.runs[0]).toMatchObject({ status: "SKIPPED", trigger: "CATCHUP" });
  });

  it("lists every missed occurrence once under each misfire policy", () => {
    const now = at("2026-03-01T03:00:30Z");
    for (const misfirePolicy of ["SKIP", "RUN_ONCE", "RUN_ALL"] as const) {
      const plan = planFire(everyMinute({ misfirePolicy }), now, idle);
      expect(plan.runs).toHaveLength(181);
      expect(new Set(plan.runs.map((r) => r.occurrence.getTime())).size).toBe(181);
      expect(iso(plan.nextRunAt)).toBe("2026-03-01T03:01:00.000Z");
      const queued = plan.runs.filter((r) => r.status === "QUEUED").map((r) => iso(r.occurrence));
      if (misfirePolicy === "RUN_ALL") expect(queued).toHaveLength(100);
      else expect(queued).toEqual(["2026-03-01T03:00:00.000Z"]);
    }
  });

  it("stops at maxRuns and completes the task", () => {
    const plan = planFire(everyMinute({ maxRuns: 5, scheduledRunCount: 3, misfirePolicy: "RUN_ALL" }), at("2026-03-01T00:10:00Z"), idle);
    expect(plan.runs.filter((r) => r.status === "QUEUED")).toHaveLength(2);
    expect(plan).toMatchObject({ state: "COMPLETED", nextRunAt: null, queued: 2 });
  });

  it("completes a task whose schedule has no occurrence left", () => {
    const task = everyMinute({ schedule: { kind: "ONCE", at: at("2026-03-01T00:00:00Z") } });
    expect(planFire(task, at("2026-03-01T00:00:00Z"), idle)).toMatchObject({ state: "COMPLETED", nextRunAt: null, queued: 1 });
  });

  it("applies the overlap policy against the runs still active", () => {
    const now = at("2026-03-01T00:00:00Z");
    const status = (overlapPolicy: SchedulableTask["overlapPolicy"], active: { queued: number; running: number }) =>
      planFire(everyMinute({ overlapPolicy }), now, active).runs[0]!.status;
    expect(status("SKIP", { queued: 0, running: 1 })).toBe("SKIPPED");
    expect(status("SKIP", idle)).toBe("QUEUED");
    expect(status("BUFFER_ONE", { queued: 0, running: 1 })).toBe("QUEUED");
    expect(status("BUFFER_ONE", { queued: 1, running: 1 })).toBe("SKIPPED");
    expect(status("BUFFER_ALL", { queued: 4, running: 1 })).toBe("QUEUED");
    expect(status("ALLOW", { queued: 4, running: 1 })).toBe("QUEUED");
    const cancelling = planFire(everyMinute({ overlapPolicy: "CANCEL_PREVIOUS" }), now, { queued: 0, running: 1 });
    expect(cancelling).toMatchObject({ supersedeActiveRuns: true, queued: 1 });
  });

  it("tells what became of each occurrence, as the metrics count them", () => {
    const outcomes = (plan: ReturnType<typeof planFire>) => plan.runs.map((r) => [r.outcome, r.occurrences]);
    const now = at("2026-03-01T00:03:00Z");
    // Every occurrence is later than the 10 s grace: the latest is caught up, the others skipped.
    expect(outcomes(planFire(everyMinute({ misfirePolicy: "RUN_ONCE", misfireGraceSeconds: 10 }), at("2026-03-01T00:03:30Z"), idle))).toEqual([
      ["skipped_misfire", 1],
      ["skipped_misfire", 1],
      ["skipped_misfire", 1],
      ["caught_up", 1],
    ]);
    expect(outcomes(planFire(everyMinute({ overlapPolicy: "SKIP" }), at("2026-03-01T00:00:10Z"), { queued: 0, running: 1 }))).toEqual([["skipped_overlap", 1]]);
    // Fired 30 s late: of the occurrences due within the grace, CANCEL_PREVIOUS runs only the newest.
    const everyHalfMinute = everyMinute({ overlapPolicy: "CANCEL_PREVIOUS", schedule: { kind: "STANDARD", startAt: at("2026-03-01T00:00:00Z"), frequencySeconds: 30, endAt: null } });
    expect(outcomes(planFire({ ...everyHalfMinute, nextRunAt: at("2026-03-01T00:02:00Z") }, now, idle)).map(([outcome]) => outcome)).toEqual([
      "skipped_overlap",
      "skipped_overlap",
      "queued",
    ]);
  });

  it("under CANCEL_PREVIOUS with several due occurrences on time, keeps only the newest", () => {
    // Fired 30 s late: 00:02:00 and 00:02:30 are both due and within the grace.
    const task = everyMinute({ overlapPolicy: "CANCEL_PREVIOUS", schedule: { kind: "STANDARD", startAt: at("2026-03-01T00:00:00Z"), frequencySeconds: 30, endAt: null } });
    const plan = planFire({ ...task, nextRunAt: at("2026-03-01T00:02:00Z") }, at("2026-03-01T00:03:00Z"), idle);
    expect(plan.runs.map((r) => r.status)).toEqual(["SKIPPED", "SKIPPED", "QUEUED"]);
  });

  it("queues the catch-up runs of one misfire one after the other, whatever the overlap policy", () => {
    const now = at("2026-03-01T00:03:00Z");
    for (const overlapPolicy of ["SKIP", "BUFFER_ONE", "BUFFER_ALL", "CANCEL_PREVIOUS", "ALLOW"] as const) {
      const plan = planFire(everyMinute({ overlapPolicy, misfirePolicy: "RUN_ALL" }), now, idle);
      expect(plan.runs.map((r) => [iso(r.occurrence), r.trigger, r.status])).toEqual([
        ["2026-03-01T00:00:00.000Z", "CATCHUP", "QUEUED"],
        ["2026-03-01T00:01:00.000Z", "CATCHUP", "QUEUED"],
        ["2026-03-01T00:02:00.000Z", "SCHEDULE", "QUEUED"],
        ["2026-03-01T00:03:00.000Z", "SCHEDULE", "QUEUED"],
      ]);
      // Under ALLOW they would run side by side: they carry BUFFER_ALL of their own.
      expect(new Set(plan.runs.map((r) => r.overlapPolicy))).toEqual(new Set([overlapPolicy === "ALLOW" ? "BUFFER_ALL" : null]));
      expect(plan.queued).toBe(4);
    }
    // The overlap policy judges the chain against the runs active before it: all or none.
    const busy = planFire(everyMinute({ overlapPolicy: "SKIP", misfirePolicy: "RUN_ALL" }), now, { queued: 0, running: 1 });
    expect(busy.runs.map((r) => r.status)).toEqual(["SKIPPED", "SKIPPED", "SKIPPED", "SKIPPED"]);
    expect(busy.runs[0]!.reason).toBe("the previous run is still active (overlap policy SKIP)");
    const cancelling = planFire(everyMinute({ overlapPolicy: "CANCEL_PREVIOUS", misfirePolicy: "RUN_ALL" }), now, { queued: 0, running: 1 });
    expect(cancelling).toMatchObject({ queued: 4, supersedeActiveRuns: true });
  });

  it("under ALLOW skips an occurrence while maxConcurrentRuns runs are active", () => {
    const now = at("2026-03-01T00:00:00Z");
    const plan = (active: { queued: number; running: number }) => planFire(everyMinute({ overlapPolicy: "ALLOW", maxConcurrentRuns: 3 }), now, active).runs[0]!;
    expect(plan({ queued: 1, running: 1 }).status).toBe("QUEUED");
    expect(plan({ queued: 1, running: 2 })).toMatchObject({ status: "SKIPPED", reason: "3 runs are already active (maxConcurrentRuns 3)" });
  });

  it("copes with a day of missed every-second occurrences, recording the oldest together", () => {
    const task = everyMinute({ schedule: { kind: "STANDARD", startAt: at("2026-03-01T00:00:00Z"), frequencySeconds: 1, endAt: null } });
    const plan = planFire(task, at("2026-03-02T00:00:00.500Z"), idle);
    // The last 60 are within the grace and run; of the 86,341 missed, the latest 1,000 are
    // recorded one by one and the 85,341 before them by one run at the first of them.
    expect(plan.runs.filter((r) => r.status === "QUEUED")).toHaveLength(60);
    const skipped = plan.runs.filter((r) => r.status === "SKIPPED");
    expect(skipped).toHaveLength(1_001);
    expect(skipped[0]).toEqual({
      occurrence: at("2026-03-01T00:00:00Z"),
      trigger: "CATCHUP",
      status: "SKIPPED",
      reason: "85341 missed occurrences from 2026-03-01T00:00:00.000Z to 2026-03-01T23:42:20.000Z skipped (misfire policy SKIP), beyond the 1000 recorded one by one",
      outcome: "skipped_misfire",
      occurrences: 85_341,
      overlapPolicy: null,
    });
    expect(iso(skipped[1]!.occurrence)).toBe("2026-03-01T23:42:21.000Z");
    expect(new Set(plan.runs.map((r) => r.occurrence.getTime())).size).toBe(plan.runs.length);
    expect(iso(plan.nextRunAt)).toBe("2026-03-02T00:00:01.000Z");
  });

  it("says so when a gap was too long even to list", () => {
    const task = everyMinute({ schedule: { kind: "STANDARD", startAt: at("2026-03-01T00:00:00Z"), frequencySeconds: 1, endAt: null } });
    const plan = planFire(task, at("2026-03-03T00:00:00Z"), idle);
    expect(plan.runs[0]).toMatchObject({
      occurrence: at("2026-03-01T00:00:00Z"),
      reason:
        "99001 missed occurrences from 2026-03-01T00:00:00.000Z to 2026-03-02T03:30:00.000Z and every occurrence from 2026-03-02T03:46:41.000Z until 2026-03-03T00:00:00.000Z skipped (misfire policy SKIP), beyond the 1000 recorded one by one",
    });
    expect(iso(plan.nextRunAt)).toBe("2026-03-03T00:00:01.000Z");
  });
});
