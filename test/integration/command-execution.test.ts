// COMMAND services run as real child processes.
import { encodeGlobalID } from "@pothos/plugin-relay";
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand, type CommandRequest } from "../../src/execution/command-runner.js";
import { createLogger } from "../../src/logger.js";
import { describeEachDatabase } from "../support/databases.js";
import { executorRecordedCancel, nodeCommand, sleep, useExecutionServer } from "../support/execution-harness.js";
import { CancelRun } from "../support/execution-operations.js";
import { CreateService } from "../support/operations.js";

/** Alive and not a zombie (a killed process whose parent has not reaped it yet is dead). */
function isAlive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
  } catch {
    return false;
  }
}

/** Waits for a command to write `file`, for up to 90 s (a loaded machine starts commands late). */
async function waitForFile(file: string): Promise<string> {
  for (const deadline = Date.now() + 90_000; Date.now() < deadline; ) {
    if (existsSync(file)) {
      const text = readFileSync(file, "utf8");
      if (text.endsWith("\n")) return text.trim();
    }
    await sleep(50);
  }
  throw new Error(`${file} never appeared`);
}

const printArgv = nodeCommand("process.stdout.write(JSON.stringify(process.argv.slice(1)))");

describeEachDatabase("command execution", (provider) => {
  const secrets = { DATABASE_URL: "postgresql://secret@db/prod", CRONLINE_TEST_SECRET: "s3cret", LANG: "C.UTF-8" };
  // Before the server starts: its worker thread takes its copy of the environment then.
  beforeAll(() => Object.assign(process.env, secrets));
  afterAll(() => {
    for (const name of Object.keys(secrets)) delete process.env[name];
  });
  const h = useExecutionServer(provider, { RUN_AS_ALLOWED_USERS: "nobody" });
  const scratch = mkdtempSync(path.join(tmpdir(), "cronline-commands-"));

  it("passes a value containing `; rm -rf /` as one literal argument, from a property and from the template", async () => {
    const device = await h.createDevice("shell-bait", { properties: { label: "x; rm -rf / #" } });
    const run = await h.runOnce("COMMAND", { command: `${printArgv} {{device.properties.label}} '; rm -rf /' "{{device.name}} {{payload.who}}"` }, {
      targetDeviceIds: [device],
      payload: { who: "$(whoami)" },
    });
    expect(run.status).toBe("SUCCEEDED");
    expect(JSON.parse(run.results[0]!.output!)).toEqual(["x; rm -rf / #", "; rm -rf /", "shell-bait $(whoami)"]);
  });

  it("refuses a placeholder value that begins with '-' where the program would take it as an option (sort -o writes a file)", async () => {
    const target = path.join(scratch, "written-by-sort");
    const payload = { file: `-o${target}` };
    const attacked = await h.runOnce("COMMAND", { command: "sort {{payload.file}}" }, { payload });
    expect(attacked.results[0]).toMatchObject({ status: "FAILED", exitCode: null, error: expect.stringMatching(/^\{\{payload.file\}\}: its value starts with "-" and would be read as an option/) });
    // After "--" sort takes it for a file name, which does not exist.
    const afterDashes = await h.runOnce("COMMAND", { command: "sort -- {{payload.file}}" }, { payload });
    expect(afterDashes.results[0]).toMatchObject({ status: "FAILED", exitCode: 2 });
    expect(existsSync(target)).toBe(false);
    // echo takes no such option: the service says it may be given one.
    const allowed = await h.runOnce("COMMAND", { command: "echo {{payload.file}}", allowOptionLikeValues: true }, { payload });
    expect(allowed.results[0]).toMatchObject({ status: "SUCCEEDED", output: `-o${target}\n` });
  });

  it("passes ${...} exactly as written", async () => {
    const run = await h.runOnce("COMMAND", { command: `${printArgv} "\${DIR:?}/x" \${HOME}/y '\${Q}'` });
    expect(JSON.parse(run.results[0]!.output!)).toEqual(["${DIR:?}/x", "${HOME}/y", "${Q}"]);
  });

  it("gives the payload on stdin and in CRONLINE_PAYLOAD, and only allowed variables in the environment", async () => {
    // Environment values are secret, so GREETING itself is masked in the output; reversed, it is not.
    const script = `let stdin = ""; process.stdin.on("data", (c) => (stdin += c)).on("end", () => process.stdout.write(JSON.stringify({ stdin, env: process.env, reversedGreeting: [...process.env.GREETING].reverse().join("") })));`;
    const run = await h.runOnce(
      "COMMAND",
      { command: nodeCommand(script), environment: { GREETING: "hello {{task.name}}" }, inheritEnvironment: ["LANG"] },
      { payload: { level: 2, name: "nightly" } },
    );
    expect(run.status).toBe("SUCCEEDED");
    const { stdin, env, reversedGreeting } = JSON.parse(run.results[0]!.output!) as { stdin: string; env: Record<string, string>; reversedGreeting: string };
    expect(JSON.parse(stdin)).toEqual({ level: 2, name: "nightly" });
    expect(JSON.parse(env.CRONLINE_PAYLOAD!)).toEqual({ level: 2, name: "nightly" });
    expect(env.GREETING).toBe("••••");
    expect([...reversedGreeting].reverse().join("")).toMatch(/^hello task-\d+$/);
    expect(env.LANG).toBe("C.UTF-8");
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.CRONLINE_TEST_SECRET).toBeUndefined();
    expect(Object.keys(env).sort()).toEqual(["CRONLINE_PAYLOAD", "CRONLINE_RUN_ID", "CRONLINE_SCHEDULED_FOR", "CRONLINE_TASK_NAME", "GREETING", "LANG", "PATH"]);
  });

  it("refuses to pass Cronline's secrets through inheritEnvironment, when saved and when run", async () => {
    const { createService } = await h.server.client.data(CreateService, {
      input: { name: "leaky", kind: "COMMAND", config: { command: "env", inheritEnvironment: ["LANG", "DATABASE_URL", "CRONLINE_BOOTSTRAP_ADMIN_TOKEN", "POSTGRES_ADMIN_URL", "SECRETS_KEY"] } },
    });
    expect(createService).toMatchObject({
      __typename: "ValidationError",
      fieldErrors: [{ field: "input.config.inheritEnvironment", message: "must not name variables holding Cronline's secrets (DATABASE_URL, CRONLINE_BOOTSTRAP_ADMIN_TOKEN, POSTGRES_ADMIN_URL, SECRETS_KEY)" }],
    });
    // Saved before the rule existed.
    const stored = await h.server.app.database.client.service.create({
      data: { name: "leaky-stored", kind: "COMMAND", config: { command: "env", inheritEnvironment: ["DATABASE_URL"] }, defaultPayload: {} },
    });
    const run = await h.waitForRun(await h.runTask(await h.createTask(encodeGlobalID("Service", stored.id))));
    expect(run.results[0]).toMatchObject({ status: "FAILED", output: "" });
    expect(run.results[0]!.error).toMatch(/^the service's config is not valid: /);
  });

  it("records a missing program (ENOENT) as a failure with a clear message", async () => {
    const run = await h.runOnce("COMMAND", { command: "/nonexistent/cronline-no-such-program --flag" });
    expect(run).toMatchObject({ status: "FAILED", failedCount: 1, targetCount: 1 });
    expect(run.results[0]).toMatchObject({ status: "FAILED", exitCode: null, error: "program not found: /nonexistent/cronline-no-such-program (ENOENT)" });
  });

  it("records a non-zero exit with its code and output", async () => {
    const run = await h.runOnce("COMMAND", { command: nodeCommand(`console.log("out"); console.error("err"); process.exit(3)`) });
    expect(run.status).toBe("FAILED");
    expect(run.results[0]).toMatchObject({ status: "FAILED", exitCode: 3, output: "out\n", errorOutput: "err\n", error: "exited with code 3" });
    expect(run.task.lastRunStatus).toBe("FAILED");
  });

  it("on timeout sends SIGTERM to the whole process group first, then SIGKILL to what ignored it: a grandchild dies too", async () => {
    const pidFile = path.join(scratch, "grandchild.pid");
    const termFile = (who: string) => path.join(scratch, `${who}.term`);
    // Each records the SIGTERM it gets and carries on, so only the SIGKILL after the grace period ends it.
    const recordsTerm = (who: string) => `process.on("SIGTERM", () => require("node:fs").writeFileSync(${JSON.stringify(termFile(who))}, "TERM\\n"));`;
    const grandchild = `${recordsTerm("grandchild")} require("node:fs").writeFileSync(${JSON.stringify(pidFile)}, process.pid + "\\n"); setInterval(() => {}, 1000);`;
    const script = `${recordsTerm("child")} require("node:child_process").spawn(process.execPath, ["-e", ${JSON.stringify(grandchild)}], { stdio: "ignore" });
      setInterval(() => {}, 1000);`;
    const serviceId = await h.createService("COMMAND", { command: nodeCommand(script), timeoutSeconds: 3 });
    const runId = await h.runTask(await h.createTask(serviceId));
    const pid = Number(await waitForFile(pidFile));
    expect(isAlive(pid)).toBe(true);
    const run = await h.waitForRun(runId);
    expect(run.status).toBe("TIMED_OUT");
    expect(run.results[0]).toMatchObject({ status: "TIMED_OUT", exitCode: null, error: "timed out after 3s; the process group was terminated" });
    expect(await waitForFile(termFile("child"))).toBe("TERM");
    expect(await waitForFile(termFile("grandchild"))).toBe("TERM");
    // Both survived the SIGTERM: the attempt lasted the timeout and the kill grace (1s) at least.
    expect(run.results[0]!.durationMs).toBeGreaterThanOrEqual(3_900);
    expect(isAlive(pid)).toBe(false);
  });

  it("ends the attempt after the kill grace when a descendant that left the process group holds stdout", async () => {
    const pidFile = path.join(scratch, "escapee.pid");
    // detached: the escapee calls setsid, so the group's SIGKILL misses it; it inherits stdout.
    const script = `const escapee = require("node:child_process").spawn("sleep", ["60"], { detached: true, stdio: ["ignore", "inherit", "inherit"] }); escapee.unref();
      require("node:fs").writeFileSync(${JSON.stringify(pidFile)}, escapee.pid + "\\n"); console.log("started");`;
    const run = await h.runOnce("COMMAND", { command: nodeCommand(script) });
    const escapee = Number(await waitForFile(pidFile));
    try {
      expect(isAlive(escapee)).toBe(true);
      expect(run).toMatchObject({ status: "SUCCEEDED", targetCount: 1 });
      expect(run.results[0]).toMatchObject({ status: "SUCCEEDED", exitCode: 0, output: "started\n" });
    } finally {
      process.kill(escapee, "SIGKILL");
    }
  });

  it("caps stdout and stderr and marks them truncated", async () => {
    const run = await h.runOnce("COMMAND", { command: nodeCommand(`process.stdout.write("x".repeat(100000)); process.stderr.write("y".repeat(70000));`) });
    expect(run.status).toBe("SUCCEEDED");
    expect(run.results[0]).toMatchObject({ outputTruncated: true, errorOutputTruncated: true });
    expect(run.results[0]!.output).toBe("x".repeat(65536));
    expect(run.results[0]!.errorOutput).toBe("y".repeat(65536));
    // "é" is two bytes: the cap falls inside the last one kept, which is left out rather than garbled.
    const cut = await h.runOnce("COMMAND", { command: nodeCommand(`process.stdout.write("x" + "é".repeat(40000))`) });
    expect(cut.results[0]).toMatchObject({ outputTruncated: true, output: "x" + "é".repeat(32767) });
  });

  it("stores binary output: NUL bytes and invalid UTF-8 become U+FFFD, on every database", async () => {
    const run = await h.runOnce("COMMAND", {
      command: nodeCommand(`process.stdout.write(Buffer.from([0x61, 0, 0x62, 0xff, 0x63])); process.stderr.write(Buffer.from([0, 0, 0x7a])); process.exit(2)`),
    });
    expect(run).toMatchObject({ status: "FAILED", targetCount: 1, failedCount: 1 });
    expect(run.results).toHaveLength(1);
    expect(run.results[0]).toMatchObject({ status: "FAILED", exitCode: 2, output: "a\uFFFDb\uFFFDc", errorOutput: "\uFFFD\uFFFDz" });
  });

  it("retries a batch of results the database refuses, then fails the run saying how many results were lost", async () => {
    const marker = "refused-by-the-database";
    const db = h.server.app.database.client;
    if (provider === "postgresql") {
      await db.$executeRawUnsafe(`ALTER TABLE "RunResult" ADD CONSTRAINT "refuses_marked_output" CHECK ("output" NOT LIKE '%${marker}%')`);
    } else {
      await db.$executeRawUnsafe(`CREATE TRIGGER "refuses_marked_output" BEFORE INSERT ON "RunResult" WHEN NEW."output" LIKE '%${marker}%' BEGIN SELECT RAISE(ABORT, 'marked output'); END`);
    }
    try {
      const run = await h.runOnce("COMMAND", { command: `echo ${marker}` });
      expect(run).toMatchObject({ status: "FAILED", targetCount: 1, succeededCount: 1, results: [] });
      expect(run.reason).toMatch(/^1 result could not be stored: /);
      expect(run.task.lastRunStatus).toBe("FAILED");
    } finally {
      await db.$executeRawUnsafe(provider === "postgresql" ? `ALTER TABLE "RunResult" DROP CONSTRAINT "refuses_marked_output"` : `DROP TRIGGER "refuses_marked_output"`);
    }
  });

  it("runs in the working directory", async () => {
    const run = await h.runOnce("COMMAND", { command: nodeCommand("process.stdout.write(process.cwd())"), workingDirectory: scratch });
    expect(run.results[0]!.output).toBe(scratch);
    const missing = await h.runOnce("COMMAND", { command: "true", workingDirectory: "/nonexistent/dir" });
    expect(missing.results[0]).toMatchObject({ status: "FAILED", error: "working directory /nonexistent/dir does not exist" });
  });

  it("retries a failing target with backoff and records every attempt", async () => {
    const counterFile = path.join(scratch, "attempts");
    const script = `const fs = require("node:fs"); const n = (fs.existsSync(${JSON.stringify(counterFile)}) ? Number(fs.readFileSync(${JSON.stringify(counterFile)}, "utf8")) : 0) + 1;
      fs.writeFileSync(${JSON.stringify(counterFile)}, String(n)); console.log("attempt " + n); process.exit(n < 3 ? 1 : 0);`;
    const run = await h.runOnce("COMMAND", { command: nodeCommand(script) }, { maxAttempts: 4, retryBackoffSeconds: 1 });
    expect(run.status).toBe("SUCCEEDED");
    expect(run.results.map((r) => [r.attempt, r.status, r.output])).toEqual([
      [1, "FAILED", "attempt 1\n"],
      [2, "FAILED", "attempt 2\n"],
      [3, "SUCCEEDED", "attempt 3\n"],
    ]);
    expect([run.resultCount, run.failureCount]).toEqual([3, 2]);
    // Backoff: at least half of 1s before the first retry, half of 2s before the second.
    const gap = (i: number) => Date.parse(run.results[i]!.startedAt) - Date.parse(run.results[i - 1]!.finishedAt);
    expect(gap(1)).toBeGreaterThanOrEqual(490);
    expect(gap(2)).toBeGreaterThanOrEqual(990);

    const exhausted = await h.runOnce("COMMAND", { command: nodeCommand("process.exit(1)") }, { maxAttempts: 2, retryBackoffSeconds: 0 });
    expect(exhausted).toMatchObject({ status: "FAILED", targetCount: 1, failedCount: 1 });
    expect(exhausted.results.map((r) => [r.attempt, r.status])).toEqual([[1, "FAILED"], [2, "FAILED"]]);
  });

  it("does not retry failures another attempt would meet again", async () => {
    const retry = { maxAttempts: 3, retryBackoffSeconds: 0 };
    const missingDirectory = await h.runOnce("COMMAND", { command: "true", workingDirectory: "/nonexistent/dir" }, retry);
    expect(missingDirectory.results.map((r) => [r.attempt, r.status])).toEqual([[1, "FAILED"]]);
    const missingKey = await h.runOnce("COMMAND", { command: "echo {{payload.absent}}" }, retry);
    expect(missingKey.results.map((r) => [r.attempt, r.status, r.error])).toEqual([[1, "FAILED", expect.stringContaining("{{payload.absent}}")]]);
  });

  it("runs once per target device: task devices ∪ pool members and rule matches, each once", async () => {
    const a = await h.createDevice("fan-a", { properties: { n: 1 } });
    const b = await h.createDevice("fan-b", { properties: { n: 2 }, tags: ["fan"] });
    await h.createDevice("fan-c", { properties: { n: 3 }, tags: ["fan"] });
    await h.createDevice("fan-d", { properties: { n: 4 } });
    const pool = await h.createPool("fan-pool", { deviceIds: [a, b], rule: { tags: ["fan"] } });
    const run = await h.runOnce("COMMAND", { command: `${printArgv} {{device.name}} {{device.properties.n}}` }, { targetDeviceIds: [a], targetPoolIds: [pool] });
    expect(run).toMatchObject({ status: "SUCCEEDED", targetCount: 3, succeededCount: 3 });
    expect(run.results.map((r) => [r.deviceName, r.device?.name, JSON.parse(r.output!)]).sort()).toEqual([
      ["fan-a", "fan-a", ["fan-a", "1"]],
      ["fan-b", "fan-b", ["fan-b", "2"]],
      ["fan-c", "fan-c", ["fan-c", "3"]],
    ]);
  });

  it("runs once without a device when neither task nor service names targets; a device placeholder then fails clearly", async () => {
    const run = await h.runOnce("COMMAND", { command: "true" });
    expect(run).toMatchObject({ status: "SUCCEEDED", targetCount: 1 });
    expect(run.results[0]).toMatchObject({ deviceName: null, device: null });
    const needsDevice = await h.runOnce("COMMAND", { command: "echo {{device.address}}" });
    expect(needsDevice.results[0]).toMatchObject({ status: "FAILED", error: "{{device.address}}: the run has no target device" });
  });

  it("fails a run whose target pools are empty instead of running it nowhere", async () => {
    const pool = await h.createPool("empty-pool", {});
    const run = await h.runOnce("COMMAND", { command: "true" }, { targetPoolIds: [pool] });
    expect(run).toMatchObject({ status: "FAILED", targetCount: 0, reason: "no target devices: the targeted pools have no devices" });
  });

  it("runs at most `concurrency` targets of a service at a time", async () => {
    const devices = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => h.createDevice(`limited-${n}`)));
    const serviceId = await h.createService("COMMAND", { command: nodeCommand("setTimeout(() => {}, 300)") }, { concurrency: 2 });
    const run = await h.waitForRun(await h.runTask(await h.createTask(serviceId, { targetDeviceIds: devices })));
    expect(run).toMatchObject({ status: "SUCCEEDED", targetCount: 6 });
    const edges = run.results.flatMap((r) => [
      { at: Date.parse(r.startedAt), delta: 1 },
      { at: Date.parse(r.finishedAt), delta: -1 },
    ]);
    edges.sort((x, y) => x.at - y.at || x.delta - y.delta);
    let running = 0;
    let most = 0;
    for (const edge of edges) most = Math.max(most, (running += edge.delta));
    expect(most).toBe(2);
  });

  it("cancelRun kills the running command and ends the run CANCELLED; cancelling again is a StateError", async () => {
    const pidFile = path.join(scratch, "cancel.pid");
    const serviceId = await h.createService("COMMAND", {
      command: nodeCommand(`require("node:fs").writeFileSync(${JSON.stringify(pidFile)}, process.pid + "\\n"); setInterval(() => {}, 1000);`),
    });
    const runId = await h.runTask(await h.createTask(serviceId));
    const pid = Number(await waitForFile(pidFile));
    const { cancelRun } = await h.server.client.data(CancelRun, { input: { id: runId } });
    expect(cancelRun).toMatchObject({ __typename: "CancelRunSuccess", run: { status: "CANCELLED", reason: "cancelled by an operator" } });
    // The run is CANCELLED at once; the executor then records the killed attempt.
    const run = await h.waitForRun(runId, executorRecordedCancel);
    expect(run.status).toBe("CANCELLED");
    expect(run.results[0]).toMatchObject({ status: "CANCELLED", error: "cancelled; the process group was terminated" });
    expect(isAlive(pid)).toBe(false);
    expect(run.task.lastRunStatus).toBe("CANCELLED");

    const again = await h.server.client.data(CancelRun, { input: { id: runId } });
    expect(again.cancelRun).toMatchObject({ __typename: "StateError", field: "input.id", message: "input.id: the run has already finished (CANCELLED)" });
  });

  it("refuses runAs for users not on RUN_AS_ALLOWED_USERS when saved and when run, and runs as an allowed one", async () => {
    const { createService } = await h.server.client.data(CreateService, {
      input: { name: "as-daemon", kind: "COMMAND", config: { command: "id -u", runAs: { user: "daemon" } } },
    });
    expect(createService).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ field: "input.config.runAs.user", message: '"daemon" is not on RUN_AS_ALLOWED_USERS' }] });
    // Saved while the allow-list still had the user, then the server restarted without it.
    const stored = await h.server.app.database.client.service.create({
      data: { name: "as-daemon-stored", kind: "COMMAND", config: { command: "id -u", runAs: { user: "daemon" } }, defaultPayload: {} },
    });
    const refused = await h.waitForRun(await h.runTask(await h.createTask(encodeGlobalID("Service", stored.id))));
    expect(refused.results[0]).toMatchObject({ status: "FAILED", error: 'user "daemon" is not on RUN_AS_ALLOWED_USERS' });
    if (process.getuid?.() !== 0) return; // switching users needs root
    const nobody = readFileSync("/etc/passwd", "utf8").split("\n").find((line) => line.startsWith("nobody:"))!.split(":")[2];
    const allowed = await h.runOnce("COMMAND", { command: "id -u", runAs: { user: "nobody" } });
    expect(allowed.results[0]).toMatchObject({ status: "SUCCEEDED", output: `${nobody}\n` });
  });

  it("refuses bad templates when the service is saved, naming the field", async () => {
    const save = (config: Record<string, unknown>) =>
      h.server.client.data(CreateService, { input: { name: `bad-${Math.random()}`, kind: "COMMAND", config } }).then((r) => r.createService);
    expect(await save({ command: "ping -c1 {{device.adress}}" })).toMatchObject({
      __typename: "ValidationError",
      fieldErrors: [{ field: "input.config.command", message: expect.stringContaining("unknown placeholder {{device.adress}}") }],
    });
    expect(await save({ command: "backup && rm -rf /tmp/x" })).toMatchObject({
      __typename: "ValidationError",
      fieldErrors: [{ field: "input.config.command", message: expect.stringContaining('shell operator "&&"') }],
    });
  });
});

