import { builder } from "../builder.js";
import { stepStatuses, type StepReport } from "../domain/runs.js";

export const StepStatus = builder.enumType("StepStatus", {
  values: {
    RUNNING: { description: "Its targets are running." },
    SUCCEEDED: { description: "Every target succeeded (a nested workflow: it succeeded)." },
    FAILED: { description: "A target did not succeed, or the step could not run (see reason); also a step a crash caught running, which is not run again." },
    TIMED_OUT: { description: "Every target that did not succeed timed out." },
    CANCELLED: { description: "The run was cancelled or the server shut down while it ran." },
    SKIPPED: { description: "Not run: a step it follows did not end as it asks (see reason), or the run was stopped first." },
  } satisfies Record<(typeof stepStatuses)[number], unknown>,
});

export const RunStep = builder.objectRef<StepReport>("RunStep").implement({
  description:
    'One step of a WORKFLOW run. Steps of a nested workflow are named "outer/inner" (parentName "outer"), so the list is the step tree. Each target attempt of a step is a RunResult with its stepName.',
  fields: (t) => ({
    name: t.exposeString("name", { description: 'The step\'s name; "outer/inner" inside a nested workflow.' }),
    parentName: t.string({
      nullable: true,
      description: "The step running the nested workflow this step belongs to; null at the top.",
      resolve: (step) => (step.name.includes("/") ? step.name.slice(0, step.name.lastIndexOf("/")) : null),
    }),
    serviceName: t.exposeString("serviceName", { description: "The service it ran, as it was called then." }),
    status: t.field({ type: StepStatus, resolve: (step) => step.status }),
    reason: t.exposeString("reason", { nullable: true, description: "Why it failed or was skipped." }),
    startedAt: t.expose("startedAt", { type: "DateTime", nullable: true }),
    finishedAt: t.expose("finishedAt", { type: "DateTime", nullable: true }),
    targetCount: t.exposeInt("targetCount", { description: "Targets it ran on (a nested workflow: all its steps' targets)." }),
    succeededCount: t.exposeInt("succeededCount"),
    failedCount: t.exposeInt("failedCount"),
  }),
});
