// Every metric Cronline exports, defined in one place: each thread registers the groups of
// the roles it runs in a registry of its own, and a scrape sums the threads' registries
// (scrape.ts). Labels take values from short fixed lists (statuses, kinds, outcomes) or from
// bounded sets (operation-names.ts): never a task, run or device id, so the number of series
// stays the same with 10 tasks or 100,000.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** Seconds, from a few milliseconds to half an hour: how late a fire or a start is. */
const lagBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800];
/** Seconds, from 10 ms to 3 hours: how long a run or an attempt takes. */
const durationBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 10800];
/** Seconds, from 1 ms to 10 s: how long a GraphQL operation takes to execute. */
const operationBuckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What became of an occurrence of a schedule. */
export const occurrenceOutcomes = ["queued", "caught_up", "skipped_misfire", "skipped_overlap", "skipped_deadline"] as const;
export type OccurrenceOutcome = (typeof occurrenceOutcomes)[number];

/** Where fire lag is measured: from the occurrence to its claim, and from the claim to the run's start. */
export type FireLagStage = "claim" | "start";

/** Metrics both the scheduler and the worker record into (their threads' values are summed). */
function scheduleMetrics(registry: Registry) {
  return {
    fireLag: new Histogram({
      name: "cronline_fire_lag_seconds",
      help: "How late runs are: stage claim, from an occurrence (plus its jitter) to the claim that queued it; stage start, from a run's queueing to its start",
      labelNames: ["stage"] as const,
      buckets: lagBuckets,
      registers: [registry],
    }),
    occurrences: new Counter({
      name: "cronline_occurrences_total",
      help: "Occurrences of schedules dealt with, by outcome: queued on time, caught_up (queued late, by the misfire policy), skipped_misfire, skipped_overlap, skipped_deadline (queued, then not started within the task's deadline)",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
  };
}

export type ScheduleMetrics = ReturnType<typeof scheduleMetrics>;

export function schedulerMetrics(registry: Registry, scheduledTasks: () => number) {
  return {
    ...scheduleMetrics(registry),
    claimConflicts: new Counter({
      name: "cronline_claim_conflicts_total",
      help: "Tasks whose claim found them changed since they were read (claimed by another process, or edited), so this scheduler queued nothing for them",
      registers: [registry],
    }),
    scheduledTasks: new Gauge({
      name: "cronline_scheduler_tasks",
      help: "Tasks this process's scheduler holds in its timer queue",
      registers: [registry],
      collect() {
        this.set(scheduledTasks());
      },
    }),
  };
}

export type SchedulerMetrics = ReturnType<typeof schedulerMetrics>;

export function executionMetrics(registry: Registry) {
  return {
    ...scheduleMetrics(registry),
    runsFinished: new Counter({
      name: "cronline_runs_finished_total",
      help: "Runs this process ended, by final status and the kind of their service (unknown for runs closed as interrupted)",
      labelNames: ["status", "service_kind"] as const,
      registers: [registry],
    }),
    runDuration: new Histogram({
      name: "cronline_run_duration_seconds",
      help: "From a run's start to its end, by final status and service kind",
      labelNames: ["status", "service_kind"] as const,
      buckets: durationBuckets,
      registers: [registry],
    }),
    targetDuration: new Histogram({
      name: "cronline_target_duration_seconds",
      help: "How long each attempt against a target (a device, or the service alone) took, by the attempt's status and service kind",
      labelNames: ["status", "service_kind"] as const,
      buckets: durationBuckets,
      registers: [registry],
    }),
  };
}

export type ExecutionMetrics = ReturnType<typeof executionMetrics>;

export function apiMetrics(registry: Registry) {
  return {
    operations: new Counter({
      name: "cronline_graphql_operations_total",
      help: "GraphQL operations received over HTTP and websockets, by operation name and type (unknown when refused before its type was known)",
      labelNames: ["operation", "type"] as const,
      registers: [registry],
    }),
    errors: new Counter({
      name: "cronline_graphql_errors_total",
      help: "Errors in GraphQL answers, by operation name and error code",
      labelNames: ["operation", "code"] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: "cronline_graphql_operation_duration_seconds",
      help: "How long GraphQL queries and mutations took to execute (and subscriptions to start), by operation name and type",
      labelNames: ["operation", "type"] as const,
      buckets: operationBuckets,
      registers: [registry],
    }),
    webSocketConnections: new Gauge({
      name: "cronline_websocket_connections",
      help: "Websocket connections open now",
      registers: [registry],
    }),
    webSocketSubscriptions: new Gauge({
      name: "cronline_websocket_subscriptions",
      help: "Subscriptions in progress on websockets now, by operation name",
      labelNames: ["operation"] as const,
      registers: [registry],
    }),
  };
}

export type ApiMetrics = ReturnType<typeof apiMetrics>;

/** Why a database statement failed: the database unavailable, a constraint refusing a write, anything else. */
export type DatabaseErrorKind = "unavailable" | "constraint" | "other";

export function databaseMetrics(registry: Registry) {
  return {
    queryErrors: new Counter({
      name: "cronline_database_query_errors_total",
      help: "Database statements that failed, by kind: unavailable (unreachable, locked past the busy timeout), constraint, other",
      labelNames: ["kind"] as const,
      registers: [registry],
    }),
  };
}

export type DatabaseMetrics = ReturnType<typeof databaseMetrics>;
