// Runs one command: an argument vector (never a shell) in a process group of its own, the
// payload on stdin, output captured up to a cap. On timeout or cancel the whole group gets
// SIGTERM, then SIGKILL after a grace period, so grandchildren die too; when the command
// exits by itself, whatever it left behind in its group is killed as well; a descendant that
// left the group (setsid, a daemon) may keep the output pipes open, so they are closed for it.
// The executor spawns through its CommandLauncher (see there why); without one, in-process.
import { spawn } from "node:child_process";
import { once, type EventEmitter } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { stat } from "node:fs/promises";
import { CappedOutput, failedOutcome, permanentFailure } from "./attempt.js";
import type { AttemptOutcome } from "../domain/runs.js";
import type { Logger } from "../logger.js";
import type { CommandLauncher } from "./command-launcher.js";
import type { CommandReaper } from "./command-reaper.js";

/** What the runner uses of a started command: a ChildProcess, or a command of the CommandLauncher. */
interface CommandProcess extends EventEmitter {
  readonly pid?: number | undefined;
  readonly stdin: EventEmitter & { end(text: string): unknown };
  readonly stdout: EventEmitter & { destroy(): unknown };
  readonly stderr: EventEmitter & { destroy(): unknown };
}

export interface CommandRequest {
  argv: string[];
  env: Record<string, string>;
  workingDirectory?: string;
  stdin: string;
  timeoutMs: number;
  killGraceMs: number;
  outputLimitBytes: number;
  uid?: number;
  gid?: number;
  /** Hears why a command could not be started (a warning: the service's problem, not Cronline's). */
  logger: Pick<Logger, "warn">;
  /** Aborting it cancels the command. */
  signal: AbortSignal;
  /** Kills the command's group should this process die while it runs. */
  reaper?: Pick<CommandReaper, "track" | "release">;
  /** Spawns the command outside this process. */
  launcher?: Pick<CommandLauncher, "spawn">;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is gone already; EPERM: its id now belongs to someone else's processes.
  }
}

/** Why the program could not be started, as the attempt's error says it. */
function spawnFailure(program: string, error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case "ENOENT":
      return `program not found: ${program} (ENOENT)`;
    case "EACCES":
      return `permission denied running ${program} (EACCES)`;
    case "E2BIG":
      return `could not start ${program}: its arguments and environment are too long (E2BIG; each argument and variable at most 128 KiB, all together a few MiB)`;
    case "EAGAIN":
      return `could not start ${program}: the machine refused another process for now (EAGAIN)`;
    case "EMFILE":
    case "ENFILE":
      return `could not start ${program}: too many open files (${error.code})`;
    case "EPERM":
      return `could not start ${program}: not permitted to switch to its user or group (EPERM)`;
    default:
      return `could not start ${program}: ${error.message}`;
  }
}

/** Start failures another attempt would meet again, for the same rendered command. */
const permanentSpawnErrors = new Set(["E2BIG", "EPERM"]);

export async function runCommand(request: CommandRequest): Promise<AttemptOutcome> {
  const [program, ...args] = request.argv as [string, ...string[]];
  if (request.signal.aborted) return failedOutcome("cancelled before it started", "CANCELLED");
  if (request.workingDirectory !== undefined) {
    const directory = await stat(request.workingDirectory).catch(() => null);
    if (!directory?.isDirectory()) return permanentFailure(`working directory ${request.workingDirectory} does not exist`);
    if (request.signal.aborted) return failedOutcome("cancelled before it started", "CANCELLED");
  }
  const startFailed = (error: NodeJS.ErrnoException): AttemptOutcome => {
    const reason = spawnFailure(program, error);
    // The command's own problem, not Cronline's: no stack.
    request.logger.warn({ program, code: error.code }, reason);
    return permanentSpawnErrors.has(error.code ?? "") ? permanentFailure(reason) : failedOutcome(reason);
  };
  const options = {
    cwd: request.workingDirectory,
    env: request.env,
    detached: true, // a process group of its own, to signal its descendants with it
    // With a uid or gid, Node also drops every supplementary group (setgroups(0)) in the child.
    uid: request.uid,
    gid: request.gid,
  };
  let child: CommandProcess;
  try {
    // Node reports ENOENT, EACCES, EAGAIN, EMFILE and ENFILE as an "error" event, and throws the
    // others (E2BIG, EPERM from the uid/gid switch, ...) from spawn itself (the launcher reports
    // those as an "error" event too).
    child = request.launcher ? request.launcher.spawn(program, args, options) : spawn(program, args, { ...options, stdio: ["pipe", "pipe", "pipe"] });
  } catch (error) {
    return startFailed(error as NodeJS.ErrnoException);
  }
  // As soon as its pid is known (at once in-process, with "spawn" from the launcher): the group
  // exists from the fork on.
  const track = () => {
    if (child.pid !== undefined) request.reaper?.track(child.pid);
  };
  if (child.pid !== undefined) track();
  else child.once("spawn", track);
  try {
    return await carryOut(child, request, startFailed);
  } finally {
    if (child.pid !== undefined) request.reaper?.release(child.pid);
  }
}

