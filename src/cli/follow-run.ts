// `tasks run --wait`: follows a run live until it ends. Its events come over the graphql-ws
// websocket (runEvents): on a terminal a progress bar of targets done out of total, otherwise
// a line per finished target. A query every few seconds backs the events up: it sees the end
// of a run whose events this socket cannot give (one executed by another Cronline process, or
// ended before the subscription was in place). Once ended, the run and all its results are
// read, and any target not yet shown is shown.
import { SingleBar } from "cli-progress";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import type { CliResultFieldsFragment, CliRunEventsSubscription, CliRunFieldsFragment } from "../generated/graphql/graphql.js";
import type { ApiClient } from "./client.js";
import { errorOfGraphQL } from "./client.js";
import { CliError, exitCodes } from "./exit-codes.js";
import { CliRunById, CliRunEvents, CliRunResults } from "./operations/runs.js";
import { formatDuration, printLine } from "./output.js";
import { readAll } from "./paging.js";

const finishedStatuses = new Set(["SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELLED", "SKIPPED"]);
const pollMs = 2_000;

export interface FinishedRun {
  run: CliRunFieldsFragment;
  results: CliResultFieldsFragment[];
}

export interface FollowOptions {
  /** Targets the run is expected to have, until the server reports how many it had. */
  expectedTargets: number;
  /** Attempts a target may get: an attempt that failed short of it may be retried. */
  maxAttempts: number;
  /** bar: a progress bar on stderr; lines: a line per finished target on stdout; none: quiet (--json). */
  display: "bar" | "lines" | "none";
}

type TargetOutcome = Pick<CliResultFieldsFragment, "deviceName" | "attempt" | "status" | "exitCode" | "httpStatus" | "error" | "durationMs">;

/** "laptop: SUCCEEDED (exit 0, 12ms)", a finished attempt as a line. */
export function targetLine(result: TargetOutcome): string {
  const code = result.exitCode !== null ? `exit ${result.exitCode}` : result.httpStatus !== null ? `HTTP ${result.httpStatus}` : null;
  const details = [code, `${result.durationMs}ms`, result.attempt > 1 ? `attempt ${result.attempt}` : null].filter(Boolean).join(", ");
  return `${result.deviceName ?? "(no device)"}: ${result.status} (${details})${result.error ? `: ${result.error}` : ""}`;
}

const attemptKey = (result: { deviceName: string | null; attempt: number }) => `${result.deviceName ?? ""}#${result.attempt}`;

export function websocketClient(api: ApiClient): Client {
  return createClient({
    url: api.connection.url.replace(/^http/, "ws"),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    ...(api.connection.token !== undefined && { connectionParams: { authorization: `Bearer ${api.connection.token}` } }),
  });
}

export async function followRun(api: ApiClient, runId: string, options: FollowOptions): Promise<FinishedRun> {
  const shown = new Set<string>();
  const finalTargets = new Set<string>();
  let total = Math.max(1, options.expectedTargets);
  const bar = options.display === "bar" ? new SingleBar({ format: "{bar} {value}/{total} targets | {status}", hideCursor: true }) : null;
  bar?.start(total, 0, { status: "QUEUED" });

  const show = (result: TargetOutcome) => {
    if (shown.has(attemptKey(result))) return;
    shown.add(attemptKey(result));
    if (result.status === "SUCCEEDED" || result.attempt >= options.maxAttempts) finalTargets.add(result.deviceName ?? "");
    if (options.display === "lines") printLine(targetLine(result));
    bar?.update(Math.min(finalTargets.size, total));
  };

  let finish: () => void = () => {};
  let fail: (error: unknown) => void = () => {};
  const ended = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const socket = websocketClient(api);
  const stopEvents = socket.subscribe<CliRunEventsSubscription>(
    { query: CliRunEvents.toString(), variables: { runId } },
    {
      next: (result) => {
        if (result.errors) return fail(errorOfGraphQL(result.errors as never));
        const event = (result.data as CliRunEventsSubscription).runEvents;
        if (event.result) show(event.result);
        if (event.run.targetCount > 0 && event.run.targetCount !== total) bar?.setTotal((total = event.run.targetCount));
        bar?.update({ status: event.run.status });
        if (event.type === "RUN_FINISHED") finish();
      },
      // The socket could not be used (a proxy without websockets, say): the queries still see the end.
      error: () => {},
      complete: () => {},
    },
  );
  const poll = setInterval(() => {
    api.request(CliRunById, { id: runId }).then(({ run }) => {
      if (!run) fail(new CliError(`run ${runId} no longer exists`, exitCodes.notFound, { code: "NOT_FOUND" }));
      else if (finishedStatuses.has(run.status)) finish();
    }, fail);
  }, pollMs);
  void ended
    .finally(() => {
      clearInterval(poll);
      stopEvents();
      void socket.dispose();
    })
    .catch(() => {});
  // The run may have ended already: no event will say so.
  const first = await api.request(CliRunById, { id: runId });
  if (first.run && finishedStatuses.has(first.run.status)) finish();
  await ended;

  const { run } = await api.request(CliRunById, { id: runId });
  if (!run) throw new CliError(`run ${runId} no longer exists`, exitCodes.notFound, { code: "NOT_FOUND" });
  const results = await readAll((first, after) =>
    api.request(CliRunResults, { id: runId, first, after }).then((data) => data.run?.results ?? { pageInfo: { hasNextPage: false }, edges: [] }),
  );
  for (const result of results) show(result);
  if (bar) {
    bar.setTotal(Math.max(1, run.targetCount));
    bar.update(run.targetCount, { status: run.status });
    bar.stop();
  }
  if (options.display !== "none") {
    const took = run.startedAt && run.finishedAt ? ` in ${formatDuration((Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000)}` : "";
    printLine(`run ${run.status}${took}: ${run.succeededCount} succeeded, ${run.failedCount} failed of ${run.targetCount} targets${run.reason ? ` (${run.reason})` : ""}`);
  }
  return { run, results };
}