describeEachDatabase("execution settings", (provider) => {
  const h = useExecutionServer(provider);

  it("validate retry, deadline and concurrency settings, naming the field", async () => {
    const { CreateTask, UpdateTask } = await import("../support/task-operations.js");
    const serviceId = await h.createService("COMMAND", { command: "true" });
    const { createTask } = await h.server.client.data(CreateTask, {
      input: { name: "bad-settings", serviceId, schedule: { once: { at: "2099-01-01T00:00:00Z" } }, maxAttempts: 0, retryBackoffSeconds: 7200, deadlineSeconds: 0 },
    });
    expect(createTask).toMatchObject({ __typename: "ValidationError" });
    expect(createTask.__typename === "ValidationError" && createTask.fieldErrors.map((e) => e.field).sort()).toEqual(["input.deadlineSeconds", "input.maxAttempts", "input.retryBackoffSeconds"]);
    const taskId = await h.createTask(serviceId, { maxAttempts: 3, deadlineSeconds: 30 });
    const { updateTask } = await h.server.client.data(UpdateTask, { input: { id: taskId, maxAttempts: 21 } });
    expect(updateTask).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ field: "input.maxAttempts", message: "must be at most 20" }] });
    const { createService } = await h.server.client.data(CreateService, { input: { name: "too-parallel", kind: "COMMAND", config: { command: "true" }, concurrency: 0 } });
    expect(createService).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ field: "input.concurrency", message: "must be at least 1" }] });
  });
});

describe("a cancel while the command is being started", () => {
  const sleeper = (signal: AbortSignal, extra: Partial<CommandRequest> = {}): CommandRequest => ({
    argv: [process.execPath, "-e", "setTimeout(() => {}, 60000)"],
    env: {},
    stdin: "",
    timeoutMs: 60_000,
    killGraceMs: 1_000,
    outputLimitBytes: 1024,
    logger: createLogger("silent"),
    signal,
    ...extra,
  });

  it("is not lost while the working directory is checked", async () => {
    const controller = new AbortController();
    const outcome = runCommand(sleeper(controller.signal, { workingDirectory: tmpdir() }));
    controller.abort();
    expect(await outcome).toMatchObject({ status: "CANCELLED", error: "cancelled before it started" });
  });

  it("is not lost while the process is being spawned", async () => {
    const controller = new AbortController();
    const outcome = runCommand(sleeper(controller.signal));
    controller.abort();
    expect(await outcome).toMatchObject({ status: "CANCELLED", error: "cancelled; the process group was terminated" });
  });
});
