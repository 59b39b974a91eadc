// The pure decisions behind notifications: which outcome a run's end is, and whether a rule
// notifies about it given the task's previous run.
import { describe, expect, it } from "vitest";
import { notifyRulesSchema, outcomeOf, ruleNotifies, type NotifyRule } from "../../src/domain/notifications.js";

const rule = (on: NotifyRule["on"], everyTime = false): NotifyRule => ({ serviceId: "s", on, everyTime });

describe("outcomeOf", () => {
  it("names failures, timeouts, missed occurrences and recoveries, and nothing else", () => {
    expect(outcomeOf({ status: "FAILED", missed: false }, null)).toBe("FAILED");
    expect(outcomeOf({ status: "TIMED_OUT", missed: false }, "SUCCEEDED")).toBe("TIMED_OUT");
    expect(outcomeOf({ status: "SKIPPED", missed: true }, null)).toBe("SKIPPED");
    expect(outcomeOf({ status: "SKIPPED", missed: false }, null)).toBeNull();
    expect(outcomeOf({ status: "SUCCEEDED", missed: false }, "FAILED")).toBe("RECOVERED");
    expect(outcomeOf({ status: "SUCCEEDED", missed: false }, "TIMED_OUT")).toBe("RECOVERED");
    expect(outcomeOf({ status: "SUCCEEDED", missed: false }, "SUCCEEDED")).toBeNull();
    expect(outcomeOf({ status: "SUCCEEDED", missed: false }, null)).toBeNull();
    expect(outcomeOf({ status: "CANCELLED", missed: false }, "FAILED")).toBeNull();
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
