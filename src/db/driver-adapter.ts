import path from "node:path";
import { closeSync, mkdirSync, openSync } from "node:fs";
import type { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import type { PrismaPg } from "@prisma/adapter-pg";
import type { DatabaseProvider } from "./prisma-schema.js";
import { runAfterATurn } from "../event-loop-slices.js";

export interface DatabaseLocation {
  provider: DatabaseProvider;
  /** `file:<path>` for SQLite (path resolved to absolute), the connection string for PostgreSQL. */
  url: string;
}

/** `postgres://` and `postgresql://` mean PostgreSQL; anything else is a `file:` URL (config accepts no other) and means SQLite. */
export function locateDatabase(databaseUrl: string, cwd = process.cwd()): DatabaseLocation {
  if (/^postgres(ql)?:\/\//i.test(databaseUrl)) return { provider: "postgresql", url: databaseUrl };
  const filePath = databaseUrl.replace(/^file:/, "");
  return { provider: "sqlite", url: `file:${path.resolve(cwd, filePath)}` };
}

export function sqliteFilePath(location: DatabaseLocation): string {
  return location.url.replace(/^file:/, "");
}

/**
 * The database holds every service's config and payload: a missing directory is created for
 * its owner alone (0700), and a missing file 0600, before SQLite opens it; SQLite gives its
 * -wal and -shm files the mode of the database file. Existing ones keep their modes.
 */
function createPrivately(file: string): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, "a", 0o600));
}

export type DriverAdapterFactory = PrismaBetterSqlite3 | PrismaPg;

/**
 * SQLite as a thread with other work to do needs it:
 * - Transactions take the write lock when they begin. The adapter's deferred BEGIN lets a
 *   transaction read, then fail to write without waiting (SQLITE_BUSY) when another connection
 *   (a role thread, another process) committed in between; BEGIN IMMEDIATE waits for the lock up
 *   to the busy timeout instead, and then reads what it will write over.
 * - A BEGIN that fails (the lock still held elsewhere after the busy timeout) leaves the
 *   connection usable: the adapter would keep its transaction mutex locked for good, and every
 *   later transaction of the thread would wait forever. The failure is kept from the adapter
 *   until it has handed over its transaction, which is then let go, and thrown as its own.
 * - Every statement outside a transaction first lets the event loop turn, and takes its place in
 *   the loop's slices (event-loop-slices.ts). better-sqlite3 answers at once, so without it a
 *   thread serving many requests runs their queries and resolvers as one unbroken chain of
 *   microtasks, and accepts no connection (not even /healthz) for seconds.
 */
function forThreadsWithOtherWork(Adapter: typeof PrismaBetterSqlite3): typeof PrismaBetterSqlite3 {
  return class SqliteForThreadsWithOtherWork extends Adapter {
    override async connect(): ReturnType<PrismaBetterSqlite3["connect"]> {
      const adapter = await super.connect();
      const connection = (adapter as unknown as { client: { prepare(sql: string): { run(): unknown } } }).client;
      const prepare = connection.prepare.bind(connection);
      // Set by a failed BEGIN; the adapter runs BEGIN holding its mutex, so no other one can come between.
      let failedBegin: { error: unknown } | undefined;
      connection.prepare = (sql: string) => {
        if (sql !== "BEGIN") return prepare(sql);
        const begin = prepare("BEGIN IMMEDIATE");
        return {
          run: () => {
            try {
              return begin.run();
            } catch (error) {
              failedBegin = { error };
              return { changes: 0, lastInsertRowid: 0 };
            }
          },
        };
      };
      const startTransaction = adapter.startTransaction.bind(adapter);
      adapter.startTransaction = async (isolationLevel) => {
        const transaction = await startTransaction(isolationLevel);
        const failure = failedBegin;
        if (!failure) return transaction;
        failedBegin = undefined;
        // Nothing began: rollback() only unlocks the adapter's mutex.
        await transaction.rollback();
        return (adapter as unknown as { onError(error: unknown): never }).onError(failure.error);
      };
      adapter.queryRaw = afterATurn(adapter.queryRaw.bind(adapter));
      adapter.executeRaw = afterATurn(adapter.executeRaw.bind(adapter));
      return adapter;
    }
  };
}

function afterATurn<A, R>(run: (argument: A) => Promise<R>): (argument: A) => Promise<R> {
  return (argument) => runAfterATurn(() => run(argument));
}

/** Only the provider's own driver is loaded: a start on SQLite never loads pg, nor the reverse. */
export async function createDriverAdapter(location: DatabaseLocation): Promise<DriverAdapterFactory> {
  if (location.provider === "postgresql") {
    const { PrismaPg } = await import("@prisma/adapter-pg");
    return new PrismaPg({ connectionString: location.url });
  }
  const file = sqliteFilePath(location);
  createPrivately(file);
  const { PrismaBetterSqlite3 } = await import("@prisma/adapter-better-sqlite3");
  // Wait for a concurrent writer (another Cronline process on the same file) instead of failing.
  return new (forThreadsWithOtherWork(PrismaBetterSqlite3))({ url: location.url, timeout: 10_000 });
}
