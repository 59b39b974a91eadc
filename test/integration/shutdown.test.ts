// stop() finishes within SHUTDOWN_GRACE_SECONDS + COMMAND_KILL_GRACE_SECONDS (src/cli/serve.ts
// exits 1 if it has not, 10 s after that), whatever the clients do.
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { startApp } from "../../src/app.js";
import { defaultWebSocketTimings } from "../../src/http/graphql-ws.js";
import { createScratchDatabase } from "../../src/db/scratch-database.js";
import { createLogger } from "../../src/logger.js";
import { testConfig } from "../support/test-server.js";
import { openUnresponsiveWebSocket } from "../support/unresponsive-websocket.js";

// Without the shutdown deadline, ws waits 30 s for the close handshake: the test must outlast that to fail on it.
describe("shutdown", { timeout: 90_000 }, () => {
  it("drops a websocket that never answers the close handshake once the grace periods are over", async () => {
    const scratch = await createScratchDatabase("sqlite");
    try {
      const app = await startApp(
        testConfig(scratch.location.url, { SHUTDOWN_GRACE_SECONDS: "1", COMMAND_KILL_GRACE_SECONDS: "1" }),
        createLogger("silent"),
        // The client says nothing at all; the server must not close it for that before shutdown does.
        { webSocketTimings: { ...defaultWebSocketTimings, keepAliveMs: 600_000, connectionInitTimeoutMs: 600_000 } },
      );
      const quiet = await openUnresponsiveWebSocket(app.url);
      const closedByServer = once(quiet, "close");

      const began = performance.now();
      await app.stop();
      // The bound src/cli/serve.ts allows before it exits 1: the grace periods (2 s) and 10 s.
      expect(performance.now() - began).toBeLessThan(12_000);

      // Reading again, the client finds its connection closed by the server.
      quiet.resume();
      await closedByServer;
    } finally {
      await scratch.drop();
    }
  });
});
