// GET /metrics: the process's metrics in Prometheus's text format, on every process whatever
// its roles. Without METRICS_TOKEN only this machine may read them: a caller connected from a
// loopback address, naming a loopback host (a page on a name that resolves to 127.0.0.1, DNS
// rebinding, is refused). With METRICS_TOKEN, every caller must send it as a bearer token.
// Browser pages never may (a request with an Origin header is refused).
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { isLoopbackHost } from "../config.js";
import type { Logger } from "../logger.js";
import { sendError } from "./error-response.js";
import { hostName } from "./origin-policy.js";

export const metricsPath = "/metrics";

export interface MetricsSource {
  scrape(): Promise<{ contentType: string; text: string }>;
}

export interface MetricsAccess {
  /** METRICS_TOKEN; undefined: loopback callers only. */
  token: string | undefined;
}

const digest = (text: string) => createHash("sha256").update(text).digest();

/** Why the request may not read the metrics, as an HTTP refusal; null when it may. */
export function metricsRefusal(req: IncomingMessage, access: MetricsAccess): { status: number; code: string; message: string } | null {
  if (req.headers.origin !== undefined) return { status: 403, code: "FORBIDDEN_ORIGIN", message: "Web pages may not read /metrics" };
  if (access.token !== undefined) {
    const presented = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "")?.[1];
    // Compared as digests: equal lengths, in constant time.
    if (presented !== undefined && timingSafeEqual(digest(presented), digest(access.token))) return null;
    const reason = presented === undefined ? "send METRICS_TOKEN as Authorization: Bearer <token>" : "the token is not METRICS_TOKEN";
    return { status: 401, code: "UNAUTHENTICATED", message: `Unauthenticated: ${reason}` };
  }
  const fromLoopback = isLoopbackHost(req.socket.remoteAddress ?? "");
  const toLoopback = req.headers.host !== undefined && isLoopbackHost(hostName(req.headers.host));
  if (fromLoopback && toLoopback) return null;
  return {
    status: 403,
    code: "FORBIDDEN",
    message: fromLoopback
      ? `Forbidden: without METRICS_TOKEN, /metrics answers requests to a loopback host only (127.0.0.1, [::1], localhost), not ${JSON.stringify(req.headers.host ?? "")}`
      : "Forbidden: without METRICS_TOKEN, /metrics answers this machine only; set METRICS_TOKEN to scrape it from elsewhere",
  };
}

/** Answers /metrics; false for any other path. */
export async function handleMetrics(req: IncomingMessage, res: ServerResponse, source: MetricsSource, access: MetricsAccess, logger: Logger): Promise<boolean> {
  if ((req.url ?? "").split("?")[0] !== metricsPath) return false;
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("allow", "GET, HEAD");
    sendError(res, 405, "Method not allowed: /metrics answers GET", "BAD_REQUEST");
    return true;
  }
  const refusal = metricsRefusal(req, access);
  if (refusal) {
    logger.debug({ code: refusal.code, reason: refusal.message }, "metrics request refused");
    if (refusal.status === 401) res.setHeader("www-authenticate", "Bearer");
    sendError(res, refusal.status, refusal.message, refusal.code);
    return true;
  }
  let scraped: { contentType: string; text: string };
  try {
    scraped = await source.scrape();
  } catch (error) {
    logger.error({ err: error }, "metrics could not be collected");
    sendError(res, 500, "Unexpected error.", "INTERNAL_SERVER_ERROR");
    return true;
  }
  res.writeHead(200, { "content-type": scraped.contentType, "cache-control": "no-store" });
  res.end(req.method === "HEAD" ? undefined : scraped.text);
  return true;
}
