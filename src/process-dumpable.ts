// Keeps other processes of the server's own user out of the server: prctl(PR_SET_DUMPABLE, 0)
// makes /proc/<pid>/environ, mem, maps and the like root's, and refuses ptrace to all but a
// process with CAP_SYS_PTRACE. /proc/<pid>/environ shows the environment the process started
// with, whatever it removed since (its secrets included), and a command runs as the server's
// own user when the server does not run as root, or with COMMAND_DEFAULT_USER=root. The kernel
// gives a command a dumpable process again when it executes its program. No core dumps either.
import koffi from "koffi";

const PR_SET_DUMPABLE = 4;

/** Null once done, or why it could not be. */
export function makeProcessUndumpable(): string | null {
  if (process.platform !== "linux") return `prctl exists on Linux only, not on ${process.platform}`;
  // null: the symbols already loaded into node, libc's among them (glibc or musl alike).
  const prctl = koffi.load(null).func("int prctl(int option, unsigned long value)");
  return prctl(PR_SET_DUMPABLE, 0) === 0 ? null : "prctl(PR_SET_DUMPABLE, 0) failed";
}
