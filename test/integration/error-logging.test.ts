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

  it("logs a client's mistakes at DEBUG, never at ERROR, and always with a message", async () => {
    const nested = (depth: number) => "{ a: ".repeat(depth) + "1" + " }".repeat(depth);
    const mistakes = [
      `{ node(id: "garbage") { id } }`,
      `{ node(id: "${Buffer.from("RunResult:1").toString("base64")}") { id } }`,
      `{ nodes(ids: ["garbage"]) { id } }`,
      `{ devices(after: "not-a-cursor") { totalCount } }`,
      `{ devices(first: -1) { totalCount } }`,
      `{ devices(first: 1, last: 1) { totalCount } }`,
      `{ devicez { totalCount } }`,
      `{ devices { totalCount `,
      `mutation { createDevice(input: { name: "deep", address: "10.0.0.1", properties: ${nested(2_000)} }) { __typename } }`,
    ];
    const from = entries.length;
    for (const query of mistakes) {
      const { errors } = await post(query);
      expect({ query, codes: errors?.map((error) => error.extensions?.code) }).toEqual({ query, codes: [expect.any(String)] });
      expect(errors?.[0]?.extensions?.code).not.toBe("INTERNAL_SERVER_ERROR");
    }
    // Refused before GraphQL runs: malformed variables in a GET, no CSRF header, an unsupported content type.
    const malformedGet = await fetch(`${app.url}?query=%7B__typename%7D&variables=%7B`, { headers: { authorization: `Bearer ${token}`, "x-cronline-csrf": "1" } });
    expect(malformedGet.status).toBe(400);
    expect((await fetch(`${app.url}?query=%7B__typename%7D`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(403);
    expect((await fetch(app.url, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "text/csv" }, body: "a,b" })).status).toBe(415);
    const logged = entries.slice(from);
    expect(logged.filter((entry) => entry.level >= errorLevel)).toEqual([]);
    expect(logged.filter((entry) => typeof entry.msg !== "string" || entry.msg.trim() === "")).toEqual([]);
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
