// What the API role serves to browsers besides GraphQL: the schedule page at `/`, its assets
// and GraphiQL's (cached for good under content-hashed names), and GraphiQL's page, all from
// what the web build put in dist/web/ (scripts/build-web.ts). Nothing of it comes from another
// host, and every response carries a Content-Security-Policy that says so.
import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import type { GraphiQLOptions } from "graphql-yoga";
import { projectRoot } from "../project-root.js";
import { graphiqlOptionsPlaceholder, webPageFiles } from "./web-page-files.js";

/**
 * Only this server: scripts, styles, fonts, workers and connections (HTTP and websocket).
 * GraphiQL's fonts and icons are data: URLs inside its stylesheet; its editor (Monaco) and
 * components set styles inline, which 'unsafe-inline' in style-src allows (scripts never).
 */
export const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** Sent with every response of the API role, GraphQL's included. */
export const securityHeaders: Readonly<Record<string, string>> = {
  "content-security-policy": contentSecurityPolicy,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

const contentTypes: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".ico": "image/x-icon",
};

export interface WebPage {
  /** Answers `GET /` and `GET /assets/<name>` (and HEAD); false for any other request. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** GraphiQL's page with these options (Yoga's renderGraphiQL). */
  renderGraphiQL(options: GraphiQLOptions): string;
}

/** Reads the pages and the list of assets once; the assets themselves are read when asked for. */
export function loadWebPage(folder = path.join(projectRoot, webPageFiles.folder)): WebPage {
  const assetsFolder = path.join(folder, webPageFiles.assets);
  if (!existsSync(path.join(folder, webPageFiles.page))) return unbuiltWebPage(folder);
  const page = readFileSync(path.join(folder, webPageFiles.page));
  const graphiql = readFileSync(path.join(folder, webPageFiles.graphiql), "utf8");
  const names = webPageFiles.list(assetsFolder);
  const assets = new Set(names);
  const gzipped = new Set(names.filter((name) => existsSync(path.join(assetsFolder, `${name}.gz`))));

  return {
    async handle(req, res) {
      const requested = requestedPath(req);
      if (requested === null) return false;
      if (requested === "/") {
        sendHtml(res, req, page);
        return true;
      }
      const name = requested.slice(`/${webPageFiles.assets}/`.length);
      if (!requested.startsWith(`/${webPageFiles.assets}/`) || !assets.has(name)) return false;
      const gzip = gzipped.has(name) && acceptsGzip(req);
      const body = await readFile(path.join(assetsFolder, gzip ? `${name}.gz` : name));
      res.writeHead(200, {
        "content-type": contentTypes[path.extname(name)] ?? "application/octet-stream",
        "content-length": body.length,
        // The name changes whenever the content does.
        "cache-control": "public, max-age=31536000, immutable",
        vary: "accept-encoding",
        ...(gzip && { "content-encoding": "gzip" }),
      });
      res.end(req.method === "HEAD" ? undefined : body);
      return true;
    },
    renderGraphiQL: (options) => graphiql.replace(graphiqlOptionsPlaceholder, () => scriptSafeJson(options)),
  };
}

/** Without a build (`npm run dev` before `npm run build`), the pages say how to get one. */
function unbuiltWebPage(folder: string): WebPage {
  const message = `Cronline's web pages are not built (${folder} is missing): run \`npm run build\`.`;
  return {
    async handle(req, res) {
      if (requestedPath(req) !== "/") return false;
      res.writeHead(503, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" }).end(message);
      return true;
    },
    renderGraphiQL: () => message,
  };
}

/** The path of a GET or HEAD request; null for other methods. */
function requestedPath(req: IncomingMessage): string | null {
  if (req.method !== "GET" && req.method !== "HEAD") return null;
  return (req.url ?? "/").split("?")[0]!;
}

function sendHtml(res: ServerResponse, req: IncomingMessage, html: Buffer): void {
  // Never cached: it names the current build's assets.
  res.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-length": html.length, "cache-control": "no-store" });
  res.end(req.method === "HEAD" ? undefined : html);
}

const acceptsGzip = (req: IncomingMessage): boolean => /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));

/** JSON that cannot end the <script> data block it is put in. */
const scriptSafeJson = (value: unknown): string => JSON.stringify(value).replace(/</g, "\\u003c");
