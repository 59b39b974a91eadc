// Sends one HTTP request with undici through the egress agent (connections are kept alive and
// pooled per origin). undici's request(), not fetch(): fetch's web streams and spec steps
// cost several times the CPU of the request itself, which caps the runs a thread executes; what
// fetch would add that matters here (a text body's content-type) is added by hand. Follows up
// to maxRedirects redirects itself, each hop checked like the first. Records the status and
// the response body up to a cap.
import { request, type Dispatcher } from "undici";
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

type Response = Dispatcher.ResponseData;

async function readCapped(response: Response, limit: number): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const value of response.body as AsyncIterable<Buffer>) {
    const room = limit - size;
    chunks.push(value.length > room ? value.subarray(0, room) : value);
    size += Math.min(value.length, room);
    if (value.length > room) {
      response.body.destroy();
      return { text: truncatedText(Buffer.concat(chunks)), truncated: true };
    }
  }
  return { text: Buffer.concat(chunks).toString("utf8"), truncated: false };
}

/** The first Location header of a response, or null. */
function locationOf(response: Response): string | null {
  const location = response.headers.location;
  return (Array.isArray(location) ? location[0] : location) ?? null;
}

/** A text body goes with the content-type fetch would give it when the service sets none. */
function withBodyType(hop: HttpHop): Record<string, string> {
  if (hop.body === undefined || Object.keys(hop.headers).some((name) => name.toLowerCase() === "content-type")) return hop.headers;
  return { ...hop.headers, "content-type": "text/plain;charset=UTF-8" };
}

function describeFailure(url: string, error: unknown): string {
  const cause = error as { code?: string; message?: string } | undefined;
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
      return `request to ${host} failed: ${cause?.message ?? String(error)}`;
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
  const status = response.statusCode;
  const expected = request.expectedStatusCodes ? request.expectedStatusCodes.includes(status) : status >= 200 && status < 300;
  const redirectLeft = request.maxRedirects > 0 && nextHop(request, response.statusCode, locationOf(response)) !== null;
  return {
    ...emptyOutcome,
    status: expected ? "SUCCEEDED" : "FAILED",
    httpStatus: response.statusCode,
    output: body.text,
    outputTruncated: body.truncated,
    error: expected
      ? null
      : redirectLeft
        ? `too many redirects: more than ${redirects} (maxRedirects)`
        : `unexpected HTTP status ${status}; expected ${request.expectedStatusCodes?.join(", ") ?? "2xx"}`,
  };
}

/** One hop; an invalid URL fails as fetch would, with a TypeError. */
function sendHop(hop: HttpHop, signal: AbortSignal, dispatcher: Dispatcher): Promise<Response> {
  if (!URL.canParse(hop.url)) return Promise.reject(new TypeError(`invalid URL ${hop.url}`));
  return request(hop.url, { method: hop.method as Dispatcher.HttpMethod, headers: withBodyType(hop), body: hop.body, signal, dispatcher });
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
      const response = await sendHop(hop, controller.signal, request.egress.agent);
      const next = redirects < request.maxRedirects ? nextHop(hop, response.statusCode, locationOf(response)) : null;
      if (next === null) return await finalOutcome(request, response, redirects);
      await response.body.dump();
      if (typeof next === "string") return { ...failedOutcome(afterRedirect(next)), httpStatus: response.statusCode };
      redirectedFrom = hop.url;
      hop = next;
    }
  } catch (error) {
    if (stoppedBy === "timeout") return failedOutcome(`no complete response within ${request.timeoutMs / 1000}s`, "TIMED_OUT");
    if (stoppedBy === "cancel") return failedOutcome("cancelled; the request was aborted", "CANCELLED");
    if (error instanceof EgressRefusedError) return permanentFailure(afterRedirect(error.message));
    return failedOutcome(afterRedirect(describeFailure(hop.url, error)));
  } finally {
    clearTimeout(timer);
    request.signal.removeEventListener("abort", onAbort);
  }
}