/** Feeds the started command, stops it on timeout or cancel, and collects its outcome. */
async function carryOut(
  child: CommandProcess,
  request: CommandRequest,
  startFailed: (error: NodeJS.ErrnoException) => AttemptOutcome,
): Promise<AttemptOutcome> {
  const stdout = new CappedOutput(request.outputLimitBytes);
  const stderr = new CappedOutput(request.outputLimitBytes);
  child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
  // A command that does not read its stdin closes the pipe early; that is not a failure.
  child.stdin.on("error", () => {});
  // Listened for from the start: the launcher may deliver a quick command's start, exit and
  // close all at once. Closed: the process has exited and its output pipes are closed.
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once("exit", (code: number | null, signal: NodeJS.Signals | null) => resolve([code, signal])));
  const closed = new Promise<boolean>((resolve) => child.once("close", () => resolve(true)));

  try {
    await Promise.race([once(child, "spawn"), once(child, "error").then(([error]) => Promise.reject(error as Error))]);
  } catch (error) {
    return startFailed(error as NodeJS.ErrnoException);
  }
  const pid = child.pid!;
  child.stdin.end(request.stdin);

  let stoppedBy: "timeout" | "cancel" | null = null;
  let killTimer: NodeJS.Timeout | undefined;
  const stop = (reason: "timeout" | "cancel") => {
    if (stoppedBy) return;
    stoppedBy = reason;
    killGroup(pid, "SIGTERM");
    killTimer = setTimeout(() => killGroup(pid, "SIGKILL"), request.killGraceMs);
  };
  const timeoutTimer = setTimeout(() => stop("timeout"), request.timeoutMs);
  const onAbort = () => stop("cancel");
  request.signal.addEventListener("abort", onAbort, { once: true });
  // A cancel that came while the command was being started has no listener to tell.
  if (request.signal.aborted) stop("cancel");

  const [exitCode, exitSignal] = await exited;
  clearTimeout(timeoutTimer);
  request.signal.removeEventListener("abort", onAbort);
  // Descendants still holding the output pipes would keep them open forever.
  killGroup(pid, "SIGKILL");
  clearTimeout(killTimer);
  // One that escaped the group (setsid, a daemon) survives the SIGKILL: its output is given
  // up after the grace period (a second at least, so a grace of 0 still lets the pipes
  // deliver what the command wrote before exiting) rather than waited for without end.
  const lingering = new AbortController();
  const drainMs = Math.max(request.killGraceMs, 1_000);
  const pipesClosed = await Promise.race([closed, sleep(drainMs, false, { signal: lingering.signal }).catch(() => false)]);
  lingering.abort();
  if (!pipesClosed) {
    child.stdout.destroy();
    child.stderr.destroy();
  }

  const outcome = {
    exitCode,
    httpStatus: null,
    output: stdout.text(),
    outputTruncated: stdout.truncated,
    errorOutput: stderr.text(),
    errorOutputTruncated: stderr.truncated,
  };
  if (stoppedBy === "timeout") {
    return { ...outcome, status: "TIMED_OUT", error: `timed out after ${request.timeoutMs / 1000}s; the process group was terminated` };
  }
  if (stoppedBy === "cancel") return { ...outcome, status: "CANCELLED", error: "cancelled; the process group was terminated" };
  if (exitCode === 0) return { ...outcome, status: "SUCCEEDED", error: null };
  return {
    ...outcome,
    status: "FAILED",
    error: exitCode !== null ? `exited with code ${exitCode}` : `killed by signal ${exitSignal}`,
  };
}
