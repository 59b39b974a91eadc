// Starts commands from a small Node process of its own (one per executor) instead of from
// Cronline's. Node forks to spawn, synchronously, and a fork copies the page tables of the
// whole process: from a Cronline process (three threads, a few hundred MB resident) each spawn
// blocked the worker's event loop for 20-40 ms on a loaded 2-core machine, and stalled the
// process's other threads meanwhile, so commands every few milliseconds saturated it; from a
// process of about 40 MB it is a few milliseconds, and blocks only that process. The launcher
// spawns as Cronline would (process group of its own, pipes, uid/gid), and relays each
// command's start, output, exit and close over its IPC channel.
//
// Should Cronline die, the channel closes: the launcher SIGKILLs the groups of the commands it
// started and exits (the CommandReaper's supervisor kills them too). Should the launcher die,
// the commands it was running are killed and reported as killed, and the next command starts
// another launcher.
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { EventEmitter } from "node:events";
import { createRequire } from "node:module";
import type { Logger } from "../logger.js";

/** koffi, which the launcher loads by path to call prctl: it runs no module of Cronline's. */
const koffiPath = createRequire(import.meta.url).resolve("koffi");

/**
 * The launcher itself, run with `node -e`: no module of Cronline's, so that it stays small. It
 * ignores the signals a terminal or a service manager sends to stop Cronline, and ends with its
 * channel.
 */
const launcherScript = `
const { spawn } = require("node:child_process");
// Undumpable, as Cronline is (process-dumpable.ts): a command of the same user could otherwise
// read this process's memory, through which other commands' environments pass.
try {
  if (require(process.argv[1]).load(null).func("int prctl(int option, unsigned long value)")(4, 0) !== 0) throw new Error("prctl failed");
} catch (error) {
  process.stderr.write("cronline command launcher: could not make itself undumpable: " + error.message + "\\n");
}
const commands = new Map();
for (const signal of ["SIGHUP", "SIGINT", "SIGTERM"]) process.on(signal, () => {});
const send = (message) => { if (process.connected) process.send(message); };
const killGroup = (pid) => { try { process.kill(-pid, "SIGKILL"); } catch {} };
process.on("message", (message) => {
  const { id } = message;
  if (message.type === "spawn") {
    let child;
    try {
      child = spawn(message.program, message.args, message.options);
    } catch (error) {
      send({ id, type: "error", code: error.code, message: error.message });
      return;
    }
    commands.set(id, child);
    child.on("spawn", () => send({ id, type: "spawn", pid: child.pid }));
    child.on("error", (error) => {
      commands.delete(id);
      send({ id, type: "error", code: error.code, message: error.message });
    });
    child.stdin.on("error", () => {});
    child.stdout.on("data", (data) => send({ id, type: "stdout", data }));
    child.stderr.on("data", (data) => send({ id, type: "stderr", data }));
    child.on("exit", (code, signal) => send({ id, type: "exit", code, signal }));
    child.on("close", () => {
      commands.delete(id);
      send({ id, type: "close" });
    });
  } else if (message.type === "stdin") {
    commands.get(id)?.stdin.end(message.text);
  } else if (message.type === "abandon") {
    const child = commands.get(id);
    child?.stdout.destroy();
    child?.stderr.destroy();
  }
});
process.on("disconnect", () => {
  for (const child of commands.values()) if (child.pid !== undefined) killGroup(child.pid);
  process.exit(0);
});
`;

type LauncherMessage =
  | { id: number; type: "spawn"; pid: number }
  | { id: number; type: "error"; code?: string; message: string }
  | { id: number; type: "stdout" | "stderr"; data: Uint8Array }
  | { id: number; type: "exit"; code: number | null; signal: NodeJS.Signals | null }
  | { id: number; type: "close" };

/** One output pipe of a launched command, as the command runner reads it. */
class LaunchedOutput extends EventEmitter {
  constructor(readonly abandon: () => void) {
    super();
  }

  /** Stops waiting for the pipe (a descendant that escaped the group holds it open). */
  destroy(): void {
    this.abandon();
  }
}

/**
 * A command started by the launcher, with the parts of a ChildProcess the command runner uses:
 * `pid` once "spawn" is emitted; "error", "exit" and "close" as a ChildProcess emits them.
 */
