import { encodeGlobalID } from "@pothos/plugin-relay";
import { beforeAll, describe, expect, it } from "vitest";
import { createDevice } from "../support/fixtures.js";
import { ScheduleView } from "../support/live-operations.js";
import { rawSocket, subscribe, subscriptionClient } from "../support/subscriptions.js";
import { useTestServer, type TestServer } from "../support/test-server.js";
import { createTestToken } from "../support/tokens.js";

interface Operation {
  variables?: Record<string, unknown>;
  operationName?: string;
}

async function post(url: string, query: string, headers: Record<string, string>, operation: Operation = {}) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json", ...headers },
    body: JSON.stringify({ query, ...operation }),
  });
  return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] } };
}

/** The errors a websocket operation ends with. */
async function overWebsocket(url: string, token: string, query: string, operation: Operation = {}): Promise<string> {
  const client = subscriptionClient(url, token);
  try {
    return await new Promise<string>((resolve) => {
      client.subscribe(
        { query, ...operation },
        { next: (result) => result.errors && resolve(JSON.stringify(result.errors)), error: (error) => resolve(JSON.stringify(error)), complete: () => resolve("completed") },
      );
    });
  } finally {
    await client.dispose();
  }
}

const createToken = `mutation Create($input: CreateApiTokenInput!) { createApiToken(input: $input) { __typename } }`;
const runEvents = `subscription Runs($statuses: [RunStatus!]) { runEvents(statuses: $statuses) { __typename } }`;
/** Misspelt fields, arguments, enum values and input fields, in the document and in variables. */
const misspellings: { query: string; operation?: Operation; error: RegExp; suggestion: RegExp }[] = [
  { query: `{ devicez { totalCount } }`, error: /Cannot query field "devicez" on type "Query"\.$/, suggestion: /Did you mean "devices"/ },
  { query: `{ devices(frist: 2) { totalCount } }`, error: /Unknown argument "frist" on field "Query\.devices"\.$/, suggestion: /Did you mean "first"/ },
  {
    query: `mutation { createApiToken(input: { name: "x", role: VIEWR }) { __typename } }`,
    error: /Value "VIEWR" does not exist in "ApiTokenRole" enum\.$/,
    suggestion: /Did you mean the enum value "VIEWER"/,
  },
  {
    query: `mutation { createApiToken(input: { nam: "x", name: "x", role: VIEWER }) { __typename } }`,
    error: /Field "nam" is not defined by type "CreateApiTokenInput"\.$/,
    suggestion: /Did you mean "name"/,
  },
  {
    query: createToken,
    operation: { variables: { input: { name: "x", role: "VIEWR" } } },
    error: /Value "VIEWR" does not exist in "ApiTokenRole" enum\.$/,
    suggestion: /Did you mean the enum value "VIEWER"/,
  },
  {
    query: createToken,
    operation: { variables: { input: { nam: "x", name: "x", role: "VIEWER" } } },
    error: /Field "nam" is not defined by type "CreateApiTokenInput"\.$/,
    suggestion: /Did you mean "name"/,
  },
];

