// What every role of a process needs to take part in a cluster of instances on one database:
// its instance id (which notifications and drainInstance name), the counters and clock offset
// its threads share, and how it tells the others of its changes.
import type { DatabaseProvider } from "../db/prisma-schema.js";
import { noClusterNotifier, postgresNotifier, type ClusterNotifier } from "./notifier.js";
import type { ProcessStats } from "./process-stats.js";

export interface Membership {
  instanceId: string;
  stats: ProcessStats;
  notifier: ClusterNotifier;
}

/** Only PostgreSQL has other processes to tell: SQLite is one process. */
export function notifierFor(provider: DatabaseProvider, instanceId: string): ClusterNotifier {
  return provider === "postgresql" ? postgresNotifier(instanceId) : noClusterNotifier;
}
