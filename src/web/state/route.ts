// Which page is shown, from the URL's fragment: `#/` the schedule, `#/tasks/<id>` a task. The
// server serves one page at `/`; the fragment never reaches it.
import { signal } from "@preact/signals";

export type Route = { page: "schedule" } | { page: "task"; taskId: string };

function parse(hash: string): Route {
  const task = /^#\/tasks\/(.+)$/.exec(hash);
  return task ? { page: "task", taskId: decodeURIComponent(task[1]!) } : { page: "schedule" };
}

export const route = signal<Route>(parse(location.hash));

addEventListener("hashchange", () => (route.value = parse(location.hash)));

export const taskHref = (taskId: string): string => `#/tasks/${encodeURIComponent(taskId)}`;
export const scheduleHref = "#/";
