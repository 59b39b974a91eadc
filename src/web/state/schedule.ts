// The schedule table, kept from scheduleView as the README's CHANGES-mode recipe says: a
// SNAPSHOT replaces it (also the one after a reconnection, which resynchronises the page),
// TICK, TASK_CHANGED and RUNS replace the rows they carry, TASK_REMOVED deletes rows. The
// page counts down itself from each row's nextRunAt and the server's time.
import { batch, signal, type ReadonlySignal } from "@preact/signals";
import type { ScheduleViewSubscription, TaskRowFieldsFragment } from "../../generated/web-graphql/graphql.js";
import type { ApiError } from "../api/api-error.js";
import type { LiveConnection } from "../api/live.js";
import { ScheduleViewSubscription as ScheduleViewDocument } from "../api/operations.js";

export type TaskRow = TaskRowFieldsFragment;
type ScheduleViewEvent = ScheduleViewSubscription["scheduleView"];

export interface ScheduleStore {
  /** By task id; null until the first snapshot. */
  tasks: ReadonlySignal<ReadonlyMap<string, TaskRow> | null>;
  /** The server's clock minus this page's, as of the latest event. */
  serverOffsetMs: ReadonlySignal<number>;
  /** The tasks of the latest TASK_CHANGED event, for a page that shows more of them than a row. */
  lastChange: ReadonlySignal<{ taskIds: readonly string[] }>;
  /** Why the schedule cannot be shown, if it cannot. */
  error: ReadonlySignal<ApiError | null>;
  stop(): void;
}

function applyEvent(tasks: ReadonlyMap<string, TaskRow> | null, event: ScheduleViewEvent): ReadonlyMap<string, TaskRow> | null {
  if (event.kind === "SNAPSHOT") return new Map(event.tasks.map((task) => [task.id, task]));
  if (tasks === null) return null;
  if (event.tasks.length === 0 && event.removedTaskIds.length === 0) return tasks;
  const next = new Map(tasks);
  for (const task of event.tasks) next.set(task.id, task);
  for (const id of event.removedTaskIds) next.delete(id);
  return next;
}

export function followSchedule(live: LiveConnection): ScheduleStore {
  const tasks = signal<ReadonlyMap<string, TaskRow> | null>(null);
  const serverOffsetMs = signal(0);
  const lastChange = signal<{ taskIds: readonly string[] }>({ taskIds: [] });
  const error = signal<ApiError | null>(null);
  const unsubscribe = live.subscribe(
    ScheduleViewDocument,
    {},
    ({ scheduleView: event }) =>
      batch(() => {
        tasks.value = applyEvent(tasks.peek(), event);
        serverOffsetMs.value = Date.parse(event.at) - Date.now();
        error.value = null;
        if (event.kind === "TASK_CHANGED") lastChange.value = { taskIds: event.tasks.map((task) => task.id) };
      }),
    (problem) => (error.value = problem),
  );
  return { tasks, serverOffsetMs, lastChange, error, stop: unsubscribe };
}