describe("GraphQL limits", () => {
  const server = useTestServer("sqlite", { GRAPHQL_MAX_DEPTH: "8", GRAPHQL_MAX_ALIASES: "5", GRAPHQL_MAX_TOKENS: "2000" });
  const auth = () => ({ authorization: `Bearer ${server.adminToken}` });

  it("accepts queries within the limits", async () => {
    expect((await post(server.app.url, `{ a: devices { totalCount } b: pools { totalCount } }`, auth())).body.errors).toBeUndefined();
  });

  it("accepts a query nested as deep as the limit", async () => {
    const query = `{ services { edges { node { targetPools { devices { name } members { name } } tasks: targetDevices { name } } } } pools { edges { node { devices { name } members { name } } } } }`;
    expect((await post(server.app.url, query, auth())).body.errors).toBeUndefined();
  });

  const refused = [
    {
      limit: "depth",
      query: `{ tasks { edges { node { service { targetPools { members { name } } targetDevices { name } } runs { edges { node { results { edges { node { device { name } } } } } } } } } } }`,
      error: { message: "Syntax Error: Query depth limit of 8 exceeded, found 11.", extensions: { code: "QUERY_TOO_DEEP" } },
    },
    {
      limit: "aliases",
      query: `{ ${Array.from({ length: 6 }, (_, i) => `a${i}: devices { totalCount }`).join(" ")} }`,
      error: { message: "Syntax Error: Aliases limit of 5 exceeded, found 6.", extensions: { code: "TOO_MANY_ALIASES" } },
    },
    {
      limit: "directives",
      query: `{ devices { totalCount ${"__typename @skip(if: false) ".repeat(51)} } }`,
      error: { message: "Syntax Error: Directives limit of 50 exceeded, found 51.", extensions: { code: "TOO_MANY_DIRECTIVES" } },
    },
    {
      limit: "tokens",
      query: `{ devices { totalCount ${"__typename ".repeat(2100)} } }`,
      error: { message: "Syntax Error: Token limit of 2000 exceeded.", extensions: { code: "TOO_MANY_TOKENS" } },
    },
  ];
  for (const { limit, query, error } of refused) {
    it(`refuses an operation over the ${limit} limit with a message and a code, over HTTP and websocket`, async () => {
      const http = await post(server.app.url, query, auth());
      expect(http.body.data ?? null).toBeNull();
      expect(http.body.errors?.[0]).toMatchObject(error);
      expect(JSON.parse(await overWebsocket(server.app.url, server.adminToken, query))[0]).toMatchObject(error);
    });
  }

  it("suggests the names a misspelling may have meant, in the document and in variables, over HTTP and websocket", async () => {
    for (const { query, operation, suggestion } of misspellings) {
      const http = await post(server.app.url, query, auth(), operation);
      expect(http.status).toBe(400);
      expect(http.body.errors?.[0]?.message).toMatch(suggestion);
      expect(JSON.parse(await overWebsocket(server.app.url, server.adminToken, query, operation))[0].message).toMatch(suggestion);
    }
    const websocket = await overWebsocket(server.app.url, server.adminToken, runEvents, { variables: { statuses: ["SUCCEDED"] } });
    expect(JSON.parse(websocket)[0].message).toMatch(/Did you mean the enum value "SUCCEEDED"/);
  });

  it("refuses a browser-like request that a page could forge (no preflight, no CSRF header)", async () => {
    const forged = await fetch(`${server.app.url}?query=${encodeURIComponent("{ devices { totalCount } }")}`, { headers: auth() });
    expect(forged.status).toBe(403);
    expect(await forged.json()).toEqual({ errors: [{ message: expect.stringMatching(/needs the x-cronline-csrf header/), extensions: { code: "CSRF_HEADER_REQUIRED" } }] });
    const form = await fetch(server.app.url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...auth() }, body: "query={devices{totalCount}}" });
    expect(form.status).toBe(403);
    const withHeader = await fetch(`${server.app.url}?query=${encodeURIComponent("{ devices { totalCount } }")}`, {
      headers: { ...auth(), "x-cronline-csrf": "1", accept: "application/graphql-response+json" },
    });
    expect(withHeader.status).toBe(200);
    expect(await withHeader.json()).toEqual({ data: { devices: { totalCount: 0 } } });
  });

  it("still serves GraphiQL to a browser", async () => {
    const page = await fetch(server.app.url, { headers: { accept: "text/html" } });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<title>Cronline GraphiQL<\/title>/);
  });

  it("answers introspection by default (GraphiQL and codegen use it)", async () => {
    expect((await post(server.app.url, `{ __schema { queryType { name } } }`, auth())).body).toEqual({ data: { __schema: { queryType: { name: "Query" } } } });
    // Without a token too: GraphiQL shows the documentation before a token is set.
    expect((await post(server.app.url, `{ __schema { queryType { name } } }`, {})).body).toEqual({ data: { __schema: { queryType: { name: "Query" } } } });
  });
});

/** Each page asks for $n rows: tasks, each with runs, each with results. */
const nestedPages = `query Nested($n: Int) { tasks(first: $n) { edges { node { runs(first: $n) { edges { node { results(first: $n) { edges { node { status } } } } } } } } } }`;

