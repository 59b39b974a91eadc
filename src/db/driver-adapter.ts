import path from "node:path";
import { mkdirSync } from "node:fs";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import type { DatabaseProvider } from "./prisma-schema.js";

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

export type DriverAdapterFactory = PrismaBetterSqlite3 | PrismaPg;

export function createDriverAdapter(location: DatabaseLocation): DriverAdapterFactory {
  if (location.provider === "postgresql") return new PrismaPg({ connectionString: location.url });
  const file = sqliteFilePath(location);
  mkdirSync(path.dirname(file), { recursive: true });
  // Wait for a concurrent writer (another Cronline process on the same file) instead of failing.
  return new PrismaBetterSqlite3({ url: location.url, timeout: 10_000 });
}