export class LaunchedCommand extends EventEmitter {
  pid: number | undefined;
  readonly stdout: LaunchedOutput;
  readonly stderr: LaunchedOutput;
  readonly stdin: EventEmitter & { end(text: string): void };

  constructor(send: (message: object) => void) {
    super();
    const abandon = () => send({ type: "abandon" });
    this.stdout = new LaunchedOutput(abandon);
    this.stderr = new LaunchedOutput(abandon);
    this.stdin = Object.assign(new EventEmitter(), { end: (text: string) => send({ type: "stdin", text }) });
  }
}

export class CommandLauncher {
  readonly #logger: Pick<Logger, "error">;
  #launcher: ChildProcess | undefined;
  /** Commands started and not yet closed, by the id their messages carry. */
  #commands = new Map<number, LaunchedCommand>();
  #nextId = 1;
  #stopped = true;

  constructor(logger: Pick<Logger, "error">) {
    this.#logger = logger;
  }

  /** Starts the launcher before the first command, so that no run waits for it. */
  start(): void {
    this.#stopped = false;
    this.#start();
  }

  /** Starts `program` as node's spawn would with `options` (stdio: three pipes). */
  spawn(program: string, args: string[], options: Omit<SpawnOptions, "stdio">): LaunchedCommand {
    const id = this.#nextId++;
    const launcher = this.#running() ?? this.#start();
    const send = (message: object) => {
      if (this.#launcher === launcher && launcher.connected) launcher.send({ ...message, id });
    };
    const command = new LaunchedCommand(send);
    this.#commands.set(id, command);
    launcher.send({ id, type: "spawn", program, args, options: { ...options, stdio: ["pipe", "pipe", "pipe"] } });
    return command;
  }

  /** Closes the channel: the launcher kills the groups of the commands still running, and exits. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const launcher = this.#running();
    if (!launcher) return;
    const exited = new Promise((resolve) => launcher.once("exit", resolve));
    launcher.disconnect();
    await exited;
  }

  #running(): ChildProcess | undefined {
    const launcher = this.#launcher;
    return launcher && launcher.exitCode === null && launcher.signalCode === null && launcher.connected ? launcher : undefined;
  }

  #start(): ChildProcess {
    const launcher = spawn(process.execPath, ["-e", launcherScript, koffiPath], {
      // A session of its own: a signal to Cronline's process group (Ctrl-C, a kill of the
      // group) does not reach it, so it can still kill the commands once Cronline is gone.
      detached: true,
      stdio: ["ignore", "ignore", "inherit", "ipc"],
      serialization: "advanced",
      env: {},
    });
    const commands = (this.#commands = new Map());
    this.#launcher = launcher;
    // Neither it nor its channel keeps the thread alive: running commands hold their own timers.
    launcher.unref();
    launcher.channel?.unref();
    launcher.on("message", (message: LauncherMessage) => this.#receive(commands, message));
    launcher.once("error", (error) => this.#logger.error({ err: error }, "could not start the command launcher"));
    launcher.once("exit", (code, signal) => {
      if (!this.#stopped) this.#logger.error({ code, signal, commands: commands.size }, "the command launcher stopped; its commands are killed, and another starts with the next command");
      for (const command of commands.values()) this.#lose(command);
      commands.clear();
    });
    return launcher;
  }

  #receive(commands: Map<number, LaunchedCommand>, message: LauncherMessage): void {
    const command = commands.get(message.id);
    if (!command) return;
    switch (message.type) {
      case "spawn":
        command.pid = message.pid;
        command.emit("spawn");
        break;
      case "error":
        commands.delete(message.id);
        command.emit("error", Object.assign(new Error(message.message), { code: message.code }));
        break;
      case "stdout":
      case "stderr":
        command[message.type].emit("data", Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength));
        break;
      case "exit":
        command.emit("exit", message.code, message.signal);
        break;
      case "close":
        commands.delete(message.id);
        command.emit("close");
        break;
    }
  }

  /** A command whose launcher died: its group is killed, and it ends as killed (or as not started). */
  #lose(command: LaunchedCommand): void {
    if (command.pid === undefined) {
      command.emit("error", Object.assign(new Error("the command launcher stopped"), { code: "ELAUNCHER" }));
      return;
    }
    try {
      process.kill(-command.pid, "SIGKILL");
    } catch {
      // ESRCH: the launcher killed it already.
    }
    command.emit("exit", null, "SIGKILL");
    command.emit("close");
  }
}
