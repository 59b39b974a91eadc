// Where HTTP services may send requests (HTTP_ALLOWED_HOSTS, HTTP_DENIED_NETWORKS), against
// real local HTTP servers: refusals at save time, at run time after DNS, and on redirects.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeEachDatabase } from "../support/databases.js";
import { useExecutionServer, type ExecutionHarness } from "../support/execution-harness.js";
import { CreateService, UpdateService } from "../support/operations.js";

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

/** A local HTTP server recording what it receives; `/redirect?status=&to=` redirects, `/loop` redirects to itself. */
function useSink() {
  const sink = { received: [] as Received[], base: "", port: 0 };
  let server: Server;
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => {
        sink.received.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        const url = new URL(req.url!, sink.base);
        if (url.pathname === "/redirect") return void res.writeHead(Number(url.searchParams.get("status") ?? 302), { location: url.searchParams.get("to")! }).end();
        if (url.pathname === "/loop") return void res.writeHead(302, { location: "/loop" }).end();
        res.writeHead(200).end(`ok ${req.method} ${req.url}`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    sink.port = (server.address() as AddressInfo).port;
    sink.base = `http://127.0.0.1:${sink.port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return sink;
}

const redirect = (base: string, to: string, status = 302) => `${base}/redirect?status=${status}&to=${encodeURIComponent(to)}`;

async function saveService(h: ExecutionHarness, config: Record<string, unknown>) {
  const { createService } = await h.server.client.data(CreateService, { input: { name: `svc-${Math.random()}`, kind: "HTTP", config } });
  return createService;
}

const refusedUrl = (message: string | RegExp) => ({ __typename: "ValidationError", fieldErrors: [{ field: "input.config.url", message }] });

describeEachDatabase("HTTP egress", (provider) => {
  const sink = useSink();

  describe("with the default settings", () => {
    const h = useExecutionServer(provider);

    it("refuses a name that resolves to a loopback address when the request is made, sending nothing and not retrying", async () => {
      const device = await h.createDevice(`local-${provider}`, { address: "localhost" });
      const before = sink.received.length;
      const run = await h.runOnce("HTTP", { url: `http://{{device.address}}:${sink.port}/hook`, method: "GET" }, { targetDeviceIds: [device], maxAttempts: 3 });
      expect(run.status).toBe("FAILED");
      expect(run.results).toHaveLength(1);
      expect(run.results[0]).toMatchObject({
        status: "FAILED",
        httpStatus: null,
        error: expect.stringMatching(/^request to localhost refused: it resolves to (127\.0\.0\.1, in 127\.0\.0\.0\/8|::1, in ::1\/128) \(HTTP_DENIED_NETWORKS\)$/),
      });
      expect(sink.received.length).toBe(before);
    });

    it("refuses cloud metadata addresses that a device brings into the URL", async () => {
      const metadata = await h.createDevice(`metadata-${provider}`, { address: "169.254.169.254" });
      const metadata6 = await h.createDevice(`metadata6-${provider}`, { address: "fd00:ec2::254" });
      const run = await h.runOnce("HTTP", { url: "http://{{device.address}}/latest/meta-data/", method: "GET" }, { targetDeviceIds: [metadata, metadata6] });
      expect(run.status).toBe("FAILED");
      expect(run.results.map((result) => result.error).sort()).toEqual([
        "request to 169.254.169.254 refused: 169.254.169.254 is in 169.254.0.0/16 (link-local, cloud metadata, always denied)",
        "request to fd00:ec2::254 refused: fd00:ec2::254 is in fd00:ec2::254/128 (cloud metadata, always denied)",
      ]);
    });

    it("refuses a URL whose literal address is denied when the service is saved", async () => {
      expect(await saveService(h, { url: "http://169.254.169.254/latest/meta-data/" })).toMatchObject(
        refusedUrl("is refused: 169.254.169.254 is in 169.254.0.0/16 (link-local, cloud metadata, always denied)"),
      );
      expect(await saveService(h, { url: "http://[::ffff:169.254.169.254]/" })).toMatchObject(refusedUrl(/^is refused: .* is in 169\.254\.0\.0\/16/));
      expect(await saveService(h, { url: `${sink.base}/hook?n={{payload.n}}` })).toMatchObject(refusedUrl("is refused: 127.0.0.1 is in 127.0.0.0/8 (HTTP_DENIED_NETWORKS)"));
      // Private networks are for internal webhooks: allowed unless HTTP_DENIED_NETWORKS lists them.
      const internal = await saveService(h, { url: "http://10.0.0.5:8080/hook" });
      expect(internal.__typename).toBe("CreateServiceSuccess");
      if (internal.__typename !== "CreateServiceSuccess") return;
      const { updateService } = await h.server.client.data(UpdateService, { input: { id: internal.service.id, config: { url: "http://[fe80::1]/" } } });
      expect(updateService).toMatchObject(refusedUrl("is refused: fe80::1 is in fe80::/10 (link-local, always denied)"));
    });
  });

  describe("with HTTP_ALLOWED_HOSTS and loopback allowed", () => {
    // 169.254.169.254 is on the list to show that the list cannot open an always-denied network.
    const h = useExecutionServer(provider, { HTTP_ALLOWED_HOSTS: "127.0.0.1,169.254.169.254,*.example.test", HTTP_DENIED_NETWORKS: "none" });
    const other = useSink();

    it("sends requests to a host on the list", async () => {
      const run = await h.runOnce("HTTP", { url: `${sink.base}/allowed`, method: "GET" });
      expect(run.results[0]).toMatchObject({ status: "SUCCEEDED", httpStatus: 200, output: "ok GET /allowed" });
    });

    it("refuses a host that is not on the list, when saved and when the request is made", async () => {
      expect(await saveService(h, { url: `http://localhost:${sink.port}/` })).toMatchObject(refusedUrl("is refused: localhost is not on HTTP_ALLOWED_HOSTS"));
      expect((await saveService(h, { url: "https://hooks.example.test/x" })).__typename).toBe("CreateServiceSuccess");
      const device = await h.createDevice(`local-${provider}`, { address: "localhost" });
      const before = sink.received.length;
      const run = await h.runOnce("HTTP", { url: `http://{{device.address}}:${sink.port}/hook` }, { targetDeviceIds: [device] });
      expect(run.results[0]).toMatchObject({ status: "FAILED", error: "request to localhost refused: localhost is not on HTTP_ALLOWED_HOSTS" });
      expect(sink.received.length).toBe(before);
    });

    it("follows redirects up to maxRedirects, and a 3xx is the answer without it", async () => {
      const followed = await h.runOnce("HTTP", { url: redirect(sink.base, "/final?step=1"), method: "GET", maxRedirects: 2 });
      expect(followed.results[0]).toMatchObject({ status: "SUCCEEDED", httpStatus: 200, output: "ok GET /final?step=1" });

      const notFollowed = await h.runOnce("HTTP", { url: redirect(sink.base, "/final?step=2"), method: "GET" });
      expect(notFollowed.results[0]).toMatchObject({ status: "FAILED", httpStatus: 302, error: "unexpected HTTP status 302; expected 2xx" });

      const looping = await h.runOnce("HTTP", { url: `${sink.base}/loop`, method: "GET", maxRedirects: 3 });
      expect(looping.results[0]).toMatchObject({ status: "FAILED", httpStatus: 302, error: "too many redirects: more than 3 (maxRedirects)" });
      expect(sink.received.filter((request) => request.url === "/loop")).toHaveLength(4);
    });

    it("refuses a redirect to a host off the list or to a denied address, sending nothing there", async () => {
      const from = redirect(sink.base, `http://localhost:${sink.port}/after-redirect`);
      const offList = await h.runOnce("HTTP", { url: from, method: "GET", maxRedirects: 5 });
      expect(offList.results[0]).toMatchObject({ status: "FAILED", error: `request to localhost refused: localhost is not on HTTP_ALLOWED_HOSTS (redirected from ${from})` });
      expect(sink.received.some((request) => request.url === "/after-redirect")).toBe(false);

      const toMetadata = redirect(sink.base, "http://169.254.169.254/latest/meta-data/", 307);
      const metadata = await h.runOnce("HTTP", { url: toMetadata, maxRedirects: 5 });
      expect(metadata.results[0]).toMatchObject({
        status: "FAILED",
        httpStatus: null,
        error: `request to 169.254.169.254 refused: 169.254.169.254 is in 169.254.0.0/16 (link-local, cloud metadata, always denied) (redirected from ${toMetadata})`,
      });
    });

    it("turns a 303 into a GET, and carries the service's headers to another origin only as content-type", async () => {
      await h.runOnce("HTTP", { url: redirect(sink.base, "/after-303", 303), maxRedirects: 1 }, { payload: { a: 1 } });
      expect(sink.received.at(-1)).toMatchObject({ method: "GET", url: "/after-303", body: "" });

      const run = await h.runOnce(
        "HTTP",
        { url: redirect(sink.base, `${other.base}/elsewhere`, 307), headers: { authorization: "Bearer secret", "x-api-key": "secret" }, maxRedirects: 1 },
        { payload: { a: 1 } },
      );
      expect(run.status).toBe("SUCCEEDED");
      expect(sink.received.at(-1)!.headers).toMatchObject({ authorization: "Bearer secret", "x-api-key": "secret" });
      const elsewhere = other.received.at(-1)!;
      expect(elsewhere).toMatchObject({ method: "POST", url: "/elsewhere", body: '{"a":1}', headers: { "content-type": "application/json" } });
      expect(elsewhere.headers).not.toHaveProperty("authorization");
      expect(elsewhere.headers).not.toHaveProperty("x-api-key");
    });
  });
});
