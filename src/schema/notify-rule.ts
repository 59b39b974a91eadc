// Notification rules in the API: a task's (Task.notify) and a service's defaults
// (Service.notify). Services are named by global ID here and by database id in storage.
import { encodeGlobalID } from "@pothos/plugin-relay";
import { builder } from "../builder.js";
import { maxNotifyRules, notifyOutcomes, notifyRulesFromJson, type NotifyRule as NotifyRuleValue } from "../domain/notifications.js";
import { localId } from "./global-id.js";
import { maxItems } from "./list-limits.js";

export const NotifyOutcome = builder.enumType("NotifyOutcome", {
  description: "How a run of the task ended, as notification rules name it.",
  values: {
    FAILED: { description: "The run FAILED (a failed target, an interruption, a workflow step failed with no failure branch)." },
    TIMED_OUT: { description: "The run TIMED_OUT." },
    SKIPPED: { description: "Occurrences were missed beyond the misfire grace and recorded as a SKIPPED run (not skips by overlap policy or deadline)." },
    DEADLINE_MISSED: {
      description:
        "A queued run could not start within the task's deadlineSeconds and was SKIPPED (reason \"could not start within its …s deadline\"). Its own outcome, not SKIPPED: missed occurrences mean the scheduler was down, a missed deadline means the runs could not start in time (an overlap policy holding them back, too little concurrency, an overloaded or drained cluster), and rules on SKIPPED keep meaning what they meant. Deadline skips in a row notify once unless everyTime; they do not count as the previous run for the other outcomes.",
    },
    RECOVERED: { description: "The run SUCCEEDED and the task's previous run had FAILED or TIMED_OUT." },
  } satisfies Record<(typeof notifyOutcomes)[number], unknown>,
});

const everyTimeDescription =
  "Notify about every run with a listed outcome. Default false: a rule notifies only when the outcome differs from the task's previous run's (a task failing run after run notifies once, then RECOVERED once).";

export const NotifyRuleInput = builder.inputType("NotifyRuleInput", {
  fields: (t) => ({
    serviceId: t.id({ required: true, description: "The service to run (typically an HTTP webhook); it gets the run's summary as its payload." }),
    on: t.field({ type: [NotifyOutcome], required: true, ...maxItems(notifyOutcomes.length) }),
    everyTime: t.boolean({ description: everyTimeDescription }),
  }),
});

export const NotifyRule = builder.objectRef<NotifyRuleValue>("NotifyRule").implement({
  description: "Runs a service, with trigger NOTIFICATION, when a run of the task ends with one of the outcomes.",
  fields: (t) => ({
    serviceId: t.id({ resolve: (rule) => encodeGlobalID("Service", rule.serviceId) }),
    service: t.prismaField({
      type: "Service",
      nullable: true,
      resolve: (query, rule, _args, ctx) => ctx.db.service.findUnique({ ...query, where: { id: rule.serviceId } }),
    }),
    on: t.field({ type: [NotifyOutcome], resolve: (rule) => rule.on }),
    everyTime: t.boolean({ description: everyTimeDescription, resolve: (rule) => rule.everyTime }),
  }),
});

export const notifyListLimit = maxItems(maxNotifyRules);

/** The rules stored in a notify column, for the API (null: none of its own). */
export const notifyRulesOf = (json: unknown): NotifyRuleValue[] | null => notifyRulesFromJson(json);

type NotifyRuleArg = { serviceId: string | number; on: readonly string[]; everyTime?: boolean | null };

/** The rules with their services' database ids; null and undefined pass through. */
export function localNotifyRules(rules: readonly NotifyRuleArg[] | null | undefined, field = "input.notify") {
  if (!rules) return rules;
  return rules.map((rule, i) => ({
    serviceId: localId(String(rule.serviceId), "Service", `${field}.${i}.serviceId`),
    on: rule.on,
    ...(rule.everyTime != null && { everyTime: rule.everyTime }),
  }));
}
