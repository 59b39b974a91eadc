// libfaketime (Debian's `libfaketime` package), which makes a process see its clock shifted:
// how the tests run an instance whose clock is wrong. When it is not installed its tests are
// skipped, saying why, except under CI=true (.ci/run installs it), where that is a failure.
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";

/** The multi-threaded library (Cronline's roles are threads), wherever the distribution put it. */
function findLibrary(): string | null {
  const folders = ["/usr/lib/faketime", ...readdirSync("/usr/lib", { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => path.join("/usr/lib", entry.name, "faketime"))];
  return folders.map((folder) => path.join(folder, "libfaketimeMT.so.1")).find((file) => existsSync(file)) ?? null;
}

export const faketimeLibrary = findLibrary();

/** For tests that need it: `it.skipIf(withoutFaketime)`. Under CI=true they run, and fail. */
export const withoutFaketime = faketimeLibrary === null && process.env.CI !== "true";

/** The environment that shifts a process's clock by `offset` (e.g. "+45s"); timers keep real time. */
export function shiftedClock(offset: string): Record<string, string> {
  if (!faketimeLibrary) throw new Error("libfaketime is not installed (apt-get install libfaketime)");
  return { LD_PRELOAD: faketimeLibrary, FAKETIME: offset, FAKETIME_DONT_FAKE_MONOTONIC: "1" };
}
