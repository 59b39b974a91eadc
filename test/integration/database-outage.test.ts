// While the database is unavailable, the API answers 503 with SERVICE_UNAVAILABLE (and
// Retry-After), not an internal error; /readyz says unavailable; the outage is logged as a
// warning, not as an unexpected error; and once the database is back, so is the API.
import Database from "better-sqlite3";
import pg from "pg";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { startApp, type RunningApp } from "../../src/app.js";
import { sqliteFilePath } from "../../src/db/driver-adapter.js";
import { createScratchDatabase, defaultPostgresAdminUrl } from "../../src/db/scratch-database.js";
import { rawSocket } from "../support/subscriptions.js";
import { withoutPostgres } from "../support/databases.js";
import { testConfig } from "../support/test-server.js";
import { createTestToken } from "../support/tokens.js";

type LogEntry = { level: number; msg: string } & Record<string, unknown>;

/** A server on a fresh database whose log lands in `logs`; the background roles poll rarely. */
async function startServer(provider: "sqlite" | "postgresql") {
  const scratch = await createScratchDatabase(provider);
  const logs: LogEntry[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => void logs.push(JSON.parse(line) as LogEntry) });
  const app = await startApp(
    testConfig(scratch.location.url, { LOG_LEVEL: "debug", SCHEDULER_RESYNC_SECONDS: "3600", EXECUTOR_POLL_SECONDS: "3600", RUN_RETENTION_INTERVAL_SECONDS: "86400" }),
    logger,
  );
  return { scratch, app, logs };
}

async function post(app: RunningApp, token: string, query: string) {
  const response = await fetch(app.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, retryAfter: response.headers.get("retry-after"), body: (await response.json()) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] } };
}

const readyz = async (app: RunningApp) => (await fetch(new URL("/readyz", app.url))).status;

function expectUnavailable(response: Awaited<ReturnType<typeof post>>) {
  expect(response.status).toBe(503);
  expect(response.retryAfter).toBe("5");
  expect(response.body.errors?.length).toBeGreaterThan(0);
  for (const error of response.body.errors ?? []) expect(error).toMatchObject({ message: "The database is unavailable; try again later.", extensions: { code: "SERVICE_UNAVAILABLE" } });
}

/** GraphQL's own log entries during the outage: warnings, never errors. */
function expectOutageLoggedAsWarning(logs: LogEntry[]) {
  expect(logs.filter((entry) => entry.msg === "unexpected error in a GraphQL operation")).toEqual([]);
  expect(logs.filter((entry) => entry.msg === "request refused: the database is unavailable")).toEqual(
    expect.arrayContaining([expect.objectContaining({ level: 40, reason: expect.stringMatching(/^the database is unavailable: .+/) })]),
  );
}

describe("a PostgreSQL database that stops accepting connections", { timeout: 120_000 }, () => {
  it.skipIf(withoutPostgres)("answers 503 SERVICE_UNAVAILABLE to queries, mutations and authentication, 1013 to a websocket, and serves again once it is back", async () => {
    const { scratch, app, logs } = await startServer("postgresql");
    const admin = new pg.Client({ connectionString: process.env.POSTGRES_ADMIN_URL ?? defaultPostgresAdminUrl });
    await admin.connect();
    const name = new URL(scratch.location.url).pathname.slice(1);
    const allowConnections = (allowed: boolean) => admin.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS ${allowed}`);
    try {
      const token = await createTestToken(app, "ADMIN");
      // Never used before the outage: authenticating it needs the database.
      const unread = await createTestToken(app, "VIEWER");
      expect((await post(app, token, "{ devices { totalCount } }")).body).toEqual({ data: { devices: { totalCount: 0 } } });

      await allowConnections(false);
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", [name]);

      expectUnavailable(await post(app, token, "{ devices { totalCount } tasks { totalCount } }"));
      expectUnavailable(await post(app, token, `mutation { createDevice(input: { name: "during-outage", address: "10.0.0.1" }) { __typename } }`));
      expectUnavailable(await post(app, unread, "{ devices { totalCount } }"));
      expect(await readyz(app)).toBe(503);
      const socket = rawSocket(app.url);
      socket.socket.on("open", () => socket.socket.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${unread}` } })));
      expect(await socket.closed).toEqual({ code: 1013, reason: "Try again later: the database is unavailable" });
      expectOutageLoggedAsWarning(logs);

      await allowConnections(true);
      await expect.poll(async () => (await post(app, token, "{ devices { totalCount } }")).status, { timeout: 30_000, interval: 250 }).toBe(200);
      expect(await readyz(app)).toBe(200);
      expect((await post(app, unread, "{ devices { totalCount } }")).body).toEqual({ data: { devices: { totalCount: 0 } } });
    } finally {
      await allowConnections(true);
      await admin.end();
      await app.stop();
      await scratch.drop();
    }
  });
});

describe("a SQLite database another process keeps locked past the busy timeout", { timeout: 120_000 }, () => {
  it("answers a write 503 SERVICE_UNAVAILABLE, and takes it once the lock is released", async () => {
    const { scratch, app, logs } = await startServer("sqlite");
    const holder = new Database(sqliteFilePath(scratch.location));
    try {
      const token = await createTestToken(app, "ADMIN");
      const createDevice = (deviceName: string) => post(app, token, `mutation { createDevice(input: { name: "${deviceName}", address: "10.0.0.1" }) { __typename } }`);
      holder.exec("BEGIN EXCLUSIVE");
      // Reads go on (WAL); the write waits the 10 s busy timeout for the lock, then gives up.
      expect((await post(app, token, "{ devices { totalCount } }")).body).toEqual({ data: { devices: { totalCount: 0 } } });
      expectUnavailable(await createDevice("while-locked"));
      expectOutageLoggedAsWarning(logs);

      holder.exec("ROLLBACK");
      expect((await createDevice("after-the-lock")).body).toEqual({ data: { createDevice: { __typename: "CreateDeviceSuccess" } } });
      expect(await app.database.client.device.count()).toBe(1);
    } finally {
      holder.close();
      await app.stop();
      await scratch.drop();
    }
  });
});
