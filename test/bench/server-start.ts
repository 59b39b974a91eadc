// Cronline started the way `npm start` starts it: package.json's `start` script, run from the
// project root with node_modules/.bin on PATH, so the benchmarks follow whatever that script
// becomes (`dist/cronline.js serve`, built by buildDist). Its JSON log lines are kept with the time
// each arrived, so a bench can time "from spawn until the server logged X".
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parse } from "shell-quote";

const projectRoot = fileURLToPath(new URL("../../", import.meta.url));

/** The `start` script of package.json. */
export function startScript(): string {
  const manifest = JSON.parse(readFileSync(path.join(projectRoot, "package.json"), "utf8")) as { scripts: { start: string } };
  return manifest.scripts.start;
}

export interface LogEntry {
  entry: Record<string, unknown>;
  /** performance.now() when the line arrived. */
  receivedAt: number;
}

export interface StartedServer {
  /** The process the script runs: the server itself for a plain command, else the shell. */
  child: ChildProcess;
  /** performance.now() just before spawning. */
  spawnedAt: number;
  /** Date.now() just before spawning, to compare with the `time` of a log line. */
  spawnedAtEpochMs: number;
  logs: LogEntry[];
  /** Resolves with the first log line (already received or to come) that `matches`. */
  logged(matches: (entry: Record<string, unknown>) => boolean, timeoutMs: number): Promise<LogEntry>;
  /** Resolves with the GraphQL URL once the server logs that it listens. */
  listening(timeoutMs: number): Promise<string>;
  /** SIGTERM to the whole process group, SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Spawns the start script in a process group of its own. A plain command (no shell syntax) is
 * spawned directly, as the shell npm uses would exec it, so `child.pid` is the server and /proc
 * figures are its own; anything else goes through `sh -c`, as npm runs it. `nodeArgs` are
 * passed to node before the script's own arguments.
 */
export function startServer(env: Record<string, string>, options: { nodeArgs?: string[] } = {}): StartedServer {
  const script = startScript();
  const tokens = parse(script);
  const plain = tokens.every((token) => typeof token === "string") && !String(tokens[0]).includes("=");
  const [file, args] = plain ? [String(tokens[0]), tokens.slice(1).map(String)] : ["sh", ["-c", script]];
  // Node's own options (--cpu-prof is not allowed in NODE_OPTIONS) go right after `node`.
  const nodeArgs = options.nodeArgs ?? [];
  if (nodeArgs.length > 0 && file !== "node") throw new Error(`node arguments need a start script that runs node itself; it is: ${script}`);
  args.unshift(...nodeArgs);
  const binPath = [path.join(projectRoot, "node_modules/.bin"), path.dirname(process.execPath), process.env.PATH ?? ""].join(path.delimiter);
  const spawnedAt = performance.now();
  const spawnedAtEpochMs = Date.now();
  const child = spawn(file, args, {
    cwd: projectRoot,
    env: { PATH: binPath, HOME: process.env.HOME ?? "/", PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // Already gone.
    }
  };
  // Whatever happens to the bench, its server does not outlive it.
  const onExit = () => killGroup("SIGKILL");
  process.on("exit", onExit);
  const exited = once(child, "exit").then(([code]) => {
    process.off("exit", onExit);
    return code as number | null;
  });

  const logs: LogEntry[] = [];
  const stderr: string[] = [];
  const listeners = new Set<() => void>();
  child.stderr!.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));
  createInterface({ input: child.stdout! }).on("line", (line) => {
    const receivedAt = performance.now();
    try {
      logs.push({ entry: JSON.parse(line) as Record<string, unknown>, receivedAt });
    } catch {
      logs.push({ entry: { msg: line }, receivedAt });
    }
    for (const listener of listeners) listener();
  });

  const logged = (matches: (entry: Record<string, unknown>) => boolean, timeoutMs: number) =>
    new Promise<LogEntry>((resolve, reject) => {
      const check = () => {
        const found = logs.find((log) => matches(log.entry));
        if (found) {
          finish();
          resolve(found);
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`the server did not log the expected line within ${timeoutMs} ms; stderr: ${stderr.join("")}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      void exited.then((code) => {
        finish();
        reject(new Error(`the server exited with ${code}: ${stderr.join("")}`));
      });
      check();
    });

  return {
    child,
    spawnedAt,
    spawnedAtEpochMs,
    logs,
    logged,
    listening: async (timeoutMs) => String((await logged((entry) => entry.msg === "Cronline listening", timeoutMs)).entry.url),
    stop: async (graceMs = 30_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      killGroup("SIGTERM");
      const timer = setTimeout(() => killGroup("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
