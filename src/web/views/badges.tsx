// Statuses and states as coloured words: the colour helps, the word says it.
import type { RunResultStatus, RunStatus, TaskState } from "../../generated/web-graphql/graphql.js";

const words = (value: string) => value.charAt(0) + value.slice(1).toLowerCase().replace(/_/g, " ");

export function StatusBadge({ status }: { status: RunStatus | RunResultStatus }) {
  return <span class={`badge status-${status.toLowerCase()}`}>{words(status)}</span>;
}

export function StateBadge({ state }: { state: TaskState }) {
  return <span class={`badge state-${state.toLowerCase()}`}>{words(state)}</span>;
}
