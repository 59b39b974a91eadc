// The file `cronline export` writes and `cronline apply` (and `add -f`, `edit -f`) reads:
// devices, pools, services and tasks, each known by its name and referring to the others by
// name. A file is checked here with the API's own field rules (src/domain), before anything
// is sent; what only the server can judge (schedules, references to what it holds) is
// checked by apply.ts, still before anything is written.
import { maxNotifyRules, notifyOutcomes } from "../../domain/notifications.js";
import { z } from "zod";
import { ValidationError } from "../../domain/errors.js";
import { addressRule, descriptionRule, jsonObjectRule, limits, nameRule, parseInput, tagsRule } from "../../domain/input-rules.js";
import { poolRuleSchema } from "../../domain/pool-rules.js";
import { serviceDefaults, serviceKindNames, serviceKinds, type ServiceKind } from "../../domain/service-kinds.js";
import { taskFields as taskFieldRules } from "../../domain/task-fields.js";
import { taskDefaults } from "../../domain/task-policies.js";
import { calendarFrequencies, maxCombinedSchedules, maxExcludedTimeRanges, maxWindowDefinitions, weekdays } from "../../domain/task-schedule.js";
import { CliError, exitCodes } from "../exit-codes.js";

const names = z.array(nameRule).max(limits.idsPerList, `must have at most ${limits.idsPerList} entries`);
const instant = z.iso.datetime({ offset: true, message: "must be an ISO-8601 instant with a time zone, e.g. 2027-01-01T00:00:00Z" });
const weekday = z.enum(weekdays);

const exclusions = {
  excludedDates: z.array(z.string()).max(limits.excludedDates).optional(),
  excludedTimeRanges: z.array(z.string()).max(maxExcludedTimeRanges).optional(),
};

/** A schedule as the API's ScheduleInput writes it; previewSchedule judges the rest. */
export const scheduleSpec: z.ZodType<ScheduleSpecShape> = z.lazy(() =>
  z
    .strictObject({
      standard: z.strictObject({ startAt: instant.optional(), frequencySeconds: z.number().int().optional(), endAt: instant.optional() }).optional(),
      cron: z.strictObject({ expression: z.string(), startAt: instant.optional(), endAt: instant.optional(), ...exclusions }).optional(),
      once: z.strictObject({ at: instant }).optional(),
      calendar: z
        .strictObject({
          frequency: z.enum(calendarFrequencies),
          timeOfDay: z.string(),
          weekdays: z.array(weekday).optional(),
          day: z.number().int().optional(),
          ordinal: z.number().int().optional(),
          weekday: weekday.optional(),
          ...exclusions,
          startAt: instant.optional(),
          endAt: instant.optional(),
        })
        .optional(),
      window: z
        .strictObject({ definitions: z.array(z.string()).max(maxWindowDefinitions), seed: z.string().optional(), ...exclusions, startAt: instant.optional(), endAt: instant.optional() })
        .optional(),
      anyOf: combinedSpec.optional(),
      allOf: combinedSpec.optional(),
    })
    .refine((schedule) => Object.values(schedule).filter((kind) => kind !== undefined).length === 1, "must set exactly one of standard, cron, once, calendar, window, anyOf, allOf"),
);

const combinedSpec = z.strictObject({ schedules: z.array(z.lazy(() => scheduleSpec)).min(1).max(maxCombinedSchedules), ...exclusions });

type Exclusions = { excludedDates?: string[]; excludedTimeRanges?: string[] };
interface ScheduleSpecShape {
  standard?: { startAt?: string; frequencySeconds?: number; endAt?: string };
  cron?: { expression: string; startAt?: string; endAt?: string } & Exclusions;
  once?: { at: string };
  calendar?: { frequency: (typeof calendarFrequencies)[number]; timeOfDay: string; weekdays?: (typeof weekdays)[number][]; day?: number; ordinal?: number; weekday?: (typeof weekdays)[number]; startAt?: string; endAt?: string } & Exclusions;
  window?: { definitions: string[]; seed?: string; startAt?: string; endAt?: string } & Exclusions;
  anyOf?: { schedules: ScheduleSpecShape[] } & Exclusions;
  allOf?: { schedules: ScheduleSpecShape[] } & Exclusions;
}

