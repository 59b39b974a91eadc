import { encodeGlobalID } from "@pothos/plugin-relay";
import { builder } from "../builder.js";
import type { TaskEvent as TaskEventShape } from "../live/live-schedule.js";
import { LiveTaskFilter, parseLiveTaskFilter, TaskChange, TaskSummary } from "./task-summary.js";

const TaskEvent = builder.objectRef<TaskEventShape>("TaskEvent").implement({
  fields: (t) => ({
    change: t.field({ type: TaskChange, resolve: (event) => event.change }),
    taskId: t.id({ resolve: (event) => encodeGlobalID("Task", event.taskId) }),
    task: t.field({ type: TaskSummary, nullable: true, description: "The task after the change; null once deleted.", resolve: (event) => event.task }),
  }),
});

builder.subscriptionField("taskEvents", (t) =>
  t.field({
    type: TaskEvent,
    description: "Every creation, edit, pause, resume, completion and deletion of a matching task.",
    args: { filter: t.arg({ type: LiveTaskFilter }) },
    subscribe: (_root, args, ctx) => ctx.live.taskEvents(parseLiveTaskFilter(args.filter)),
    resolve: (event) => event,
  }),
);
