// The `cronline` command as an operator's script runs it: the built dist/cronline.js in a
// child process, against a real server (`cronline serve`, spawned once for the file), its
// --json output parsed and its exit codes checked. The tests run in order and build on each
// other's objects, as a shell session would.
import { once } from "node:events";
import { createServer, type AddressInfo } from "node:net";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { generateTokenSecret } from "../../src/auth/tokens.js";
import { CreateApiToken } from "../support/auth-operations.js";
import { runInGroup, signalProcessGroup, spawnInGroup } from "../support/child-processes.js";
import { graphqlClient } from "../support/graphql-client.js";
import { childEnvironment, spawnServer, type ServerProcess } from "../support/server-process.js";

const projectRoot = fileURLToPath(new URL("../../", import.meta.url));
const cli = path.join(projectRoot, "dist", "cronline.js");
const workDir = mkdtempSync(path.join(tmpdir(), "cronline-cli-"));
const adminToken = generateTokenSecret();
let server: ServerProcess;
let url = "";
let viewerToken = "";

beforeAll(async () => {
  server = spawnServer(
    {
      DATABASE_URL: `file:${path.join(workDir, "cli.db")}`,
      CRONLINE_BOOTSTRAP_ADMIN_TOKEN: adminToken,
      EXECUTOR_POLL_SECONDS: "0.5",
      // The `sleep 30` runs some tests leave are cut short at the end.
      SHUTDOWN_GRACE_SECONDS: "1",
      COMMAND_KILL_GRACE_SECONDS: "1",
    },
    workDir,
  );
  url = await server.listening;
  const { createApiToken } = await graphqlClient(url, adminToken).data(CreateApiToken, { input: { name: "cli-viewer", role: "VIEWER" } });
  if (createApiToken.__typename !== "CreateApiTokenSuccess") throw new Error(createApiToken.__typename);
  viewerToken = createApiToken.apiToken.secret;
});

afterAll(async () => {
  if (server) {
    signalProcessGroup(server.child, "SIGTERM");
    await server.exited;
  }
  rmSync(workDir, { recursive: true, force: true });
});

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout as JSON */
  json: <T = any>() => T;
}

/** `cronline <args>` with CRONLINE_URL and CRONLINE_TOKEN (the ADMIN token unless `token`; null: none). */
async function cronline(args: string[], { token = adminToken as string | null } = {}): Promise<Outcome> {
  const env = { ...childEnvironment(), CRONLINE_URL: url, ...(token !== null && { CRONLINE_TOKEN: token }) };
  const result = await runInGroup(process.execPath, [cli, ...args], { cwd: workDir, env });
  return { ...result, json: () => JSON.parse(result.stdout) };
}

/** The JSON a command printed, once it exited 0 (else its stderr, to see why). */
async function json<T = any>(args: string[]): Promise<T> {
  const result = await cronline([...args, "--json"]);
  expect(result.code, result.stderr).toBe(0);
  return result.json<T>();
}

function file(name: string, content: unknown): string {
  const location = path.join(workDir, name);
  writeFileSync(location, typeof content === "string" ? content : stringify(content));
  return location;
}

const names = (objects: { name: string }[]) => objects.map((object) => object.name).sort();

