// Sends one HTTP request with Node's fetch (undici; connections are kept alive and pooled
// per origin by its global agent). Records the status and the response body up to a cap.
import { emptyOutcome, failedOutcome, truncatedText } from "./attempt.js";
import type { AttemptOutcome } from "../domain/runs.js";

export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
  timeoutMs: number;
  /** Statuses that count as success; default any 2xx. */
  expectedStatusCodes: number[] | undefined;
  outputLimitBytes: number;
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
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: controller.signal,
      redirect: "manual",
    });
    const body = await readCapped(response, request.outputLimitBytes);
    const expected = request.expectedStatusCodes ? request.expectedStatusCodes.includes(response.status) : response.status >= 200 && response.status < 300;
    return {
      ...emptyOutcome,
      status: expected ? "SUCCEEDED" : "FAILED",
      httpStatus: response.status,
      output: body.text,
      outputTruncated: body.truncated,
      error: expected
        ? null
        : `unexpected HTTP status ${response.status}; expected ${request.expectedStatusCodes?.join(", ") ?? "2xx"}`,
    };
  } catch (error) {
    if (stoppedBy === "timeout") return failedOutcome(`no complete response within ${request.timeoutMs / 1000}s`, "TIMED_OUT");
    if (stoppedBy === "cancel") return failedOutcome("cancelled; the request was aborted", "CANCELLED");
    return failedOutcome(describeFailure(request.url, error));
  } finally {
    clearTimeout(timer);
    request.signal.removeEventListener("abort", onAbort);
  }
}
