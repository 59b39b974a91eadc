// Hears every failed statement of a connection, at the driver adapter: whatever Prisma call
// or raw query sent it, in or out of a transaction. The failure goes on to its caller as it was.
import { isDriverAdapterError, type SqlDriverAdapter, type SqlQueryable, type Transaction } from "@prisma/driver-adapter-utils";
import { DatabaseUnavailableError } from "./database-unavailable.js";
import type { DriverAdapterFactory } from "./driver-adapter.js";

/** Why a statement failed: the database unavailable, a constraint refusing a write, anything else. */
export type QueryErrorKind = "unavailable" | "constraint" | "other";

export function queryErrorKind(error: unknown): QueryErrorKind {
  if (DatabaseUnavailableError.from(error)) return "unavailable";
  if (!isDriverAdapterError(error)) return "other";
  const cause = error.cause;
  if (cause.kind === "UniqueConstraintViolation" || cause.kind === "NullConstraintViolation" || cause.kind === "ForeignKeyConstraintViolation") return "constraint";
  // SQLITE_CONSTRAINT is primary code 19; PostgreSQL's class 23 is integrity constraint violation.
  if (cause.kind === "sqlite" && (cause.extendedCode & 0xff) === 19) return "constraint";
  if (cause.kind === "postgres" && cause.code.startsWith("23")) return "constraint";
  return "other";
}

/** `factory`'s connections call `onError` with the kind of each statement that fails. */
export function reportingQueryErrors<F extends DriverAdapterFactory>(factory: F, onError: (kind: QueryErrorKind) => void): F {
  const target = factory as { connect(): Promise<SqlDriverAdapter> };
  const connect = target.connect.bind(factory);
  target.connect = async () => {
    const adapter = await connect();
    watch(adapter, onError);
    const startTransaction = adapter.startTransaction.bind(adapter);
    adapter.startTransaction = async (isolationLevel) => {
      const transaction = await failuresReported(startTransaction, onError)(isolationLevel);
      watch(transaction, onError);
      for (const end of ["commit", "rollback"] as const) transaction[end] = failuresReported(transaction[end].bind(transaction), onError) as Transaction[typeof end];
      return transaction;
    };
    adapter.executeScript = failuresReported(adapter.executeScript.bind(adapter), onError);
    return adapter;
  };
  return factory;
}

function watch(queryable: SqlQueryable, onError: (kind: QueryErrorKind) => void): void {
  queryable.queryRaw = failuresReported(queryable.queryRaw.bind(queryable), onError);
  queryable.executeRaw = failuresReported(queryable.executeRaw.bind(queryable), onError);
}

function failuresReported<A extends unknown[], R>(run: (...args: A) => Promise<R>, onError: (kind: QueryErrorKind) => void): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await run(...args);
    } catch (error) {
      onError(queryErrorKind(error));
      throw error;
    }
  };
}
