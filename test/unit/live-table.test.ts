// The table `cronline watch` keeps from scheduleView in CHANGES mode, with fixed instants.
import { describe, expect, it } from "vitest";
import { LiveTable, type LiveEvent, type LiveTask } from "../../src/cli/live-table.js";

const task = (id: string, name: string, nextRunAt: string | null, fields: Partial<LiveTask> = {}): LiveTask => ({
  id,
  name,
  state: nextRunAt ? "ACTIVE" : "PAUSED",
  tags: [],
  serviceName: "svc",
  pauseNote: null,
  nextRunAt,
  lastRunAt: null,
  lastRunStatus: null,
  ...fields,
});

const event = (kind: LiveEvent["kind"], at: string, tasks: LiveTask[], removedTaskIds: string[] = []): LiveEvent => ({ kind, at, tasks, removedTaskIds, runs: [] });

const local = Date.parse("2030-01-01T00:00:00Z");

describe("the live table", () => {
  it("counts down from the server's time plus what passed locally, soonest first, tasks without a next run last", () => {
    const table = new LiveTable();
    table.apply(
      event("SNAPSHOT", "2026-12-03T10:00:00.000Z", [
        task("c", "paused", null),
        task("b", "later", "2026-12-03T10:05:00.000Z"),
        task("a", "soon", "2026-12-03T10:00:09.500Z"),
      ]),
      local,
    );
    expect(table.rows(local).map((row) => [row.name, row.secondsUntilNextRun])).toEqual([
      ["soon", 10],
      ["later", 300],
      ["paused", null],
    ]);
    // Three seconds later on the local clock, before any tick.
    expect(table.rows(local + 3_000)[0]!.secondsUntilNextRun).toBe(7);
    // Past its next run and not yet moved on: 0, never negative.
    expect(table.rows(local + 60_000)[0]!.secondsUntilNextRun).toBe(0);
  });

  it("puts the tasks of ticks and changes in place, removes removed ones, and starts over on a snapshot", () => {
    const table = new LiveTable();
    table.apply(event("SNAPSHOT", "2026-12-03T10:00:00.000Z", [task("a", "one", "2026-12-03T10:01:00.000Z"), task("b", "two", null)]), local);
    // A quiet CHANGES tick carries no task: the table stays, the time moves.
    table.apply(event("TICK", "2026-12-03T10:00:30.000Z", []), local + 30_000);
    expect(table.rows(local + 30_000).map((row) => row.secondsUntilNextRun)).toEqual([30, null]);
    table.apply(event("TICK", "2026-12-03T10:01:01.000Z", [task("a", "one", "2026-12-03T10:02:00.000Z", { lastRunStatus: "SUCCEEDED" })]), local + 61_000);
    expect(table.rows(local + 61_000)[0]).toMatchObject({ name: "one", lastRunStatus: "SUCCEEDED", secondsUntilNextRun: 59 });
    table.apply(event("TASK_REMOVED", "2026-12-03T10:01:02.000Z", [], ["b"]), local + 62_000);
    expect(table.rows(local + 62_000).map((row) => row.name)).toEqual(["one"]);
    table.apply(event("SNAPSHOT", "2026-12-03T10:01:03.000Z", [task("z", "other", null)]), local + 63_000);
    expect(table.rows(local + 63_000).map((row) => row.name)).toEqual(["other"]);
  });
});
