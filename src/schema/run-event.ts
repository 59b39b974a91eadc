import { builder } from "../builder.js";
import type { RunStatus as RunStatusName } from "../domain/runs.js";
import type { RunSummary } from "../live/live-schedule.js";
import { localId } from "./global-id.js";
import { RunStatus } from "./run.js";
import { RunSummaryRef } from "./task-summary.js";

interface RunEventShape {
  type: "RUN_QUEUED" | "RUN_FINISHED";
  run: RunSummary;
}

const RunEventType = builder.enumType("RunEventType", {
  values: {
    RUN_QUEUED: { description: "A run was queued: by the schedule, a catch-up or by hand." },
    RUN_FINISHED: { description: "A run ended; `run.status` says how (SKIPPED ones end as they are recorded)." },
  } satisfies Record<RunEventShape["type"], unknown>,
});

const RunEvent = builder.objectRef<RunEventShape>("RunEvent").implement({
  fields: (t) => ({
    type: t.field({ type: RunEventType, resolve: (event) => event.type }),
    run: t.field({ type: RunSummaryRef, resolve: (event) => event.run }),
  }),
});

builder.subscriptionField("runEvents", (t) =>
  t.field({
    type: RunEvent,
    description: "What happens to runs, as it happens; every argument narrows.",
    args: {
      taskId: t.arg.id(),
      runId: t.arg.id(),
      statuses: t.arg({ type: [RunStatus] }),
    },
    subscribe: async function* (_root, args, ctx) {
      const taskId = args.taskId != null ? localId(String(args.taskId), "Task", "taskId") : null;
      const runId = args.runId != null ? localId(String(args.runId), "Run", "runId") : null;
      const statuses = args.statuses ? new Set<RunStatusName>(args.statuses) : null;
      for await (const runs of ctx.live.runEvents()) {
        for (const run of runs) {
          if ((taskId && run.taskId !== taskId) || (runId && run.id !== runId) || (statuses && !statuses.has(run.status))) continue;
          yield { type: run.status === "SKIPPED" ? "RUN_FINISHED" : "RUN_QUEUED", run } satisfies RunEventShape;
        }
      }
    },
    resolve: (event) => event,
  }),
);
