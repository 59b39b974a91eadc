// What one Cronline process tells the others on the same PostgreSQL database, through
// NOTIFY: which rows a committed change touched (ids, and a task's version), never the rows
// themselves, so a payload stays within NOTIFY's 8000 bytes; listeners read what they need.
// Each payload names the instance it comes from, which ignores its own.
import { z } from "zod";
import { taskChanges, type CronlineEvents, type EventName, type TaskChange } from "../events/event-bus.js";

export const stepEvents = ["STEP_STARTED", "STEP_FINISHED"] as const;
export type StepEvent = (typeof stepEvents)[number];

/** The items of each kind of note, in the order the changes were made. */
export interface NoteItems {
  taskChanged: [taskId: string, change: TaskChange];
  /** A claim moved the task on: the version it wrote. */
  tasksAdvanced: [taskId: string, version: number];
  /** With the status the run was created with (it may have moved on by the time it is read). */
  runsCreated: [runId: string, status: "QUEUED" | "SKIPPED"];
  runsSuperseded: [taskId: string, runId: string];
  runsCancelled: string;
  runsStarted: string;
  /** A workflow step was recorded as it started or ended (its RunStep row, by run and step name). */
  stepsSaved: [runId: string, stepName: string, event: StepEvent];
  /** RunResult ids. */
  targetsFinished: string;
  runsFinished: string;
  /** Instance ids. */
  instanceDrained: string;
}

export type NoteKind = keyof NoteItems;
export type ClusterNote = { [K in NoteKind]: [K, NoteItems[K][]] }[NoteKind];

/** A payload as sent: the origin instance and its notes. */
export interface NotePayload {
  origin: string;
  notes: ClusterNote[];
}

/** NOTIFY refuses payloads of 8000 bytes or more; the rest is room for the channel's framing. */
export const maxPayloadBytes = 7_900;

const id = z.string().min(1);
const noteSchema = z.union([
  z.tuple([z.literal("taskChanged"), z.array(z.tuple([id, z.enum(taskChanges)]))]),
  z.tuple([z.literal("tasksAdvanced"), z.array(z.tuple([id, z.number().int()]))]),
  z.tuple([z.literal("runsCreated"), z.array(z.tuple([id, z.enum(["QUEUED", "SKIPPED"])]))]),
  z.tuple([z.literal("runsSuperseded"), z.array(z.tuple([id, id]))]),
  z.tuple([z.literal("stepsSaved"), z.array(z.tuple([id, id, z.enum(stepEvents)]))]),
  z.tuple([z.enum(["runsCancelled", "runsStarted", "targetsFinished", "runsFinished", "instanceDrained"]), z.array(id)]),
]);
const payloadSchema = z.object({ o: id, n: z.array(noteSchema) });

/** The notes of an event emitted on a bus; none for what only concerns this process. */
export function notesOfEvent<K extends EventName>(event: K, payload: CronlineEvents[K]): ClusterNote[] {
  const e = { event, payload } as { [N in EventName]: { event: N; payload: CronlineEvents[N] } }[EventName];
  switch (e.event) {
    case "taskChanged":
      return [["taskChanged", [[e.payload.taskId, e.payload.change]]]];
    case "tasksAdvanced":
      return [["tasksAdvanced", e.payload.tasks.map((task): NoteItems["tasksAdvanced"] => [task.taskId, task.version])]];
    case "runsCreated":
      return [["runsCreated", e.payload.runs.map((run): NoteItems["runsCreated"] => [run.id, run.status])]];
    case "runsSuperseded":
      return [["runsSuperseded", e.payload.runs.map((run): NoteItems["runsSuperseded"] => [run.taskId, run.runId])]];
    case "runsCancelled":
      return [["runsCancelled", e.payload.runIds]];
    case "runProgress":
      if (e.payload.type === "RUN_STARTED") return [["runsStarted", [e.payload.run.id]]];
      if (e.payload.type === "RUN_FINISHED") return [["runsFinished", [e.payload.run.id]]];
      if ((e.payload.type === "STEP_STARTED" || e.payload.type === "STEP_FINISHED") && e.payload.step) return [["stepsSaved", [[e.payload.run.id, e.payload.step.name, e.payload.type]]]];
      return e.payload.result ? [["targetsFinished", [e.payload.result.id]]] : [];
    case "instanceDrained":
      return [["instanceDrained", [e.payload.instanceId]]];
    case "notificationsLost":
    case "runsEndedElsewhere":
      return [];
  }
}

const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/**
 * The payloads that carry `notes`, in order, each under maxPayloadBytes: consecutive notes of
 * one kind are merged, and a note too long for one payload is split across several.
 */
export function encodeNotes(origin: string, notes: ClusterNote[], maxBytes = maxPayloadBytes): string[] {
  const payloads: string[] = [];
  const emptyBytes = jsonBytes({ o: origin, n: [] });
  let current: ClusterNote[] = [];
  let bytes = emptyBytes;
  const flush = () => {
    if (current.length > 0) payloads.push(JSON.stringify({ o: origin, n: current }));
    current = [];
    bytes = emptyBytes;
  };
  for (const [kind, items] of notes) {
    for (const item of items) {
      const itemBytes = jsonBytes(item) + 1;
      let last = current.at(-1);
      if (last?.[0] !== kind) {
        const noteBytes = jsonBytes([kind, []]) + 1;
        if (bytes + noteBytes + itemBytes > maxBytes) flush();
        last = [kind, []] as ClusterNote;
        current.push(last);
        bytes += noteBytes;
      } else if (bytes + itemBytes > maxBytes) {
        flush();
        last = [kind, []] as ClusterNote;
        current.push(last);
        bytes += jsonBytes(last) + 1;
      }
      (last[1] as unknown[]).push(item);
      bytes += itemBytes;
    }
  }
  flush();
  return payloads;
}

/** A payload as received; null when it is not one of ours (anything may NOTIFY on the channel). */
export function decodeNotes(text: string): NotePayload | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = payloadSchema.safeParse(json);
  return parsed.success ? { origin: parsed.data.o, notes: parsed.data.n as ClusterNote[] } : null;
}
