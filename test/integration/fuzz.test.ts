// A few thousand generated bad requests, from a fixed seed, against a real server: malformed
// JSON, wrong types, deep JSON, huge lists, bad ids, unknown fields, bad methods and content
// types, GET and POST, oversize bodies, bad pages, missing tokens. None may be answered with a
// 5xx, every GraphQL error must carry extensions.code, every refusal (an answer without data)
// must be a 4xx, and nothing may be logged as an unexpected error.
import fc from "fast-check";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type RunningApp } from "../../src/app.js";
import { createScratchDatabase, type ScratchDatabase } from "../../src/db/scratch-database.js";
import { testConfig } from "../support/test-server.js";
import { createTestToken } from "../support/tokens.js";

const seed = 20_261_203;
const requestCount = 2_000;
const inFlight = 8;
const maxBodyBytes = 64 * 1024;

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** Who sends it: the server's ADMIN token is filled in when the request is sent. */
const tokenPlaceholder = "\u0000token";

const enumish = fc.constantFrom("QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "nope", "", "queued");
const idish = fc.oneof(
  fc.string(),
  fc.base64String(),
  fc.tuple(fc.constantFrom("Task", "Device", "Pool", "Service", "Run", "RunResult", "ApiToken", "Query", "Nope", ""), fc.string()).map(([type, id]) => Buffer.from(`${type}:${id}`).toString("base64")),
);
const intish = fc.oneof(fc.integer({ min: -1_000, max: 1_000 }), fc.constant(2 ** 31), fc.double(), fc.string(), fc.constant(null));
/** Any JSON value, a little deep. */
const jsonish = fc.jsonValue({ maxDepth: 4 });

/** JSON nested `depth` levels, written as text (no recursion in the test to build or encode it). */
const deepJson = (depth: number, open = '{"a":', close = "}") => open.repeat(depth) + "1" + close.repeat(depth);

/** A GraphQL request body: a document and its variables, both as JSON text. */
const body = (query: string, variables = "null") => `{"query":${JSON.stringify(query)},"variables":${variables}}`;

const documents = {
  devices: `query($first: Int, $last: Int, $after: String, $before: String, $filter: NameTagFilter) { devices(first: $first, last: $last, after: $after, before: $before, filter: $filter) { totalCount edges { cursor } } }`,
  runs: `query($statuses: [RunStatus!], $first: Int) { runs(filter: { statuses: $statuses }, first: $first) { edges { node { id } } } }`,
  node: `query($id: ID!) { node(id: $id) { id __typename } }`,
  nodes: `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`,
  createDevice: `mutation($input: CreateDeviceInput!) { createDevice(input: $input) { __typename } }`,
  createPool: `mutation($input: CreatePoolInput!) { createPool(input: $input) { __typename } }`,
  tasksRuns: `query($first: Int, $last: Int) { tasks(first: 2) { edges { node { runs(first: $first, last: $last) { edges { cursor } } } } } }`,
};

/** Variables of the right names and wrong (or right) types. */
const wrongTypes = fc.oneof(
  fc.record({ first: intish, last: intish, after: fc.oneof(fc.string(), intish), before: fc.oneof(fc.string(), intish), filter: jsonish }, { requiredKeys: [] }).map((v) => body(documents.devices, JSON.stringify(v))),
  fc.record({ first: intish, last: intish }, { requiredKeys: [] }).map((v) => body(documents.tasksRuns, JSON.stringify(v))),
  fc.record({ input: fc.oneof(jsonish, fc.record({ name: fc.oneof(fc.string(), intish), address: fc.oneof(fc.string(), jsonish), properties: jsonish, tags: fc.array(fc.oneof(fc.string(), intish)) }, { requiredKeys: [] })) }).map((v) => body(documents.createDevice, JSON.stringify(v))),
  fc.record({ input: fc.record({ name: fc.string(), rule: jsonish, deviceIds: fc.array(idish) }, { requiredKeys: [] }) }).map((v) => body(documents.createPool, JSON.stringify(v))),
  fc.record({ id: fc.oneof(idish, intish) }).map((v) => body(documents.node, JSON.stringify(v))),
);

const hugeLists = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 4_000 }), enumish).map(([count, status]) => body(documents.runs, JSON.stringify({ statuses: Array(count).fill(status) }))),
  fc.tuple(fc.integer({ min: 90, max: 3_000 }), idish).map(([count, id]) => body(documents.nodes, JSON.stringify({ ids: Array(count).fill(id) }))),
  fc.tuple(fc.integer({ min: 40, max: 2_000 }), fc.string()).map(([count, tag]) => body(documents.createDevice, JSON.stringify({ input: { name: "fuzz", address: "10.0.0.1", tags: Array(count).fill(tag) } }))),
);

