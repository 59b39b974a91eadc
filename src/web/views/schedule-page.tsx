// The task table: every task the live schedule holds, filtered by name, tag and state, in
// next-run order by default, counting down every second.
import { signal } from "@preact/signals";
import type { TaskState } from "../../generated/web-graphql/graphql.js";
import { describeSchedule } from "../format/schedule-words.js";
import { now } from "../state/clock.js";
import { taskHref } from "../state/route.js";
import type { TaskRow } from "../state/schedule.js";
import type { Api } from "../state/session.js";
import { selectTasks, tagsOf, type TaskFilter, type TaskOrder } from "../state/task-filter.js";
import { StateBadge, StatusBadge } from "./badges.js";
import { Countdown, Instant } from "./times.js";

// Kept while the reader visits task pages and comes back.
const filter = signal<TaskFilter>({ name: "", tag: "", state: "", order: "next-run" });
const setFilter = (change: Partial<TaskFilter>) => (filter.value = { ...filter.value, ...change });

const orders: Record<TaskOrder, string> = { "next-run": "Next run, soonest first", "next-run-last-first": "Next run, latest first", name: "Name" };
const states: TaskState[] = ["ACTIVE", "PAUSED", "COMPLETED"];

export function SchedulePage({ api }: { api: Api }) {
  const tasks = api.schedule.tasks.value;
  const error = api.schedule.error.value;
  const shown = tasks ? selectTasks(tasks.values(), filter.value) : [];
  return (
    <section aria-labelledby="schedule-title">
      <h1 id="schedule-title">Schedule</h1>
      <Filters tags={tasks ? tagsOf(tasks.values()) : []} />
      {error && (
        <p role="alert" class="error">
          The live schedule stopped: {error.message}
        </p>
      )}
      {tasks === null ? (
        <p class="placeholder">Loading the schedule…</p>
      ) : tasks.size === 0 ? (
        <p class="placeholder">
          No tasks yet. Create them through the API, e.g. in <a href="graphql">GraphiQL</a>.
        </p>
      ) : (
        <>
          <p class="count" aria-live="polite">
            {shown.length === tasks.size ? `${tasks.size} tasks` : `${shown.length} of ${tasks.size} tasks`}
          </p>
          {shown.length > 0 && <TaskTable tasks={shown} serverOffsetMs={api.schedule.serverOffsetMs.value} />}
        </>
      )}
    </section>
  );
}

function Filters({ tags }: { tags: string[] }) {
  const current = filter.value;
  return (
    <form class="filters" role="search" onSubmit={(event) => event.preventDefault()}>
      <label>
        Name
        <input type="search" value={current.name} placeholder="part of a name" onInput={(event) => setFilter({ name: event.currentTarget.value })} />
      </label>
      <label>
        Tag
        <select value={current.tag} onChange={(event) => setFilter({ tag: event.currentTarget.value })}>
          <option value="">Any tag</option>
          {/* A chosen tag stays listed while no task carries it any more. */}
          {[...new Set([...tags, ...(current.tag ? [current.tag] : [])])].sort().map((tag) => (
            <option key={tag} value={tag}>
              {tag}
            </option>
          ))}
        </select>
      </label>
      <label>
        State
        <select value={current.state} onChange={(event) => setFilter({ state: event.currentTarget.value as TaskState | "" })}>
          <option value="">Any state</option>
          {states.map((state) => (
            <option key={state} value={state}>
              {state.charAt(0) + state.slice(1).toLowerCase()}
            </option>
          ))}
        </select>
      </label>
      <label>
        Sort by
        <select value={current.order} onChange={(event) => setFilter({ order: event.currentTarget.value as TaskOrder })}>
          {Object.entries(orders).map(([order, label]) => (
            <option key={order} value={order}>
              {label}
            </option>
          ))}
        </select>
      </label>
    </form>
  );
}

function TaskTable({ tasks, serverOffsetMs }: { tasks: TaskRow[]; serverOffsetMs: number }) {
  return (
    <table class="schedule">
      <caption class="visually-hidden">Tasks, sorted by {orders[filter.value.order].toLowerCase()}</caption>
      <thead>
        <tr>
          <th scope="col">Task</th>
          <th scope="col">Service</th>
          <th scope="col">Tags</th>
          <th scope="col">State</th>
          <th scope="col">Schedule</th>
          <th scope="col" aria-sort={filter.value.order === "name" ? "none" : filter.value.order === "next-run" ? "ascending" : "descending"}>
            Next run
          </th>
          <th scope="col">Last run</th>
        </tr>
      </thead>
      <tbody>
        {tasks.map((task) => (
          <TaskTableRow key={task.id} task={task} serverOffsetMs={serverOffsetMs} />
        ))}
      </tbody>
    </table>
  );
}

function TaskTableRow({ task, serverOffsetMs }: { task: TaskRow; serverOffsetMs: number }) {
  return (
    <tr data-task-id={task.id}>
      <th scope="row" data-label="Task">
        <a href={taskHref(task.id)}>{task.name}</a>
      </th>
      <td data-label="Service">{task.serviceName}</td>
      <td data-label="Tags">
        <ul class="tags">
          {task.tags.map((tag) => (
            <li key={tag}>
              <button type="button" class="tag" title={`Show only tasks tagged ${tag}`} onClick={() => setFilter({ tag })}>
                {tag}
              </button>
            </li>
          ))}
        </ul>
      </td>
      <td data-label="State">
        <StateBadge state={task.state} />
        {task.pauseNote && <span class="note"> {task.pauseNote}</span>}
      </td>
      <td data-label="Schedule">{describeSchedule(task.schedule, task.timezone, now.value)}</td>
      <td data-label="Next run" class="next-run">
        {task.nextRunAt ? (
          <>
            <Instant at={task.nextRunAt} /> <Countdown to={task.nextRunAt} serverOffsetMs={serverOffsetMs} />
          </>
        ) : (
          <span class="none">none</span>
        )}
      </td>
      <td data-label="Last run" class="last-run">
        {task.lastRunStatus && task.lastRunAt ? (
          <>
            <StatusBadge status={task.lastRunStatus} /> <Instant at={task.lastRunAt} />
          </>
        ) : (
          <span class="none">never</span>
        )}
      </td>
    </tr>
  );
}
