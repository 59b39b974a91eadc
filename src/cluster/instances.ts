// The Instance table: every live Cronline process on the database, renewing its lease (its
// heartbeat) by the database's clock; one whose lease expired is gone. What the `instances`
// query shows and drainInstance marks.
import { hostname } from "node:os";
import type { DbClient } from "../db/database.js";
import type { DatabaseProvider } from "../db/prisma-schema.js";
import { sqlDialects } from "../db/sql-dialect.js";
import { NotFoundError } from "../domain/errors.js";
import type { ProcessCounters } from "./process-stats.js";

export interface InstanceIdentity {
  id: string;
  version: string;
  roles: readonly string[];
}

/** Records this process as a live instance, its lease holding `leaseMs`. */
export async function registerInstance(db: DbClient, provider: DatabaseProvider, identity: InstanceIdentity, clockOffsetMs: number, leaseMs: number): Promise<void> {
  const d = sqlDialects[provider];
  await db.$executeRawUnsafe(
    `INSERT INTO "Instance" ("id", "host", "pid", "version", "roles", "clockOffsetMs", "startedAt", "heartbeatAt", "leaseExpiresAt")
     VALUES (${d.placeholder(1)}, ${d.placeholder(2)}, ${d.placeholder(3)}, ${d.placeholder(4)}, ${d.placeholder(5)}, ${d.placeholder(6)}, ${d.now()}, ${d.now()}, ${d.now(7)})`,
    identity.id,
    hostname(),
    process.pid,
    identity.version,
    identity.roles.join(","),
    clockOffsetMs,
    leaseMs,
  );
}

/**
 * Renews the instance's lease with its latest counters, and deletes the instances whose lease
 * has expired. Returns whether it is draining; null when its row is gone (its lease expired
 * while it could not renew it, and another instance deleted it): it must register again.
 */
export async function heartbeat(
  db: DbClient,
  provider: DatabaseProvider,
  id: string,
  counters: ProcessCounters & { clockOffsetMs: number },
  leaseMs: number,
): Promise<{ draining: boolean } | null> {
  const d = sqlDialects[provider];
  const [row] = await db.$queryRawUnsafe<{ draining: boolean | number }[]>(
    `UPDATE "Instance" SET "heartbeatAt" = ${d.now()}, "leaseExpiresAt" = ${d.now(1)}, "runsExecuting" = ${d.placeholder(2)}, "claimsMade" = ${d.placeholder(3)},
       "lastClaimAt" = ${d.typed(4, "timestamp")}, "clockOffsetMs" = ${d.placeholder(5)}, "missedChanges" = ${d.placeholder(6)}
     WHERE "id" = ${d.placeholder(7)} RETURNING "draining"`,
    leaseMs,
    counters.runsExecuting,
    counters.claimsMade,
    counters.lastClaimAt === null ? null : new Date(counters.lastClaimAt),
    counters.clockOffsetMs,
    counters.missedChanges,
    id,
  );
  await db.$executeRawUnsafe(`DELETE FROM "Instance" WHERE "leaseExpiresAt" < ${d.now()}`);
  return row ? { draining: Boolean(row.draining) } : null;
}

export async function deregisterInstance(db: DbClient, id: string): Promise<void> {
  await db.instance.deleteMany({ where: { id } });
}

/** Marks a live instance draining; a NotFoundError on `input.id` when no live instance has that id. */
export async function markDraining(db: DbClient, id: string, now: Date): Promise<void> {
  const { count } = await db.instance.updateMany({ where: { id, leaseExpiresAt: { gt: now } }, data: { draining: true } });
  if (count === 0) throw new NotFoundError("input.id", id, "Instance");
}
