// A client's token is read from the database once per few seconds, not at every request, and
// a revocation still takes effect: at once through this server, within the cache time through
// another process.
import { expect, it } from "vitest";
import { revokeApiToken, verifiedTokenTtlMs } from "../../src/auth/tokens.js";
import { openDatabase } from "../../src/db/database.js";
import { describeEachDatabase } from "../support/databases.js";
import { graphqlClient } from "../support/graphql-client.js";
import { DevicesPage } from "../support/operations.js";
import { useTestServer } from "../support/test-server.js";
import { createTestToken } from "../support/tokens.js";

const tokenReads = (statements: string[]) => statements.filter((sql) => /FROM\W+(main|public)\W+ApiToken\W/.test(sql) && /tokenHash/.test(sql)).length;

describeEachDatabase("remembered tokens", (provider) => {
  const server = useTestServer(provider, { SCHEDULER_RESYNC_SECONDS: "3600", EXECUTOR_POLL_SECONDS: "3600", RUN_RETENTION_INTERVAL_SECONDS: "86400" });

  it("reads a token once for many requests", async () => {
    const client = graphqlClient(server.app.url, await createTestToken(server.app, "VIEWER"));
    const before = server.statements.length;
    for (let i = 0; i < 10; i++) await client.data(DevicesPage, { first: 1 });
    const reads = tokenReads(server.statements.slice(before));
    // One read, or two should the requests straddle the end of the remembered time.
    expect(reads).toBeGreaterThan(0);
    expect(reads).toBeLessThanOrEqual(2);
  });

  it("refuses a token revoked through the API at once, and one revoked by another process within the cache time", async () => {
    const revokedHere = graphqlClient(server.app.url, await createTestToken(server.app, "VIEWER", `here-${provider}`));
    const revokedElsewhere = graphqlClient(server.app.url, await createTestToken(server.app, "VIEWER", `elsewhere-${provider}`));
    await revokedHere.data(DevicesPage, { first: 1 });
    await revokedElsewhere.data(DevicesPage, { first: 1 });

    await revokeApiToken(server.app.database.client, { name: `here-${provider}` }, new Date());
    expect((await revokedHere.request(DevicesPage, { first: 1 })).errors?.[0]?.message).toBe("Not authenticated: the API token is revoked");

    // The command line, or another instance on the same database: a connection of its own.
    const other = await openDatabase(server.app.database.location);
    try {
      await revokeApiToken(other.client, { name: `elsewhere-${provider}` }, new Date());
    } finally {
      await other.close();
    }
    await expect
      .poll(async () => (await revokedElsewhere.request(DevicesPage, { first: 1 })).errors?.[0]?.message, { timeout: verifiedTokenTtlMs * 3, interval: 200 })
      .toBe("Not authenticated: the API token is revoked");
  });
});
