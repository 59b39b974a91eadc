// A websocket client that has gone quiet: it completes the upgrade, then never reads or
// writes again, so it never answers the server's close frame (as a frozen browser tab or a
// peer behind a dead network path).
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { request } from "node:http";
import type { Socket } from "node:net";

export async function openUnresponsiveWebSocket(graphqlUrl: string): Promise<Socket> {
  const upgrade = request(graphqlUrl, {
    headers: {
      connection: "Upgrade",
      upgrade: "websocket",
      "sec-websocket-version": "13",
      "sec-websocket-key": randomBytes(16).toString("base64"),
      "sec-websocket-protocol": "graphql-transport-ws",
    },
  });
  upgrade.end();
  const [, socket] = (await once(upgrade, "upgrade")) as [unknown, Socket];
  socket.pause();
  return socket;
}
