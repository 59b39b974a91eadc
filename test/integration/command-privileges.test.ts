// What a command can do to the server that runs it, attacked through the API as a service author
// would, on the server as operators start it (`dist/cronline.js serve`) and, as in many container
// deployments, as root: who commands run as, and what they can read of the server.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateTokenSecret } from "../../src/auth/tokens.js";
import type { DatabaseProvider } from "../../src/db/prisma-schema.js";
import { createScratchDatabase, type ScratchDatabase } from "../../src/db/scratch-database.js";
import { describeEachDatabase, withoutPostgres } from "../support/databases.js";
import { executionHelpers, nodeCommand } from "../support/execution-harness.js";
import { graphqlClient, type GraphQLClient } from "../support/graphql-client.js";
import { CreateService } from "../support/operations.js";
import { spawnServer, type ServerProcess } from "../support/server-process.js";

const asRoot = process.getuid?.() === 0;
const account = (file: string, name: string) => readFileSync(file, "utf8").split("\n").find((line) => line.startsWith(`${name}:`))?.split(":");
const nobody = account("/etc/passwd", "nobody");

/** The variables holding Cronline's secrets, as a command looks for them. */
const secretNames = ["DATABASE_URL", "PGPASSWORD", "CRONLINE_BOOTSTRAP_ADMIN_TOKEN"];

/**
 * Prints who the command runs as, whether it can read /etc/shadow, and for its parent (the
 * server) and every ancestor above it, whether its environment (/proc/<pid>/environ, which shows
 * what the process started with) can be read and which secret variables it holds.
 */
const inspection = nodeCommand(`
const fs = require("node:fs");
const names = ${JSON.stringify(secretNames)};
const read = (file) => { try { return fs.readFileSync(file, "utf8"); } catch (error) { return { error: error.code }; } };
const status = (pid) => Object.fromEntries(read("/proc/" + pid + "/status").split("\\n").map((line) => line.split(":\\t")));
const ancestors = [];
for (let pid = process.ppid; pid > 1; pid = Number(status(pid).PPid)) {
  const environ = read("/proc/" + pid + "/environ");
  const secrets = typeof environ === "string" ? environ.split("\\0").filter((entry) => names.includes(entry.split("=")[0])) : [];
  ancestors.push({ pid, groups: status(pid).Groups.trim(), environ: typeof environ === "string" ? "readable" : environ.error, secrets });
}
const self = status("self");
const shadow = read("/etc/shadow");
process.stdout.write(JSON.stringify({ uid: self.Uid.split("\\t")[0], gid: self.Gid.split("\\t")[0], groups: self.Groups.trim(), shadow: typeof shadow === "string" ? "readable" : shadow.error, ancestors }));
`);

interface Inspection {
  uid: string;
  gid: string;
  groups: string;
  shadow: string;
  ancestors: { pid: number; groups: string; environ: string; secrets: string[] }[];
}

/** A server spawned as operators start it, with its own database and ADMIN token; stopped after the suite. */
function useServerProcess(provider: DatabaseProvider, env: Record<string, string>, launcher: string[] = []) {
  const state = { token: generateTokenSecret() } as { token: string; scratch: ScratchDatabase; server: ServerProcess; client: GraphQLClient };
  beforeAll(async () => {
    state.scratch = await createScratchDatabase(provider);
    state.server = spawnServer({ DATABASE_URL: state.scratch.location.url, CRONLINE_BOOTSTRAP_ADMIN_TOKEN: state.token, LOG_LEVEL: "info", ...env }, undefined, { launcher });
    state.client = graphqlClient(await state.server.listening, state.token);
  });
  afterAll(async () => {
    if (state.server?.child.exitCode === null) {
      state.server.child.kill("SIGTERM");
      await state.server.exited;
    }
    await state.scratch?.drop();
  });
  return state;
}

