// Child processes of the tests (servers, commands, scripts), each in a process group of its own
// and recorded, so that whatever a test leaves running is stopped: its whole group at the end
// of its file (stop-children.ts), and by the run's global teardown (test-run.ts) should the
// file's worker itself have died.
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

/** Where the run records the process groups still running; set by test-run.ts. */
export const processRecordsVariable = "CRONLINE_TEST_PROCESS_RECORDS";

const running = new Set<ChildProcess>();

/** spawn(), in a new process group that stopProcessGroup() and the cleanups can end whole. */
export function spawnInGroup(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  const child = spawn(command, args, { ...options, detached: true });
  if (child.pid === undefined) return child;
  const records = process.env[processRecordsVariable];
  const record = records ? path.join(records, String(child.pid)) : null;
  if (record) {
    mkdirSync(records!, { recursive: true });
    writeFileSync(record, "");
  }
  running.add(child);
  child.once("exit", () => {
    running.delete(child);
    if (record) rmSync(record, { force: true });
  });
  return child;
}

/** Sends `signal` to the child's whole process group (its own children too). */
export function signalProcessGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch (error) {
    // The group is already gone.
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

/** Kills every child still running, with its group, and waits until each has exited. */
export async function stopAllChildren(): Promise<void> {
  await Promise.all(
    [...running].map(async (child) => {
      const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : once(child, "exit");
      signalProcessGroup(child, "SIGKILL");
      await exited;
    }),
  );
}

/** Kills the process groups recorded in `records` (by any worker of the run). */
export function killRecordedGroups(records: string): void {
  let pids: string[] = [];
  try {
    pids = readdirSync(records);
  } catch {
    // Nothing was ever recorded.
  }
  for (const pid of pids) {
    try {
      process.kill(-Number(pid), "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

/** Runs a command in a group of its own to its end: its exit code and what it printed. */
export async function runInGroup(command: string, args: readonly string[], options: SpawnOptions): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnInGroup(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, "close")) as [number | null];
  return { code, stdout, stderr };
}