describe("the cronline command", () => {
  it("loads none of the server for a client command: its bundle chunks never import Prisma or the native drivers", () => {
    const seen = new Set<string>();
    const visit = (chunk: string) => {
      if (seen.has(chunk)) return;
      seen.add(chunk);
      const code = readFileSync(path.join(projectRoot, "dist", chunk), "utf8");
      // Static imports only: what `await import()` loads is the serve command's, or a command's own.
      for (const [, imported] of code.matchAll(/^import\s[^;]*?from\s*"([^"]+)"/gm)) if (imported!.startsWith("./")) visit(imported!.slice(2));
      for (const [, imported] of code.matchAll(/^import\s[^;]*?from\s*"([^"]+)"/gm)) expect(imported).not.toMatch(/^(@prisma\/|better-sqlite3|pg$|koffi)/);
    };
    visit("cronline.js");
    expect(seen.size).toBeGreaterThan(0);
  });

  it("manages devices, pools and services, printing JSON with --json", async () => {
    const edge1 = await json(["devices", "add", "edge-1", "--address", "127.0.0.1", "--tag", "lab", "--properties", '{"rack":"a"}']);
    expect(edge1).toMatchObject({ name: "edge-1", address: "127.0.0.1", tags: ["lab"], properties: { rack: "a" } });
    const edge2 = await json(["devices", "add", "-f", file("edge-2.yaml", { name: "edge-2", address: "10.0.0.9", tags: ["lab", "spare"] })]);
    expect(edge2).toMatchObject({ name: "edge-2", tags: ["lab", "spare"] });
    expect(names(await json(["devices", "list", "--tag", "lab"]))).toEqual(["edge-1", "edge-2"]);
    expect(await json(["devices", "view", edge1.id])).toEqual(await json(["devices", "view", "edge-1"]));
    expect(await json(["devices", "edit", "edge-2", "--address", "10.0.0.2"])).toMatchObject({ address: "10.0.0.2", tags: ["lab", "spare"] });

    const pool = await json(["pools", "add", "lab", "--device", "edge-1", "--rule-tag", "spare"]);
    expect(pool).toMatchObject({ members: [{ name: "edge-1" }], rule: { tags: ["spare"], tagMatch: "ALL" } });
    expect(names(pool.devices)).toEqual(["edge-1", "edge-2"]);
    expect((await json(["pools", "edit", "lab", "--no-rule"])).devices).toEqual([{ id: edge1.id, name: "edge-1" }]);

    expect(await json(["services", "add", "hello", "--command", "echo hello from {{device.name}}", "--pool", "lab"])).toMatchObject({
      kind: "COMMAND",
      config: { command: "echo hello from {{device.name}}" },
      targetPools: [{ name: "lab" }],
    });
    await json(["services", "add", "broken", "--command", "false", "--device", "edge-1"]);
    await json(["services", "add", "slow", "--command", "sleep 30"]);
    await json(["services", "add", "hook", "--http-url", "https://hooks.example.com/x", "--config", '{"headers":{"authorization":"Bearer s3cret"}}']);
    expect(names(await json(["services", "list", "--kind", "COMMAND"]))).toEqual(["broken", "hello", "slow"]);
    const shown = await cronline(["services", "view", "hook"]);
    expect(shown.stdout).toMatch(/^kind: +HTTP$/m);

    expect(await json(["services", "edit", "broken", "--concurrency", "3", "--description", "fails on purpose"])).toMatchObject({
      concurrency: 3,
      description: "fails on purpose",
      config: { command: "false" },
      targetDevices: [{ name: "edge-1" }],
    });
    await Promise.all([json(["pools", "add", "spare-pool", "--rule-tag", "spare"]), json(["services", "add", "temporary", "--command", "true"])]);
    expect(names(await json(["pools", "list"]))).toEqual(["lab", "spare-pool"]);
    expect((await cronline(["pools", "view", "lab"])).stdout).toMatch(/^members: +edge-1$/m);
    const deleted = await Promise.all([json(["pools", "delete", "spare-pool"]), json(["services", "delete", "temporary"])]);
    expect(deleted.map((outcome) => outcome.name)).toEqual(["spare-pool", "temporary"]);
    expect(names(await json(["services", "list", "--name", "temp"]))).toEqual([]);

    const inUse = await cronline(["devices", "delete", "edge-1"]);
    expect(inUse.code).toBe(1);
    expect(inUse.stderr).toMatch(/^error: .*still used by/);
    expect(await json(["devices", "delete", "edge-2"])).toMatchObject({ name: "edge-2" });
  });

  it("adds, lists, views, edits, duplicates and deletes tasks", async () => {
    const hourly = await json(["tasks", "add", "hourly", "--service", "hello", "--every", "3600", "--tag", "batch"]);
    expect(hourly).toMatchObject({ name: "hourly", state: "ACTIVE", tags: ["batch"], service: { name: "hello" } });
    const fromFile = file("nightly.yaml", { name: "nightly", service: "hello", schedule: { cron: { expression: "0 2 * * *" } }, timezone: "europe/berlin", state: "PAUSED" });
    expect(await json(["tasks", "add", "-f", fromFile])).toMatchObject({ name: "nightly", state: "PAUSED", timezone: "Europe/Berlin", nextRunAt: null });

    const filtered = await Promise.all([["--tag", "batch"], ["--state", "paused"], ["--service", "hello"], ["--name", "NIGHT"]].map((filter) => json(["tasks", "list", ...filter])));
    expect(filtered.map(names)).toEqual([["hourly"], ["nightly"], ["hourly", "nightly"], ["nightly"]]);

    const view = await json(["tasks", "view", "hourly"]);
    expect(view.task).toMatchObject({ id: hourly.id, state: "ACTIVE" });
    expect(view.nextOccurrences).toHaveLength(10);
    expect(Date.parse(view.nextOccurrences[1]) - Date.parse(view.nextOccurrences[0])).toBe(3_600_000);
    expect(view.nextOccurrences[0]).toBe(view.task.nextRunAt);
    const text = await cronline(["tasks", "view", hourly.id]);
    expect(text.stdout).toMatch(/^schedule: +every 1h$/m);
    expect(text.stdout).toContain("Next occurrences:");

    expect(await json(["tasks", "edit", "nightly", "--max-attempts", "2", "--tag", "x,y", "--cron", "30 3 * * *"])).toMatchObject({
      maxAttempts: 2,
      tags: ["x", "y"],
      schedule: { kind: "CRON", cron: { expression: "30 3 * * *" } },
      state: "PAUSED",
    });
    const copy = await json(["tasks", "duplicate", "hourly"]);
    expect(copy).toMatchObject({ name: "hourly (copy)", state: "PAUSED", tags: ["batch"] });
    expect(await json(["tasks", "delete", "hourly (copy)"])).toEqual({ deletedId: copy.id, name: "hourly (copy)" });
    expect((await cronline(["tasks", "view", "hourly (copy)"])).code).toBe(3);
  });

  it("pauses, resumes and runs a task, or every task carrying a tag", async () => {
    expect(await json(["tasks", "pause", "hourly", "--note", "maintenance"])).toMatchObject([{ name: "hourly", state: "PAUSED", pauseNote: "maintenance" }]);
    expect(await json(["tasks", "resume", "hourly"])).toMatchObject([{ name: "hourly", state: "ACTIVE", pauseNote: null }]);
    expect(await json(["tasks", "pause", "--tag", "batch"])).toMatchObject([{ name: "hourly", state: "PAUSED" }]);
    expect(await json(["tasks", "resume", "--tag", "batch"])).toMatchObject([{ name: "hourly", state: "ACTIVE" }]);
    expect(await json(["tasks", "run", "--tag", "batch"])).toMatchObject([{ task: { name: "hourly" }, trigger: "MANUAL" }]);
    const waitForTag = await cronline(["tasks", "run", "--tag", "batch", "--wait"]);
    expect(waitForTag).toMatchObject({ code: 2, stderr: "error: --wait follows one run: name a task instead of --tag\n" });
  });

  it("runs a task and waits for it: a line per target off a terminal, exit 0 when it succeeded and 1 when it failed", async () => {
    const succeeded = await cronline(["tasks", "run", "hourly", "--wait"]);
    expect(succeeded.code, succeeded.stderr).toBe(0);
    expect(succeeded.stdout).toMatch(/^edge-1: SUCCEEDED \(exit 0, \d+ms\)$/m);
    expect(succeeded.stdout).toMatch(/^run SUCCEEDED in .*: 1 succeeded, 0 failed of 1 targets$/m);

    await json(["tasks", "add", "failing", "--service", "broken", "--every", "3600", "--paused"]);
    const failed = await cronline(["tasks", "run", "failing", "--wait"]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^edge-1: FAILED \(exit 1, \d+ms\): exited with code 1$/m);
    const failedJson = await cronline(["tasks", "run", "failing", "--wait", "--json"]);
    expect(failedJson.code).toBe(1);
    expect(failedJson.json()).toMatchObject({ run: { status: "FAILED", failedCount: 1, task: { name: "failing" } }, results: [{ deviceName: "edge-1", exitCode: 1 }] });

    await json(["tasks", "add", "guarded", "--service", "hello", "--every", "3600", "--paused", "--requires-confirmation"]);
    const refused = await cronline(["tasks", "run", "guarded"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/needs confirm: true; repeat with --confirm/);
    expect(await json(["tasks", "run", "guarded", "--confirm"])).toMatchObject({ task: { name: "guarded" }, trigger: "MANUAL" });
  });

  it("shows a progress bar of targets on a terminal", async () => {
    const command = [process.execPath, cli, "tasks", "run", "hourly", "--wait"].map((word) => `'${word}'`).join(" ");
    const result = await runInGroup("script", ["-qec", command, "/dev/null"], { cwd: workDir, env: { ...childEnvironment(), CRONLINE_URL: url, CRONLINE_TOKEN: adminToken } });
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toMatch(/[=-]{40} 1\/1 targets \| SUCCEEDED/);
    expect(result.stdout).not.toMatch(/^edge-1: SUCCEEDED/m);
  });

  it("lists runs, shows one with its results and each target's output, and cancels one", async () => {
    const [latest] = await json(["runs", "list", "--task", "hourly", "--status", "succeeded", "--limit", "1"]);
    expect(latest).toMatchObject({ task: { name: "hourly" }, status: "SUCCEEDED", trigger: "MANUAL" });
    expect(await json(["runs", "view", latest.id])).toMatchObject({ run: { id: latest.id }, results: [{ deviceName: "edge-1", status: "SUCCEEDED", output: "hello from edge-1\n" }] });
    const logs = await cronline(["runs", "logs", latest.id]);
    expect(logs.stdout).toBe("=== edge-1, attempt 1: SUCCEEDED, exit 0\nhello from edge-1\n");
    expect((await cronline(["runs", "logs", latest.id, "--failed"])).stdout).toBe("(no attempts)\n");
    expect(await json(["runs", "logs", latest.id])).toMatchObject([{ output: "hello from edge-1\n" }]);

    const finished = await cronline(["runs", "cancel", latest.id]);
    expect(finished.code).toBe(1);
    expect(finished.stderr).toMatch(/^error: /);
    const nothing = Buffer.from("Run:00000000-0000-7000-8000-000000000000").toString("base64");
    expect((await cronline(["runs", "view", nothing])).code).toBe(3);

    await json(["tasks", "add", "sleeper", "--service", "slow", "--every", "3600", "--paused"]);
    const queued = await json(["tasks", "run", "sleeper"]);
    await expect.poll(async () => (await json(["runs", "view", queued.id])).run.status, { timeout: 60_000, interval: 300 }).toBe("RUNNING");
    expect(await json(["runs", "cancel", queued.id])).toMatchObject({ id: queued.id, status: "CANCELLED" });
  });

  it("pauses with --cancel-queued: the queued runs are cancelled, of one task or of every paused task carrying the tag", async () => {
    await json(["tasks", "add", "queueing", "--service", "slow", "--at", "2099-01-01T00:00:00Z", "--tag", "queueing", "--overlap-policy", "BUFFER_ALL"]);
    const running = await json(["tasks", "run", "queueing"]);
    const waiting = await json(["tasks", "run", "queueing"]);
    await expect.poll(async () => (await json(["runs", "view", running.id])).run.status, { timeout: 60_000, interval: 300 }).toBe("RUNNING");
    expect(await json(["tasks", "pause", "--tag", "queueing", "--cancel-queued"])).toMatchObject([{ name: "queueing", state: "PAUSED" }]);
    expect((await json(["runs", "view", waiting.id])).run).toMatchObject({ status: "CANCELLED", reason: "cancelled by pauseTasks (bootstrap-admin)" });
    const queuedWhilePaused = await json(["tasks", "run", "queueing"]);
    expect(await json(["tasks", "pause", "queueing", "--cancel-queued"])).toMatchObject([{ name: "queueing", state: "PAUSED" }]);
    expect((await json(["runs", "view", queuedWhilePaused.id])).run).toMatchObject({ status: "CANCELLED", reason: "cancelled by pauseTask (bootstrap-admin)" });
    expect((await json(["runs", "view", running.id])).run.status).toBe("RUNNING");
    expect(await json(["runs", "cancel", running.id])).toMatchObject({ id: running.id, status: "CANCELLED" });
  });

  it("prints the schedule: state, schedule, last run, next run with countdown, and the reason of the last skip", async () => {
    // `sleep 30` every second with overlap SKIP: the occurrences after the first are skipped.
    await json(["tasks", "add", "overlapping", "--service", "slow", "--every", "1", "--overlap-policy", "SKIP"]);
    const skipped = async () => ((await json<{ name: string; lastSkipReason: string | null }[]>(["print", "schedule"])).find((row) => row.name === "overlapping")?.lastSkipReason ?? null);
    await expect.poll(skipped, { timeout: 60_000, interval: 500 }).toMatch(/run .* still/);
    await json(["tasks", "pause", "overlapping"]);
    const rows = await json(["print", "schedule", "--state", "ACTIVE"]);
    expect(rows.find((row: { name: string }) => row.name === "hourly")).toMatchObject({
      state: "ACTIVE",
      schedule: "every 1h",
      lastRunStatus: "SUCCEEDED",
      secondsUntilNextRun: expect.any(Number),
      lastSkipReason: null,
    });
    const table = await cronline(["print", "schedule"]);
    expect(table.stdout).toMatch(/TASK +│ STATE +│ SCHEDULE +│ LAST RUN +│ STATUS +│ NEXT RUN +│ IN +│ LAST SKIP/);
    expect(table.stdout).toMatch(/│ overlapping +│ PAUSED +│ every 1s .*│ .*still/);
  });

  it("watches the live schedule until interrupted", async () => {
    const child = spawnInGroup(process.execPath, [cli, "watch", "--tag", "batch", "--json"], {
      cwd: workDir,
      env: { ...childEnvironment(), CRONLINE_URL: url, CRONLINE_TOKEN: adminToken },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = once(child, "exit");
    const frames: { at: string; tasks: { name: string; secondsUntilNextRun: number | null }[] }[] = [];
    for await (const line of createInterface({ input: child.stdout! })) {
      frames.push(JSON.parse(line));
      if (frames.length === 2) break;
    }
    expect(frames[0]!.tasks).toMatchObject([{ name: "hourly", secondsUntilNextRun: expect.any(Number) }]);
    expect(Date.parse(frames[1]!.at)).toBeGreaterThan(Date.parse(frames[0]!.at));
    signalProcessGroup(child, "SIGINT");
    expect((await exited)[0]).toBe(0);
  });

  it("applies a file twice, the second time changing nothing; a file that fails validation changes nothing", async () => {
    const configuration = {
      devices: [{ name: "code-1", address: "10.1.0.1", tags: ["code"] }],
      pools: [{ name: "code-pool", members: ["code-1"] }],
      services: [
        { name: "code-svc", kind: "COMMAND", config: { command: "echo {{payload.greeting}}" }, targetPools: ["code-pool"], defaultPayload: { greeting: "hi" } },
        { name: "code-hook", kind: "HTTP", config: { url: "https://hooks.example.com/code", headers: { authorization: "Bearer code-secret" } } },
      ],
      tasks: [{ name: "code-task", service: "code-svc", schedule: { cron: { expression: "*/10 * * * *" } }, tags: ["code"], overlapPolicy: "BUFFER_ONE" }],
    };
    const configurationFile = file("configuration.yaml", configuration);
    const first = await json(["apply", "-f", configurationFile]);
    expect(first).toMatchObject({ applied: true, counts: { create: 5, update: 0, delete: 0, unchanged: 0 } });
    const second = await cronline(["apply", "-f", configurationFile]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("applied: 0 created, 0 updated, 0 deleted, 5 unchanged");
    expect(await json(["tasks", "view", "code-task"])).toMatchObject({ task: { state: "ACTIVE", overlapPolicy: "BUFFER_ONE", service: { name: "code-svc" } } });

    const changed = file("changed.yaml", { ...configuration, tasks: [{ ...configuration.tasks[0], maxAttempts: 3 }] });
    const dryRun = await json(["apply", "-f", changed, "--dry-run"]);
    expect(dryRun.applied).toBe(false);
    expect(dryRun.changes).toContainEqual({ action: "update", kind: "task", name: "code-task", fields: ["maxAttempts"] });
    expect((await json(["tasks", "view", "code-task"])).task.maxAttempts).toBe(1);

    const invalid = file("invalid.yaml", {
      devices: [...configuration.devices, { name: "code-2", address: "10.1.0.2" }],
      tasks: [{ name: "code-bad", service: "code-svc", schedule: { cron: { expression: "61 * * * *" } }, targetPools: ["no-such-pool"] }],
    });
    const refused = await cronline(["apply", "-f", invalid, "--json"]);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe("");
    expect(JSON.parse(refused.stderr).error.fieldErrors.map((problem: { field: string }) => problem.field)).toEqual(["tasks.0.targetPools.0", "tasks.0.schedule.cron.expression"]);
    expect((await cronline(["devices", "view", "code-2"])).code).toBe(3);

    const exported = await cronline(["export"]);
    expect(exported.code).toBe(0);
    const document = parse(exported.stdout);
    // Secrets are write-only: the export names the header, masked, and applying it back keeps the stored value.
    expect(document.services.find((service: { name: string }) => service.name === "code-hook").config).toEqual({
      url: "https://hooks.example.com/code",
      method: "POST",
      headers: { authorization: "••••" },
    });
    expect(exported.stdout).not.toContain("code-secret");
    const reapplied = await json(["apply", "-f", file("exported.yaml", exported.stdout)]);
    expect(reapplied.counts).toMatchObject({ create: 0, update: 0, delete: 0 });
    expect(reapplied.counts.unchanged).toBe(reapplied.changes.length);
    expect(await json(["export"])).toEqual(document);

    const pruned = await json(["apply", "-f", configurationFile, "--prune"]);
    expect(pruned.changes.filter((change: { action: string }) => change.action === "delete").map((change: { kind: string; name: string }) => `${change.kind} ${change.name}`)).toContain(
      "task hourly",
    );
    expect(names(await json(["tasks", "list"]))).toEqual(["code-task"]);
    expect(names(await json(["devices", "list"]))).toEqual(["code-1"]);
  });

  it("exits 2 for a usage mistake or invalid input, 3 for what does not exist, 4 without a usable token or role, 1 when the server is unreachable", async () => {
    const mistakes = [["tasks", "frobnicate"], ["tasks", "list", "--bogus"], ["tasks", "run"], ["tasks", "list", "--limit", "many"]];
    expect((await Promise.all(mistakes.map((args) => cronline(args)))).map((outcome) => outcome.code)).toEqual([2, 2, 2, 2]);
    const local = await cronline(["devices", "add", "bad", "--address", "not an address!"]);
    expect(local).toMatchObject({ code: 2, stderr: "error: the device is not valid\n  address: must be a hostname or an IP address\n" });
    const remote = await cronline(["tasks", "add", "bad-cron", "--service", "code-svc", "--cron", "61 * * * *", "--json"]);
    expect(remote.code).toBe(2);
    expect(JSON.parse(remote.stderr)).toMatchObject({ error: { exitCode: 2, code: "ValidationError", fieldErrors: [{ field: "input.schedule.cron.expression" }] } });

    const missing = await cronline(["tasks", "view", "nope", "--json"]);
    expect(missing.code).toBe(3);
    expect(JSON.parse(missing.stderr)).toMatchObject({ error: { exitCode: 3, message: 'no task named or with id "nope"' } });

    expect((await cronline(["tasks", "list"], { token: viewerToken })).code).toBe(0);
    const forbidden = await cronline(["tasks", "pause", "code-task"], { token: viewerToken });
    expect(forbidden.code).toBe(4);
    expect(forbidden.stderr).toMatch(/^error: .*OPERATOR/);
    const anonymous = await cronline(["tasks", "list", "--json"], { token: null });
    expect(anonymous.code).toBe(4);
    expect(JSON.parse(anonymous.stderr)).toMatchObject({ error: { code: "UNAUTHENTICATED" } });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = await cronline(["tasks", "list", "--url", `http://127.0.0.1:${port}/graphql`]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toBe(`error: cannot reach the Cronline server at http://127.0.0.1:${port}/graphql: ECONNREFUSED\n`);
  });
});
