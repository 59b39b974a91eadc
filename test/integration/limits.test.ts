import { describe, expect, it } from "vitest";
import { subscriptionClient } from "../support/subscriptions.js";
import { useTestServer } from "../support/test-server.js";

async function post(url: string, query: string, headers: Record<string, string>) {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", accept: "application/graphql-response+json", ...headers }, body: JSON.stringify({ query }) });
  return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: { message: string }[] } };
}

/** The errors a websocket operation ends with. */
async function overWebsocket(url: string, token: string, query: string): Promise<string> {
  const client = subscriptionClient(url, token);
  try {
    return await new Promise<string>((resolve) => {
      client.subscribe(
        { query },
        { next: (result) => result.errors && resolve(JSON.stringify(result.errors)), error: (error) => resolve(JSON.stringify(error)), complete: () => resolve("completed") },
      );
    });
  } finally {
    await client.dispose();
  }
}

describe("GraphQL limits", () => {
  const server = useTestServer("sqlite", { GRAPHQL_MAX_DEPTH: "8", GRAPHQL_MAX_ALIASES: "5", GRAPHQL_MAX_COST: "1000", GRAPHQL_MAX_TOKENS: "2000" });
  const auth = () => ({ authorization: `Bearer ${server.adminToken}` });

  it("accepts queries within the limits", async () => {
    expect((await post(server.app.url, `{ a: devices { totalCount } b: pools { totalCount } }`, auth())).body.errors).toBeUndefined();
  });

  it("refuses a query nested too deep, over HTTP and websocket", async () => {
    const query = `{ services { edges { node { targetPools { devices { name } members { name } } tasks: targetDevices { name } } } } pools { edges { node { devices { name } members { name } } } } }`;
    expect((await post(server.app.url, query, auth())).body.errors).toBeUndefined();
    const deep = `{ tasks { edges { node { service { targetPools { members { name } } targetDevices { name } } runs { edges { node { results { edges { node { device { name } } } } } } } } } } }`;
    const http = await post(server.app.url, deep, auth());
    expect(http.body.data ?? null).toBeNull();
    expect(http.body.errors?.[0]?.message).toMatch(/Query depth limit of 8 exceeded/);
    expect(await overWebsocket(server.app.url, server.adminToken, deep)).toMatch(/Query depth limit of 8 exceeded/);
  });

  it("refuses too many aliases, over HTTP and websocket", async () => {
    const query = `{ ${Array.from({ length: 6 }, (_, i) => `a${i}: devices { totalCount }`).join(" ")} }`;
    const http = await post(server.app.url, query, auth());
    expect(http.body.data ?? null).toBeNull();
    expect(http.body.errors?.[0]?.message).toMatch(/Aliases limit of 5 exceeded/);
    expect(await overWebsocket(server.app.url, server.adminToken, query)).toMatch(/Aliases limit of 5 exceeded/);
  });

  it("refuses a query that would cost too much (pages multiply), over HTTP and websocket", async () => {
    const query = `{ services(first: 100) { edges { node { name description kind tags targetDevices { name address tags description } } } } }`;
    const http = await post(server.app.url, query, auth());
    expect(http.body.data ?? null).toBeNull();
    expect(http.body.errors?.[0]?.message).toMatch(/Query Cost limit of 1000 exceeded/);
    expect(await overWebsocket(server.app.url, server.adminToken, query)).toMatch(/Query Cost limit of 1000 exceeded/);
    expect((await post(server.app.url, query.replace("first: 100", "first: 2"), auth())).body.errors).toBeUndefined();
  });

  it("refuses a document of too many tokens", async () => {
    const query = `{ devices { totalCount ${"__typename ".repeat(2100)} } }`;
    const http = await post(server.app.url, query, auth());
    expect(http.body.errors?.[0]?.message).toMatch(/Token limit of 2000 exceeded/);
  });

  it("suggests no field names", async () => {
    const http = await post(server.app.url, `{ devicez { totalCount } }`, auth());
    expect(http.body.errors?.[0]?.message).toMatch(/Cannot query field "devicez"/);
    expect(JSON.stringify(http.body)).not.toMatch(/Did you mean/);
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

describe("GRAPHQL_INTROSPECTION=false", () => {
  const server = useTestServer("sqlite", { GRAPHQL_INTROSPECTION: "false" });

  it("refuses introspection, and still answers ordinary queries", async () => {
    const auth = { authorization: `Bearer ${server.adminToken}` };
    const introspection = await post(server.app.url, `{ __schema { queryType { name } } }`, auth);
    expect(introspection.body.errors?.[0]?.message).toMatch(/introspection/i);
    expect(await overWebsocket(server.app.url, server.adminToken, `{ __type(name: "Query") { name } }`)).toMatch(/introspection/i);
    expect((await post(server.app.url, `{ devices { totalCount } }`, auth)).body).toEqual({ data: { devices: { totalCount: 0 } } });
  });
});
