import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { startApp, type RunningApp } from "../../src/app.js";
import { createScratchDatabase, type ScratchDatabase } from "../../src/db/scratch-database.js";
import { graphqlServerLogging } from "../../src/http/graphql-server-logging.js";
import { testConfig } from "../support/test-server.js";
import { createTestToken } from "../support/tokens.js";

type LogEntry = { level: number; msg: string } & Record<string, unknown>;
const errorLevel = 50;

/** A logger at DEBUG whose JSON lines land in `entries`. */
function capturingLogger() {
  const entries: LogEntry[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => void entries.push(JSON.parse(line) as LogEntry) });
  return { logger, entries };
}

describe("logging of GraphQL errors", () => {
  const { logger, entries } = capturingLogger();
  let scratch: ScratchDatabase;
  let app: RunningApp;
  let token: string;

  beforeAll(async () => {
    scratch = await createScratchDatabase("sqlite");
    app = await startApp(testConfig(scratch.location.url, { LOG_LEVEL: "debug" }), logger);
    token = await createTestToken(app, "ADMIN", "test-admin");
  });
  afterAll(async () => {
    await app?.stop();
    await scratch?.drop();
  });

  const post = async (query: string) => {
    const response = await fetch(app.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query }),
    });
    return (await response.json()) as { errors?: { message: string; extensions?: { code?: string } }[] };
  };

  it("logs a client's mistakes at DEBUG, never at ERROR", async () => {
    const mistakes = [
      `{ node(id: "garbage") { id } }`,
      `{ nodes(ids: ["garbage"]) { id } }`,
      `{ devices(after: "not-a-cursor") { totalCount } }`,
      `{ devices(first: -1) { totalCount } }`,
      `{ devicez { totalCount } }`,
      `{ devices { totalCount `,
    ];
    const from = entries.length;
    for (const query of mistakes) {
      const { errors } = await post(query);
      expect({ query, code: errors?.[0]?.extensions?.code }).not.toEqual({ query, code: "INTERNAL_SERVER_ERROR" });
      expect(errors?.length).toBeGreaterThan(0);
    }
    const logged = entries.slice(from);
    expect(logged.filter((entry) => entry.level >= errorLevel)).toEqual([]);
    expect(logged.filter((entry) => entry.msg === "yoga")).toEqual([]);
    expect(logged.filter((entry) => entry.msg === "request refused: client error").map((entry) => entry.code)).toEqual(
      expect.arrayContaining(["BAD_USER_INPUT"]),
    );
  });
});

describe("the GraphQL server's error log", () => {
  it("logs an unexpected error at ERROR, with its message and stack", () => {
    const { logger, entries } = capturingLogger();
    graphqlServerLogging(logger).error(new Error("the database went away"));
    expect(entries).toEqual([
      expect.objectContaining({ level: errorLevel, msg: "unexpected error in a GraphQL operation", err: expect.objectContaining({ message: "the database went away", stack: expect.any(String) }) }),
    ]);
  });
});
