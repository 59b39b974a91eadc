import { describe, expect, it } from "vitest";
import { Semaphore } from "../../src/execution/concurrency.js";
import { maxBackoffMs, retryDelayMs, summarizeRun } from "../../src/execution/run-outcome.js";
import { chooseTargetRefs, mergeDevices, type TargetDevice } from "../../src/execution/targets.js";
import { serviceKinds } from "../../src/domain/service-kinds.js";

const device = (id: string, name: string): TargetDevice => ({ id, name, address: `${name}.local`, properties: {} });

describe("targets", () => {
  it("are the task's when it names any, else the service's", () => {
    const service = { deviceIds: ["s"], poolIds: [] };
    expect(chooseTargetRefs({ deviceIds: [], poolIds: ["p"] }, service)).toEqual({ deviceIds: [], poolIds: ["p"] });
    expect(chooseTargetRefs({ deviceIds: [], poolIds: [] }, service)).toBe(service);
  });

  it("list each device once, in name order", () => {
    const a = device("1", "a");
    const b = device("2", "b");
    const c = device("3", "c");
    expect(mergeDevices([c, a], [a, b], [b, c]).map((d) => d.name)).toEqual(["a", "b", "c"]);
  });
});

describe("retry backoff", () => {
  it("doubles per attempt, jittered between half and all of it, and is capped", () => {
    expect(retryDelayMs(10, 2, () => 0)).toBe(5_000);
    expect(retryDelayMs(10, 2, () => 1)).toBe(10_000);
    expect(retryDelayMs(10, 3, () => 1)).toBe(20_000);
    expect(retryDelayMs(10, 4, () => 0.5)).toBe(30_000);
    expect(retryDelayMs(10, 30, () => 1)).toBe(maxBackoffMs);
    expect(retryDelayMs(0, 5, () => 1)).toBe(0);
  });
});

describe("run summary", () => {
  it("is SUCCEEDED only when every target succeeded", () => {
    expect(summarizeRun(["SUCCEEDED", "SUCCEEDED"], null)).toEqual({ status: "SUCCEEDED", targetCount: 2, succeededCount: 2, failedCount: 0, reason: null });
  });

  it("is FAILED with counts when any target failed", () => {
    expect(summarizeRun(["SUCCEEDED", "FAILED", "TIMED_OUT"], null)).toEqual({
      status: "FAILED",
      targetCount: 3,
      succeededCount: 1,
      failedCount: 2,
      reason: "1 failed, 1 timed out of 3 targets",
    });
  });

  it("is TIMED_OUT when every failure is a timeout, CANCELLED when cancelled", () => {
    expect(summarizeRun(["TIMED_OUT", "SUCCEEDED"], null).status).toBe("TIMED_OUT");
    expect(summarizeRun(["SUCCEEDED", "CANCELLED"], "cancelled by an operator")).toMatchObject({ status: "CANCELLED", reason: "cancelled by an operator", failedCount: 1 });
  });
});

describe("the concurrency semaphore", () => {
  it("grants at most `limit` slots and hands released ones to waiters; aborted waiters give up", async () => {
    const semaphore = new Semaphore(2);
    const controller = new AbortController();
    const first = await semaphore.acquire(controller.signal);
    await semaphore.acquire(controller.signal);
    const waiting = semaphore.acquire(controller.signal);
    const abortable = new AbortController();
    const givingUp = semaphore.acquire(abortable.signal);
    expect(semaphore.inUse).toBe(2);
    abortable.abort();
    expect(await givingUp).toBeNull();
    first!();
    first!();
    expect(await waiting).toBeTypeOf("function");
    expect(semaphore.inUse).toBe(2);
  });
});

describe("service configs", () => {
  const issues = (kind: "COMMAND" | "HTTP", config: unknown) =>
    (serviceKinds[kind].safeParse(config).error?.issues ?? []).map((issue) => [issue.path.join("."), issue.message]);

  it("name the field of a bad template", () => {
    expect(issues("COMMAND", { command: "ping {{device.adress}}" })).toEqual([["command", expect.stringContaining("unknown placeholder {{device.adress}}")]]);
    expect(issues("COMMAND", { command: "true", environment: { TARGET: "{{payload}}" } })).toEqual([["environment.TARGET", expect.stringContaining("unknown placeholder")]]);
    expect(issues("HTTP", { url: "http://{{device.address}}:8080/{{payload.path}}" })).toEqual([]);
    expect(issues("HTTP", { url: "{{device.address}}/x" })).toEqual([["url", "must be an absolute http:// or https:// URL"]]);
    expect(issues("HTTP", { url: "ftp://example.com" })).toEqual([["url", "must be an absolute http:// or https:// URL"]]);
    expect(issues("HTTP", { url: "http://x", headers: { "x-run": "{{run.idd}}" } })).toEqual([["headers.x-run", expect.stringContaining("unknown placeholder")]]);
  });
});
