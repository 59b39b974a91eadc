// HTTP services against a real local HTTP server.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachDatabase } from "../support/databases.js";
import { executorRecordedCancel, useExecutionServer } from "../support/execution-harness.js";
import { CancelRun } from "../support/execution-operations.js";
import { CreateService } from "../support/operations.js";

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

describeEachDatabase("HTTP execution", (provider) => {
  // The sink listens on loopback, which HTTP services may not reach by default.
  const h = useExecutionServer(provider, { HTTP_DENIED_NETWORKS: "none" });
  const received: Received[] = [];
  /** URLs of the requests whose connection the client closed before an answer. */
  const abandoned: string[] = [];
  let sink: Server;
  let base: string;

  beforeAll(async () => {
    sink = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => {
        received.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        if (req.url!.startsWith("/slow")) return void res.on("close", () => abandoned.push(req.url!)); // never answers
        if (req.url!.startsWith("/teapot")) return void res.writeHead(418).end("short and stout");
        if (req.url!.startsWith("/big")) return void res.writeHead(200).end("z".repeat(100_000));
        if (req.url!.startsWith("/accents")) return void res.writeHead(200).end("z" + "é".repeat(40_000));
        res.writeHead(200, { "content-type": "text/plain" }).end(`ok ${req.method} ${req.url}`);
      });
    });
    await new Promise<void>((resolve) => sink.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    sink.closeAllConnections();
    await new Promise((resolve) => sink.close(resolve));
  });

  it("sends the rendered request per device, the payload as the default JSON body, and records status and body", async () => {
    const port = (sink.address() as AddressInfo).port;
    const device = await h.createDevice("web-1", { address: "127.0.0.1", properties: { zone: "eu west/1" } });
    const run = await h.runOnce(
      "HTTP",
      { url: `http://{{device.address}}:${port}/hook/{{device.properties.zone}}?run={{run.id}}`, headers: { "x-task": "{{task.name}}" } },
      { targetDeviceIds: [device], payload: { level: 3 } },
    );
    expect(run.status).toBe("SUCCEEDED");
    const request = received.at(-1)!;
    expect(request.method).toBe("POST");
    expect(request.url).toMatch(/^\/hook\/eu%20west%2F1\?run=/);
    expect(request.headers["x-task"]).toMatch(/^task-\d+$/);
    expect(request.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(request.body)).toEqual({ level: 3 });
    expect(run.results[0]).toMatchObject({ status: "SUCCEEDED", httpStatus: 200, deviceName: "web-1", output: `ok POST ${request.url}` });
  });

  it("sends a body template and judges the status by expectedStatusCodes", async () => {
    const run = await h.runOnce("HTTP", { url: `${base}/teapot`, method: "PUT", body: "level={{payload.level}}", expectedStatusCodes: [418] }, { payload: { level: 7 } });
    expect(run.status).toBe("SUCCEEDED");
    expect(received.at(-1)).toMatchObject({ method: "PUT", body: "level=7" });
    expect(run.results[0]).toMatchObject({ httpStatus: 418, output: "short and stout" });

    const unexpected = await h.runOnce("HTTP", { url: `${base}/teapot`, method: "GET" });
    expect(unexpected.status).toBe("FAILED");
    expect(unexpected.results[0]).toMatchObject({ status: "FAILED", httpStatus: 418, error: "unexpected HTTP status 418; expected 2xx" });
  });

  it("renders a JSON body as JSON: a value cannot close a string or add a key", async () => {
    const injection = 'x", "admin": true, "y": "';
    const run = await h.runOnce(
      "HTTP",
      {
        url: `${base}/json`,
        headers: { "Content-Type": "application/json; charset=utf-8" },
        body: '{"user": "{{payload.name}}", "note": "by {{task.name}}: {{payload.name}}", "count": {{payload.count}}, "tags": {{payload.tags}}}',
      },
      { payload: { name: injection, count: 2, tags: ["a", "b"] } },
    );
    expect(run.status).toBe("SUCCEEDED");
    const sent = JSON.parse(received.at(-1)!.body);
    expect(Object.keys(sent)).toEqual(["user", "note", "count", "tags"]);
    expect(sent).toMatchObject({ user: injection, note: expect.stringMatching(/^by task-\d+: x", "admin"/), count: 2, tags: ["a", "b"] });

    // A placeholder where a value goes gets one JSON value, whatever the payload holds.
    const asValue = await h.runOnce("HTTP", { url: `${base}/json`, headers: { "content-type": "application/json" }, body: '{"count": {{payload.count}}}' }, { payload: { count: '1, "admin": true' } });
    expect(asValue.status).toBe("SUCCEEDED");
    expect(JSON.parse(received.at(-1)!.body)).toEqual({ count: '1, "admin": true' });
  });

  it("sends a JSON object template without a content-type as application/json, other bodies as text, and a content-type the service sets alone", async () => {
    await h.runOnce("HTTP", { url: `${base}/json`, body: '{"user": "{{payload.name}}"}' }, { payload: { name: 'a"b' } });
    expect(received.at(-1)!.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(received.at(-1)!.body)).toEqual({ user: 'a"b' });

    await h.runOnce("HTTP", { url: `${base}/text`, body: 'user="{{payload.name}}"' }, { payload: { name: 'a"b' } });
    expect(received.at(-1)).toMatchObject({ body: 'user="a"b"', headers: { "content-type": "text/plain;charset=UTF-8" } });

    await h.runOnce("HTTP", { url: `${base}/json`, headers: { "Content-Type": "application/merge-patch+json" } }, { payload: { a: 1 } });
    expect(received.at(-1)).toMatchObject({ body: '{"a":1}', headers: { "content-type": "application/merge-patch+json" } });
  });

  it("refuses a header value that a payload value would split over lines, sending nothing", async () => {
    const before = received.length;
    const run = await h.runOnce("HTTP", { url: `${base}/header`, headers: { "x-note": "{{payload.note}}" } }, { payload: { note: "a\r\nx-admin: true" }, maxAttempts: 2 });
    expect(run.status).toBe("FAILED");
    // Not retried: the same payload would fail the same way.
    expect(run.results).toHaveLength(1);
    expect(run.results[0]).toMatchObject({ status: "FAILED", httpStatus: null, error: "header x-note: the rendered value contains a line break or NUL" });
    expect(received.length).toBe(before);
  });

  it("accepts a placeholder as the URL's port", async () => {
    const port = (sink.address() as AddressInfo).port;
    const run = await h.runOnce("HTTP", { url: "http://127.0.0.1:{{payload.port}}/by-port", method: "GET" }, { payload: { port } });
    expect(run.results[0]).toMatchObject({ status: "SUCCEEDED", httpStatus: 200, output: "ok GET /by-port" });
  });

  it("caps the response body and marks it truncated", async () => {
    const run = await h.runOnce("HTTP", { url: `${base}/big`, method: "GET" });
    expect(run.results[0]).toMatchObject({ status: "SUCCEEDED", outputTruncated: true });
    expect(run.results[0]!.output).toHaveLength(65536);
    // "é" is two bytes: the cap falls inside the last one kept, which is left out rather than garbled.
    const cut = await h.runOnce("HTTP", { url: `${base}/accents`, method: "GET" });
    expect(cut.results[0]).toMatchObject({ outputTruncated: true, output: "z" + "é".repeat(32767) });
  });

  it("records a refused connection and a DNS failure as failures with clear messages", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await h.runOnce("HTTP", { url: `http://127.0.0.1:${port}/` });
    expect(refused.results[0]).toMatchObject({ status: "FAILED", httpStatus: null, error: `connection refused by 127.0.0.1:${port} (ECONNREFUSED)` });
    const dns = await h.runOnce("HTTP", { url: "http://cronline-no-such-host.invalid/" });
    expect(dns.results[0]).toMatchObject({ status: "FAILED", error: expect.stringMatching(/^DNS lookup failed for cronline-no-such-host\.invalid \((ENOTFOUND|EAI_AGAIN)\)$/) });
  });

  it("times out a request that gets no answer", async () => {
    const run = await h.runOnce("HTTP", { url: `${base}/slow`, timeoutSeconds: 1 });
    expect(run.status).toBe("TIMED_OUT");
    expect(run.results[0]).toMatchObject({ status: "TIMED_OUT", error: "no complete response within 1s" });
    expect(run.results[0]!.durationMs).toBeGreaterThanOrEqual(950);
  });

  it("cancelRun aborts the request in flight and ends the run CANCELLED", async () => {
    const serviceId = await h.createService("HTTP", { url: `${base}/slow/cancelled`, method: "GET", timeoutSeconds: 300 });
    const runId = await h.runTask(await h.createTask(serviceId));
    await expect.poll(() => received.some((r) => r.url === "/slow/cancelled"), { timeout: 90_000 }).toBe(true);
    const { cancelRun } = await h.server.client.data(CancelRun, { input: { id: runId } });
    expect(cancelRun.__typename).toBe("CancelRunSuccess");
    const run = await h.waitForRun(runId, executorRecordedCancel);
    expect(run).toMatchObject({ status: "CANCELLED", reason: "cancelled by an operator", failedCount: 1 });
    expect(run.results[0]).toMatchObject({ status: "CANCELLED", httpStatus: null, error: "cancelled; the request was aborted" });
    await expect.poll(() => abandoned, { timeout: 90_000 }).toContain("/slow/cancelled");
  });

  it("refuses invalid URLs and unknown placeholders when the service is saved", async () => {
    const save = async (config: Record<string, unknown>) =>
      (await h.server.client.data(CreateService, { input: { name: `bad-${Math.random()}`, kind: "HTTP", config } })).createService;
    expect(await save({ url: "not a url/{{device.name}}" })).toMatchObject({
      __typename: "ValidationError",
      fieldErrors: [{ field: "input.config.url", message: "must be an absolute http:// or https:// URL" }],
    });
    expect(await save({ url: `${base}/{{payload.x}}`, body: "{{device.ip}}" })).toMatchObject({
      __typename: "ValidationError",
      fieldErrors: [{ field: "input.config.body", message: expect.stringContaining("unknown placeholder {{device.ip}}") }],
    });
    expect(await save({ url: base, headers: { "content-type": "application/json" }, body: '{"count": {{payload.count}}' })).toMatchObject({
      __typename: "ValidationError",
      fieldErrors: [{ field: "input.config.body", message: expect.stringMatching(/^must be JSON, with placeholders inside strings or as whole values: .* \(content-type is application\/json\)$/) }],
    });
    expect(await save({ url: base, headers: { "content-type": "application/json" }, body: '{"path": "C:\\{{payload.dir}}"}' })).toMatchObject({
      __typename: "ValidationError",
      fieldErrors: [{ field: "input.config.body", message: "a placeholder must not follow a backslash inside a JSON string (content-type is application/json)" }],
    });
    expect(await save({ url: base, timeoutSeconds: 301 })).toMatchObject({
      __typename: "ValidationError",
      fieldErrors: [{ field: "input.config.timeoutSeconds", message: expect.stringContaining("300") }],
    });
  });
});