const deepValues = fc.oneof(
  fc.integer({ min: 50, max: 3_000 }).map((depth) => body(documents.createDevice, `{"input":{"name":"deep","address":"10.0.0.1","properties":${deepJson(depth)}}}`)),
  fc.integer({ min: 50, max: 3_000 }).map((depth) => body(documents.createDevice, `{"input":{"name":"deep","address":"10.0.0.1","properties":{"list":${deepJson(depth, "[", "]")}}}}`)),
  fc.integer({ min: 50, max: 3_000 }).map((depth) => body(`mutation { createDevice(input: { name: "deep", address: "10.0.0.1", properties: ${deepJson(depth, "{ a: ", " }")} }) { __typename } }`)),
  fc.integer({ min: 10, max: 3_000 }).map((depth) => body("{ devices " + "{ edges { node ".repeat(depth) + "}".repeat(depth * 2) + " }")),
  fc.integer({ min: 10, max: 3_000 }).map((depth) => body(`{ devices(first: ${deepJson(depth, "[", "]")}) { totalCount } }`)),
);

/** Documents of GraphQL's tokens in any order, and unknown fields. */
const vocabulary = ["{", "}", "(", ")", "[", "]", ":", "$", "...", "@", "!", "=", "query", "mutation", "subscription", "fragment", "on", "devices", "node", "nodes", "id", "first", "last", "totalCount", "edges", "__typename", "__schema", '"x"', "1", "-1", "true", "null", "Int", "ID"];
const randomDocuments = fc.oneof(
  fc.array(fc.constantFrom(...vocabulary), { maxLength: 40 }).map((tokens) => body(tokens.join(" "))),
  fc.array(fc.stringMatching(/^[A-Za-z_]\w{0,12}$/), { minLength: 1, maxLength: 5 }).map((fields) => body(`{ ${fields.join(" ")} }`)),
  fc.string({ maxLength: 200 }).map((text) => body(text)),
);

const malformedJson = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc.tuple(fc.string(), fc.jsonValue()).map(([query, extra]) => JSON.stringify({ query, variables: extra, operationName: extra, extensions: extra })),
  fc.constant(""),
  fc.constant("{"),
);

const bodies = fc.oneof(wrongTypes, hugeLists, deepValues, randomDocuments, malformedJson);

