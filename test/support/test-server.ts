// A real Cronline server on a port of its own, on a fresh database of the given provider.
import { afterAll, beforeAll } from "vitest";
import { startApp, type RunningApp } from "../../src/app.js";
import { loadConfig, type Config } from "../../src/config.js";
import type { DatabaseProvider } from "../../src/db/prisma-schema.js";
import { createScratchDatabase, type ScratchDatabase } from "../../src/db/scratch-database.js";
import { createLogger } from "../../src/logger.js";
import { createTestToken } from "./tokens.js";
import { graphqlClient, type GraphQLClient } from "./graphql-client.js";
import { secretsKeyFor } from "./server-process.js";

export interface TestServer {
  app: RunningApp;
  /** Sends the ADMIN token `adminToken`, so every suite goes through authentication. */
  client: GraphQLClient;
  adminToken: string;
  /** SQL statements sent since the server started, in order (see countQueries). */
  statements: string[];
  /** Runs `work` and returns how many SQL statements it caused. */
  countQueries(work: () => Promise<unknown>): Promise<number>;
}

export function testConfig(databaseUrl: string, overrides: Record<string, string> = {}): Config {
  return loadConfig({
    PORT: "0",
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: "silent",
    SHUTDOWN_GRACE_SECONDS: "5",
    SCHEDULER_RESYNC_SECONDS: "1",
    EXECUTOR_POLL_SECONDS: "0.2",
    COMMAND_KILL_GRACE_SECONDS: "1",
    // The tests' commands write to the run's own temporary files, which only root may (the tests
    // run as root). Servers the tests spawn keep the default; command-privileges.test.ts covers it.
    COMMAND_DEFAULT_USER: "root",
    ...secretsKeyFor(databaseUrl),
    ...overrides,
  });
}

/**
 * Starts a server before the suite's tests and stops it (and drops its database) after.
 * `env` overrides testConfig's settings, e.g. long SCHEDULER_RESYNC_SECONDS and
 * EXECUTOR_POLL_SECONDS for suites that count queries and must not see the background ones.
 */
export function useTestServer(provider: DatabaseProvider, env: Record<string, string> = {}): TestServer {
  let scratch: ScratchDatabase | undefined;
  const statements: string[] = [];
  const server = {
    statements,
    async countQueries(work: () => Promise<unknown>) {
      const before = statements.length;
      await work();
      return statements.length - before;
    },
  } as TestServer;
  beforeAll(async () => {
    scratch = await createScratchDatabase(provider);
    server.app = await startApp(testConfig(scratch.location.url, env), createLogger("silent"), {
      database: { onQuery: (sql) => statements.push(sql) },
    });
    server.adminToken = await createTestToken(server.app, "ADMIN", "test-admin");
    server.client = graphqlClient(server.app.url, server.adminToken);
  });
  afterAll(async () => {
    await server.app?.stop();
    await scratch?.drop();
  });
  return server;
}
