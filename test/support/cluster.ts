// Several Cronline processes on one database, as operators run them: each spawned with the
// same DATABASE_URL (servers of the built bundle, see server-process.ts), each with its own
// client, and stopped together.
import { generateTokenSecret } from "../../src/auth/tokens.js";
import { graphqlClient, type GraphQLClient } from "./graphql-client.js";
import { spawnServer, type ServerProcess } from "./server-process.js";

export interface ClusterInstance {
  server: ServerProcess;
  url: string;
  /** Sends the cluster's ADMIN token. */
  client: GraphQLClient;
  /** Its Instance.id, as it logged it when it started listening. */
  instanceId: string;
}

export interface TestCluster {
  adminToken: string;
  env: Record<string, string>;
  /** Every instance started so far, killed ones included, oldest first. */
  started: ClusterInstance[];
  /** Starts one more instance; resolves once it listens. */
  start(extra?: { env?: Record<string, string>; args?: string[] }): Promise<ClusterInstance>;
  /** SIGTERM to those still running; resolves with their exit codes. */
  stop(): Promise<(number | null)[]>;
}

/** Instances of a cluster on `databaseUrl` with the settings `env` (the first started migrates the database). */
export function testCluster(databaseUrl: string, env: Record<string, string> = {}): TestCluster {
  const adminToken = generateTokenSecret();
  const clusterEnv = { DATABASE_URL: databaseUrl, CRONLINE_BOOTSTRAP_ADMIN_TOKEN: adminToken, ...env };
  const started: ClusterInstance[] = [];
  return {
    adminToken,
    env: clusterEnv,
    started,
    async start(extra = {}) {
      const server = spawnServer({ ...clusterEnv, ...extra.env }, undefined, { args: extra.args ?? [] });
      const url = await server.listening;
      const listening = server.logs.find((entry) => entry.msg === "Cronline listening")!;
      const instance = { server, url, client: graphqlClient(url, adminToken), instanceId: String(listening.instanceId) };
      started.push(instance);
      return instance;
    },
    async stop() {
      const running = started.filter(({ server }) => server.child.exitCode === null && server.child.signalCode === null);
      for (const { server } of running) server.child.kill("SIGTERM");
      return Promise.all(running.map(({ server }) => server.exited));
    },
  };
}
