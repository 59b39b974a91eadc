// What a SIGKILLed process leaves behind on PostgreSQL: its commands (a shell and the sleep it
// started, a grandchild of Cronline) die with it within seconds, so the re-run never runs
// beside them; its runs are closed within EXECUTOR_LEASE_SECONDS + 5 s of the kill; and a
// re-run that is itself interrupted keeps the chain of reasons back to the first run.
import { decodeGlobalID } from "@pothos/plugin-relay";
import { readdirSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { createScratchDatabase } from "../../src/db/scratch-database.js";
import { signalProcessGroup } from "../support/child-processes.js";
import { testCluster, type ClusterInstance } from "../support/cluster.js";
import { withoutPostgres } from "../support/databases.js";
import { CreateService } from "../support/operations.js";
import { CreateTask, RunTask } from "../support/task-operations.js";

const leaseSeconds = 3;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The processes of the machine: pid, parent pid and argument vector. */
function processes(): { pid: number; ppid: number; argv: string[] }[] {
  return readdirSync("/proc").flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return [];
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").slice(0, -1);
      // The parent pid follows the command name, which is in parentheses and may hold spaces.
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      return [{ pid: Number(entry), ppid, argv }];
    } catch {
      return []; // gone meanwhile
    }
  });
}

/** Pids of the processes whose argument vector is exactly `argv`. */
const processesRunning = (argv: string[]) => processes().flatMap((p) => (p.argv.join("\0") === argv.join("\0") ? [p.pid] : []));

/** Whether the server `pid` has its supervisor of command process groups running (a shell it started). */
const hasSupervisor = (pid: number) => processes().some((p) => p.ppid === pid && p.argv[0] === "/bin/sh" && p.argv[2]?.includes("kill -s KILL"));

interface RunRow {
  id: string;
  status: string;
  reason: string | null;
  ownerId: string | null;
  finishedAt: number | null;
}

describe.skipIf(withoutPostgres)("a process SIGKILLed while its command runs", () => {
  it("takes its command down with it, its run is closed within the lease + 5 s and re-run alone, and re-runs keep their chain of reasons", { timeout: 300_000 }, async () => {
    const scratch = await createScratchDatabase("postgresql");
    const cluster = testCluster(scratch.location.url, { EXECUTOR_LEASE_SECONDS: String(leaseSeconds), SHUTDOWN_GRACE_SECONDS: "1" });
    const db = new pg.Client({ connectionString: scratch.location.url });
    // The sleep, a grandchild of Cronline (sh runs it as a child, not exec'd), named uniquely.
    const sleepArgv = ["sleep", `600.${process.pid}${Date.now() % 100_000}`];
    let sampling = true;
    let mostAtOnce = 0;
    const sampler = (async () => {
      while (sampling) {
        mostAtOnce = Math.max(mostAtOnce, processesRunning(sleepArgv).length);
        await sleep(20);
      }
    })();
    try {
      const first = await cluster.start();
      await cluster.start();
      await db.connect();
      const run = async (id: string) =>
        (
          await db.query<RunRow>(`SELECT "id", "status", "reason", "ownerId", (EXTRACT(EPOCH FROM "finishedAt") * 1000)::float8 AS "finishedAt" FROM "Run" WHERE "id" = $1`, [id])
        ).rows[0]!;
      const rerunOf = async (id: string) =>
        (await db.query<{ id: string; reason: string }>(`SELECT "id", "reason" FROM "Run" WHERE "trigger" = 'RETRY' AND "reason" LIKE $1`, [`re-run of interrupted run ${id}%`])).rows[0];

      const { createService } = await first.client.data(CreateService, {
        input: { name: "long", kind: "COMMAND", config: { command: `sh -c '${sleepArgv.join(" ")}; true'`, timeoutSeconds: 3600 } },
      });
      if (createService.__typename !== "CreateServiceSuccess") throw new Error(createService.__typename);
      const { createTask } = await first.client.data(CreateTask, {
        input: { name: "long", serviceId: createService.service.id, misfirePolicy: "RUN_ALL", overlapPolicy: "SKIP", schedule: { once: { at: "2099-01-01T00:00:00Z" } } },
      });
      if (createTask.__typename !== "CreateTaskSuccess") throw new Error(createTask.__typename);
      const { runTask } = await first.client.data(RunTask, { input: { id: createTask.task.id, confirm: true } });
      if (runTask.__typename !== "RunTaskSuccess") throw new Error(runTask.__typename);

      const chain: string[] = [decodeGlobalID(runTask.run.id).id];
      for (let kill = 0; kill < 2; kill++) {
        const current = chain.at(-1)!;
        // Running, its sleep started: kill the process executing it.
        await expect.poll(async () => (await run(current)).status, { timeout: 60_000 }).toBe("RUNNING");
        await expect.poll(() => processesRunning(sleepArgv).length, { timeout: 30_000 }).toBe(1);
        const { ownerId } = await run(current);
        const owner = cluster.started.find((instance: ClusterInstance) => `${hostname()}:${instance.server.child.pid}` === ownerId)!;
        // Started with the executor; the command's group reaches it moments after the fork.
        expect(hasSupervisor(owner.server.child.pid!)).toBe(true);
        const killedAt = Date.now();
        signalProcessGroup(owner.server.child, "SIGKILL");
        await owner.server.exited;

        // Its command dies with it (nothing of Cronline's is left to kill it but the supervisor).
        await expect.poll(() => processesRunning(sleepArgv).length, { timeout: 5_000, interval: 20 }).toBe(0);
        console.log(`kill ${kill + 1}: the sleep was gone ${Date.now() - killedAt} ms after the kill`);
        await cluster.start();

        // Closed within the lease + 5 s of the kill, and re-run.
        await expect.poll(async () => (await run(current)).status, { timeout: 60_000 }).toBe("FAILED");
        const closed = await run(current);
        console.log(`kill ${kill + 1}: run closed ${closed.finishedAt! - killedAt} ms after the kill (lease ${leaseSeconds} s)`);
        expect(closed.finishedAt! - killedAt).toBeLessThanOrEqual((leaseSeconds + 5) * 1000);
        const rerun = await rerunOf(current);
        expect(rerun).toBeDefined();
        chain.push(rerun!.id);
      }

      // The chain of reasons back to the first run.
      const [original, firstRerun, secondRerun] = chain as [string, string, string];
      expect((await run(original)).reason).toBe("interrupted");
      expect((await run(firstRerun)).reason).toBe(`interrupted (re-run of interrupted run ${original})`);
      expect((await run(secondRerun)).reason).toBe(`re-run of interrupted run ${firstRerun}, itself a re-run of interrupted run ${original}`);
      // The last re-run runs, and never did two sleeps run at once.
      await expect.poll(() => processesRunning(sleepArgv).length, { timeout: 60_000 }).toBe(1);
      expect(mostAtOnce).toBe(1);
    } finally {
      sampling = false;
      await sampler;
      await db.end();
      await cluster.stop();
      await scratch.drop();
    }
    // Stopped (SIGTERM), a process cancels its commands.
    expect(processesRunning(sleepArgv)).toEqual([]);
  });
});
