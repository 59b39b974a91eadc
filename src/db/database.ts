import type { PrismaClient as SqliteClient } from "../generated/prisma-sqlite/client.js";
import { createDriverAdapter, type DatabaseLocation } from "./driver-adapter.js";
import { reportingQueryErrors, type QueryErrorKind } from "./query-errors.js";

/**
 * The client type the rest of the code sees. Both generated clients come from the same
 * models and expose the same API; the SQLite one stands for both.
 */
export type DbClient = SqliteClient;

export interface Database {
  location: DatabaseLocation;
  client: DbClient;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** Called with every SQL statement sent; used by tests that count queries. */
  onQuery?: (sql: string) => void;
  /** Called with the kind of every statement that fails (the metrics count them). */
  onQueryError?: (kind: QueryErrorKind) => void;
}

export async function openDatabase(location: DatabaseLocation, options: DatabaseOptions = {}): Promise<Database> {
  const created = await createDriverAdapter(location);
  const adapter = options.onQueryError ? reportingQueryErrors(created, options.onQueryError) : created;
  const log = options.onQuery ? [{ emit: "event" as const, level: "query" as const }] : [];
  // Each provider's generated client is large: a process loads only the one it uses.
  const client =
    location.provider === "postgresql"
      ? (new (await import("../generated/prisma-postgresql/client.js")).PrismaClient({ adapter, log }) as unknown as DbClient)
      : new (await import("../generated/prisma-sqlite/client.js")).PrismaClient({ adapter, log });
  if (options.onQuery) {
    const onQuery = options.onQuery;
    (client as unknown as { $on(event: "query", cb: (e: { query: string }) => void): void }).$on("query", (e) =>
      onQuery(e.query),
    );
  }
  if (location.provider === "sqlite") {
    // The better-sqlite3 adapter leaves SQLite's defaults: foreign keys off, rollback journal.
    // Relations must be enforced, and WAL lets readers and other processes work while one writes.
    await client.$executeRawUnsafe("PRAGMA foreign_keys = ON");
    await client.$queryRawUnsafe("PRAGMA journal_mode = WAL");
  }
  return { location, client, close: () => client.$disconnect() };
}

/**
 * True when the database answers a trivial query within `timeoutMs`. A database that stops
 * answering without closing the connection (a dead host, a network partition) must make a
 * readiness probe fail, not hang until the prober gives up.
 */
export async function isDatabaseReachable(client: DbClient, timeoutMs = 2_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([client.$queryRawUnsafe("SELECT 1").then(() => true), timedOut]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export { Prisma } from "../generated/prisma-sqlite/client.js";
