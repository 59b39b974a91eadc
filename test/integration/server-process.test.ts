import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { once } from "node:events";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { generateTokenSecret } from "../../src/auth/tokens.js";
import { createScratchDatabase } from "../../src/db/scratch-database.js";
import { describeEachDatabase, withoutPostgres } from "../support/databases.js";
import { runInGroup, signalProcessGroup, spawnInGroup } from "../support/child-processes.js";
import { childEnvironment, spawnServer } from "../support/server-process.js";
import { openUnresponsiveWebSocket } from "../support/unresponsive-websocket.js";

const workDir = mkdtempSync(path.join(tmpdir(), "cronline-process-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

async function queryDeviceCount(url: string, token?: string): Promise<unknown> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ query: "{ devices { totalCount } }" }),
  });
  return response.json();
}

// npx and npm resolve the project and its bin before Cronline starts: seconds on an idle
// machine, over a minute each on a loaded one.
describe("npx cronline, the command the README gives those who do not develop Node", { timeout: 300_000 }, () => {
  const projectRoot = fileURLToPath(new URL("../../", import.meta.url));

  it("serves GraphQL with `npx cronline serve`, and lists its commands with --help", async () => {
    const help = await runInGroup("npx", ["--no-install", "cronline", "--help"], { cwd: projectRoot, env: childEnvironment() });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: cronline/);
    expect(help.stdout).toMatch(/serve \[options\]/);

    const child = spawnInGroup("npx", ["--no-install", "cronline", "serve"], {
      cwd: projectRoot,
      env: { ...childEnvironment(), PORT: "0", DATABASE_URL: `file:${path.join(workDir, "npx-serve.db")}` },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = once(child, "exit");
    let url: string | undefined;
    for await (const line of createInterface({ input: child.stdout! })) {
      const entry = JSON.parse(line) as { msg?: string; url?: string };
      if (entry.msg === "Cronline listening") {
        url = entry.url;
        break;
      }
    }
    try {
      expect(await queryDeviceCount(url!)).toMatchObject({ errors: [{ extensions: { code: "UNAUTHENTICATED" } }] });
    } finally {
      signalProcessGroup(child, "SIGTERM");
    }
    await exited;
  });

  it("refuses an unknown option with exit code 2, saying which", async () => {
    const refused = await runInGroup("npx", ["--no-install", "cronline", "serve", "--port", "80"], { cwd: projectRoot, env: childEnvironment() });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/unknown option '--port'/);
  });
});

describe("npm start --silent, as the README tells log collectors to start it", { timeout: 300_000 }, () => {
  it("prints nothing but JSON log lines on stdout", async () => {
    const projectRoot = fileURLToPath(new URL("../../", import.meta.url));
    const child = spawnInGroup("npm", ["start", "--silent"], {
      cwd: projectRoot,
      env: { ...childEnvironment(), PORT: "0", DATABASE_URL: `file:${path.join(workDir, "npm-start.db")}` },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = once(child, "exit");
    const lines: string[] = [];
    for await (const line of createInterface({ input: child.stdout! })) {
      lines.push(line);
      if (line.includes("Cronline listening")) break;
    }
    signalProcessGroup(child, "SIGTERM");
    await exited;
    expect(lines.at(-1)).toMatch(/Cronline listening/);
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
  });
});

describe("the server process on its defaults", () => {
  it("creates and migrates ./data/cronline.db (0600, in a 0700 directory), serves GraphQL and health, and stops cleanly on SIGTERM", async () => {
    const server = spawnServer({}, workDir);
    const url = await server.listening;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    // The database holds every service's config and payload: its owner's alone.
    const mode = (file: string) => (statSync(path.join(workDir, "data", file)).mode & 0o777).toString(8);
    expect(mode(".")).toBe("700");
    expect(["cronline.db", "cronline.db-wal", "cronline.db-shm"].map(mode)).toEqual(["600", "600", "600"]);
    // No token exists yet: requests are refused, and the log says how to make the first one.
    expect(await queryDeviceCount(url)).toMatchObject({ errors: [{ extensions: { code: "UNAUTHENTICATED" } }] });
    expect(server.logs.find((entry) => entry.level === 40 && /no ADMIN API token/.test(String(entry.msg)))?.msg).toMatch(/npm run token -- create --role admin/);
    expect(await (await fetch(new URL("/healthz", url))).json()).toEqual({ status: "ok" });
    expect((await fetch(new URL("/readyz", url))).status).toBe(200);

    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    expect(server.logs.map((entry) => entry.msg)).toEqual(expect.arrayContaining(["applied database migrations", "signal received", "stopped"]));
    expect(server.logs.every((entry) => typeof entry.level === "number" && typeof entry.time === "string")).toBe(true);
  });

  it("exits 0 on SIGTERM while a websocket client never answers the close handshake", async () => {
    const server = spawnServer({ SHUTDOWN_GRACE_SECONDS: "1", COMMAND_KILL_GRACE_SECONDS: "0" }, workDir);
    const quiet = await openUnresponsiveWebSocket(await server.listening);
    server.child.kill("SIGTERM");
    // Without the shutdown deadline, ws waits 30 s for the client and the process is forced out with 1 after 11 s.
    expect(await server.exited).toBe(0);
    expect(server.logs.map((entry) => entry.msg)).toContain("stopped");
    quiet.destroy();
  }, 60_000);

  it("refuses to start on bad configuration, saying which variable is wrong", async () => {
    const server = spawnServer({ PORT: "eighty", LOG_LEVEL: "loud", HOST: "no such host!" }, workDir);
    expect(await server.exited).toBe(2);
    const message = server.stderr.join("");
    expect(message).toMatch(/HOST="no such host!": must be an IP address or a hostname/);
    expect(message).toMatch(/PORT="eighty"/);
    expect(message).toMatch(/LOG_LEVEL="loud"/);
    expect(message).not.toMatch(/\s+at /);
  });
});

describeEachDatabase("the server process on DATABASE_URL", (provider) => {
  it("migrates and serves the configured database", async () => {
    const scratch = await createScratchDatabase(provider);
    try {
      const token = generateTokenSecret();
      const server = spawnServer({ DATABASE_URL: scratch.location.url, CRONLINE_BOOTSTRAP_ADMIN_TOKEN: token }, workDir);
      const url = await server.listening;
      expect(await queryDeviceCount(url, token)).toEqual({ data: { devices: { totalCount: 0 } } });
      server.child.kill("SIGTERM");
      expect(await server.exited).toBe(0);
    } finally {
      await scratch.drop();
    }
  });
});

describe("readiness", () => {
  it.skipIf(withoutPostgres)("answers /readyz with 503 once the PostgreSQL database is gone, while /healthz stays 200", async () => {
    const scratch = await createScratchDatabase("postgresql");
    try {
      const server = spawnServer({ DATABASE_URL: scratch.location.url, CRONLINE_BOOTSTRAP_ADMIN_TOKEN: generateTokenSecret() }, workDir);
      const url = await server.listening;
      expect((await fetch(new URL("/readyz", url))).status).toBe(200);
      await scratch.drop();
      const readyz = await fetch(new URL("/readyz", url));
      expect(readyz.status).toBe(503);
      expect(await readyz.json()).toEqual({ status: "unavailable" });
      expect((await fetch(new URL("/healthz", url))).status).toBe(200);
      server.child.kill("SIGKILL");
      await server.exited;
    } finally {
      await scratch.drop();
    }
  });
});
