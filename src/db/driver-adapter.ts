import path from "node:path";
import { closeSync, mkdirSync, openSync } from "node:fs";
import type { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import type { PrismaPg } from "@prisma/adapter-pg";
import type { DatabaseProvider } from "./prisma-schema.js";
import { setTimeout as sleep } from "node:timers/promises";
import { runAfterATurn } from "../event-loop-slices.js";
import { StatementCache, type SqliteStatement } from "./statement-cache.js";

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
 *   (a role thread, another process) committed in between; BEGIN IMMEDIATE waits for the lock
 *   instead, and then reads what it will write over.
 * - Waiting for the write lock does not stop the thread. SQLite's own busy timeout sleeps in the
 *   statement, up to 100 ms at a time, and a thread that sleeps there runs nothing else: no
 *   HTTP call, no timer, no other statement (the scheduler's and the worker's threads take the
 *   lock in turns hundreds of times a second). So a statement or BEGIN that finds the lock held
 *   fails at once (busy timeout 0) and is tried again from the event loop, 0 to 16 ms apart,
 *   for up to `lockWaitMs`; then it fails with SQLite's SQLITE_BUSY as before. Scripts (the
 *   schema engine's migrations) keep SQLite's own wait: a script is not tried again.
 * - A BEGIN that fails leaves the connection usable: the adapter would keep its transaction
 *   mutex locked for good, and every later transaction of the thread would wait forever. The
 *   failure is kept from the adapter until it has handed over its transaction, which is then
 *   let go, and thrown as its own (or the BEGIN tried again).
 * - Every statement outside a transaction first lets the event loop turn, and takes its place in
 *   the loop's slices (event-loop-slices.ts). better-sqlite3 answers at once, so without it a
 *   thread serving many requests runs their queries and resolvers as one unbroken chain of
 *   microtasks, and accepts no connection (not even /healthz) for seconds.
 * - Statements are compiled once and reused (statement-cache.ts), not prepared afresh at every
 *   call as the adapter would.
 */
function forThreadsWithOtherWork(Adapter: typeof PrismaBetterSqlite3): typeof PrismaBetterSqlite3 {
  return class SqliteForThreadsWithOtherWork extends Adapter {
    override async connect(): ReturnType<PrismaBetterSqlite3["connect"]> {
      const adapter = await super.connect();
      const connection = (adapter as unknown as { client: { prepare(sql: string): unknown; pragma(source: string): unknown } }).client;
      connection.pragma("busy_timeout = 0");
      const prepare = connection.prepare.bind(connection) as (sql: string) => SqliteStatement;
      const statements = new StatementCache(prepare);
      // Set by a failed BEGIN; the adapter runs BEGIN holding its mutex, so no other one can come between.
      let failedBegin: { error: unknown } | undefined;
      let begin: SqliteStatement | undefined;
      connection.prepare = (sql: string) => {
        if (sql !== "BEGIN") return statements.prepare(sql);
        begin ??= prepare("BEGIN IMMEDIATE");
        return {
          run: () => {
            try {
              return begin!.run();
            } catch (error) {
              failedBegin = { error };
              return { changes: 0, lastInsertRowid: 0 };
            }
          },
        };
      };
      const startTransaction = adapter.startTransaction.bind(adapter);
      adapter.startTransaction = async (isolationLevel) => {
        const waitUntil = performance.now() + lockWaitMs;
        for (let attempt = 0; ; attempt++) {
          const transaction = await startTransaction(isolationLevel);
          const failure = failedBegin;
          if (!failure) return transaction;
          failedBegin = undefined;
          // Nothing began: rollback() only unlocks the adapter's mutex.
          await transaction.rollback();
          if (!isBusy(failure.error) || performance.now() >= waitUntil) return (adapter as unknown as { onError(error: unknown): never }).onError(failure.error);
          await lockRetryDelay(attempt);
        }
      };
      adapter.queryRaw = afterATurn(whileLocked(adapter.queryRaw.bind(adapter)));
      adapter.executeRaw = afterATurn(whileLocked(adapter.executeRaw.bind(adapter)));
      const executeScript = adapter.executeScript.bind(adapter);
      adapter.executeScript = (script) => {
        connection.pragma(`busy_timeout = ${lockWaitMs}`);
        try {
          return executeScript(script);
        } finally {
          connection.pragma("busy_timeout = 0");
        }
      };
      return adapter;
    }
  };
}

function afterATurn<A, R>(run: (argument: A) => Promise<R>): (argument: A) => Promise<R> {
  return (argument) => runAfterATurn(() => run(argument));
}

/** How long a statement waits for another connection's write lock (another thread, another Cronline process on the file). */
const lockWaitMs = 10_000;

/** SQLITE_BUSY and its extended codes, from better-sqlite3 or wrapped by the adapter. */
function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown; cause?: { originalCode?: unknown } }).code ?? (error as { cause?: { originalCode?: unknown } }).cause?.originalCode;
  return typeof code === "string" && code.startsWith("SQLITE_BUSY");
}

/** Before try `attempt` + 1: the next turn of the loop, then 1, 2, 4, 8 and 16 ms. */
const lockRetryDelay = (attempt: number) => (attempt === 0 ? new Promise<void>((resolve) => setImmediate(resolve)) : sleep(Math.min(2 ** (attempt - 1), 16)));

/** A statement outside a transaction tried again while another connection holds the write lock (it had no effect). */
function whileLocked<A, R>(run: (argument: A) => Promise<R>): (argument: A) => Promise<R> {
  return async (argument) => {
    const waitUntil = performance.now() + lockWaitMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await run(argument);
      } catch (error) {
        if (!isBusy(error) || performance.now() >= waitUntil) throw error;
      }
      await lockRetryDelay(attempt);
    }
  };
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
  // SQLite's busy timeout is set to 0 once connected: the wrapper waits for the lock itself.
  return new (forThreadsWithOtherWork(PrismaBetterSqlite3))({ url: location.url, timeout: lockWaitMs });
}
