import { describe, expect, it } from "vitest";
import { decodeNotes, encodeNotes, maxPayloadBytes, notesOfEvent, type ClusterNote } from "../../src/cluster/notes.js";
import type { NewRun, RunReport } from "../../src/domain/runs.js";

const origin = "01a23bf3-32b6-71df-9bd8-ea91299489e1";
const runId = (i: number) => `01a23bf3-5321-713b-8f54-${String(i).padStart(12, "0")}`;

describe("cluster notes", () => {
  it("name the rows an event touched, never their contents", () => {
    const run = { id: runId(1), taskId: "t1", status: "QUEUED" } as NewRun;
    const report = { id: runId(2) } as RunReport;
    expect(notesOfEvent("runsCreated", { runs: [run, { ...run, id: runId(3), status: "SKIPPED" }] })).toEqual([["runsCreated", [[runId(1), "QUEUED"], [runId(3), "SKIPPED"]]]]);
    expect(notesOfEvent("tasksAdvanced", { tasks: [{ taskId: "t1", nextRunAt: new Date(), version: 7 }] })).toEqual([["tasksAdvanced", [["t1", 7]]]]);
    expect(notesOfEvent("runProgress", { type: "RUN_STARTED", run: report, result: null })).toEqual([["runsStarted", [runId(2)]]]);
    expect(notesOfEvent("runProgress", { type: "TARGET_FINISHED", run: report, result: { id: "result-1" } as never })).toEqual([["targetsFinished", ["result-1"]]]);
    expect(notesOfEvent("runProgress", { type: "RUN_FINISHED", run: report, result: null })).toEqual([["runsFinished", [runId(2)]]]);
    expect(notesOfEvent("taskChanged", { taskId: "t1", change: "PAUSED" })).toEqual([["taskChanged", [["t1", "PAUSED"]]]]);
    expect(notesOfEvent("instanceDrained", { instanceId: origin })).toEqual([["instanceDrained", [origin]]]);
    // Only this process needs to know that it may have missed notifications.
    expect(notesOfEvent("notificationsLost", {})).toEqual([]);
  });

  it("travel in payloads under NOTIFY's limit, in order, merging what follows of one kind", () => {
    const notes: ClusterNote[] = [
      ["runsStarted", [runId(0)]],
      ["runsStarted", [runId(1)]],
      ["targetsFinished", Array.from({ length: 500 }, (_, i) => runId(i))],
      ["runsFinished", [runId(2)]],
      ["runsCreated", []],
    ];
    const payloads = encodeNotes(origin, notes);
    expect(payloads.length).toBeGreaterThan(2);
    for (const payload of payloads) expect(Buffer.byteLength(payload)).toBeLessThanOrEqual(maxPayloadBytes);
    const decoded = payloads.map((payload) => decodeNotes(payload)!);
    expect(decoded.every((payload) => payload.origin === origin)).toBe(true);
    const flattened = decoded.flatMap((payload) => payload.notes.flatMap(([kind, items]) => (items as unknown[]).map((item) => [kind, item])));
    expect(flattened).toEqual(notes.flatMap(([kind, items]) => (items as unknown[]).map((item) => [kind, item])));
    expect(decoded[0]!.notes[0]).toEqual(["runsStarted", [runId(0), runId(1)]]);
    expect(encodeNotes(origin, [["runsCreated", []]])).toEqual([]);
  });

  it("ignore what others send on the channel", () => {
    for (const payload of ["", "hello", "{}", JSON.stringify({ o: origin, n: [["dropTables", ["x"]]] }), JSON.stringify({ o: origin, n: [["tasksAdvanced", [["t1", "7"]]]] })]) {
      expect(decodeNotes(payload), payload).toBeNull();
    }
  });
});
