import { describe, expect, it } from "vitest";
import { CostAdmission } from "../../src/http/execution-admission.js";

/** Whether a turn has been given yet, without waiting for it. */
async function given<T>(turn: Promise<T>): Promise<boolean> {
  const marker = Symbol("pending");
  return (await Promise.race([turn, Promise.resolve().then(() => marker)])) !== marker;
}

describe("operations taking turns by cost", () => {
  it("runs operations together while their costs fit the budget, and the next one when room is given back", async () => {
    const admission = new CostAdmission({ maxCostInFlight: 300, maxQueued: 10 });
    const first = admission.enter(150)!;
    const second = admission.enter(150)!;
    const third = admission.enter(150)!;
    expect([await given(first), await given(second), await given(third)]).toEqual([true, true, false]);
    expect(admission.queued).toBe(1);
    ((await first) as () => void)();
    expect(await given(third)).toBe(true);
    expect(admission.queued).toBe(0);
  });

  it("serves waiting operations first come first served: a cheaper one does not overtake a dearer one", async () => {
    const admission = new CostAdmission({ maxCostInFlight: 300, maxQueued: 10 });
    const running = (await admission.enter(200)!) as () => void;
    const dear = admission.enter(250)!;
    const cheaper = admission.enter(90)!;
    expect([await given(dear), await given(cheaper)]).toEqual([false, false]);
    running();
    expect([await given(dear), await given(cheaper)]).toEqual([true, false]);
  });

  it("lets light operations through at once, even behind waiting heavy ones", async () => {
    const admission = new CostAdmission({ maxCostInFlight: 300_000, maxQueued: 10 });
    await admission.enter(200_000);
    const heavy = admission.enter(200_000)!;
    const page = admission.enter(2_000)!;
    expect([await given(heavy), await given(page)]).toEqual([false, true]);
  });

  it("runs an operation dearer than the whole budget alone", async () => {
    const admission = new CostAdmission({ maxCostInFlight: 100, maxQueued: 10 });
    const small = (await admission.enter(60)!) as () => void;
    const huge = admission.enter(5_000)!;
    const after = admission.enter(60)!;
    expect(await given(huge)).toBe(false);
    small();
    expect([await given(huge), await given(after)]).toEqual([true, false]);
    ((await huge) as () => void)();
    expect(await given(after)).toBe(true);
  });

  it("refuses an operation when the queue is full", async () => {
    const admission = new CostAdmission({ maxCostInFlight: 100, maxQueued: 1 });
    await admission.enter(100);
    expect(admission.enter(100)).not.toBeNull();
    expect(admission.enter(100)).toBeNull();
  });

  it("drops an operation whose client left while it waited, and gives its place to the next", async () => {
    const admission = new CostAdmission({ maxCostInFlight: 100, maxQueued: 10 });
    const running = (await admission.enter(100)!) as () => void;
    const leaving = new AbortController();
    const abandoned = admission.enter(100, leaving.signal)!;
    const next = admission.enter(100)!;
    leaving.abort();
    expect(await abandoned).toBe("aborted");
    expect(admission.queued).toBe(1);
    running();
    expect(await given(next)).toBe(true);
  });

  it("gives room back once however often release is called", async () => {
    const admission = new CostAdmission({ maxCostInFlight: 100, maxQueued: 10 });
    const release = (await admission.enter(100)!) as () => void;
    release();
    release();
    const a = (await admission.enter(100)!) as () => void;
    const b = admission.enter(100)!;
    expect(await given(b)).toBe(false);
    a();
    expect(await given(b)).toBe(true);
  });
});
