// The roles a Cronline process can take. `all` (the default) is one machine, one command;
// separate roles let a deployment run API, scheduler and worker processes on one PostgreSQL.
import type { EventName } from "../events/event-bus.js";

export const roleNames = ["api", "scheduler", "worker"] as const;
export type Role = (typeof roleNames)[number];
/** The roles that run in threads of their own, off the API's event loop. */
export type ThreadRole = Exclude<Role, "api">;

export class RoleError extends Error {}

/** `all`, one role, or a comma-separated list of roles (`api,worker`). */
export function parseRoles(text: string): Role[] {
  const names = text.split(",").map((name) => name.trim().toLowerCase()).filter(Boolean);
  if (names.length === 1 && names[0] === "all") return [...roleNames];
  const unknown = names.filter((name) => !(roleNames as readonly string[]).includes(name));
  if (names.length === 0 || unknown.length > 0) throw new RoleError(`--role must be all, or one or more of ${roleNames.join(", ")} separated by commas (got "${text}")`);
  return roleNames.filter((role) => names.includes(role));
}

/**
 * The events each role listens to, so a thread is only sent what it uses. The API's live
 * views follow everything; the scheduler replans tasks edited, or claimed by other processes;
 * the worker starts and stops runs, and starts those that waited for a run another process ended; both stop taking work when their instance is drained, and
 * look at the database when notifications from other processes may have been lost.
 */
export const eventsConsumedBy: Record<Role, readonly EventName[]> = {
  api: ["taskChanged", "tasksAdvanced", "runsCreated", "runProgress", "notificationsLost"],
  scheduler: ["taskChanged", "tasksAdvanced", "instanceDrained", "notificationsLost"],
  worker: ["runsCreated", "runsCancelled", "runsSuperseded", "runsEndedElsewhere", "instanceDrained", "notificationsLost"],
};
