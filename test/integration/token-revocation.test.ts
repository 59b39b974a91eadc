// A token revoked or expired while its websockets are open: its sockets are closed with 4403,
// at once for a revocation through this server's API, within a few seconds for a revocation by
// another process (the token command) and for an expiry. Other tokens' sockets stay open.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { startApp, type AppOptions } from "../../src/app.js";
import { createApiToken } from "../../src/auth/tokens.js";
import { createScratchDatabase } from "../../src/db/scratch-database.js";
import { defaultWebSocketTimings } from "../../src/http/graphql-ws.js";
import { createLogger } from "../../src/logger.js";
import { ListApiTokens, RevokeApiToken } from "../support/auth-operations.js";
import { runInGroup } from "../support/child-processes.js";
import { describeEachDatabase } from "../support/databases.js";
import { graphqlClient } from "../support/graphql-client.js";
import { ScheduleView } from "../support/live-operations.js";
import { childEnvironment } from "../support/server-process.js";
import { subscribe, subscriptionClient, type Subscription } from "../support/subscriptions.js";
import { testConfig } from "../support/test-server.js";
import { createTestToken } from "../support/tokens.js";

const projectRoot = fileURLToPath(new URL("../../", import.meta.url));
const tsxLoader = new URL("../../node_modules/tsx/dist/loader.mjs", import.meta.url).href;

/** A server of its own for `body`, stopped (its database dropped) after it. */
async function withServer(provider: "sqlite" | "postgresql", options: AppOptions, body: (app: Awaited<ReturnType<typeof startApp>>) => Promise<void>) {
  const scratch = await createScratchDatabase(provider);
  const app = await startApp(testConfig(scratch.location.url), createLogger("silent"), options);
  try {
    await body(app);
  } finally {
    await app.stop();
    await scratch.drop();
  }
}

/** A graphql-ws client with a live view open, disposed after `body`. */
async function withOpenSubscription(url: string, token: string, body: (client: ReturnType<typeof subscriptionClient>, view: Subscription<unknown>) => Promise<void>) {
  const client = subscriptionClient(url, token);
  try {
    const view: Subscription<unknown> = subscribe(client, ScheduleView, { tickSeconds: 1 });
    await view.waitFor(() => true, { from: 0 });
    await body(client, view);
  } finally {
    await client.dispose();
  }
}

/** How long, at most, a revocation elsewhere or an expiry takes to close a socket: the recheck interval, and room for a loaded machine. */
const fewSecondsMs = defaultWebSocketTimings.tokenRecheckMs + 8_000;

const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`not within ${ms} ms`)), ms).unref())]);

describeEachDatabase("websockets of a token that stops being usable", (provider) => {
  it("a revocation through the API closes the token's sockets with 4403 at once, and leaves other tokens' sockets open", async () => {
    // No periodic recheck during the test: only the revocation itself can close the socket.
    await withServer(provider, { webSocketTimings: { ...defaultWebSocketTimings, tokenRecheckMs: 600_000 } }, async (app) => {
      const admin = graphqlClient(app.url, await createTestToken(app, "ADMIN", "admin"));
      const doomed = await createTestToken(app, "VIEWER", "doomed-viewer");
      const kept = await createTestToken(app, "VIEWER", "kept-viewer");
      await withOpenSubscription(app.url, kept, async (_keptClient, keptView) => {
        await withOpenSubscription(app.url, doomed, async (client, view) => {
          const { apiTokens } = await admin.data(ListApiTokens);
          await admin.data(RevokeApiToken, { input: { id: apiTokens.find((token) => token.name === "doomed-viewer")!.id } });
          expect(await within(client.closed, 5_000)).toMatchObject({ code: 4403, reason: "Forbidden: the API token is revoked" });
          await view.ended;
          // The other token's socket goes on receiving its view.
          await keptView.waitFor(() => true, { from: keptView.events.length });
        });
      });
    });
  });

  it("a revocation by another process (the token command) closes the token's sockets with 4403 within a few seconds", async () => {
    await withServer(provider, {}, async (app) => {
      const secret = await createTestToken(app, "VIEWER", "revoked-elsewhere");
      await withOpenSubscription(app.url, secret, async (client, view) => {
        const revoked = await runInGroup(process.execPath, ["--import", tsxLoader, `${projectRoot}scripts/token.ts`, "revoke", "--name", "revoked-elsewhere"], {
          cwd: projectRoot,
          env: { ...childEnvironment(), DATABASE_URL: app.database.location.url },
        });
        expect(revoked.code).toBe(0);
        expect(await within(client.closed, fewSecondsMs)).toMatchObject({ code: 4403, reason: "Forbidden: the API token is revoked" });
        await view.ended;
      });
    });
  });

  it("an expiry closes the token's sockets with 4403 within a few seconds", async () => {
    let now = Date.now();
    await withServer(provider, { clock: () => now }, async (app) => {
      const { secret } = await createApiToken(app.database.client, { name: "expiring", role: "VIEWER", expiresAt: new Date(now + 60_000) }, new Date(now));
      await withOpenSubscription(app.url, secret, async (client) => {
        now += 61_000;
        expect(await within(client.closed, fewSecondsMs)).toMatchObject({ code: 4403, reason: "Forbidden: the API token is expired" });
      });
    });
  });

  it("between two rechecks, a token expired while its socket is open can start no new subscription", async () => {
    // The server's clock is moved past the expiry; the socket is not rechecked during the test.
    let now = Date.parse("2030-06-01T12:00:00Z");
    await withServer(provider, { clock: () => now, webSocketTimings: { ...defaultWebSocketTimings, tokenRecheckMs: 600_000 } }, async (app) => {
      const { secret } = await createApiToken(app.database.client, { name: "expiring", role: "VIEWER", expiresAt: new Date(now + 60_000) }, new Date(now));
      await withOpenSubscription(app.url, secret, async (client) => {
        now += 61_000;
        const second = subscribe(client, ScheduleView, { tickSeconds: 1 });
        await second.ended;
        expect(second.events).toEqual([]);
        expect(JSON.stringify(second.errors)).toMatch(/Not authenticated: the API token is expired/);
        expect(JSON.stringify(second.errors)).not.toMatch(/"http"/);
      });
    });
  });
});
