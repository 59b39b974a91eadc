// Vitest global setup: one temporary directory for the whole run, removed at its end whatever
// happened. Every test's temporary files land in it (TMPDIR, which os.tmpdir() reads and child
// processes inherit), and in it each child process group is recorded until it exits; the
// teardown kills any group still recorded, e.g. of a worker that died.
// Before that, the default export builds dist/ from the current source: spawned servers run it
// as `npm start` does, and in-process servers load their role threads from it. The cleanup test
// calls prepareRunDirectory alone: building again while other files' servers load dist/ would
// change it under them.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildDist } from "./build.js";
import { killRecordedGroups, processRecordsVariable } from "./child-processes.js";

export default function prepareTestRun(): () => void {
  buildDist();
  return prepareRunDirectory();
}

export function prepareRunDirectory(): () => void {
  const previous = { TMPDIR: process.env.TMPDIR, [processRecordsVariable]: process.env[processRecordsVariable] };
  const runDirectory = mkdtempSync(path.join(tmpdir(), "cronline-test-run-"));
  const records = path.join(runDirectory, "process-groups");
  process.env.TMPDIR = runDirectory;
  process.env[processRecordsVariable] = records;
  return () => {
    killRecordedGroups(records);
    rmSync(runDirectory, { recursive: true, force: true });
    for (const [name, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