describeEachDatabase("commands of a server running as root", (provider) => {
  if (!asRoot) {
    it("need the tests to run as root", (context) => context.skip("switching users needs root"));
    return;
  }
  const pgPassword = "pg-secret-of-the-server";
  // The server holds the supplementary group shadow, which reads /etc/shadow.
  const state = useServerProcess(provider, { PGPASSWORD: pgPassword, RUN_AS_ALLOWED_USERS: "nobody", RUN_AS_ALLOWED_GROUPS: "nogroup" }, ["setpriv", "--groups", "shadow", "--"]);
  const h = executionHelpers(() => state.client);

  it("run as nobody without runAs, without the server's supplementary groups, and cannot read the server's environment", async () => {
    const run = await h.runOnce("COMMAND", { command: inspection });
    expect(run.results[0]).toMatchObject({ status: "SUCCEEDED", errorOutput: "" });
    const seen = JSON.parse(run.results[0]!.output!) as Inspection;
    expect({ uid: seen.uid, gid: seen.gid, groups: seen.groups, shadow: seen.shadow }).toEqual({ uid: nobody![2], gid: nobody![3], groups: "", shadow: "EACCES" });
    // Its parent is the command launcher, whose parent is the server, which holds the group
    // shadow and was started with the secrets: neither lets the command in.
    const [launcher, server] = seen.ancestors;
    expect(launcher).toMatchObject({ environ: "EACCES", secrets: [] });
    expect(server).toMatchObject({ pid: state.server.child.pid, groups: account("/etc/group", "shadow")![2], environ: "EACCES" });
    const everythingSeen = JSON.stringify(seen);
    for (const secret of [state.scratch.location.url, state.token, pgPassword]) expect(everythingSeen).not.toContain(secret);
    expect(seen.ancestors.flatMap((ancestor) => ancestor.secrets)).toEqual([]);
  });

  it("refuse a runAs group not on RUN_AS_ALLOWED_GROUPS when the service is saved, root's above all", async () => {
    for (const group of ["shadow", "root"]) {
      const { createService } = await state.client.data(CreateService, {
        input: { name: `as-${group}`, kind: "COMMAND", config: { command: "id", runAs: { user: "nobody", group } } },
      });
      expect(createService).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ field: "input.config.runAs.group", message: `"${group}" is not on RUN_AS_ALLOWED_GROUPS` }] });
    }
    const run = await h.runOnce("COMMAND", { command: "id -g", runAs: { user: "nobody", group: "nogroup" } });
    expect(run.results[0]).toMatchObject({ status: "SUCCEEDED", output: `${account("/etc/group", "nogroup")![2]}\n` });
  });

  it("record arguments too long to start with (E2BIG) as the target's failure, logged as a warning without a stack", async () => {
    // 110 copies of a 60 kB payload value: past the most any machine lets a program start with (6 MiB).
    const command = `echo ${Array(110).fill("{{payload.big}}").join(" ")}`;
    const run = await h.runOnce("COMMAND", { command }, { payload: { big: "x".repeat(60_000) }, maxAttempts: 3, retryBackoffSeconds: 0 });
    expect(run).toMatchObject({ status: "FAILED", targetCount: 1, failedCount: 1 });
    // Another attempt would meet it again: not retried.
    expect(run.results).toHaveLength(1);
    expect(run.results[0]).toMatchObject({ status: "FAILED", exitCode: null, error: expect.stringMatching(/^could not start echo: its arguments and environment are too long \(E2BIG/) });
    await expect.poll(() => state.server.logs.find((entry) => /E2BIG/.test(String(entry.msg)))).toMatchObject({ level: 40, program: "echo", code: "E2BIG" });
    const warning = state.server.logs.find((entry) => /E2BIG/.test(String(entry.msg)))!;
    expect(warning).not.toHaveProperty("err");
    expect(JSON.stringify(warning)).not.toMatch(/\n\s+at /);
    expect(state.server.logs.filter((entry) => Number(entry.level) >= 50)).toEqual([]);
  });
});

describe("commands of a server running as root with COMMAND_DEFAULT_USER=root", () => {
  if (!asRoot) {
    it("need the tests to run as root", (context) => context.skip("switching users needs root"));
    return;
  }
  const state = useServerProcess("sqlite", { COMMAND_DEFAULT_USER: "root" });
  const h = executionHelpers(() => state.client);

  it("run as root, as the operator explicitly asked, and the server says so when it starts", async () => {
    const run = await h.runOnce("COMMAND", { command: "id -u" });
    expect(run.results[0]).toMatchObject({ status: "SUCCEEDED", output: "0\n" });
    expect(state.server.logs.find((entry) => String(entry.msg).startsWith("COMMAND_DEFAULT_USER=root"))).toMatchObject({ level: 40 });
  });
});

describe.skipIf(withoutPostgres)("commands of a server running as nobody, their own user", () => {
  if (!asRoot) {
    it("need the tests to run as root", (context) => context.skip("starting the server as another user needs root"));
    return;
  }
  // On PostgreSQL: the server as nobody needs no file of its own.
  const state = useServerProcess("postgresql", { PGPASSWORD: "pg-secret-of-the-server" }, ["setpriv", "--reuid", "nobody", "--regid", "nogroup", "--clear-groups", "--"]);
  const h = executionHelpers(() => state.client);

  it("run as the server's user, and still cannot read its start environment", async () => {
    const run = await h.runOnce("COMMAND", { command: inspection });
    expect(run.results[0]).toMatchObject({ status: "SUCCEEDED", errorOutput: "" });
    const seen = JSON.parse(run.results[0]!.output!) as Inspection;
    expect(seen.uid).toBe(nobody![2]);
    expect(readFileSync(`/proc/${state.server.child.pid}/status`, "utf8")).toMatch(new RegExp(`^Uid:\\t${nobody![2]}\\t`, "m"));
    // The command launcher, then the server: both of the command's user, neither readable by it.
    expect(seen.ancestors.slice(0, 2)).toMatchObject([
      { environ: "EACCES", secrets: [] },
      { pid: state.server.child.pid, environ: "EACCES", secrets: [] },
    ]);
    const everythingSeen = JSON.stringify(seen);
    for (const secret of [state.scratch.location.url, state.token, "pg-secret-of-the-server"]) expect(everythingSeen).not.toContain(secret);
  });
});

describe.skipIf(withoutPostgres)("commands of a server running as a uid of no user, with COMMAND_DEFAULT_USER", () => {
  if (!asRoot) {
    it("need the tests to run as root", (context) => context.skip("starting the server as another user needs root"));
    return;
  }
  // As a container may run it: an arbitrary uid, which /etc/passwd does not name.
  const state = useServerProcess("postgresql", { COMMAND_DEFAULT_USER: "nobody" }, ["setpriv", "--reuid", "4242", "--regid", "4242", "--clear-groups", "--"]);
  const h = executionHelpers(() => state.client);

  it("fail saying that another user needs the server to run as root, not retried", async () => {
    const run = await h.runOnce("COMMAND", { command: "id -u" }, { maxAttempts: 3, retryBackoffSeconds: 0 });
    expect(run).toMatchObject({ status: "FAILED", targetCount: 1, failedCount: 1 });
    expect(run.results.map((result) => [result.status, result.error])).toEqual([["FAILED", 'COMMAND_DEFAULT_USER "nobody" needs the server to run as root']]);
  });
});
