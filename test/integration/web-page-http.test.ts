// What the server sends browsers besides GraphQL, as any HTTP client sees it: the schedule page,
// its assets and GraphiQL's, with their cache headers and Content-Security-Policy.
import { once } from "node:events";
import { createServer, request, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { contentSecurityPolicy, loadWebPage } from "../../src/http/web-page.js";
import { useTestServer } from "../support/test-server.js";

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A request as sent, and the response's bytes as received (fetch would undo the gzip). */
function send(url: string, headers: Record<string, string> = {}, method = "GET"): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks) }));
    });
    outgoing.on("error", reject);
    outgoing.end();
  });
}

/** The src and href values of a page. */
const linksOf = (html: string) => [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);

describe("the web pages over HTTP", () => {
  const server = useTestServer("sqlite");
  const origin = () => new URL(server.app.url).origin;

  it("serves the schedule page at / never cached, naming only files of this server", async () => {
    const page = await send(`${origin()}/`);
    expect(page.status).toBe(200);
    expect(page.headers).toMatchObject({
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy": contentSecurityPolicy,
      "x-content-type-options": "nosniff",
    });
    const links = linksOf(page.body.toString());
    expect(links.length).toBeGreaterThanOrEqual(3);
    // Relative, so the page also works under a reverse proxy's path prefix.
    expect(links.filter((link) => !link.startsWith("assets/"))).toEqual(["graphql"]);
    for (const link of links.filter((link) => link.startsWith("assets/"))) expect({ link, status: (await send(`${origin()}/${link}`)).status }).toEqual({ link, status: 200 });
    expect((await send(`${origin()}/`, {}, "HEAD")).body.length).toBe(0);
  });

  it("serves assets cached for good under their content's name, gzipped to browsers that accept it", async () => {
    const script = linksOf((await send(`${origin()}/`)).body.toString()).find((link) => link.endsWith(".js"))!;
    expect(script).toMatch(/^assets\/app-\w+\.js$/);
    const plain = await send(`${origin()}/${script}`);
    expect(plain.headers).toMatchObject({ "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=31536000, immutable", vary: "accept-encoding" });
    expect(plain.headers["content-encoding"]).toBeUndefined();
    const gzipped = await send(`${origin()}/${script}`, { "accept-encoding": "gzip, deflate, br" });
    expect(gzipped.headers["content-encoding"]).toBe("gzip");
    expect(gzipped.body.length).toBeLessThan(plain.body.length);
    expect(gunzipSync(gzipped.body).equals(plain.body)).toBe(true);

    expect((await send(`${origin()}/assets/app-nothing.js`)).status).toBe(404);
    expect((await send(`${origin()}/assets/../index.html`)).status).toBe(404);
    expect((await send(`${origin()}/${script}`, {}, "POST")).status).not.toBe(200);
  });

  it("serves GraphiQL with its scripts, styles and workers from this server, and the token hint", async () => {
    const graphiql = await send(server.app.url, { accept: "text/html" });
    expect(graphiql.status).toBe(200);
    expect(graphiql.headers).toMatchObject({ "content-security-policy": contentSecurityPolicy, "cache-control": "no-store" });
    const html = graphiql.body.toString();
    expect(html).not.toMatch(/https?:\/\//);
    const workers = JSON.parse(/<script id="graphiql-workers" type="application\/json">(.*?)<\/script>/.exec(html)![1]!) as Record<string, string>;
    const options = JSON.parse(/<script id="graphiql-options" type="application\/json">(.*?)<\/script>/.exec(html)![1]!) as { headers: string; additionalHeaders: Record<string, string> };
    expect(JSON.parse(options.headers)).toEqual({ Authorization: "Bearer cl_paste-your-token-here" });
    // Subscriptions go as server-sent events over GET: they carry the CSRF header.
    expect(options.additionalHeaders).toEqual({ "x-cronline-csrf": "graphiql" });
    for (const link of [...linksOf(html), ...Object.values(workers)]) {
      expect(link).toMatch(/^assets\//);
      expect({ link, status: (await send(`${origin()}/${link}`)).status }).toEqual({ link, status: 200 });
    }
    // The API's answers are never cached either.
    expect((await fetch(server.app.url, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).headers.get("cache-control")).toBe("no-store");
  });

  it("says how to build the pages when they are not built", async () => {
    const folder = path.join(process.env.TMPDIR ?? "/tmp", "no-web-build-here");
    const webPage = loadWebPage(folder);
    const unbuilt = createServer((req, res) => void webPage.handle(req, res));
    unbuilt.listen(0, "127.0.0.1");
    await once(unbuilt, "listening");
    try {
      const response = await send(`http://127.0.0.1:${(unbuilt.address() as AddressInfo).port}/`);
      expect(response.status).toBe(503);
      expect(response.body.toString()).toBe(`Cronline's web pages are not built (${folder} is missing): run \`npm run build\`.`);
      expect(webPage.renderGraphiQL({})).toMatch(/run `npm run build`/);
    } finally {
      unbuilt.close();
    }
  });
});
