import type { ServerResponse } from "node:http";

/** An HTTP refusal made before GraphQL sees the request, in the shape of a GraphQL error: a message and a code. */
export function sendError(res: ServerResponse, status: number, message: string, code: string): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}