describe("GraphQL cost limit", () => {
  const server = useTestServer("sqlite", { GRAPHQL_MAX_COST: "1000" });
  const auth = () => ({ authorization: `Bearer ${server.adminToken}` });
  const refusal = (cost: number) => ({ message: `Query cost limit of 1000 exceeded, found ${cost}.`, extensions: { code: "QUERY_TOO_COMPLEX", cost, maxCost: 1000 } });

  it("counts pages at the size the variables ask for, nested pages multiplying, over HTTP and websocket", async () => {
    // tasks: 1 + 100 × (edges 1 + node 1 + runs (1 + 100 × (1 + 1 + results (1 + 100 × 3)))) = 3,030,301
    const http = await post(server.app.url, nestedPages, auth(), { variables: { n: 100 } });
    expect(http.status).toBe(400);
    expect(http.body).toEqual({ errors: [refusal(3_030_301)] });
    expect(JSON.parse(await overWebsocket(server.app.url, server.adminToken, nestedPages, { variables: { n: 100 } }))).toEqual([refusal(3_030_301)]);
    // 1 + 2 × (2 + 1 + 2 × (2 + 1 + 2 × 3)) = 43
    expect((await post(server.app.url, nestedPages, auth(), { variables: { n: 2 } })).body).toEqual({ data: { tasks: { edges: [] } } });
  });

  it("counts a literal page size, a variable's default, and the default page size of 20", async () => {
    const literal = `{ services(first: 100) { edges { node { name description kind tags targetDevices { name address tags description } } } } }`;
    expect((await post(server.app.url, literal, auth())).body.errors?.[0]?.extensions?.code).toBe("QUERY_TOO_COMPLEX");
    expect((await post(server.app.url, literal.replace("first: 100", "first: 2"), auth())).body.errors).toBeUndefined();

    const defaulted = nestedPages.replace("$n: Int", "$n: Int = 100");
    expect((await post(server.app.url, defaulted, auth())).body).toEqual({ errors: [refusal(3_030_301)] });

    // No first or last: pages of 20. 1 + 20 × (2 + 1 + 20 × (2 + 1 + 20 × 3)) = 25,261
    const unpaged = nestedPages.replace(/\(first: \$n\)/g, "").replace("($n: Int)", "");
    expect((await post(server.app.url, unpaged, auth())).body).toEqual({ errors: [refusal(25_261)] });
  });

  it("counts the operation that runs, not the first one in the document", async () => {
    const document = `query Cheap { devices { totalCount } } ${nestedPages}`;
    expect((await post(server.app.url, document, auth(), { operationName: "Cheap" })).body).toEqual({ data: { devices: { totalCount: 0 } } });
    expect((await post(server.app.url, document, auth(), { operationName: "Nested", variables: { n: 100 } })).body).toEqual({ errors: [refusal(3_030_301)] });
  });

  it("refuses a subscription costing too much before it starts", async () => {
    const fields = "id name state nextRunAt secondsUntilNextRun tags";
    const subscription = `subscription { scheduleView { ${Array.from({ length: 20 }, (_, i) => `t${i}: tasks { ${fields} }`).join(" ")} } }`;
    // 1 + 20 × (1 + 10 × 6) = 1,221; extensions.http (the HTTP status) is for HTTP responses only.
    expect(JSON.parse(await overWebsocket(server.app.url, server.adminToken, subscription))).toEqual([refusal(1221)]);
  });
});

describe("operations taking turns (GRAPHQL_MAX_COST_IN_FLIGHT, GRAPHQL_MAX_QUEUED_OPERATIONS)", () => {
  // A preview of 1,000 instants costs about 100,000: over this budget, so each runs alone, and none may wait.
  const server = useTestServer("sqlite", { GRAPHQL_MAX_COST_IN_FLIGHT: "1000", GRAPHQL_MAX_QUEUED_OPERATIONS: "0" });
  const auth = () => ({ authorization: `Bearer ${server.adminToken}` });
  const preview = `{ previewSchedule(count: 1000, schedule: { cron: { expression: "*/7 * * * *" } }) { ... on PreviewScheduleSuccess { instants } } }`;

  it("refuses a heavy operation with 503 and Retry-After while another runs and none may wait; light ones still pass", async () => {
    const refusals: { status: number; retryAfter: string | null; body: unknown }[] = [];
    // Requests sent together overlap: each preview yields the event loop in slices while it runs.
    for (let round = 0; round < 20 && refusals.length === 0; round++) {
      const answers = await Promise.all(
        Array.from({ length: 6 }, () =>
          fetch(server.app.url, { method: "POST", headers: { "content-type": "application/json", ...auth() }, body: JSON.stringify({ query: preview }) }),
        ),
      );
      const light = await post(server.app.url, `{ devices { totalCount } }`, auth());
      expect(light.body).toEqual({ data: { devices: { totalCount: 0 } } });
      for (const answer of answers) {
        const body = (await answer.json()) as { data?: { previewSchedule: { instants: string[] } } };
        if (answer.status === 200) expect(body.data?.previewSchedule.instants).toHaveLength(1000);
        else refusals.push({ status: answer.status, retryAfter: answer.headers.get("retry-after"), body });
      }
    }
    expect(refusals[0]).toEqual({
      status: 503,
      retryAfter: "1",
      body: { errors: [{ message: "The server is busy with other operations: try again shortly", extensions: { code: "SERVICE_UNAVAILABLE" } }] },
    });
  });
});

