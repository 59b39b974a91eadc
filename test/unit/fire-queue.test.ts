import { describe, expect, it } from "vitest";
import { FireQueue } from "../../src/scheduler/fire-queue.js";

describe("FireQueue", () => {
  it("pops due tasks earliest first and leaves the rest", () => {
    const queue = new FireQueue();
    queue.set("c", 30);
    queue.set("a", 10);
    queue.set("b", 20);
    queue.set("d", 40);
    expect(queue.peekTime()).toBe(10);
    expect(queue.popDue(25)).toEqual(["a", "b"]);
    expect(queue.size).toBe(2);
    expect(queue.peekTime()).toBe(30);
  });

  it("keeps one entry per task: rescheduling replaces, deleting removes", () => {
    const queue = new FireQueue();
    queue.set("a", 10);
    queue.set("a", 50);
    queue.set("b", 20);
    queue.delete("b");
    expect(queue.size).toBe(1);
    expect(queue.popDue(49)).toEqual([]);
    expect(queue.popDue(50)).toEqual(["a"]);
    expect(queue.peekTime()).toBeUndefined();
  });

  it("pops at most the given number, earliest first, leaving the rest due", () => {
    const queue = new FireQueue();
    ["d", "b", "a", "c"].forEach((id, i) => queue.set(id, [40, 20, 10, 30][i]!));
    expect(queue.popDue(100, 3)).toEqual(["a", "b", "c"]);
    expect(queue.popDue(100, 3)).toEqual(["d"]);
  });

  it("orders many entries like a sort does", () => {
    const queue = new FireQueue();
    const times = Array.from({ length: 2_000 }, (_, i) => (i * 7919) % 10_007);
    times.forEach((time, i) => queue.set(`t${i}`, time));
    const popped = queue.popDue(Infinity).map((id) => times[Number(id.slice(1))]!);
    expect(popped).toEqual([...times].sort((x, y) => x - y));
  });
});
