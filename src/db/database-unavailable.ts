// The database cannot be reached or used for now (PostgreSQL down, not accepting connections,
// out of connections; SQLite locked past its busy timeout or its file unreadable): one typed
// error for every driver's way of saying so, which the API answers with 503 rather than as an
// internal fault. Prisma reports the driver's error in `meta.driverAdapterError.cause`.
import { isDriverAdapterError, type MappedError } from "@prisma/driver-adapter-utils";

export class DatabaseUnavailableError extends Error {
  constructor(override readonly cause: unknown) {
    super(`the database is unavailable: ${cause instanceof Error ? cause.message.trim().split("\n").at(-1) : String(cause)}`);
    this.name = "DatabaseUnavailableError";
  }

  /** `error` as a DatabaseUnavailableError when it says the database is unavailable, else null. */
  static from(error: unknown): DatabaseUnavailableError | null {
    if (error instanceof DatabaseUnavailableError) return error;
    return isUnavailable(error) ? new DatabaseUnavailableError(error) : null;
  }
}

/** Prisma's codes for a server it cannot reach, a timeout, a closed connection, an exhausted pool. */
const unavailablePrismaCodes = new Set(["P1001", "P1002", "P1008", "P1017", "P2024"]);
const unavailableKinds = new Set<MappedError["kind"]>(["DatabaseNotReachable", "DatabaseDoesNotExist", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);
/** SQLite primary result codes: BUSY, LOCKED, IOERR, FULL, CANTOPEN (https://www.sqlite.org/rescode.html). */
const unavailableSqliteCodes = new Set([5, 6, 10, 13, 14]);

function isUnavailable(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const code = "code" in error ? error.code : undefined;
  if (typeof code === "string" && unavailablePrismaCodes.has(code)) return true;
  const mapped = driverErrorOf(error);
  if (!mapped) return false;
  if (unavailableKinds.has(mapped.kind)) return true;
  // FATAL and PANIC end the session; class 08 is a connection failure, 53 insufficient resources, 57P0x a shutdown.
  if (mapped.kind === "postgres") return mapped.severity === "FATAL" || mapped.severity === "PANIC" || /^(08|53|57P0)/.test(mapped.code);
  return mapped.kind === "sqlite" && unavailableSqliteCodes.has(mapped.extendedCode & 0xff);
}

function driverErrorOf(error: object): MappedError | undefined {
  if (isDriverAdapterError(error)) return error.cause;
  const meta = "meta" in error ? error.meta : undefined;
  const driverError = typeof meta === "object" && meta !== null && "driverAdapterError" in meta ? meta.driverAdapterError : undefined;
  return typeof driverError === "object" && driverError !== null && "cause" in driverError ? (driverError.cause as MappedError) : undefined;
}
