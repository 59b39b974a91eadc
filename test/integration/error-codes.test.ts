// Every request the API refuses is answered with a 4xx status and errors that each carry
// extensions.code, whatever the client accepts, before anything runs; a body too large, or
// too large for a caller without a token, is refused before it is read.
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { describe, expect, it } from "vitest";
import { anonymousMaxBodyBytes } from "../../src/http/authenticate-request.js";
import { useTestServer } from "../support/test-server.js";

type Body = { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] };

const maxBodyBytes = 64 * 1024;

describe("error codes and statuses of refused requests", () => {
  const server = useTestServer("sqlite", { HTTP_MAX_BODY_BYTES: String(maxBodyBytes) });
  const token = () => ({ authorization: `Bearer ${server.adminToken}` });

  async function send(init: RequestInit & { path?: string } = {}) {
    const response = await fetch(new URL(init.path ?? "/graphql", server.app.url), init);
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : null) as Body | null };
  }
  const post = (body: string, headers: Record<string, string> = {}) =>
    send({ method: "POST", headers: { "content-type": "application/json", ...token(), ...headers }, body });
  const get = (query: string, headers: Record<string, string> = {}) =>
    send({ path: `/graphql?${query}`, headers: { "x-cronline-csrf": "1", ...token(), ...headers } });

  /** The refusal has this status and every error has this code. */
  function expectRefused(response: Awaited<ReturnType<typeof send>>, status: number, code: string) {
    expect({ status: response.status, codes: response.body?.errors?.map((error) => error.extensions?.code) }).toEqual({ status, codes: [code] });
    expect(response.body?.data ?? null).toBeNull();
  }

  it("answers a GET or form POST whose variables or extensions are not JSON with 400 and BAD_REQUEST", async () => {
    expectRefused(await get("query=%7B__typename%7D&variables=%7Bbad"), 400, "BAD_REQUEST");
    expectRefused(await get("query=%7B__typename%7D&extensions=nope"), 400, "BAD_REQUEST");
    const form = await send({
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-cronline-csrf": "1", ...token() },
      body: "query=%7B__typename%7D&variables=%7B",
    });
    expectRefused(form, 400, "BAD_REQUEST");
    expect(form.body?.errors?.[0]?.message).toMatch(/^The request's "variables" and "extensions" must be JSON: /);
    expect((await get("query=%7B__typename%7D&variables=%7B%7D")).body).toEqual({ data: { __typename: "Query" } });
  });

  it("answers a request refused before it runs with a 4xx also to a client that accepts only application/json", async () => {
    for (const accept of ["application/json", "application/graphql-response+json"]) {
      const headers = { accept };
      expectRefused(await post(JSON.stringify({ query: "{ devices { totalCount }" }), headers), 400, "GRAPHQL_PARSE_FAILED");
      expectRefused(await post(JSON.stringify({ query: "{ devicez }" }), headers), 400, "GRAPHQL_VALIDATION_FAILED");
      expectRefused(await post(JSON.stringify({}), headers), 400, "BAD_REQUEST");
      expectRefused(await post(JSON.stringify({ query: "query ($n: Int) { devices(first: $n) { totalCount } }", variables: { n: "ten" } }), headers), 400, "BAD_USER_INPUT");
      const anonymous = await post(JSON.stringify({ query: "{ devices { totalCount } }" }), { ...headers, authorization: "" });
      expectRefused(anonymous, 401, "UNAUTHENTICATED");
      expect(anonymous.headers.get("www-authenticate")).toBe('Bearer realm="cronline"');
    }
  });

  it("gives a code to the refusals Yoga answers with an empty body or none: media type, accept, path, method", async () => {
    expectRefused(await post(JSON.stringify({ query: "{ __typename }" }), { "content-type": "application/xml" }), 415, "UNSUPPORTED_MEDIA_TYPE");
    expectRefused(await post(JSON.stringify({ query: "subscription { runEvents { __typename } }" }), { accept: "application/json" }), 406, "NOT_ACCEPTABLE");
    expectRefused(await post(JSON.stringify({ query: "{ __typename }" }), { accept: "text/html" }), 406, "NOT_ACCEPTABLE");
    expectRefused(await send({ path: "/graphql/elsewhere", headers: token() }), 404, "NOT_FOUND");
    expectRefused(await send({ method: "PUT", headers: { "content-type": "application/json", ...token() }, body: "{}" }), 405, "BAD_REQUEST");
    expectRefused(await get("query=mutation%20%7B%20__typename%20%7D"), 405, "BAD_REQUEST");
  });

  it("refuses a body over HTTP_MAX_BODY_BYTES with 413 before reading it: by its Content-Length, or once that much has come", async () => {
    const declared = await rawPost(server.app.url, { ...token(), "content-type": "application/json", "content-length": String(maxBodyBytes + 1) });
    expect(declared.status).toBe(413);
    expect(declared.body.errors?.map((error) => error.extensions?.code)).toEqual(["REQUEST_ENTITY_TOO_LARGE"]);

    const oversized = JSON.stringify({ query: "{ __typename }", variables: { padding: "x".repeat(maxBodyBytes) } });
    const streamed = await send({ method: "POST", headers: { "content-type": "application/json", ...token() }, body: chunked(oversized), duplex: "half" } as RequestInit);
    expectRefused(streamed, 413, "REQUEST_ENTITY_TOO_LARGE");
    expect((await post(JSON.stringify({ query: "{ __typename }", variables: { padding: "x".repeat(maxBodyBytes / 2) } }))).body).toEqual({ data: { __typename: "Query" } });
  });

  it("refuses a body larger than an introspection query from a caller without a usable token with 401, before reading it", async () => {
    for (const authorization of [undefined, "Bearer cl_not-a-token"]) {
      const headers = { "content-type": "application/json", ...(authorization && { authorization }) };
      const declared = await rawPost(server.app.url, { ...headers, "content-length": String(anonymousMaxBodyBytes + 1) });
      expect(declared.status).toBe(401);
      expect(declared.body.errors?.map((error) => error.extensions?.code)).toEqual(["UNAUTHENTICATED"]);
      const unknownLength = await rawPost(server.app.url, { ...headers, "transfer-encoding": "chunked" });
      expect(unknownLength.status).toBe(401);
    }
    // Introspection needs no token, and fits.
    const introspection = await post(JSON.stringify({ query: "{ __schema { queryType { name } } }" }), { authorization: "" });
    expect(introspection.body).toEqual({ data: { __schema: { queryType: { name: "Query" } } } });
  });
});

/** A body sent as a stream of unknown length (Transfer-Encoding: chunked). */
function chunked(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  return new ReadableStream({
    start(controller) {
      for (let offset = 0; offset < bytes.length; offset += 8192) controller.enqueue(bytes.subarray(offset, offset + 8192));
      controller.close();
    },
  });
}

/**
 * A POST whose headers are sent and whose body never is: the answer can only come from a
 * server that did not wait for the body. The request is abandoned once answered.
 */
function rawPost(url: string, headers: Record<string, string>): Promise<{ status: number; headers: IncomingHttpHeaders; body: Body }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: "POST", headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        request.destroy();
        resolve({ status: response.statusCode!, headers: response.headers, body: JSON.parse(Buffer.concat(chunks).toString()) as Body });
      });
    });
    request.on("error", reject);
    request.flushHeaders();
  });
}
