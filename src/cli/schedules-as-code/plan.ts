// What `apply` must do to make the server match a file: each object of the file, matched by
// name with the server's, is created, updated (the fields that differ) or left unchanged;
// with prune, the server's objects the file leaves out are deleted. Pure: the server's state
// comes in as read by server-objects.ts.
import { isDeepStrictEqual } from "node:util";
import type { FieldProblem } from "../exit-codes.js";
import { documentSections, type ConfigurationDocument, type ObjectKind, type ScheduleSpec, type Spec } from "./document.js";
import type { ServerState } from "./server-objects.js";

/** How the API shows a secret value (a service's headers, environment values) it will not give back. */
export const secretMask = "••••";

export type Action = "create" | "update" | "delete" | "unchanged";

export interface PlannedChange {
  action: Action;
  kind: ObjectKind;
  name: string;
  /** For update: the fields that differ. */
  fields: string[];
}

const kindOrder: ObjectKind[] = ["device", "pool", "service", "task"];
const sectionOf = Object.fromEntries(Object.entries(documentSections).map(([section, kind]) => [kind, section])) as Record<ObjectKind, keyof ConfigurationDocument>;

/** Fields holding names of other objects or tags: their order does not matter. */
const setFields = new Set(["tags", "members", "targetDevices", "targetPools"]);

const sortedSet = (values: readonly string[]) => [...new Set(values)].sort();

const instant = (value: unknown) => (typeof value === "string" ? new Date(value).toISOString() : value);

/** A schedule in one spelling: instants as toISOString writes them, the cron expression trimmed; `withoutStart` drops a standard schedule's startAt. */
function comparableSchedule(schedule: ScheduleSpec, withoutStart: boolean): Record<string, Record<string, unknown>> {
  const [[kind, fields]] = Object.entries(schedule).filter(([, value]) => value !== undefined) as [[string, Record<string, unknown>]];
  const comparable: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined || (name === "excludedDates" && Array.isArray(value) && value.length === 0)) continue;
    if (name === "startAt" && kind === "standard" && withoutStart) continue;
    comparable[name] = ["startAt", "endAt", "at"].includes(name) ? instant(value) : name === "expression" ? String(value).trim() : value;
  }
  return { [kind]: comparable };
}

/** A time zone as Intl spells it (as the server stores it); an unknown one as written, for previewSchedule to refuse. */
function canonicalZone(zone: string): string {
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return zone;
  }
}

/**
 * Whether what the file wants equals what the server shows, where a masked value counts as
 * equal to any the file gives (only the server knows it), though not to one it leaves out.
 */