export type ScheduleSpec = z.output<typeof scheduleSpec>;

const deviceFields = { name: nameRule, address: addressRule, description: descriptionRule, properties: jsonObjectRule, tags: tagsRule };

const poolFields = { name: nameRule, description: descriptionRule, tags: tagsRule, members: names, rule: poolRuleSchema.nullable() };

/** Notification rules, each naming its service. */
const notifyRules = z
  .array(z.strictObject({ service: nameRule, on: z.array(z.enum(notifyOutcomes)).min(1, "must list at least one outcome"), everyTime: z.boolean().default(false) }))
  .max(maxNotifyRules, `must have at most ${maxNotifyRules} rules`)
  .nullable();

const serviceFields = {
  name: nameRule,
  kind: z.enum(serviceKindNames as [ServiceKind, ...ServiceKind[]]),
  config: jsonObjectRule,
  description: descriptionRule,
  defaultPayload: jsonObjectRule,
  tags: tagsRule,
  targetDevices: names,
  targetPools: names,
  requiresConfirmation: z.boolean(),
  concurrency: z.number().int().min(1, "must be at least 1").max(1_000, "must be at most 1000"),
  /** The default notification rules of its tasks (those without rules of their own); null: none. */
  notify: notifyRules,
};

const taskFields = {
  name: nameRule,
  service: nameRule,
  schedule: scheduleSpec,
  /** ACTIVE: scheduled; PAUSED: not firing. A COMPLETED task on the server counts as ACTIVE. */
  state: z.enum(["ACTIVE", "PAUSED"]),
  targetDevices: names,
  targetPools: names,
  timezone: taskFieldRules.timezone,
  dstPolicy: taskFieldRules.dstPolicy,
  description: taskFieldRules.description,
  payload: taskFieldRules.payload,
  tags: taskFieldRules.tags,
  requiresConfirmation: taskFieldRules.requiresConfirmation,
  misfirePolicy: taskFieldRules.misfirePolicy,
  misfireGraceSeconds: taskFieldRules.misfireGraceSeconds,
  overlapPolicy: taskFieldRules.overlapPolicy,
  jitterSeconds: taskFieldRules.jitterSeconds,
  maxRuns: taskFieldRules.maxRuns,
  maxAttempts: taskFieldRules.maxAttempts,
  retryBackoffSeconds: taskFieldRules.retryBackoffSeconds,
  deadlineSeconds: taskFieldRules.deadlineSeconds,
  /** Notification rules; null: the service's apply. */
  notify: notifyRules,
};

const objectFields = { device: deviceFields, pool: poolFields, service: serviceFields, task: taskFields };
export type ObjectKind = keyof typeof objectFields;

/** Every field of an object of `kind`, as apply compares them. */
export type Spec<K extends ObjectKind> = Required<z.output<z.ZodObject<(typeof objectFields)[K]>>>;
export type DeviceSpec = Spec<"device">;
export type PoolSpec = Spec<"pool">;
export type ServiceSpec = Spec<"service">;
export type TaskSpec = Spec<"task">;
/** The fields `edit -f` changes. */
export type PartialSpec<K extends ObjectKind> = Partial<Spec<K>>;

const requiredFields = { device: ["name", "address"], pool: ["name"], service: ["name", "kind", "config"], task: ["name", "service", "schedule"] } as const;
type RequiredField<K extends ObjectKind> = (typeof requiredFields)[K][number];

/** What a field left out of the file means: the value a new object gets. */
const defaults: { [K in ObjectKind]: Omit<Spec<K>, RequiredField<K>> } = {
  device: { description: "", properties: {}, tags: [] },
  pool: { description: "", tags: [], members: [], rule: null },
  service: { description: "", defaultPayload: {}, tags: [], targetDevices: [], targetPools: [], requiresConfirmation: false, concurrency: serviceDefaults.concurrency, notify: null },
  task: {
    ...taskDefaults,
    state: "ACTIVE",
    description: "",
    payload: {},
    tags: [],
    targetDevices: [],
    targetPools: [],
    requiresConfirmation: false,
    maxRuns: null,
    deadlineSeconds: null,
    notify: null,
  },
};

