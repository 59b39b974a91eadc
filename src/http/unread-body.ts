import type { IncomingMessage } from "node:http";

/**
 * A request answered before its body was read whole (refused by its size or its token): the
 * rest of the body is read and dropped, up to `maxBytes`, so that a client still sending it
 * reads the answer instead of a connection reset (closing a socket with unread data resets it).
 * Past `maxBytes` the connection is cut.
 */
export function discardUnreadBody(req: IncomingMessage, maxBytes: number): void {
  if (req.complete || req.destroyed) return;
  let discarded = 0;
  req.on("data", (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > maxBytes) req.destroy();
  });
  req.resume();
}