export function matchesShown(wanted: unknown, shown: unknown): boolean {
  if (shown === secretMask) return wanted !== undefined;
  if (Array.isArray(wanted) && Array.isArray(shown)) return wanted.length === shown.length && wanted.every((item, index) => matchesShown(item, shown[index]));
  if (isPlainObject(wanted) && isPlainObject(shown)) {
    const keys = new Set([...Object.keys(wanted), ...Object.keys(shown)]);
    return [...keys].every((key) => matchesShown(wanted[key], shown[key]));
  }
  return isDeepStrictEqual(wanted, shown);
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** The fields of `wanted` that differ from `current`. */
function differingFields<K extends ObjectKind>(kind: K, wanted: Spec<K>, current: Spec<K>, configHidden: boolean): string[] {
  return Object.keys(wanted).filter((field) => {
    const want = (wanted as Record<string, unknown>)[field];
    const have = (current as Record<string, unknown>)[field];
    if (setFields.has(field)) return !isDeepStrictEqual(sortedSet(want as string[]), sortedSet(have as string[]));
    if (kind === "task" && field === "schedule") {
      const wantSchedule = want as ScheduleSpec;
      const withoutStart = wantSchedule.standard !== undefined && wantSchedule.standard.startAt === undefined;
      return !isDeepStrictEqual(comparableSchedule(wantSchedule, withoutStart), comparableSchedule(have as ScheduleSpec, withoutStart));
    }
    if (kind === "task" && field === "timezone") return canonicalZone(want as string) !== canonicalZone(have as string);
    if (kind === "service" && field === "config") return !configHidden && !matchesShown(want, have);
    return !isDeepStrictEqual(want, have);
  });
}

/** The changes, in the order they can be made: creations and updates from devices to tasks, then deletions from tasks to devices. */
export function planChanges(document: ConfigurationDocument, state: ServerState, { prune }: { prune: boolean }): PlannedChange[] {
  const changes: PlannedChange[] = [];
  for (const kind of kindOrder) {
    const onServer = state[sectionOf[kind]] as Map<string, { spec: Spec<typeof kind>; configHidden?: boolean }>;
    for (const wanted of document[sectionOf[kind]] as Spec<typeof kind>[]) {
      const current = onServer.get(wanted.name);
      if (!current) {
        changes.push({ action: "create", kind, name: wanted.name, fields: [] });
        continue;
      }
      const fields = differingFields(kind, wanted, current.spec, current.configHidden === true);
      changes.push({ action: fields.length > 0 ? "update" : "unchanged", kind, name: wanted.name, fields });
    }
  }
  if (prune) {
    for (const kind of [...kindOrder].reverse()) {
      const inFile = new Set((document[sectionOf[kind]] as { name: string }[]).map((spec) => spec.name));
      let gone = [...state[sectionOf[kind]].keys()].filter((name) => !inFile.has(name));
      if (kind === "service") gone = notifiersFirst(gone, state);
      for (const name of gone) changes.push({ action: "delete", kind, name, fields: [] });
    }
  }
  return changes;
}

/**
 * Services to delete, each before those its notify rules name (the server refuses to delete a
 * service that rules name); in server order otherwise, and as they come where rules name each other in a circle.
 */
function notifiersFirst(names: string[], state: ServerState): string[] {
  const named = (name: string) => (state.services.get(name)?.spec.notify ?? []).map((rule) => rule.service).filter((other) => other !== name);
  const ordered: string[] = [];
  const left = [...names];
  while (left.length > 0) {
    const free = left.findIndex((name) => !left.some((other) => named(other).includes(name)));
    ordered.push(...left.splice(Math.max(free, 0), 1));
  }
  return ordered;
}

/** References by name to objects that will not exist: neither in the file nor (unless pruned) on the server. */
export function missingReferences(document: ConfigurationDocument, state: ServerState, { prune }: { prune: boolean }): FieldProblem[] {
  const exists = (kind: "device" | "pool" | "service", name: string) =>
    document[sectionOf[kind]].some((spec) => spec.name === name) || (!prune && state[sectionOf[kind]].has(name));
  const problems: FieldProblem[] = [];
  const check = (field: string, kind: "device" | "pool" | "service", name: string) => {
    if (exists(kind, name)) return;
    const why = prune && state[sectionOf[kind]].has(name) ? "which --prune deletes, as the file leaves it out" : "which neither the file nor the server has";
    problems.push({ field, message: `names the ${kind} "${name}", ${why}` });
  };
  const checkAll = (path: string, kind: "device" | "pool", names: readonly string[]) => names.forEach((name, index) => check(`${path}.${index}`, kind, name));
  document.pools.forEach((pool, index) => checkAll(`pools.${index}.members`, "device", pool.members));
  document.services.forEach((service, index) => {
    checkAll(`services.${index}.targetDevices`, "device", service.targetDevices);
    checkAll(`services.${index}.targetPools`, "pool", service.targetPools);
    service.notify?.forEach((rule, i) => check(`services.${index}.notify.${i}.service`, "service", rule.service));
  });
  document.tasks.forEach((task, index) => {
    check(`tasks.${index}.service`, "service", task.service);
    checkAll(`tasks.${index}.targetDevices`, "device", task.targetDevices);
    checkAll(`tasks.${index}.targetPools`, "pool", task.targetPools);
    task.notify?.forEach((rule, i) => check(`tasks.${index}.notify.${i}.service`, "service", rule.service));
  });
  return problems;
}
