import { existsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { spawnInGroup, stopAllChildren } from "../support/child-processes.js";
import { prepareRunDirectory } from "../support/test-run.js";

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A child in a group of its own that starts a grandchild and prints the grandchild's pid. */
async function childWithGrandchild(): Promise<{ child: number; grandchild: number }> {
  const script = `const g = require("node:child_process").spawn("sleep", ["600"], { stdio: "ignore" }); console.log(g.pid); setInterval(() => {}, 1000);`;
  const child = spawnInGroup(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  for await (const line of createInterface({ input: child.stdout! })) return { child: child.pid!, grandchild: Number(line) };
  throw new Error("the child printed nothing");
}

describe("the tests' own cleanup", () => {
  it("puts every temporary file of the run in the run's own directory", () => {
    expect(path.basename(tmpdir())).toMatch(/^cronline-test-run-/);
  });

  it("kills what a test file left running, with the children of its children", async () => {
    const { child, grandchild } = await childWithGrandchild();
    expect([isAlive(child), isAlive(grandchild)]).toEqual([true, true]);
    await stopAllChildren();
    expect(isAlive(child)).toBe(false);
    await expect.poll(() => isAlive(grandchild), { timeout: 30_000 }).toBe(false);
  });

  it("at the end of the run kills the process groups still recorded and removes the temporary files", async () => {
    const teardown = prepareRunDirectory();
    let runDirectory = "";
    let started = { child: 0, grandchild: 0 };
    try {
      runDirectory = tmpdir();
      expect(path.basename(runDirectory)).toMatch(/^cronline-test-run-/);
      writeFileSync(path.join(runDirectory, "left-behind"), "");
      started = await childWithGrandchild();
    } finally {
      teardown();
    }
    await expect.poll(() => [isAlive(started.child), isAlive(started.grandchild)], { timeout: 30_000 }).toEqual([false, false]);
    expect(existsSync(runDirectory)).toBe(false);
    expect(path.basename(tmpdir())).not.toBe(path.basename(runDirectory));
  });
});