describe("operations waiting their turn", () => {
  const server = useTestServer("sqlite", { GRAPHQL_MAX_COST_IN_FLIGHT: "1000" });

  it("answers every heavy operation sent at once, one after another", async () => {
    const preview = `{ previewSchedule(count: 1000, schedule: { cron: { expression: "*/7 * * * *" } }) { ... on PreviewScheduleSuccess { instants } } }`;
    const answers = await Promise.all(Array.from({ length: 6 }, () => post(server.app.url, preview, { authorization: `Bearer ${server.adminToken}` })));
    expect(answers.map((answer) => [answer.status, (answer.body.data as { previewSchedule: { instants: string[] } }).previewSchedule.instants.length])).toEqual(Array(6).fill([200, 1000]));
  });
});

describe("GRAPHQL_INTROSPECTION=false", () => {
  const server = useTestServer("sqlite", { GRAPHQL_INTROSPECTION: "false" });

  it("refuses introspection, and still answers ordinary queries", async () => {
    const auth = { authorization: `Bearer ${server.adminToken}` };
    const introspection = await post(server.app.url, `{ __schema { queryType { name } } }`, auth);
    expect(introspection.body.errors?.[0]?.message).toMatch(/introspection/i);
    expect(await overWebsocket(server.app.url, server.adminToken, `{ __type(name: "Query") { name } }`)).toMatch(/introspection/i);
    expect((await post(server.app.url, `{ devices { totalCount } }`, auth)).body).toEqual({ data: { devices: { totalCount: 0 } } });
  });

  it("suggests no field, argument, enum value or input field, in the document or in variables, over HTTP and websocket", async () => {
    const auth = { authorization: `Bearer ${server.adminToken}` };
    for (const { query, operation, error } of misspellings) {
      const http = await post(server.app.url, query, auth, operation);
      expect(http.status).toBe(400);
      expect(http.body.data ?? null).toBeNull();
      expect(http.body.errors?.[0]?.message).toMatch(error);
      const websocket = await overWebsocket(server.app.url, server.adminToken, query, operation);
      expect(JSON.parse(websocket)[0].message).toMatch(error);
      expect(JSON.stringify(http.body) + websocket).not.toMatch(/Did you mean/);
    }
    expect(await server.app.database.client.apiToken.count({ where: { name: "x" } })).toBe(0);

    // A subscription's variables are coerced when it starts (the shared subscription results' subscribe).
    const websocket = await overWebsocket(server.app.url, server.adminToken, runEvents, { variables: { statuses: ["SUCCEDED"] } });
    expect(JSON.parse(websocket)[0].message).toMatch(/Value "SUCCEDED" does not exist in "RunStatus" enum\.$/);
    expect(websocket).not.toMatch(/Did you mean/);
  });
});

/** Settings under which nothing queries the database in the background while statements are counted. */
const quiet = { SCHEDULER_RESYNC_SECONDS: "3600", EXECUTOR_POLL_SECONDS: "3600", EXECUTOR_LEASE_SECONDS: "3600", RUN_RETENTION_INTERVAL_SECONDS: "86400", LIVE_RESYNC_SECONDS: "3600" };

/** The SQL statements `work` caused, token look-ups and lastUsedAt writes left out. */
async function statementsDuring(server: TestServer, work: () => Promise<unknown>): Promise<string[]> {
  const before = server.statements.length;
  await work();
  return server.statements.slice(before).filter((sql) => !sql.includes("ApiToken"));
}

