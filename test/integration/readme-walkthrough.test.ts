// README's "Your first task in five minutes", run exactly as written: its `sh first-task`
// blocks in one bash, in order, and its `sh first-task-watch` block beside them, against a
// real server over real HTTP and the graphql-ws websocket.
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { spawnInGroup } from "../support/child-processes.js";
import { childEnvironment } from "../support/server-process.js";
import { useTestServer } from "../support/test-server.js";

const projectRoot = fileURLToPath(new URL("../../", import.meta.url));

/** The README's fenced blocks whose info string is exactly `lang`, in order. */
function readmeBlocks(info: string): string[] {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  return [...readme.matchAll(/^```([^\n]*)\n([\s\S]*?)^```$/gm)].filter((match) => match[1] === info).map((match) => match[2]!);
}

/** A shell's stdout as lines, and a way to wait for one. */
function lineReader(stream: NodeJS.ReadableStream) {
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: stream }).on("line", (line) => {
    lines.push(line);
    for (const waiter of waiters) waiter();
  });
  const waitFor = (test: (line: string) => boolean, from = 0) =>
    new Promise<string>((resolve) => {
      const check = () => {
        const found = lines.slice(from).find(test);
        if (found === undefined) return;
        waiters.delete(check);
        resolve(found);
      };
      waiters.add(check);
      check();
    });
  return { lines, waitFor };
}

describe("README walkthrough", () => {
  const server = useTestServer("sqlite");

  it("creates a device, a pool, a service and a task, watches the live view, runs the task and reads its output per device", async () => {
    const steps = readmeBlocks("sh first-task");
    const [watch] = readmeBlocks("sh first-task-watch");
    expect(steps).toHaveLength(5);
    expect(watch).toBeDefined();
    const env = { ...childEnvironment(), HOME: process.env.HOME ?? "", CRONLINE_URL: server.app.url, TOKEN: server.adminToken };
    const shell = spawnInGroup("bash", [], { cwd: projectRoot, env, stdio: ["pipe", "pipe", "inherit"] });
    const watcher = spawnInGroup("bash", ["-c", watch!], { cwd: projectRoot, env, stdio: ["ignore", "pipe", "inherit"] });
    const said = lineReader(shell.stdout!);
    const watched = lineReader(watcher.stdout!);
    try {
      for (const step of steps.slice(0, 3)) shell.stdin!.write(step);
      const created = await said.waitFor((line) => line.startsWith("service "));
      expect(said.lines).toEqual([expect.stringMatching(/^device \S+, pool \S+$/), expect.stringMatching(/^service \S+, task \S+$/)]);
      expect(created).not.toMatch(/null/);

      // In its snapshot, or as created if the watcher opened before the task was.
      const shown = JSON.parse(await watched.waitFor((line) => line.includes("hello-every-minute"))) as { tasks: { name: string; state: string }[] };
      expect(shown.tasks).toMatchObject([{ name: "hello-every-minute", state: "ACTIVE" }]);

      shell.stdin!.write(steps[3]!);
      const runId = (await said.waitFor((line) => line.startsWith("run "))).slice(4);
      expect(runId).not.toBe("null");
      await watched.waitFor((line) => line.includes(runId) && line.includes('"SUCCEEDED"'));

      const from = said.lines.length;
      shell.stdin!.write(`${steps[4]!}exit\n`);
      await new Promise((resolve) => shell.once("close", resolve));
      const run = JSON.parse(said.lines.slice(from).join("\n")) as unknown;
      expect(run).toEqual({
        status: "SUCCEEDED",
        results: { edges: [{ node: { deviceName: "laptop", status: "SUCCEEDED", exitCode: 0, output: "hello from laptop at 127.0.0.1\n" } }] },
      });
    } finally {
      shell.kill("SIGKILL");
      watcher.kill("SIGKILL");
    }
  });
});
