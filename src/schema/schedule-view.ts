import { encodeGlobalID } from "@pothos/plugin-relay";
import { z } from "zod";
import { builder } from "../builder.js";
import { parseInput } from "../domain/input-rules.js";
import { scheduleViewEventKinds, scheduleViewModes, type ScheduleViewEvent as ScheduleViewEventShape } from "../live/live-schedule.js";
import { LiveTaskFilter, parseLiveTaskFilter, RunSummary, TaskChange, TaskSummary } from "./task-summary.js";

const ScheduleViewEventKind = builder.enumType("ScheduleViewEventKind", {
  values: {
    SNAPSHOT: { description: "Every task in view; the first event, and what a client that fell behind gets instead of old events: it replaces the client's whole table." },
    TICK: {
      description:
        "Each tickSeconds. FULL: every task in view with fresh countdowns. CHANGES: only the tasks whose fields changed since the previous event without an event of their own (e.g. a task that fired and moved to its next run); countdowns are computed from `nextRunAt` and `at`.",
    },
    TASK_CHANGED: {
      description:
        "`tasks` holds the task that was created, edited, paused, resumed or completed (`change`); `change` is null when another Cronline process only moved its next or last run, or its service was renamed.",
    },
    TASK_REMOVED: { description: "`removedTaskIds` left the view: deleted, or no longer matching the filter." },
    RUNS: { description: "`runs` were queued, skipped, started or finished; `tasks` holds their tasks as they are now." },
  } satisfies Record<(typeof scheduleViewEventKinds)[number], unknown>,
});

const ScheduleViewMode = builder.enumType("ScheduleViewMode", {
  description: "What a scheduleView TICK holds.",
  values: {
    FULL: { description: "Every task in view, each with its countdown as of the tick's `at`." },
    CHANGES: {
      description:
        "The tick's `at` and only the tasks that changed; a task whose countdown merely went down has not changed. A client keeps its own table and computes `secondsUntilNextRun` as ceil((nextRunAt - at) / 1 s), at least 0.",
    },
  } satisfies Record<(typeof scheduleViewModes)[number], unknown>,
});

const ScheduleViewEvent = builder.objectRef<ScheduleViewEventShape>("ScheduleViewEvent").implement({
  fields: (t) => ({
    kind: t.field({ type: ScheduleViewEventKind, resolve: (event) => event.kind }),
    at: t.expose("at", { type: "DateTime", description: "When the server made the event; countdowns are as of then." }),
    tasks: t.field({ type: [TaskSummary], resolve: (event) => event.tasks }),
    change: t.field({ type: TaskChange, nullable: true, resolve: (event) => event.change }),
    removedTaskIds: t.idList({ resolve: (event) => event.removedTaskIds.map((id) => encodeGlobalID("Task", id)) }),
    runs: t.field({ type: [RunSummary], resolve: (event) => event.runs }),
  }),
});

const tickSecondsRule = z.number().int().min(1, "must be at least 1").max(3_600, "must be at most 3600");

builder.subscriptionField("scheduleView", (t) =>
  t.field({
    type: ScheduleViewEvent,
    description:
      "The live schedule: a snapshot of the matching tasks, a tick every tickSeconds (every task with fresh countdowns, or in CHANGES mode only what changed), and every change at once.",
    args: {
      filter: t.arg({ type: LiveTaskFilter }),
      tickSeconds: t.arg.int({ defaultValue: 1, required: true }),
      mode: t.arg({ type: ScheduleViewMode, defaultValue: "FULL", required: true }),
    },
    subscribe: (_root, args, ctx) =>
      ctx.live.scheduleView(parseLiveTaskFilter(args.filter), parseInput(tickSecondsRule, args.tickSeconds, "tickSeconds"), args.mode),
    resolve: (event) => event,
  }),
);
