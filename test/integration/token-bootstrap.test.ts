import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { startApp } from "../../src/app.js";
import { bootstrapAdminToken, generateTokenSecret, verifiedTokenTtlMs } from "../../src/auth/tokens.js";
import { createScratchDatabase } from "../../src/db/scratch-database.js";
import { createLogger } from "../../src/logger.js";
import { describeEachDatabase } from "../support/databases.js";
import { runInGroup } from "../support/child-processes.js";
import { childEnvironment, spawnServer } from "../support/server-process.js";
import { testConfig } from "../support/test-server.js";

const projectRoot = fileURLToPath(new URL("../../", import.meta.url));
const tsxLoader = new URL("../../node_modules/tsx/dist/loader.mjs", import.meta.url).href;
const workDir = mkdtempSync(path.join(tmpdir(), "cronline-auth-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** `npm run token -- <args>` as an operator runs it. */
async function tokenCommand(databaseUrl: string, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runInGroup(process.execPath, ["--import", tsxLoader, `${projectRoot}scripts/token.ts`, ...args], {
    cwd: projectRoot,
    env: { ...childEnvironment(), DATABASE_URL: databaseUrl },
  });
}

async function devicesWith(url: string, token: string) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: "mutation { createDevice(input: { name: \"\", address: \"\" }) { __typename } }" }),
  });
  const body = (await response.json()) as { data?: { createDevice?: { __typename: string } } | null; errors?: { extensions?: { code?: string } }[] };
  return body.errors?.[0]?.extensions?.code ?? body.data?.createDevice?.__typename;
}

