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
    ...overrides,
  };
}

const idle = { queued: 0, running: 0 };

describe("planFire", () => {
  it("runs an on-time occurrence and moves to the next one", () => {
    const plan = planFire(everyMinute(), at("2026-03-01T00:00:00.120Z"), idle);
    expect(plan.runs).toEqual([{ occurrence: at("2026-03-01T00:00:00Z"), trigger: "SCHEDULE", status: "QUEUED", reason: null }]);
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

  it("under CANCEL_PREVIOUS with several due occurrences, keeps only the newest", () => {
    const plan = planFire(everyMinute({ overlapPolicy: "CANCEL_PREVIOUS", misfirePolicy: "RUN_ALL" }), at("2026-03-01T00:03:00Z"), idle);
    expect(plan.runs.map((r) => r.status)).toEqual(["SKIPPED", "SKIPPED", "SKIPPED", "QUEUED"]);
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
