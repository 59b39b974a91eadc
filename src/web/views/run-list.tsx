// A task's recent runs, newest first, as they go: queued, running with each target's result as
// it finishes, then finished. Each opens to its per-target results.
import type { ServiceKind } from "../../generated/web-graphql/graphql.js";
import { CancelRunMutation } from "../api/operations.js";
import { formatElapsed } from "../format/time.js";
import { report } from "../state/notices.js";
import type { Api } from "../state/session.js";
import type { ResultView, RunResults, RunView } from "../state/task-view.js";
import { StatusBadge } from "./badges.js";
import { Instant } from "./times.js";

const activeStatuses = ["QUEUED", "RUNNING"];
const triggerWords = { SCHEDULE: "scheduled", MANUAL: "run by hand", CATCHUP: "catch-up", RETRY: "re-run", BACKFILL: "backfill", NOTIFICATION: "notification" } as const;

function progress(run: RunView): string {
  const finished = run.succeededCount + run.failedCount;
  if (run.status === "QUEUED") return "waiting for the executor";
  if (run.status === "RUNNING") return `${finished} of ${run.targetCount} target${run.targetCount === 1 ? "" : "s"} finished`;
  if (run.status === "SKIPPED") return run.reason ?? "skipped";
  const counts = `${run.succeededCount} of ${run.targetCount} target${run.targetCount === 1 ? "" : "s"} succeeded`;
  const took = run.startedAt && run.finishedAt ? ` in ${formatElapsed(Date.parse(run.finishedAt) - Date.parse(run.startedAt))}` : "";
  return `${counts}${took}${run.reason ? `: ${run.reason}` : ""}`;
}

export interface RunListProps {
  api: Api;
  runs: readonly RunView[];
  results: ReadonlyMap<string, RunResults>;
  open: ReadonlySet<string>;
  onToggle: (runId: string) => void;
  mayCancel: boolean;
  serviceKind: ServiceKind;
}

export function RunList({ api, runs, results, open, onToggle, mayCancel, serviceKind }: RunListProps) {
  if (runs.length === 0) return <p class="placeholder">No runs yet.</p>;
  return (
    <ul class="runs">
      {runs.map((run) => {
        const expanded = open.has(run.id);
        const active = activeStatuses.includes(run.status);
        return (
          <li key={run.id} class="run" data-run-id={run.id}>
            <div class="run-summary">
              <button type="button" class="run-toggle" aria-expanded={expanded} aria-controls={`run-${run.id}`} onClick={() => onToggle(run.id)}>
                <StatusBadge status={run.status} /> <Instant at={run.startedAt ?? run.scheduledFor} /> <span class="trigger">{triggerWords[run.trigger]}</span>{" "}
                <span class="progress">{progress(run)}</span>
              </button>
              {mayCancel && active && (
                <button type="button" class="danger" onClick={() => void cancel(api, run.id)}>
                  Cancel run
                </button>
              )}
            </div>
            {expanded && <RunResultList id={`run-${run.id}`} run={run} results={results.get(run.id)} serviceKind={serviceKind} />}
          </li>
        );
      })}
    </ul>
  );
}

async function cancel(api: Api, runId: string): Promise<void> {
  try {
    const { cancelRun } = await api.request(CancelRunMutation, { id: runId });
    if (cancelRun.__typename !== "CancelRunSuccess") report(cancelRun.message, "cancel the run");
  } catch (error) {
    report(error, "cancel the run");
  }
}

function RunResultList({ id, run, results, serviceKind }: { id: string; run: RunView; results: RunResults | undefined; serviceKind: ServiceKind }) {
  const shown = results?.results ?? [];
  let empty: string | null = null;
  if (shown.length === 0) {
    if (activeStatuses.includes(run.status)) empty = "No target has finished yet.";
    else if (results?.loaded) empty = "This run has no results.";
    else empty = "Loading the results…";
  }
  return (
    <div id={id} class="results">
      {empty && <p class="placeholder">{empty}</p>}
      {shown.length > 0 && (
        <ul>
          {shown.map((result) => (
            <ResultItem key={`${result.deviceName}|${result.attempt}|${result.startedAt}`} result={result} serviceKind={serviceKind} />
          ))}
        </ul>
      )}
      {results && results.totalCount > shown.length && (
        <p class="placeholder">
          Showing {shown.length} of {results.totalCount} results.
        </p>
      )}
    </div>
  );
}

function ResultItem({ result, serviceKind }: { result: ResultView; serviceKind: ServiceKind }) {
  const outcome = result.httpStatus !== null ? `HTTP ${result.httpStatus}` : result.exitCode !== null ? `exit code ${result.exitCode}` : null;
  return (
    <li class="result" data-device={result.deviceName ?? ""}>
      <h3>
        {result.deviceName ?? "(no device)"} <StatusBadge status={result.status} />
      </h3>
      <p class="result-facts">
        {outcome && <span class="outcome">{outcome}</span>}
        <span>took {formatElapsed(result.durationMs)}</span>
        <span>
          started <Instant at={result.startedAt} />
        </span>
        {result.attempt > 1 && <span>attempt {result.attempt}</span>}
      </p>
      {result.error && <p class="error">{result.error}</p>}
      <Output title={serviceKind === "HTTP" ? "Response body" : "Standard output"} text={result.output} truncated={result.outputTruncated} />
      {serviceKind === "COMMAND" && <Output title="Standard error" text={result.errorOutput} truncated={result.errorOutputTruncated} />}
    </li>
  );
}

/** `text` is null for a role below the server's RUN_OUTPUT_VISIBLE_TO. */
function Output({ title, text, truncated }: { title: string; text: string | null; truncated: boolean }) {
  return (
    <section class="output" aria-label={title}>
      <h4>{title}</h4>
      {text === null ? <p class="none">(not shown to your role: RUN_OUTPUT_VISIBLE_TO)</p> : text === "" ? <p class="none">(empty)</p> : <pre tabIndex={0}>{text}</pre>}
      {truncated && <p class="note">Cut at RUN_OUTPUT_LIMIT_BYTES.</p>}
    </section>
  );
}
