// Large answers are written in slices of the event loop. Yoga writes an answer as one
// JSON.stringify and one write: for the largest answers the limits allow (megabytes), that holds
// the API thread for over 100 ms, and /healthz, new connections and every other client wait.
// An answer that executed without errors, as Yoga would send it as JSON, goes out instead as a
// stream of pieces, each written in its own slice (event-loop-slices.ts); an answer of one piece
// is sent at once, with its length, as before.
import { isAsyncIterable, processRegularResult, type Plugin } from "graphql-yoga";
import type { ExecutionResult } from "graphql";
import { runInSlice } from "../event-loop-slices.js";
import { jsonPieces } from "./json-in-slices.js";

/** The JSON media types of Yoga's regular answers, in the order Yoga tries them. */
const jsonMediaTypes = ["application/graphql-response+json", "application/json"] as const;

/**
 * The JSON media type Yoga answers `request` in, by its rules (result-processor/accept.js in
 * graphql-yoga): the Accept header's utf-8 media types, the first listed matched last and so
 * chosen. Asked only once Yoga has chosen its JSON answer, so one of them matches.
 */
function yogaJsonMediaType(request: Request): string {
  const accepted = (request.headers.get("accept") || "*/*").replace(/\s/g, "").toLowerCase().split(",");
  let chosen: string = jsonMediaTypes[1];
  for (const entry of accepted.reverse()) {
    const [mediaType = "", ...params] = entry.split(";");
    if ((params.find((param) => param.includes("charset=")) ?? "charset=utf-8") !== "charset=utf-8") continue;
    const [askedType, askedSubtype] = mediaType.split("/");
    for (const candidate of jsonMediaTypes) {
      const [type, subtype] = candidate.split("/");
      if ((askedType === "*" || askedType === type) && (askedSubtype === "*" || askedSubtype === subtype)) chosen = candidate;
    }
  }
  return chosen;
}

/** An answer Yoga would send as it is: executed, without errors or HTTP settings, and without a serializer of its own. */
function isPlainAnswer(result: unknown): result is ExecutionResult {
  if (typeof result !== "object" || result === null || Array.isArray(result) || isAsyncIterable(result)) return false;
  const answer = result as ExecutionResult & { stringify?: unknown };
  return "data" in answer && !answer.errors?.length && answer.extensions?.http === undefined && answer.stringify === undefined;
}

export function slicedJsonAnswers(): Plugin {
  return {
    onResultProcess: ({ request, result, resultProcessor, setResultProcessor }) => {
      if (resultProcessor !== processRegularResult || !isPlainAnswer(result)) return;
      const mediaType = yogaJsonMediaType(request);
      setResultProcessor((_result, fetchAPI) => {
        const headers = { "Content-Type": `${mediaType}; charset=utf-8` };
        const pieces = jsonPieces(result);
        const first = pieces.next();
        if (first.done) return new fetchAPI.Response("", { status: 200, headers });
        const second = pieces.next();
        if (second.done) return new fetchAPI.Response(first.value, { status: 200, headers });
        const encoder = new TextEncoder();
        let waiting: string | undefined = second.value;
        const body = new fetchAPI.ReadableStream<Uint8Array>({
          start: (controller) => controller.enqueue(encoder.encode(first.value)),
          pull: (controller) =>
            runInSlice(() => {
              if (waiting !== undefined) {
                controller.enqueue(encoder.encode(waiting));
                waiting = undefined;
                return;
              }
              const next = pieces.next();
              if (next.done) controller.close();
              else controller.enqueue(encoder.encode(next.value));
            }),
        });
        return new fetchAPI.Response(body, { status: 200, headers });
      }, mediaType);
    },
  };
}