describeEachDatabase("the token command", (provider) => {
  it("creates an ADMIN token, printing the secret once; lists and revokes it", async () => {
    const scratch = await createScratchDatabase(provider);
    try {
      const created = await tokenCommand(scratch.location.url, "create", "--role", "admin", "--name", "ops");
      expect(created.code).toBe(0);
      const secret = created.stdout.trim();
      expect(secret).toMatch(/^cl_[A-Za-z0-9_-]{43}$/);
      expect(created.stderr).toMatch(/created ADMIN token "ops"; the secret below is shown only this once/);

      const app = await startApp(testConfig(scratch.location.url), createLogger("silent"));
      try {
        // An ADMIN-only mutation reaches its resolver (and is refused there for its empty input).
        expect(await devicesWith(app.url, secret)).toBe("ValidationError");

        const listed = await tokenCommand(scratch.location.url, "list");
        expect(listed.code).toBe(0);
        expect(listed.stdout).toMatch(/^ops\tADMIN\tactive\t/m);
        expect(listed.stdout).not.toContain(secret);

        expect((await tokenCommand(scratch.location.url, "revoke", "--name", "ops")).code).toBe(0);
        // Revoked by another process: the server refuses it within its token cache time.
        await expect.poll(() => devicesWith(app.url, secret), { timeout: verifiedTokenTtlMs + 30_000, interval: 250 }).toBe("UNAUTHENTICATED");
        expect((await tokenCommand(scratch.location.url, "list")).stdout).toMatch(/^ops\tADMIN\trevoked /m);
      } finally {
        await app.stop();
      }

      const bad = await tokenCommand(scratch.location.url, "create", "--role", "root", "--name", "x");
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--role must be viewer, operator or admin/);
    } finally {
      await scratch.drop();
    }
    // Five command processes, each starting tsx and migrating: slow on a busy machine.
  }, 120_000);

  it("takes --expires only as an ISO-8601 instant with a time zone", async () => {
    const scratch = await createScratchDatabase(provider);
    try {
      const vague = await Promise.all(["March 7, 2030", "2030-01-01T00:00:00"].map((expires) => tokenCommand(scratch.location.url, "create", "--role", "viewer", "--name", "vague", "--expires", expires)));
      for (const refused of vague) expect(refused).toMatchObject({ code: 2, stderr: expect.stringMatching(/^--expires must be an ISO-8601 instant with a time zone/) });
      const dated = await tokenCommand(scratch.location.url, "create", "--role", "viewer", "--name", "dated", "--expires", "2030-01-01T01:00:00+01:00");
      expect(dated.code).toBe(0);
      expect((await tokenCommand(scratch.location.url, "list")).stdout).toMatch(/^dated\tVIEWER\tactive\t.*\texpires 2030-01-01T00:00:00\.000Z\t/m);
    } finally {
      await scratch.drop();
    }
  }, 120_000);

  it("prints JSON with --json: the created token with its secret, the list, the revocation, and a mistake on stderr", async () => {
    const scratch = await createScratchDatabase(provider);
    try {
      const created = await tokenCommand(scratch.location.url, "create", "--role", "operator", "--name", "ci", "--expires", "2030-01-01T00:00:00Z", "--json");
      expect(created.code).toBe(0);
      const token = JSON.parse(created.stdout) as { secret: string };
      expect(token).toEqual({ name: "ci", role: "OPERATOR", expiresAt: "2030-01-01T00:00:00.000Z", secret: expect.stringMatching(/^cl_[A-Za-z0-9_-]{43}$/) });
      expect((await tokenCommand(scratch.location.url, "revoke", "--name", "ci", "--json")).stdout).toBe(`${JSON.stringify({ name: "ci", revoked: true }, null, 2)}\n`);
      const listed = await tokenCommand(scratch.location.url, "list", "--json");
      expect(JSON.parse(listed.stdout)).toEqual([
        {
          name: "ci",
          role: "OPERATOR",
          state: "revoked",
          createdAt: expect.any(String),
          expiresAt: "2030-01-01T00:00:00.000Z",
          revokedAt: expect.any(String),
          lastUsedAt: null,
        },
      ]);
      expect(listed.stdout).not.toContain(token.secret);
      const taken = await tokenCommand(scratch.location.url, "create", "--role", "viewer", "--name", "ci", "--json");
      expect(taken.code).toBe(2);
      expect(taken.stdout).toBe("");
      expect(JSON.parse(taken.stderr)).toEqual({ error: { message: expect.stringMatching(/name/) } });
    } finally {
      await scratch.drop();
    }
  }, 120_000);

  it("stores CRONLINE_BOOTSTRAP_ADMIN_TOKEN as an ADMIN token on first start, and not once an ADMIN token exists", async () => {
    const scratch = await createScratchDatabase(provider);
    try {
      const first = generateTokenSecret();
      const app = await startApp(testConfig(scratch.location.url, { CRONLINE_BOOTSTRAP_ADMIN_TOKEN: first }), createLogger("silent"));
      try {
        expect(await devicesWith(app.url, first)).toBe("ValidationError");
        const stored = await app.database.client.apiToken.findMany();
        expect(stored).toMatchObject([{ name: "bootstrap-admin", role: "ADMIN" }]);
        expect(JSON.stringify(stored)).not.toContain(first);
      } finally {
        await app.stop();
      }
      const second = generateTokenSecret();
      const again = await startApp(testConfig(scratch.location.url, { CRONLINE_BOOTSTRAP_ADMIN_TOKEN: second }), createLogger("silent"));
      try {
        expect(await devicesWith(again.url, second)).toBe("UNAUTHENTICATED");
        expect(await devicesWith(again.url, first)).toBe("ValidationError");
      } finally {
        await again.stop();
      }
    } finally {
      await scratch.drop();
    }
  });

  it("stores the bootstrap token once when instances start at the same moment", async () => {
    const scratch = await createScratchDatabase(provider);
    try {
      const app = await startApp(testConfig(scratch.location.url), createLogger("silent"));
      try {
        const secret = generateTokenSecret();
        // All of them find no ADMIN token before any stores one; the others must then see it, not fail.
        const stored = await Promise.all(Array.from({ length: 4 }, () => bootstrapAdminToken(app.database.client, secret, new Date())));
        expect(stored.filter(Boolean)).toEqual([true]);
        expect(await app.database.client.apiToken.findMany({ select: { name: true, role: true } })).toEqual([{ name: "bootstrap-admin", role: "ADMIN" }]);
        expect(await devicesWith(app.url, secret)).toBe("ValidationError");
      } finally {
        await app.stop();
      }
    } finally {
      await scratch.drop();
    }
  });
});

describe("AUTH_DISABLED in the server process", () => {
  it("refuses to start when HOST is not a loopback address, naming the variable", async () => {
    const server = spawnServer({ AUTH_DISABLED: "true", HOST: "0.0.0.0" }, workDir);
    expect(await server.exited).toBe(2);
    expect(server.stderr.join("")).toMatch(/AUTH_DISABLED="true": is only allowed with a loopback HOST/);
  });

  it("on loopback, serves without tokens and warns loudly in the log", async () => {
    const server = spawnServer({ AUTH_DISABLED: "true", HOST: "127.0.0.1" }, workDir);
    const url = await server.listening;
    try {
      const warning = server.logs.find((entry) => entry.level === 40 && /AUTHENTICATION IS DISABLED/.test(String(entry.msg)));
      expect(warning).toBeDefined();
      const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ apiTokens { name } }" }) });
      expect(await response.json()).toEqual({ data: { apiTokens: [] } });
    } finally {
      server.child.kill("SIGTERM");
      await server.exited;
    }
  });
});
