// /readyz says "unavailable" as soon as shutdown begins, and when the database stops
// answering without closing the connection, instead of hanging.
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startApp } from "../../src/app.js";
import { createScratchDatabase } from "../../src/db/scratch-database.js";
import { createLogger } from "../../src/logger.js";
import { describeEachDatabase, withoutPostgres } from "../support/databases.js";
import { nodeCommand, sleep, useExecutionServer } from "../support/execution-harness.js";
import { testConfig } from "../support/test-server.js";

const readyz = async (graphqlUrl: string) => {
  const response = await fetch(new URL("/readyz", graphqlUrl));
  return { status: response.status, body: await response.json() };
};

describeEachDatabase("readiness during shutdown", (provider) => {
  // A long grace period: shutdown waits for the run below until the test ends it.
  const h = useExecutionServer(provider, { SHUTDOWN_GRACE_SECONDS: "600" });
  const scratch = mkdtempSync(path.join(tmpdir(), "cronline-readiness-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("answers 503 from the moment shutdown begins, while a run still holds it open", async () => {
    const pidFile = path.join(scratch, "pid");
    const command = nodeCommand(`require("fs").writeFileSync(${JSON.stringify(pidFile)}, process.pid + "\\n"); setInterval(() => {}, 1000);`);
    const serviceId = await h.createService("COMMAND", { command });
    await h.runTask(await h.createTask(serviceId));
    while (!existsSync(pidFile) || !readFileSync(pidFile, "utf8").endsWith("\n")) await sleep(50);
    expect(await readyz(h.server.app.url)).toEqual({ status: 200, body: { status: "ready" } });

    const stopped = h.server.app.stop();
    expect(await readyz(h.server.app.url)).toEqual({ status: 503, body: { status: "unavailable" } });
    process.kill(Number(readFileSync(pidFile, "utf8")), "SIGKILL");
    await stopped;
  });
});

/** A TCP relay to PostgreSQL that can stop passing bytes while keeping every connection open. */
async function startRelay(target: URL) {
  let frozen = false;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => {});
      socket.on("close", () => sockets.delete(socket));
    }
    client.on("data", (chunk) => frozen || upstream.write(chunk));
    upstream.on("data", (chunk) => frozen || client.write(chunk));
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as { port: number }).port,
    freeze: () => (frozen = true),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe("readiness against a PostgreSQL that stops answering", { timeout: 90_000 }, () => {
  it.skipIf(withoutPostgres)("answers 503 within the probe timeout instead of hanging", async () => {
    const scratch = await createScratchDatabase("postgresql");
    const target = new URL(scratch.location.url);
    const relay = await startRelay(target);
    const throughRelay = new URL(scratch.location.url);
    throughRelay.host = `127.0.0.1:${relay.port}`;
    const app = await startApp(
      testConfig(throughRelay.toString(), { SCHEDULER_RESYNC_SECONDS: "3600", EXECUTOR_POLL_SECONDS: "3600", RUN_RETENTION_INTERVAL_SECONDS: "86400" }),
      createLogger("silent"),
    );
    try {
      expect(await readyz(app.url)).toEqual({ status: 200, body: { status: "ready" } });
      relay.freeze();
      expect(await readyz(app.url)).toEqual({ status: 503, body: { status: "unavailable" } });
    } finally {
      // Dropping the relay's connections fails whatever still waits on them, so stop can finish.
      await relay.close();
      await app.stop();
      await scratch.drop();
    }
  });
});