/** The first result of an operation over a websocket (data or errors), or how it failed. */
async function firstResultOverWebsocket(url: string, token: string, query: string, variables: Record<string, unknown>): Promise<{ data?: unknown; errors?: unknown[] }> {
  const client = subscriptionClient(url, token);
  try {
    return await new Promise((resolve) => {
      client.subscribe(
        { query, variables },
        { next: (result) => resolve(result as { data?: unknown; errors?: unknown[] }), error: (error) => resolve({ errors: error as unknown[] }), complete: () => undefined },
      );
    });
  } finally {
    await client.dispose();
  }
}

const tooMany = (field: string, of: string, found: number, max: number) => ({
  message: `Too many items in "${field}" of ${of}: ${found}, at most ${max}.`,
  extensions: { code: "BAD_USER_INPUT", fieldErrors: [{ field, message: `must have at most ${max} items` }], maxItems: max },
});

describe("at the default limits", () => {
  const server = useTestServer("sqlite", quiet);
  const auth = () => ({ authorization: `Bearer ${server.adminToken}` });
  let viewer: Record<string, string>;
  let viewerToken: string;
  let deviceId: string;

  beforeAll(async () => {
    viewerToken = await createTestToken(server.app, "VIEWER");
    viewer = { authorization: `Bearer ${viewerToken}` };
    deviceId = (await createDevice(server.client, { name: "listed" })).id;
  });

  describe("list maximums", () => {
    const nodes = `query Nodes($ids: [ID!]!) { nodes(ids: $ids) { id } }`;
    const ids = (count: number) => Array.from({ length: count }, () => deviceId);

    it("nodes(ids:) takes 100 ids and refuses 101 before reading anything: as a variable, in the document, as a default, over websocket", async () => {
      let atMaximum: Awaited<ReturnType<typeof post>> | undefined;
      expect(await statementsDuring(server, async () => (atMaximum = await post(server.app.url, nodes, viewer, { variables: { ids: ids(100) } })))).not.toEqual([]);
      expect(atMaximum!.body.errors).toBeUndefined();
      expect(atMaximum!.body.data).toEqual({ nodes: ids(100).map((id) => ({ id })) });

      const literal = `{ nodes(ids: ${JSON.stringify(ids(101))}) { id } }`;
      const defaulted = `query Nodes($ids: [ID!]! = ${JSON.stringify(ids(101))}) { nodes(ids: $ids) { id } }`;
      for (const [query, operation] of [[nodes, { variables: { ids: ids(101) } }], [literal, {}], [defaulted, {}]] as const) {
        let over: Awaited<ReturnType<typeof post>> | undefined;
        expect(await statementsDuring(server, async () => (over = await post(server.app.url, query, viewer, operation)))).toEqual([]);
        expect(over!.status).toBe(400);
        expect(over!.body.data ?? null).toBeNull();
        expect(over!.body.errors).toHaveLength(1);
        expect(over!.body.errors![0]).toMatchObject(tooMany("ids", "nodes", 101, 100));
      }
      const websocket = JSON.parse(await overWebsocket(server.app.url, viewerToken, nodes, { variables: { ids: ids(101) } }));
      expect(websocket).toEqual([expect.objectContaining(tooMany("ids", "nodes", 101, 100))]);
    });

    it("refuses a filter of 50,000 statuses before the database sees it, and takes one naming every status", async () => {
      const runs = `query Runs($statuses: [RunStatus!]) { runs(filter: { statuses: $statuses }) { edges { node { id } } } }`;
      const every = ["QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELLED", "SKIPPED"];
      expect((await post(server.app.url, runs, viewer, { variables: { statuses: every } })).body).toEqual({ data: { runs: { edges: [] } } });
      let over: Awaited<ReturnType<typeof post>> | undefined;
      // As many as HTTP_MAX_BODY_BYTES lets through (1 MiB).
      const huge = Array.from({ length: 50_000 }, (_, i) => every[i % every.length]);
      expect(await statementsDuring(server, async () => (over = await post(server.app.url, runs, viewer, { variables: { statuses: huge } })))).toEqual([]);
      expect(over!.body.errors).toEqual([expect.objectContaining(tooMany("filter.statuses", "runs", 50_000, 7))]);

      // An argument of a nested field, written in the document.
      const nested = `{ runs { edges { node { results(statuses: [FAILED, FAILED, FAILED, FAILED, FAILED]) { totalCount } } } } }`;
      expect((await post(server.app.url, nested, viewer)).body.errors).toEqual([expect.objectContaining(tooMany("statuses", "results", 5, 4))]);
    });

    it("refuses an input list over its maximum before the mutation runs, however deep in the input and however it is passed", async () => {
      const createDevice = `mutation Create($input: CreateDeviceInput!) { createDevice(input: $input) { __typename } }`;
      const tags = (count: number) => Array.from({ length: count }, (_, i) => `tag-${i}`);
      const atMaximum = await post(server.app.url, createDevice, auth(), { variables: { input: { name: "fifty-tags", address: "10.0.0.2", tags: tags(50) } } });
      expect(atMaximum.body).toEqual({ data: { createDevice: { __typename: "CreateDeviceSuccess" } } });

      let over: Awaited<ReturnType<typeof post>> | undefined;
      const input = { name: "fifty-one-tags", address: "10.0.0.3", tags: tags(51) };
      expect(await statementsDuring(server, async () => (over = await post(server.app.url, createDevice, auth(), { variables: { input } })))).toEqual([]);
      expect(over!.body.errors).toEqual([expect.objectContaining(tooMany("input.tags", "createDevice", 51, 50))]);

      // A list passed as a variable inside an input object written in the document.
      const createTask = `mutation Create($dates: [String!]) { createTask(input: { name: "t", serviceId: "s",
        schedule: { calendar: { frequency: DAILY, timeOfDay: "09:00", excludedDates: $dates } } }) { __typename } }`;
      const dates = Array.from({ length: 1001 }, (_, i) => new Date(Date.UTC(2030, 0, 1 + i)).toISOString().slice(0, 10));
      expect(await statementsDuring(server, async () => (over = await post(server.app.url, createTask, auth(), { variables: { dates } })))).toEqual([]);
      expect(over!.body.errors).toEqual([expect.objectContaining(tooMany("input.schedule.calendar.excludedDates", "createTask", 1001, 1000))]);
      expect(await server.app.database.client.device.count({ where: { name: "fifty-one-tags" } })).toBe(0);
    });

    it("refuses a subscription whose filter is over its maximum, and opens one at the maximum", async () => {
      const view = `subscription View($taskIds: [ID!]) { scheduleView(filter: { taskIds: $taskIds }) { kind } }`;
      const taskIds = (count: number) => Array.from({ length: count }, (_, i) => encodeGlobalID("Task", `task-${i}`));
      expect(await firstResultOverWebsocket(server.app.url, viewerToken, view, { taskIds: taskIds(1000) })).toEqual({ data: { scheduleView: { kind: "SNAPSHOT" } } });
      const over = await firstResultOverWebsocket(server.app.url, viewerToken, view, { taskIds: taskIds(1001) });
      expect(over.errors).toEqual([expect.objectContaining(tooMany("filter.taskIds", "scheduleView", 1001, 1000))]);
    });
  });

  describe("authentication before the limits", () => {
    it("refuses a huge anonymous nodes(ids:) request as UNAUTHENTICATED, neither measuring its lists nor costing it", async () => {
      const ids = Array.from({ length: 140_000 }, (_, i) => encodeGlobalID("Task", `task-${i}`));
      let refused: Awaited<ReturnType<typeof post>> | undefined;
      const statements = await statementsDuring(server, async () => (refused = await post(server.app.url, `query Nodes($ids: [ID!]!) { nodes(ids: $ids) { id } }`, {}, { variables: { ids } })));
      expect(statements).toEqual([]);
      expect(refused!.body.data ?? null).toBeNull();
      expect(refused!.body.errors).toEqual([expect.objectContaining({ message: "Not authenticated: no API token was sent (Authorization: Bearer <token>)", extensions: { code: "UNAUTHENTICATED" } })]);

      const tooCostly = await post(server.app.url, nestedPages, { authorization: "Bearer cl_not-a-token" }, { variables: { n: 100 } });
      expect(tooCostly.body.errors).toEqual([expect.objectContaining({ message: "Not authenticated: the API token is invalid", extensions: { code: "UNAUTHENTICATED" } })]);
    });
  });

  describe("previewSchedule cost", () => {
    const previews = (aliases: number, count: number) =>
      `{ ${Array.from({ length: aliases }, (_, i) => `p${i}: previewSchedule(count: ${count}, schedule: { cron: { expression: "*/7 * * * *" } }) { __typename ... on PreviewScheduleSuccess { instants } ... on ValidationError { fieldErrors { field message } } }`).join(" ")} }`;

    it("counts each instant asked for: 30 previews of 1000 are refused by GRAPHQL_MAX_COST, one of 1000 or 30 of 10 are answered", async () => {
      // Each: 1 + 100 × 1000 for the preview, 1 for __typename, 1 for instants, 1 + 10 × 2 for fieldErrors.
      const refused = await post(server.app.url, previews(30, 1000), auth());
      expect(refused.status).toBe(400);
      expect(refused.body).toEqual({ errors: [{ message: "Query cost limit of 150000 exceeded, found 3000720.", extensions: { code: "QUERY_TOO_COMPLEX", cost: 3_000_720, maxCost: 150_000 } }] });

      const one = await post(server.app.url, previews(1, 1000), auth());
      expect((one.body.data as { p0: { instants: string[] } }).p0.instants).toHaveLength(1000);
      const many = await post(server.app.url, previews(30, 10), auth());
      expect(Object.values(many.body.data as Record<string, { instants: string[] }>).map((preview) => preview.instants.length)).toEqual(Array(30).fill(10));
    });

    it("answers a count over 1000 with a ValidationError, not a cost beyond it", async () => {
      const over = await post(server.app.url, previews(1, 1_000_000), auth());
      expect(over.body).toEqual({ data: { p0: { __typename: "ValidationError", fieldErrors: [{ field: "count", message: "must be at most 1000" }] } } });
    });
  });
});

