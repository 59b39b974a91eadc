// Cronline as operators run it with `npm start`: `dist/cronline.js serve` (built from the current source by
// the tests' global setup) in a child process, read through its JSON logs.
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { spawnInGroup } from "./child-processes.js";

const projectRoot = fileURLToPath(new URL("../../", import.meta.url));

export interface ServerProcess {
  child: ChildProcessWithoutNullStreams;
  logs: Record<string, unknown>[];
  stderr: string[];
  /** Resolves with the GraphQL URL once the server logs that it listens. */
  listening: Promise<string>;
  exited: Promise<number | null>;
}

/**
 * The SECRETS_KEY of the tests' servers on PostgreSQL, which needs one: the same for all of
 * them, as it must be for processes sharing a database.
 */
export const testSecretsKey = "Y3JvbmxpbmUtc2VjcmV0cy1rZXktZm9yLXRlc3RzISE=";

/** The settings a test server starts with before its own: a secrets key on PostgreSQL. */
export const secretsKeyFor = (databaseUrl: string | undefined): Record<string, string> =>
  /^postgres(ql)?:/.test(databaseUrl ?? "") ? { SECRETS_KEY: testSecretsKey } : {};

/**
 * `args` go to the server (`--role api`); `nodeArgs` to node before the script, e.g. `--cpu-prof`
 * (which NODE_OPTIONS refuses); `launcher` is a command that execs node in its own process, e.g.
 * `["setpriv", "--groups", "shadow", "--"]`.
 */
export function spawnServer(
  env: Record<string, string>,
  cwd = projectRoot,
  { args = [], nodeArgs = [], launcher = [] }: { args?: string[]; nodeArgs?: string[]; launcher?: string[] } = {},
): ServerProcess {
  const [program, ...launcherArgs] = [...launcher, process.execPath];
  const child = spawnInGroup(program!, [...launcherArgs, ...nodeArgs, "--enable-source-maps", `${projectRoot}dist/cronline.js`, "serve", ...args], {
    cwd,
    env: { ...childEnvironment(), PORT: "0", ...secretsKeyFor(env.DATABASE_URL), ...env },
  }) as ChildProcessWithoutNullStreams;
  const logs: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));
  const exited = once(child, "exit").then(([code]) => code as number | null);
  const listening = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on("line", (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      logs.push(entry);
      if (entry.msg === "Cronline listening") resolve(String(entry.url));
    });
    void exited.then((code) => reject(new Error(`server exited with ${code}: ${stderr.join("")}`)));
  });
  listening.catch(() => {});
  return { child, logs, stderr, listening, exited };
}

/** What a child process of the tests inherits: PATH, and the run's temporary directory. */
export function childEnvironment(): Record<string, string> {
  return { PATH: process.env.PATH ?? "", ...(process.env.TMPDIR !== undefined && { TMPDIR: process.env.TMPDIR }) };
}
