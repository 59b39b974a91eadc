// Which rows of the schedule table are shown, in which order. Pure: tested in
// test/unit/web-format.test.ts.
import type { TaskRowFieldsFragment, TaskState } from "../../generated/web-graphql/graphql.js";

export type TaskOrder = "next-run" | "next-run-last-first" | "name";

export interface TaskFilter {
  /** Part of the name, any case; empty: every name. */
  name: string;
  /** Empty: any tag. */
  tag: string;
  /** Empty: any state. */
  state: TaskState | "";
  order: TaskOrder;
}

const byName = (a: TaskRowFieldsFragment, b: TaskRowFieldsFragment) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id);

/** Next run first or last; tasks without a next run (paused, completed) come last either way. */
function byNextRun(direction: 1 | -1) {
  return (a: TaskRowFieldsFragment, b: TaskRowFieldsFragment) => {
    if (a.nextRunAt === b.nextRunAt) return byName(a, b);
    if (a.nextRunAt === null) return 1;
    if (b.nextRunAt === null) return -1;
    return direction * (Date.parse(a.nextRunAt) - Date.parse(b.nextRunAt)) || byName(a, b);
  };
}

export function selectTasks(tasks: Iterable<TaskRowFieldsFragment>, filter: TaskFilter): TaskRowFieldsFragment[] {
  const name = filter.name.trim().toLowerCase();
  const shown = [...tasks].filter(
    (task) =>
      (name === "" || task.name.toLowerCase().includes(name)) &&
      (filter.tag === "" || task.tags.includes(filter.tag)) &&
      (filter.state === "" || task.state === filter.state),
  );
  const order = filter.order === "name" ? byName : byNextRun(filter.order === "next-run" ? 1 : -1);
  return shown.sort(order);
}

/** Every tag the tasks carry, sorted, for the tag filter's choices. */
export const tagsOf = (tasks: Iterable<TaskRowFieldsFragment>): string[] => [...new Set([...tasks].flatMap((task) => task.tags))].sort();
