import { describe, expect, it } from "vitest";
import { subscriptionClient } from "../support/subscriptions.js";
import { useTestServer } from "../support/test-server.js";

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
    expect(JSON.stringify(await forged.json())).toMatch(/Required CSRF header/);
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
    expect(await page.text()).toMatch(/<title>Cronline<\/title>/);
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
