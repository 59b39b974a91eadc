// Commands started through the CommandLauncher: spawned by a small process of its own rather
// than by Cronline's (whose size made every spawn slow), with the same outcome as in-process.
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { CommandLauncher } from "../../src/execution/command-launcher.js";
import { runCommand, type CommandRequest } from "../../src/execution/command-runner.js";
import { createLogger } from "../../src/logger.js";

/** Alive and not a zombie. */
function isAlive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
  } catch {
    return false;
  }
}

const parentOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[1]);

describe("the command launcher", () => {
  let launcher: CommandLauncher;
  const errors: unknown[] = [];
  afterEach(async () => {
    await launcher.stop();
    errors.length = 0;
  });

  const start = () => {
    launcher = new CommandLauncher({ error: (...args: unknown[]) => errors.push(args) });
    launcher.start();
    return launcher;
  };

  const request = (argv: string[], extra: Partial<CommandRequest> = {}): CommandRequest => ({
    argv,
    env: { PATH: "/usr/bin:/bin" },
    stdin: "",
    timeoutMs: 60_000,
    killGraceMs: 1_000,
    outputLimitBytes: 1024,
    logger: createLogger("silent"),
    signal: new AbortController().signal,
    launcher,
    ...extra,
  });

  it("runs a command outside this process, with its stdin, output, exit code and working directory", async () => {
    start();
    const outcome = await runCommand(request(["sh", "-c", 'cat; echo " $PPID $(pwd)"; echo oops >&2; exit 3'], { stdin: "payload", workingDirectory: "/tmp" }));
    expect(outcome).toMatchObject({ status: "FAILED", exitCode: 3, errorOutput: "oops\n", error: "exited with code 3" });
    const [payload, parent, directory] = outcome.output!.trim().split(" ");
    expect(payload).toBe("payload");
    expect(directory).toBe("/tmp");
    // Spawned by the launcher, itself a child of this process.
    expect(Number(parent)).not.toBe(process.pid);
    expect(parentOf(Number(parent))).toBe(process.pid);
  });

  it("runs many quick commands at once, each seen to its end (their start, exit and close may come together)", async () => {
    start();
    const outcomes = await Promise.all(Array.from({ length: 20 }, async () => {
      const statuses: string[] = [];
      for (let i = 0; i < 10; i++) statuses.push((await runCommand(request(["true"]))).status);
      return statuses;
    }));
    expect(outcomes.flat()).toEqual(Array(200).fill("SUCCEEDED"));
  });

  it("reports a program that cannot be started as node's spawn does", async () => {
    start();
    expect(await runCommand(request(["no-such-program-here"]))).toMatchObject({ status: "FAILED", error: "program not found: no-such-program-here (ENOENT)" });
  });

  it("kills the process group on timeout and on cancel", async () => {
    start();
    expect(await runCommand(request(["sh", "-c", "sleep 60"], { timeoutMs: 200, killGraceMs: 100 }))).toMatchObject({ status: "TIMED_OUT" });
    const controller = new AbortController();
    const cancelled = runCommand(request(["sh", "-c", "sleep 60"], { signal: controller.signal }));
    setTimeout(() => controller.abort(), 100);
    expect(await cancelled).toMatchObject({ status: "CANCELLED" });
  });

  it("a launcher that dies takes its commands with it, reported as killed, and the next command starts another", async () => {
    start();
    const pids: number[] = [];
    const running = runCommand(request(["sh", "-c", "sleep 60"], { reaper: { track: (pid) => pids.push(pid), release: () => {} } }));
    await expect.poll(() => pids.length).toBe(1);
    process.kill(parentOf(pids[0]!), "SIGKILL");
    expect(await running).toMatchObject({ status: "FAILED", error: "killed by signal SIGKILL" });
    await expect.poll(() => isAlive(pids[0]!)).toBe(false);
    expect(errors).toHaveLength(1);
    expect(await runCommand(request(["true"]))).toMatchObject({ status: "SUCCEEDED" });
  });

  it("kills the groups of the commands still running when it stops", async () => {
    start();
    const pids: number[] = [];
    void runCommand(request(["sh", "-c", "sleep 60 & wait"], { reaper: { track: (pid) => pids.push(pid), release: () => {} } }));
    await expect.poll(() => pids.length).toBe(1);
    await launcher.stop();
    await expect.poll(() => isAlive(pids[0]!)).toBe(false);
  });
});
