// The table `cronline watch` shows, kept from scheduleView in CHANGES mode as the README's
// "The live schedule" tells a client to: a SNAPSHOT replaces it, other events put their tasks
// in it or take removed ones out, and countdowns are computed here from nextRunAt and the
// server's time (the latest event's `at`, plus what the local clock says has passed since).
import type { CliScheduleViewSubscription } from "../generated/graphql/graphql.js";

export type LiveEvent = CliScheduleViewSubscription["scheduleView"];
export type LiveTask = LiveEvent["tasks"][number];
export type LiveRow = LiveTask & { secondsUntilNextRun: number | null };

export class LiveTable {
  readonly #tasks = new Map<string, LiveTask>();
  #serverAt = 0;
  #receivedAt = 0;

  /** `receivedAt`: the local time (ms) the event arrived. */
  apply(event: LiveEvent, receivedAt: number): void {
    if (event.kind === "SNAPSHOT") this.#tasks.clear();
    for (const task of event.tasks) this.#tasks.set(task.id, task);
    for (const id of event.removedTaskIds) this.#tasks.delete(id);
    this.#serverAt = Date.parse(event.at);
    this.#receivedAt = receivedAt;
  }

  /** The server's time at the local time `now` (ms), as far as the events tell it. */
  serverTime(now: number): number {
    return this.#serverAt + Math.max(0, now - this.#receivedAt);
  }

  /** The rows at the local time `now` (ms), soonest next run first, tasks without one last, then by name. */
  rows(now: number): LiveRow[] {
    const at = this.serverTime(now);
    const rows = [...this.#tasks.values()].map((task) => ({
      ...task,
      secondsUntilNextRun: task.nextRunAt === null ? null : Math.max(0, Math.ceil((Date.parse(task.nextRunAt) - at) / 1000)),
    }));
    return rows.sort(
      (a, b) =>
        (a.nextRunAt === null ? 1 : 0) - (b.nextRunAt === null ? 1 : 0) ||
        (a.nextRunAt !== null && b.nextRunAt !== null ? Date.parse(a.nextRunAt) - Date.parse(b.nextRunAt) : 0) ||
        a.name.localeCompare(b.name),
    );
  }
}