describe("websocket limits", () => {
  const server = useTestServer("sqlite", { ...quiet, WEBSOCKET_MAX_SUBSCRIPTIONS: "3" });

  /** Sends connection_init padded to exactly `bytes` bytes: "ack", or how the socket was closed. */
  async function connectionInitOf(bytes: number): Promise<"ack" | { code: number }> {
    const raw = rawSocket(server.app.url);
    // The client may still be writing the message when the server closes the connection.
    raw.socket.on("error", () => undefined);
    await new Promise((resolve) => raw.socket.once("open", resolve));
    const message = (padding: string) => JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${server.adminToken}`, padding } });
    raw.socket.send(message("x".repeat(bytes - Buffer.byteLength(message("")))));
    const outcome = await Promise.race([raw.waitFor((m) => m.type === "connection_ack").then(() => "ack" as const), raw.closed]);
    raw.socket.terminate();
    return outcome === "ack" ? outcome : { code: outcome.code };
  }

  it("closes a socket whose message is over WEBSOCKET_MAX_MESSAGE_BYTES (1 MiB) with 1009, before authentication; 1 MiB passes", async () => {
    expect(await connectionInitOf(1024 * 1024)).toBe("ack");
    expect(await connectionInitOf(2 * 1024 * 1024)).toEqual({ code: 1009 });
  });

  it("refuses a subscription over WEBSOCKET_MAX_SUBSCRIPTIONS with TOO_MANY_SUBSCRIPTIONS, keeping the socket and the others", async () => {
    const client = subscriptionClient(server.app.url, server.adminToken);
    try {
      const open = [];
      for (let i = 0; i < 3; i++) {
        const view = subscribe(client, ScheduleView, { tickSeconds: 3600 });
        await view.waitFor((event) => event.scheduleView.kind === "SNAPSHOT", { from: 0 });
        open.push(view);
      }
      const fourth = subscribe(client, ScheduleView, { tickSeconds: 3600 });
      await fourth.ended;
      expect(fourth.events).toEqual([]);
      expect(fourth.errors.flat()).toEqual([
        expect.objectContaining({ message: "Too many subscriptions on this socket: at most 3 at a time (WEBSOCKET_MAX_SUBSCRIPTIONS)", extensions: { code: "TOO_MANY_SUBSCRIPTIONS", maxSubscriptions: 3 } }),
      ]);
      // Once one ends, another may start on the same socket.
      open[0]!.unsubscribe();
      const next = subscribe(client, ScheduleView, { tickSeconds: 3600 });
      await next.waitFor((event) => event.scheduleView.kind === "SNAPSHOT", { from: 0 });
    } finally {
      await client.dispose();
    }
  });
});
