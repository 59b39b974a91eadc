// A TCP proxy in front of a server, whose network can drop: its connections then stay open but
// carry nothing, as when a cable is pulled or a router dies (nothing tells either end), until
// it is healed.
import { once } from "node:events";
import { createConnection, createServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

export interface DroppingProxy {
  /** http://127.0.0.1:<port> */
  origin: string;
  /** From now on nothing passes, on open connections or new ones. */
  drop(): void;
  /** New connections pass again; those open during the drop stay dead, as after a real one. */
  heal(): void;
  close(): Promise<void>;
}

export async function startDroppingProxy(target: { host: string; port: number }): Promise<DroppingProxy> {
  let dropped = false;
  const open = new Set<Socket>();
  const silence = (socket: Socket) => {
    socket.unpipe();
    socket.pause();
  };
  const server = createServer((client) => {
    open.add(client);
    client.on("close", () => open.delete(client));
    client.on("error", () => client.destroy());
    if (dropped) return silence(client);
    const upstream = createConnection(target);
    open.add(upstream);
    upstream.on("close", () => open.delete(upstream));
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    drop() {
      dropped = true;
      for (const socket of open) silence(socket);
    },
    heal() {
      dropped = false;
    },
    async close() {
      const closed = once(server, "close");
      server.close();
      for (const socket of open) socket.destroy();
      await closed;
    },
  };
}