const specSchema = (kind: ObjectKind) =>
  z
    .strictObject(objectFields[kind])
    .partial()
    .superRefine((fields, ctx) => {
      for (const field of requiredFields[kind]) {
        if ((fields as Record<string, unknown>)[field] === undefined) ctx.addIssue({ code: "custom", path: [field], message: "is required" });
      }
    });
const editSchema = (kind: ObjectKind) => z.strictObject(objectFields[kind]).partial();

export interface ConfigurationDocument {
  devices: DeviceSpec[];
  pools: PoolSpec[];
  services: ServiceSpec[];
  tasks: TaskSpec[];
}

export const documentSections = { devices: "device", pools: "pool", services: "service", tasks: "task" } as const satisfies Record<keyof ConfigurationDocument, ObjectKind>;

/** The rules' verdict as the command reports it: a usage error naming each field. */
function checked<T>(parse: () => T, what: string): T {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    // A single object is parsed without a prefix: its fields are named as they are.
    const fieldErrors = error.issues.map((issue) => ({ ...issue, field: issue.field.replace(/^\./, "") }));
    const list = fieldErrors.map((issue) => `${issue.field}: ${issue.message}`).join("; ");
    throw new CliError(`${what} is not valid: ${list}`, exitCodes.usage, { code: "INVALID_INPUT", fieldErrors, summary: `${what} is not valid` });
  }
}

/** A service's config as the server stores it: checked against its kind, defaults filled (an HTTP method). */
function storedConfig(spec: { kind: ServiceKind; config: Record<string, unknown> }, path: string): Record<string, unknown> {
  return parseInput(serviceKinds[spec.kind], spec.config, `${path}.config`) as Record<string, unknown>;
}

/** One object of `kind`, complete: checked, and with the defaults of what it leaves out. `path` prefixes field names in errors. */
export function parseSpec<K extends ObjectKind>(kind: K, value: unknown, path: string): Spec<K> {
  const parsed = parseInput(specSchema(kind), value, path) as Record<string, unknown>;
  const spec = { ...defaults[kind], ...parsed } as Record<string, unknown>;
  if (kind === "service") spec.config = storedConfig(spec as ServiceSpec, path);
  return spec as Spec<K>;
}

/** The fields of one object of `kind` to change, as `edit -f` reads them. */
export function parsePartialSpec<K extends ObjectKind>(kind: K, value: unknown, what: string): PartialSpec<K> {
  return checked(() => parseInput(editSchema(kind), value, "") as PartialSpec<K>, what);
}

/** One object of `kind` from a file (`add -f`). */
export const parseSpecFile = <K extends ObjectKind>(kind: K, value: unknown, what: string): Spec<K> => checked(() => parseSpec(kind, value, ""), what);

/** A whole configuration: each object checked, names unique within each section. */
export function parseDocument(value: unknown, what: string): ConfigurationDocument {
  return checked(() => {
    if (value === null || typeof value !== "object" || Array.isArray(value)) throw ValidationError.of("(file)", "must be a mapping of devices, pools, services and tasks");
    const unknownSections = Object.keys(value).filter((key) => !(key in documentSections));
    if (unknownSections.length > 0) throw new ValidationError(unknownSections.map((key) => ({ field: key, message: "is not a known section (devices, pools, services, tasks)" })));
    const document = {} as Record<string, unknown[]>;
    const issues: { field: string; message: string }[] = [];
    for (const [section, kind] of Object.entries(documentSections)) {
      const items = (value as Record<string, unknown>)[section] ?? [];
      if (!Array.isArray(items)) {
        issues.push({ field: section, message: "must be a list" });
        continue;
      }
      const seen = new Set<string>();
      document[section] = items.flatMap((item, index) => {
        try {
          const spec = parseSpec(kind, item, `${section}.${index}`) as { name: string };
          if (seen.has(spec.name)) issues.push({ field: `${section}.${index}.name`, message: `"${spec.name}" is named twice` });
          seen.add(spec.name);
          return [spec];
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error;
          issues.push(...error.issues);
          return [];
        }
      });
    }
    if (issues.length > 0) throw new ValidationError(issues);
    return document as unknown as ConfigurationDocument;
  }, what);
}
