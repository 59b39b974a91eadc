// Throw-away databases: the migration writer replays migrations into one, and tests get one
// each. PostgreSQL ones are created through an admin connection and dropped afterwards.
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import type { DatabaseLocation } from "./driver-adapter.js";
import type { DatabaseProvider } from "./prisma-schema.js";

export const defaultPostgresAdminUrl = "postgresql://postgres@127.0.0.1:5432/postgres";

export interface ScratchDatabase {
  location: DatabaseLocation;
  drop(): Promise<void>;
}

export async function createScratchDatabase(
  provider: DatabaseProvider,
  adminUrl = process.env.POSTGRES_ADMIN_URL ?? defaultPostgresAdminUrl,
): Promise<ScratchDatabase> {
  if (provider === "sqlite") {
    const dir = mkdtempSync(path.join(tmpdir(), "cronline-"));
    return {
      location: { provider, url: `file:${path.join(dir, "cronline.db")}` },
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `cronline_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
  // C collation whatever the cluster's locale: names then sort by code point, as on SQLite,
  // so the same test expects the same order on both.
  await withAdmin(adminUrl, (client) =>
    client.query(`CREATE DATABASE "${name}" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`),
  );
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    location: { provider, url: url.toString() },
    drop: () => withAdmin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => {}),
  };
}

async function withAdmin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Why PostgreSQL cannot be used for tests, or null when it can. */
export async function postgresUnavailableReason(adminUrl = process.env.POSTGRES_ADMIN_URL ?? defaultPostgresAdminUrl): Promise<string | null> {
  try {
    await withAdmin(adminUrl, (client) => client.query("SELECT 1"));
    return null;
  } catch (error) {
    return `PostgreSQL at ${adminUrl} is unreachable: ${(error as Error).message}`;
  }
}