const contentTypes = fc.constantFrom("application/json", "application/json; charset=utf-8", "application/graphql+json", "application/graphql", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data", "application/xml", "", "image/png");
const accepts = fc.constantFrom("application/json", "application/graphql-response+json", "*/*", "text/html", "");
const authorizations = fc.oneof(fc.constant(`Bearer ${tokenPlaceholder}`), fc.constant(`Bearer ${tokenPlaceholder}`), fc.constant(""), fc.constant("Bearer cl_not-a-token"), fc.string({ maxLength: 40 }), fc.constant(`Basic ${tokenPlaceholder}`));
const paths = fc.oneof(fc.constant("/graphql"), fc.constant("/graphql"), fc.constant("/graphql/"), fc.constantFrom("/", "/graphiql", "/graphql/x", "/readyz?x=1"));

const headersOf = (contentType: string, accept: string, authorization: string, csrf: boolean): Record<string, string> => ({
  ...(contentType && { "content-type": contentType }),
  ...(accept && { accept }),
  ...(authorization && { authorization }),
  ...(csrf && { "x-cronline-csrf": "1" }),
});

const posts = fc.record({ path: paths, body: bodies, contentType: contentTypes, accept: accepts, authorization: authorizations, csrf: fc.boolean() }).map(
  ({ path, body, contentType, accept, authorization, csrf }): FuzzRequest => ({ method: "POST", path, headers: headersOf(contentType, accept, authorization, csrf), body }),
);

const getParameter = fc.oneof(fc.string({ maxLength: 80 }), jsonish.map((value) => JSON.stringify(value)), fc.constant("{"), fc.constant('{"first": -1}'));
const gets = fc
  .record({ query: fc.oneof(fc.constant(documents.devices), fc.constant("mutation { __typename }"), fc.string({ maxLength: 80 })), variables: getParameter, extensions: getParameter, withExtensions: fc.boolean(), accept: accepts, authorization: authorizations, csrf: fc.boolean() })
  .map(({ query, variables, extensions, withExtensions, accept, authorization, csrf }): FuzzRequest => {
    const parameters = new URLSearchParams({ query, variables, ...(withExtensions && { extensions }) });
    return { method: "GET", path: `/graphql?${parameters}`, headers: headersOf("", accept, authorization, csrf) };
  });

const otherMethods = fc.record({ method: fc.constantFrom("PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"), body: fc.option(bodies, { nil: undefined }), authorization: authorizations }).map(
  ({ method, body, authorization }): FuzzRequest => ({ method, path: "/graphql", headers: headersOf("application/json", "", authorization, true), body: method === "HEAD" ? undefined : body }),
);

/** Bodies over HTTP_MAX_BODY_BYTES, some larger than their Content-Length would have it. */
const oversized = fc.record({ extra: fc.integer({ min: 1, max: maxBodyBytes }), authorization: authorizations }).map(
  ({ extra, authorization }): FuzzRequest => ({
    method: "POST",
    path: "/graphql",
    headers: headersOf("application/json", "", authorization, false),
    body: body("{ __typename }", JSON.stringify({ padding: "x".repeat(maxBodyBytes + extra) })),
  }),
);

const requests = fc.oneof({ arbitrary: posts, weight: 6 }, { arbitrary: gets, weight: 2 }, { arbitrary: otherMethods, weight: 1 }, { arbitrary: oversized, weight: 1 });

type Answer = { request: FuzzRequest; status: number; body: unknown };

describe("thousands of generated bad requests", () => {
  let scratch: ScratchDatabase;
  let app: RunningApp;
  let token: string;
  const logs: { level: number; msg: string }[] = [];

  beforeAll(async () => {
    scratch = await createScratchDatabase("sqlite");
    const logger = pino({ level: "debug" }, { write: (line: string) => void logs.push(JSON.parse(line) as { level: number; msg: string }) });
    app = await startApp(
      testConfig(scratch.location.url, { LOG_LEVEL: "debug", HTTP_MAX_BODY_BYTES: String(maxBodyBytes), SCHEDULER_RESYNC_SECONDS: "3600", EXECUTOR_POLL_SECONDS: "3600" }),
      logger,
    );
    token = await createTestToken(app, "ADMIN", "fuzz-admin");
  });
  afterAll(async () => {
    await app?.stop();
    await scratch?.drop();
  });

  async function send(request: FuzzRequest): Promise<Answer> {
    const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, value.replace(tokenPlaceholder, token)]));
    const response = await fetch(new URL(request.path, app.url), { method: request.method, headers, body: request.body, signal: AbortSignal.timeout(60_000) });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // Not JSON (GraphiQL's page, a preflight's empty answer): only its status is checked.
    }
    return { request, status: response.status, body: parsed };
  }

  it(`answers ${requestCount} of them without a 5xx, each GraphQL error with a code, each refusal with a 4xx`, { timeout: 180_000 }, async () => {
    const generated = fc.sample(requests, { seed, numRuns: requestCount });
    const answers: Answer[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < generated.length) answers.push(await send(generated[next++]!));
      }),
    );
    expect(answers).toHaveLength(requestCount);

    const shown = ({ request, status, body }: Answer) => ({ request: { ...request, body: request.body?.slice(0, 300) }, status, body: JSON.stringify(body).slice(0, 300) });
    expect(answers.filter((answer) => answer.status >= 500).map(shown)).toEqual([]);
    const errorsOf = (answer: Answer) => (typeof answer.body === "object" && answer.body !== null && "errors" in answer.body ? (answer.body.errors as { extensions?: { code?: unknown } }[]) : []);
    expect(answers.filter((answer) => errorsOf(answer).some((error) => typeof error.extensions?.code !== "string")).map(shown)).toEqual([]);
    const refusals = answers.filter((answer) => errorsOf(answer).length > 0 && !("data" in (answer.body as object)));
    expect(refusals.filter((answer) => answer.status < 400).map(shown)).toEqual([]);
    // The mix reached every kind of refusal, not only one.
    expect([...new Set(refusals.map((answer) => answer.status))].sort()).toEqual(expect.arrayContaining([400, 401, 403, 404, 405, 413, 415]));
    expect(logs.filter((entry) => entry.level >= 50 || !entry.msg)).toEqual([]);
  });
});
