import DataLoader from "dataloader";
import { execute, GraphQLInt, GraphQLList, GraphQLObjectType, GraphQLSchema, parse, type ExecutionResult } from "graphql";
import { afterEach, describe, expect, it, vi } from "vitest";
import { dispatchAfterWaitingPieces, runInSlice, setSliceMs, takeInSlices } from "../../src/event-loop-slices.js";
import { resolveInSlices } from "../../src/schema/execution-slices.js";

const sliceMs = 20;
/** Work that holds the loop for `ms` of wall time, as a resolver computing would. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/**
 * Counts the pieces of work run between turns of the loop while `work` runs: a probe
 * rescheduled by setImmediate notes each turn, as an I/O callback waiting for the loop would.
 */
async function piecesPerTurn(work: (piece: () => void) => Promise<unknown>): Promise<number[]> {
  const counts = [0];
  let running = true;
  const probe = () => {
    if (!running) return;
    counts.push(0);
    setImmediate(probe);
  };
  setImmediate(probe);
  await work(() => counts[counts.length - 1]!++);
  running = false;
  return counts.filter((count) => count > 0);
}

describe("event-loop slices", () => {
  afterEach(() => setSliceMs(20));

  it("runs pieces of work a slice at a time, letting the loop turn between slices", async () => {
    setSliceMs(sliceMs);
    const counts = await piecesPerTurn((piece) => Promise.all(Array.from({ length: 40 }, () => runInSlice(() => (busy(5), piece())))));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(40);
    // 5 ms pieces in 20 ms slices: the piece that finds the slice spent waits for the next turn.
    expect(Math.max(...counts)).toBeLessThanOrEqual(sliceMs / 5 + 1);
    expect(counts.length).toBeGreaterThanOrEqual(40 / (sliceMs / 5 + 1));
  });

  it("lets each waiting piece go once, in the order they came, however many turns the queue takes", async () => {
    setSliceMs(1);
    const pieces = 2_000;
    const order: number[] = [];
    const clock = vi.spyOn(performance, "now");
    try {
      // Busy by another clock, so that the spy counts only the slices' reads.
      const busyFor = (ns: bigint) => {
        const until = process.hrtime.bigint() + ns;
        while (process.hrtime.bigint() < until);
      };
      const counts = await piecesPerTurn((piece) => Promise.all(Array.from({ length: pieces }, (_, i) => runInSlice(() => (busyFor(50_000n), order.push(i), piece())))));
      expect(counts.length).toBeGreaterThan(20);
      // Checked against the slice about once per piece, not once per piece at every turn: let go
      // together, the pieces past a slice's end would wait again at each turn.
      expect(clock.mock.calls.length).toBeLessThan(pieces * 3);
    } finally {
      clock.mockRestore();
    }
    expect(order).toEqual(Array.from({ length: pieces }, (_, i) => i));
  });

  it("computes a long series in slices", async () => {
    setSliceMs(sliceMs);
    function* series() {
      for (let i = 0; ; i++) {
        busy(2);
        yield i;
      }
    }
    let taken: number[] = [];
    const counts = await piecesPerTurn(async (piece) => {
      taken = await takeInSlices((function* () { for (const i of series()) { piece(); yield i; } })(), 50);
    });
    expect(taken).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(Math.max(...counts)).toBeLessThanOrEqual(sliceMs / 2 + 1);
  });

  it("resolves a large operation's fields in slices", async () => {
    setSliceMs(sliceMs);
    let piece = () => {};
    const Item = new GraphQLObjectType({
      name: "Item",
      fields: { value: { type: GraphQLInt, resolve: (n: number) => (busy(1), piece(), n) } },
    });
    const schema = resolveInSlices(
      new GraphQLSchema({
        query: new GraphQLObjectType({ name: "Query", fields: { items: { type: new GraphQLList(Item), resolve: () => Array.from({ length: 200 }, (_, i) => i) } } }),
      }),
    );
    let result: ExecutionResult | undefined;
    const counts = await piecesPerTurn(async (count) => {
      piece = count;
      result = await execute({ schema, document: parse("{ items { value } }") });
    });
    expect(result?.errors).toBeUndefined();
    expect((result?.data as { items: { value: number }[] }).items.map((item) => item.value)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(Math.max(...counts)).toBeLessThanOrEqual(sliceMs + 1);
    expect(counts.length).toBeGreaterThanOrEqual(200 / (sliceMs + 1));
  });

  it("keeps a batch whole when a slice ends among the loads that fill it", async () => {
    setSliceMs(sliceMs);
    const batches: number[][] = [];
    const loader = new DataLoader(async (keys: readonly number[]) => (batches.push([...keys]), keys), { batchScheduleFn: dispatchAfterWaitingPieces });
    // Each piece computes a little, then loads: a slice holds about four of them, the others wait for the next turn.
    const values = await Promise.all(Array.from({ length: 6 }, (_, i) => runInSlice(() => (busy(6), loader.load(i)))));
    expect(values).toEqual([0, 1, 2, 3, 4, 5]);
    expect(batches).toEqual([[0, 1, 2, 3, 4, 5]]);
  });
});
