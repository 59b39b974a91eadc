import { describe, expect, it } from "vitest";
import { OperationNames } from "../../src/metrics/operation-names.js";

describe("operation names as metric labels", () => {
  it("admit the names of operations that ran, up to a maximum, then count the others as other", () => {
    const names = new OperationNames(2);
    expect([names.ofExecuted("Tasks"), names.ofExecuted("Runs"), names.ofExecuted("Devices"), names.ofExecuted("Tasks")]).toEqual(["Tasks", "Runs", "other", "Tasks"]);
  });

  it("collapse anonymous operations and names that are not GraphQL names", () => {
    const names = new OperationNames();
    expect([names.ofExecuted(undefined), names.ofExecuted(null), names.ofExecuted(""), names.ofExecuted("not a name"), names.ofExecuted("x".repeat(101))]).toEqual([
      "anonymous",
      "anonymous",
      "anonymous",
      "unknown",
      "unknown",
    ]);
  });

  it("give a refused request a name only if an operation that ran had it", () => {
    const names = new OperationNames();
    expect(names.ofRefused("Tasks")).toBe("unknown");
    names.ofExecuted("Tasks");
    expect([names.ofRefused("Tasks"), names.ofRefused(42), names.ofRefused(undefined)]).toEqual(["Tasks", "unknown", "unknown"]);
    // Refused names never fill the set.
    for (let i = 0; i < 1_000; i++) names.ofRefused(`Junk${i}`);
    expect(names.ofExecuted("Runs")).toBe("Runs");
  });
});
