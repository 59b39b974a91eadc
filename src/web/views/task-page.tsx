// One task: where it stands (live), its settings, its next occurrences, its recent runs with
// their per-target results, and the actions the reader's role allows.
import { useSignal } from "@preact/signals";
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { describeSchedule } from "../format/schedule-words.js";
import { formatDuration } from "../format/time.js";
import { now } from "../state/clock.js";
import { scheduleHref } from "../state/route.js";
import { may, type Api, type Viewer } from "../state/session.js";
import { TaskView, type TaskDetails } from "../state/task-view.js";
import { StateBadge, StatusBadge } from "./badges.js";
import { RunList } from "./run-list.js";
import { TaskActions } from "./task-actions.js";
import { Countdown, Instant } from "./times.js";

export function TaskPage({ api, viewer, taskId }: { api: Api; viewer: Viewer; taskId: string }) {
  const [view, setView] = useState<TaskView | null>(null);
  const openRuns = useSignal<ReadonlySet<string>>(new Set());
  useEffect(() => {
    const created = new TaskView(api, taskId);
    setView(created);
    openRuns.value = new Set();
    return () => created.stop();
  }, [api, taskId]);
  if (!view || view.taskId !== taskId) return <p class="placeholder">Loading the task…</p>;

  const back = (
    <p>
      <a href={scheduleHref}>← Schedule</a>
    </p>
  );
  if (view.missing.value) {
    return (
      <article>
        {back}
        <p role="alert" class="error">
          There is no such task: it was deleted, or the link is wrong.
        </p>
      </article>
    );
  }
  const task = view.details.value;
  if (!task) {
    const problem = view.loadError.value;
    return (
      <article>
        {back}
        {problem ? (
          <p role="alert" class="error">
            Could not read the task: {problem.message}
          </p>
        ) : (
          <p class="placeholder">Loading the task…</p>
        )}
      </article>
    );
  }

  const toggleRun = (runId: string) => {
    const next = new Set(openRuns.value);
    if (next.has(runId)) next.delete(runId);
    else {
      next.add(runId);
      if (!view.results.value.get(runId)?.loaded) void view.loadResults(runId);
    }
    openRuns.value = next;
  };
  const showRun = (runId: string) => {
    openRuns.value = new Set([...openRuns.value, runId]);
    void view.loadResults(runId);
  };
  // The live row is newer than the settings read last; it wins for what it holds.
  const row = api.schedule.tasks.value?.get(taskId);
  const state = row?.state ?? task.state;
  const nextRunAt = row ? row.nextRunAt : task.nextRunAt;
  const lastRunAt = row ? row.lastRunAt : task.lastRunAt;
  const lastRunStatus = row ? row.lastRunStatus : task.lastRunStatus;
  const pauseNote = row ? row.pauseNote : task.pauseNote;

  return (
    <article aria-labelledby="task-title">
      {back}
      <header class="task-header">
        <h1 id="task-title">{task.name}</h1>
        <StateBadge state={state} />
      </header>
      {state === "PAUSED" && (
        <p class="pause-note">
          Paused{task.pausedBy && ` by ${task.pausedBy}`}
          {task.pausedAt && (
            <>
              {" "}
              at <Instant at={task.pausedAt} />
            </>
          )}
          {pauseNote ? `: ${pauseNote}` : "."}
        </p>
      )}
      {view.loadError.value && (
        <p role="alert" class="error">
          Could not read the task again: {view.loadError.value.message}
        </p>
      )}
      <TaskActions api={api} viewer={viewer} task={{ ...task, state }} view={view} onRunStarted={showRun} />

      <dl class="task-now">
        <div>
          <dt>Next run</dt>
          <dd class="next-run">
            {nextRunAt ? (
              <>
                <Instant at={nextRunAt} /> <Countdown to={nextRunAt} serverOffsetMs={api.schedule.serverOffsetMs.value} />
              </>
            ) : (
              <span class="none">none</span>
            )}
          </dd>
        </div>
        <div>
          <dt>Last run</dt>
          <dd class="last-run">
            {lastRunStatus && lastRunAt ? (
              <>
                <StatusBadge status={lastRunStatus} /> <Instant at={lastRunAt} />
              </>
            ) : (
              <span class="none">never</span>
            )}
          </dd>
        </div>
      </dl>

      <div class="task-columns">
        <section aria-labelledby="settings-title">
          <h2 id="settings-title">Settings</h2>
          <Settings task={task} />
        </section>
        <section aria-labelledby="upcoming-title">
          <h2 id="upcoming-title">Next occurrences</h2>
          <Upcoming view={view} state={state} />
        </section>
      </div>

      <section aria-labelledby="runs-title">
        <h2 id="runs-title">Recent runs</h2>
        <RunList
          api={api}
          runs={view.runs.value}
          results={view.results.value}
          open={openRuns.value}
          onToggle={toggleRun}
          mayCancel={may(viewer, "OPERATOR")}
          serviceKind={task.service.kind}
        />
      </section>
    </article>
  );
}

