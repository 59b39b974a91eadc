// Keeps commands from outliving their Cronline process. Each command runs in a process group
// of its own; a small supervisor (a POSIX shell, one per executor, in a session of its own)
// is told each group as it starts and ends, over a pipe from this process. However this
// process ends, even SIGKILLed, the kernel closes the pipe; the supervisor reads its end and
// kills every group still recorded, grandchildren included, so the re-run of an interrupted
// run never overlaps it.
//
// Why not a parent-death signal (prctl PR_SET_PDEATHSIG, `setpriv --pdeathsig`): it reaches
// only the one process it is set on, not what that process started (a script's children
// survive it), and it follows the thread that forked the process, here the worker thread,
// not the process. Why not a sweep of recorded groups at the next start: nothing sweeps until
// a process starts again on that same machine, while the runs' re-runs start elsewhere after
// the lease. A command that leaves its group (setsid, a daemon) escapes this, as it escapes
// timeouts and cancels.
import { spawn, type ChildProcess } from "node:child_process";
import type { Socket } from "node:net";
import type { Logger } from "../logger.js";

/**
 * Reads "+ <pgid>" and "- <pgid>" lines; at end of input, SIGKILLs the groups still recorded.
 * It ignores the signals a terminal or a service manager sends to stop Cronline, so that it
 * outlives Cronline for that last step.
 */
const supervisorScript = `
trap '' HUP INT TERM
groups=" "
while read -r op pgid; do
  case $op in
    +) groups="$groups$pgid " ;;
    -) case $groups in *" $pgid "*) groups="\${groups%% $pgid *} \${groups#* $pgid }" ;; esac ;;
  esac
done
for pgid in $groups; do kill -s KILL -- "-$pgid" 2>/dev/null; done
`;

export class CommandReaper {
  readonly #logger: Pick<Logger, "error">;
  /** The groups of the commands running now. */
  readonly #groups = new Set<number>();
  #supervisor: ChildProcess | undefined;
  #stopped = true;

  constructor(logger: Pick<Logger, "error">) {
    this.#logger = logger;
  }

  /**
   * Starts the supervisor before any command, so that a command's group reaches it moments
   * after the fork (a process killed in between leaves that one command behind).
   */
  start(): void {
    this.#stopped = false;
    this.#start();
  }

  /** The command whose process group is `pgid` has started: killed should this process die. */
  track(pgid: number): void {
    this.#groups.add(pgid);
    this.#send(`+ ${pgid}\n`);
  }

  /** The command's group is gone (its processes killed or ended). */
  release(pgid: number): void {
    if (this.#groups.delete(pgid)) this.#send(`- ${pgid}\n`);
  }

  /** Ends the supervisor (killing the groups still recorded) and resolves once it has exited. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const supervisor = this.#supervisor;
    if (!supervisor || supervisor.exitCode !== null || supervisor.signalCode !== null) return;
    const exited = new Promise((resolve) => supervisor.once("exit", resolve));
    supervisor.stdin!.end();
    await exited;
  }

  #send(line: string): void {
    // Commands run only while the executor runs, between start() and stop().
    if (this.#stopped) return;
    const supervisor = this.#supervisor;
    if (supervisor && supervisor.exitCode === null && supervisor.signalCode === null) supervisor.stdin!.write(line);
    else this.#start();
  }

  /** Starts the supervisor (again, should it have died) with the groups running now. */
  #start(): void {
    const supervisor = spawn("/bin/sh", ["-c", supervisorScript], {
      // A session of its own: a signal to Cronline's process group (Ctrl-C) does not reach it.
      detached: true,
      stdio: ["pipe", "ignore", "ignore"],
      env: { PATH: "/usr/bin:/bin" },
    });
    // Neither it nor its pipe keeps the thread alive: its end closes the pipe, which is its cue.
    supervisor.unref();
    (supervisor.stdin as Socket).unref();
    supervisor.stdin!.on("error", () => {});
    supervisor.once("exit", (code, signal) => {
      if (!this.#stopped) this.#logger.error({ code, signal }, "the supervisor of command process groups stopped; another starts with the next command");
    });
    supervisor.once("error", (error) => this.#logger.error({ err: error }, "could not start the supervisor of command process groups"));
    this.#supervisor = supervisor;
    supervisor.stdin!.write([...this.#groups].map((pgid) => `+ ${pgid}\n`).join(""));
  }
}
