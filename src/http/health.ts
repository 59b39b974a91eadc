import type { IncomingMessage, ServerResponse } from "node:http";

export interface HealthChecks {
  /** Database reachable and migrations applied. */
  isReady(): Promise<boolean>;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

/** Answers /healthz (the process is up) and /readyz (it can serve); false for any other path. */
export async function handleHealth(req: IncomingMessage, res: ServerResponse, checks: HealthChecks): Promise<boolean> {
  const path = (req.url ?? "").split("?")[0];
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  if (path === "/healthz") {
    sendJson(res, 200, { status: "ok" });
    return true;
  }
  if (path === "/readyz") {
    const ready = await checks.isReady();
    sendJson(res, ready ? 200 : 503, { status: ready ? "ready" : "unavailable" });
    return true;
  }
  return false;
}