function Upcoming({ view, state }: { view: TaskView; state: TaskDetails["state"] }) {
  const upcoming = view.upcoming.value;
  if (state === "PAUSED") return <p class="placeholder">None while the task is paused.</p>;
  if (state === "COMPLETED") return <p class="placeholder">None: the task has completed.</p>;
  if (upcoming === null) return <p class="placeholder">Loading…</p>;
  if ("message" in upcoming) return <p class="error">Could not compute them: {upcoming.message}</p>;
  if (upcoming.instants.length === 0) return <p class="placeholder">None left.</p>;
  return (
    <ol class="upcoming">
      {upcoming.instants.map((instant) => (
        <li key={instant}>
          <Instant at={instant} />
        </li>
      ))}
    </ol>
  );
}

function Setting({ term, children }: { term: string; children: ComponentChildren }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

const policyWords = (policy: string) => policy.charAt(0) + policy.slice(1).toLowerCase().replace(/_/g, " ");

function Settings({ task }: { task: TaskDetails }) {
  const targets = [...task.targetDevices.map((device) => device.name), ...task.targetPools.map((pool) => `pool ${pool.name}`)];
  const schedule = task.schedule;
  const expression = schedule.cron?.expression;
  return (
    <dl class="settings">
      {task.description && <Setting term="Description">{task.description}</Setting>}
      <Setting term="Service">
        {task.service.name} ({task.service.kind.toLowerCase()})
      </Setting>
      <Setting term="Schedule">
        {describeSchedule(schedule, task.timezone, now.value)}
        {expression && (
          <>
            {" "}
            <code>{expression}</code>
          </>
        )}
      </Setting>
      <Setting term="Time zone">{task.timezone}</Setting>
      <Setting term="Targets">{targets.length > 0 ? targets.join(", ") : "the service's own targets"}</Setting>
      <Setting term="Tags">{task.tags.length > 0 ? task.tags.join(", ") : "none"}</Setting>
      <Setting term="Confirmation">
        {task.requiresConfirmation || task.service.requiresConfirmation ? "asked before each run by hand" : "not needed"}
      </Setting>
      <Setting term="Missed occurrences">
        {policyWords(task.misfirePolicy)}, after {formatDuration(task.misfireGraceSeconds)} late
      </Setting>
      <Setting term="While a run is active">{policyWords(task.overlapPolicy)}</Setting>
      <Setting term="Jitter">{task.jitterSeconds > 0 ? `up to ${formatDuration(task.jitterSeconds)}` : "none"}</Setting>
      <Setting term="Scheduled runs">{task.maxRuns === null ? `${task.runCount} so far` : `${task.runCount} of at most ${task.maxRuns}`}</Setting>
      <Setting term="Attempts per target">
        {task.maxAttempts === 1 ? "1 (no retry)" : `${task.maxAttempts}, first retry after ${formatDuration(task.retryBackoffSeconds)}`}
      </Setting>
      <Setting term="Start deadline">{task.deadlineSeconds === null ? "none" : formatDuration(task.deadlineSeconds)}</Setting>
      <Setting term="Payload">
        {Object.keys(task.payload).length === 0 ? "none" : <pre>{JSON.stringify(task.payload, null, 2)}</pre>}
      </Setting>
      <Setting term="Created">
        <Instant at={task.createdAt} />
        {task.createdBy && ` by ${task.createdBy}`}
      </Setting>
      <Setting term="Last edited">
        <Instant at={task.updatedAt} />
        {task.updatedBy && ` by ${task.updatedBy}`}
      </Setting>
    </dl>
  );
}
