// What a valid task's fields are, as createTask and updateTask take them. Apart from
// tasks.ts, which writes them, so that `cronline apply` checks a file with these same rules
// before it sends anything, without loading the database layer.
import { z } from "zod";
import { descriptionRule, idListRule, jsonObjectRule, nameRule, tagsRule } from "./input-rules.js";
import { dstPolicies } from "../scheduler/time/dst.js";
import { notifyRulesSchema } from "./notifications.js";
import { misfirePolicies, overlapPolicies, taskDefaults } from "./task-policies.js";

const uniqueIds = idListRule.transform((ids) => [...new Set(ids)]);
const week = 7 * 86_400;

export const taskFields = {
  name: nameRule,
  description: descriptionRule,
  serviceId: z.string(),
  schedule: z.unknown(),
  timezone: z.string(),
  dstPolicy: z.enum(dstPolicies),
  payload: jsonObjectRule,
  tags: tagsRule,
  targetDeviceIds: uniqueIds,
  targetPoolIds: uniqueIds,
  requiresConfirmation: z.boolean(),
  misfirePolicy: z.enum(misfirePolicies),
  misfireGraceSeconds: z.number().int().min(0).max(week, `must be at most ${week} (a week)`),
  overlapPolicy: z.enum(overlapPolicies),
  jitterSeconds: z.number().int().min(0).max(86_400, "must be at most 86400 (a day)"),
  maxRuns: z.number().int().min(1, "must be at least 1").nullable(),
  maxAttempts: z.number().int().min(1, "must be at least 1").max(20, "must be at most 20"),
  retryBackoffSeconds: z.number().int().min(0).max(3_600, "must be at most 3600 (an hour)"),
  deadlineSeconds: z.number().int().min(1, "must be at least 1").max(week, `must be at most ${week} (a week)`).nullable(),
  maxConcurrentRuns: z.number().int().min(1, "must be at least 1").max(1_000, "must be at most 1000").nullable(),
  /** null: the service's rules apply. */
  notify: notifyRulesSchema.nullable(),
};

/** maxConcurrentRuns limits only overlap policy ALLOW: the others run a task's runs one at a time. */
export function maxConcurrentRunsIssue(overlapPolicy: string, maxConcurrentRuns: number | null, changedPolicy: boolean): { field: string; message: string } | null {
  if (maxConcurrentRuns === null || overlapPolicy === "ALLOW") return null;
  return changedPolicy
    ? { field: "input.overlapPolicy", message: `must be ALLOW while maxConcurrentRuns is set (${maxConcurrentRuns}); set maxConcurrentRuns to null with it` }
    : { field: "input.maxConcurrentRuns", message: `applies only to overlapPolicy ALLOW (${overlapPolicy} runs one at a time)` };
}

export const createTaskSchema = z.object({
  ...taskFields,
  description: taskFields.description.default(""),
  timezone: taskFields.timezone.default(taskDefaults.timezone),
  dstPolicy: taskFields.dstPolicy.default(taskDefaults.dstPolicy),
  payload: taskFields.payload.default({}),
  tags: taskFields.tags.default([]),
  targetDeviceIds: taskFields.targetDeviceIds.default([]),
  targetPoolIds: taskFields.targetPoolIds.default([]),
  requiresConfirmation: taskFields.requiresConfirmation.default(false),
  misfirePolicy: taskFields.misfirePolicy.default(taskDefaults.misfirePolicy),
  misfireGraceSeconds: taskFields.misfireGraceSeconds.default(taskDefaults.misfireGraceSeconds),
  overlapPolicy: taskFields.overlapPolicy.default(taskDefaults.overlapPolicy),
  jitterSeconds: taskFields.jitterSeconds.default(taskDefaults.jitterSeconds),
  maxRuns: taskFields.maxRuns.default(null),
  maxAttempts: taskFields.maxAttempts.default(taskDefaults.maxAttempts),
  retryBackoffSeconds: taskFields.retryBackoffSeconds.default(taskDefaults.retryBackoffSeconds),
  deadlineSeconds: taskFields.deadlineSeconds.default(null),
  maxConcurrentRuns: taskFields.maxConcurrentRuns.default(null),
  notify: taskFields.notify.default(null),
});

export const updateTaskSchema = z.object(taskFields).partial();
