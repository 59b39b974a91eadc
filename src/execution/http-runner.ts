// Sends one HTTP request with undici's fetch through the egress agent (connections are kept
// alive and pooled per origin). Follows up to maxRedirects redirects itself, each hop checked
// like the first. Records the status and the response body up to a cap.
import { fetch, type Dispatcher, type Response } from "undici";
import type { HttpEgressPolicy } from "../domain/http-egress.js";
import type { AttemptOutcome } from "../domain/runs.js";
import { emptyOutcome, failedOutcome, permanentFailure, truncatedText } from "./attempt.js";
import { EgressRefusedError } from "./egress-agent.js";
import { nextHop, type HttpHop } from "./http-redirects.js";

/** Where requests may go, and the agent that holds them to it. */
export interface HttpEgress {
  policy: HttpEgressPolicy;
  agent: Dispatcher;
}

export interface HttpRequest extends HttpHop {
  timeoutMs: number;
  /** Statuses that count as success; default any 2xx. */
  expectedStatusCodes: number[] | undefined;
  /** Redirects followed; a redirect beyond them is the answer. */
  maxRedirects: number;
  outputLimitBytes: number;
  egress: HttpEgress;
  /** Aborting it cancels the request. */
  signal: AbortSignal;
}

async function readCapped(response: Response, limit: number): Promise<{ text: string; truncated: boolean }> {
  if (!response.body) return { text: "", truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { text: Buffer.concat(chunks).toString("utf8"), truncated: false };
    const room = limit - size;
    chunks.push(value.length > room ? value.subarray(0, room) : value);
    size += Math.min(value.length, room);
    if (value.length > room) {
      await reader.cancel();
      return { text: truncatedText(Buffer.concat(chunks)), truncated: true };
    }
  }
}

function describeFailure(url: string, error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (!URL.canParse(url)) return `invalid URL ${url}`;
  const { host, hostname } = new URL(url);
  switch (cause?.code) {
    case "ECONNREFUSED":
      return `connection refused by ${host} (ECONNREFUSED)`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `DNS lookup failed for ${hostname} (${cause.code})`;
    case "ECONNRESET":
      return `connection reset by ${host} (ECONNRESET)`;
    default:
      return `request to ${host} failed: ${cause?.message ?? (error as Error).message}`;
  }
}

/** Why the policy refuses the hop's host, or null (its addresses are checked by the agent when it connects). */
function hostRefusal(hop: HttpHop, policy: HttpEgressPolicy): string | null {
  if (!URL.canParse(hop.url)) return null; // fetch fails on it, and describeFailure says why
  const { hostname } = new URL(hop.url);
  const reason = policy.hostRefusal(hostname);
  return reason && `request to ${hostname} refused: ${reason}`;
}

async function finalOutcome(request: HttpRequest, response: Response, redirects: number): Promise<AttemptOutcome> {
  const body = await readCapped(response, request.outputLimitBytes);
  const expected = request.expectedStatusCodes ? request.expectedStatusCodes.includes(response.status) : response.status >= 200 && response.status < 300;
  const redirectLeft = request.maxRedirects > 0 && nextHop(request, response.status, response.headers.get("location")) !== null;
  return {
    ...emptyOutcome,
    status: expected ? "SUCCEEDED" : "FAILED",
    httpStatus: response.status,
    output: body.text,
    outputTruncated: body.truncated,
    error: expected
      ? null
      : redirectLeft
        ? `too many redirects: more than ${redirects} (maxRedirects)`
        : `unexpected HTTP status ${response.status}; expected ${request.expectedStatusCodes?.join(", ") ?? "2xx"}`,
  };
}

export async function sendHttpRequest(request: HttpRequest): Promise<AttemptOutcome> {
  if (request.signal.aborted) return failedOutcome("cancelled before it started", "CANCELLED");
  const controller = new AbortController();
  let stoppedBy: "timeout" | "cancel" | null = null;
  const timer = setTimeout(() => {
    stoppedBy = "timeout";
    controller.abort();
  }, request.timeoutMs);
  const onAbort = () => {
    stoppedBy ??= "cancel";
    controller.abort();
  };
  request.signal.addEventListener("abort", onAbort, { once: true });
  let hop: HttpHop = request;
  let redirectedFrom: string | null = null;
  const afterRedirect = (message: string) => (redirectedFrom ? `${message} (redirected from ${redirectedFrom})` : message);
  try {
    for (let redirects = 0; ; redirects++) {
      const refusal = hostRefusal(hop, request.egress.policy);
      if (refusal) return permanentFailure(afterRedirect(refusal));
      const response = await fetch(hop.url, {
        method: hop.method,
        headers: hop.headers,
        body: hop.body,
        signal: controller.signal,
        redirect: "manual",
        dispatcher: request.egress.agent,
      });
      const next = redirects < request.maxRedirects ? nextHop(hop, response.status, response.headers.get("location")) : null;
      if (next === null) return await finalOutcome(request, response, redirects);
      await response.body?.cancel();
      if (typeof next === "string") return { ...failedOutcome(afterRedirect(next)), httpStatus: response.status };
      redirectedFrom = hop.url;
      hop = next;
    }
  } catch (error) {
    if (stoppedBy === "timeout") return failedOutcome(`no complete response within ${request.timeoutMs / 1000}s`, "TIMED_OUT");
    if (stoppedBy === "cancel") return failedOutcome("cancelled; the request was aborted", "CANCELLED");
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof EgressRefusedError) return permanentFailure(afterRedirect(cause.message));
    return failedOutcome(afterRedirect(describeFailure(hop.url, error)));
  } finally {
    clearTimeout(timer);
    request.signal.removeEventListener("abort", onAbort);
  }
}
