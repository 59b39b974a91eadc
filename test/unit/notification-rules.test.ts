// The pure decisions behind notifications: which outcome a run's end is, and whether a rule
// notifies about it given the task's previous run.
import { describe, expect, it } from "vitest";
import { notifyRulesSchema, outcomeOf, ruleNotifies, type NotifyRule } from "../../src/domain/notifications.js";

const rule = (on: NotifyRule["on"], everyTime = false): NotifyRule => ({ serviceId: "s", on, everyTime });

describe("outcomeOf", () => {
  it("names failures, timeouts, missed occurrences, missed deadlines and recoveries, and nothing else", () => {
    expect(outcomeOf({ status: "FAILED", missed: false, deadlineMissed: false }, null)).toBe("FAILED");
    expect(outcomeOf({ status: "TIMED_OUT", missed: false, deadlineMissed: false }, "SUCCEEDED")).toBe("TIMED_OUT");
    expect(outcomeOf({ status: "SKIPPED", missed: true, deadlineMissed: false }, null)).toBe("SKIPPED");
    expect(outcomeOf({ status: "SKIPPED", missed: false, deadlineMissed: false }, null)).toBeNull();
    expect(outcomeOf({ status: "SKIPPED", missed: false, deadlineMissed: true }, "FAILED")).toBe("DEADLINE_MISSED");
    expect(outcomeOf({ status: "SUCCEEDED", missed: false, deadlineMissed: false }, "FAILED")).toBe("RECOVERED");
    expect(outcomeOf({ status: "SUCCEEDED", missed: false, deadlineMissed: false }, "TIMED_OUT")).toBe("RECOVERED");
    expect(outcomeOf({ status: "SUCCEEDED", missed: false, deadlineMissed: false }, "SUCCEEDED")).toBeNull();
    expect(outcomeOf({ status: "SUCCEEDED", missed: false, deadlineMissed: false }, null)).toBeNull();
    expect(outcomeOf({ status: "CANCELLED", missed: false, deadlineMissed: false }, "FAILED")).toBeNull();
  });
});

describe("ruleNotifies", () => {
  it("notifies once per change of outcome unless everyTime", () => {
    expect(ruleNotifies(rule(["FAILED"]), "FAILED", "SUCCEEDED")).toBe(true);
    expect(ruleNotifies(rule(["FAILED"]), "FAILED", null)).toBe(true);
    expect(ruleNotifies(rule(["FAILED"]), "FAILED", "FAILED")).toBe(false);
    expect(ruleNotifies(rule(["FAILED"], true), "FAILED", "FAILED")).toBe(true);
    expect(ruleNotifies(rule(["FAILED"]), "FAILED", "TIMED_OUT")).toBe(true);
    expect(ruleNotifies(rule(["FAILED"]), "TIMED_OUT", "SUCCEEDED")).toBe(false);
    expect(ruleNotifies(rule(["RECOVERED"]), "RECOVERED", "FAILED")).toBe(true);
    expect(ruleNotifies(rule(["DEADLINE_MISSED"]), "DEADLINE_MISSED", "SUCCEEDED")).toBe(true);
    expect(ruleNotifies(rule(["DEADLINE_MISSED"]), "DEADLINE_MISSED", "DEADLINE_MISSED")).toBe(false);
    expect(ruleNotifies(rule(["SKIPPED"]), "DEADLINE_MISSED", null)).toBe(false);
  });
});

describe("notifyRulesSchema", () => {
  it("takes each outcome once, defaults everyTime to false, and refuses empty outcomes and unknown ones", () => {
    expect(notifyRulesSchema.parse([{ serviceId: "s", on: ["FAILED", "FAILED"] }])).toEqual([{ serviceId: "s", on: ["FAILED"], everyTime: false }]);
    expect(notifyRulesSchema.safeParse([{ serviceId: "s", on: [] }]).success).toBe(false);
    expect(notifyRulesSchema.safeParse([{ serviceId: "s", on: ["EXPLODED"] }]).success).toBe(false);
    expect(notifyRulesSchema.safeParse([{ serviceId: "s", on: ["FAILED"], every: true }]).success).toBe(false);
  });
});
