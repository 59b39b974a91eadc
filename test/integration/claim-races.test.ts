// Pauses and edits written at the very instant two instances' schedulers claim the same
// occurrence, thousands of times. Whichever commits first wins: a claim that commits first
// runs and the write then applies on top of it; a claim that would commit after the write is
// dropped, so it never runs the old schedule nor undoes the write. Most writes are made as
// the API makes them (the same domain functions) from a connection of the test's own, as
// another instance would, so that thousands fit in a minute on a loaded machine; every tenth
// goes through the GraphQL API of either instance.
import { encodeGlobalID } from "@pothos/plugin-relay";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../src/db/database.js";
import { applyMigrations } from "../../src/db/migrations.js";
import { createScratchDatabase, type ScratchDatabase } from "../../src/db/scratch-database.js";
import { taskDefaults } from "../../src/domain/task-policies.js";
import { pauseTask, updateTask } from "../../src/domain/tasks.js";
import { scheduleToJson } from "../../src/domain/task-schedule.js";
import { testCluster, type TestCluster } from "../support/cluster.js";
import { Instances } from "../support/cluster-operations.js";
import { withoutPostgres } from "../support/databases.js";
import { PauseTask, UpdateTask } from "../support/task-operations.js";

const races = 2_000;
/** Between the occurrences of consecutive tasks. */
const spacingMs = 30;
/** Time for both instances to start before the first occurrence; those a slower start overruns are left out of the race. */
const startBudgetMs = 15_000;
/** How much an outcome moves the time writes are sent at. */
const minLeadStepMs = 1;
const maxLeadStepMs = 1_000;
const day = 86_400_000;

describe.skipIf(withoutPostgres)("pauses and edits racing claims across two instances", () => {
  let scratch: ScratchDatabase | undefined;
  let cluster: TestCluster | undefined;
  let database: Database | undefined;
  afterEach(async () => {
    await database?.close();
    await cluster?.stop();
    await scratch?.drop();
  });

  it(`win whenever they commit first, ${races} times over`, { timeout: 300_000 }, async () => {
    scratch = await createScratchDatabase("postgresql");
    await applyMigrations(scratch.location);
    database = await openDatabase(scratch.location);
    const db = database.client;
    // Runs fail at once against a closed port: what counts is which claims commit, and no process is spawned.
    const service = await db.service.create({ data: { name: "refused", kind: "HTTP", config: { url: "http://127.0.0.1:9/", method: "POST" }, defaultPayload: {} } });
    // Each task fires once within the test (then hourly), each at its own instant; written in one statement, as the scheduler reads them.
    const firstAt = Date.now() + startBudgetMs;
    const tasks = Array.from({ length: races }, (_, k) => ({ id: `race-${String(k).padStart(4, "0")}`, at: firstAt + k * spacingMs, write: k % 2 === 0 ? ("pause" as const) : ("edit" as const) }));
    await db.task.createMany({
      data: tasks.map(({ id, at }) => ({
        id,
        name: id,
        serviceId: service.id,
        schedule: scheduleToJson({ kind: "STANDARD", startAt: new Date(at), frequencySeconds: 3600, endAt: null }),
        payload: {},
        state: "ACTIVE",
        nextRunAt: new Date(at),
        misfirePolicy: taskDefaults.misfirePolicy,
        misfireGraceSeconds: taskDefaults.misfireGraceSeconds,
        overlapPolicy: "ALLOW",
      })),
    });
    // A heartbeat every 2 s, so each instance's claims show soon.
    cluster = testCluster(scratch.location.url, { EXECUTOR_LEASE_SECONDS: "6" });
    const instances = await Promise.all([cluster.start(), cluster.start()]);
    // Occurrences already due when both instances are up are no race (a loaded machine can
    // take longer than the budget to start them): the race is the rest.
    const startedAt = Date.now();
    const raced = tasks.filter(({ at }) => at > startedAt);
    expect(raced.length).toBeGreaterThan(races / 2);

    // Each write is sent `lead` ms before its task's occurrence, moved after each outcome
    // towards the point where claims and writes commit first equally often, whatever the
    // machine's load makes the requests take: by steps that double while the outcome stays
    // the same and halve when it turns.
    let lead = 0;
    let step = minLeadStepMs;
    let lastClaimedFirst: boolean | undefined;
    const outcomes: Promise<string>[] = [];
    for (const [k, { id, at, write }] of raced.entries()) {
      // Pacing, not waiting for a condition: the race is the test.
      await sleep(at - lead - Date.now());
      const later = { standard: { startAt: new Date(at + day), frequencySeconds: 3600 } };
      let sent: Promise<string>;
      if (k % 10 === 0) {
        const { client } = instances[(k / 10) % 2]!;
        const input = { id: encodeGlobalID("Task", id) };
        sent =
          write === "pause"
            ? client.data(PauseTask, { input: { ...input, note: "race" } }).then((result) => result.pauseTask.__typename)
            : client.data(UpdateTask, { input: { ...input, schedule: { standard: { ...later.standard, startAt: later.standard.startAt.toISOString() } } } }).then((result) => result.updateTask.__typename);
      } else {
        const deps = { db, now: new Date(), actor: "race" };
        sent = write === "pause" ? pauseTask(deps, id, "race").then(() => "PauseTaskSuccess") : updateTask(deps, id, { schedule: later }).then(() => "UpdateTaskSuccess");
      }
      outcomes.push(
        sent.then(async (typename) => {
          const claimedFirst = (await db.run.count({ where: { taskId: id } })) > 0;
          step = claimedFirst === lastClaimedFirst ? Math.min(step * 2, maxLeadStepMs) : Math.max(step / 2, minLeadStepMs);
          lastClaimedFirst = claimedFirst;
          lead += claimedFirst ? step : -step;
          return typename;
        }),
      );
    }
    const settled = await Promise.allSettled(outcomes);
    expect(settled.filter((outcome) => outcome.status === "rejected")).toEqual([]);
    expect(new Set(settled.map((outcome) => (outcome as PromiseFulfilledResult<string>).value))).toEqual(new Set(["PauseTaskSuccess", "UpdateTaskSuccess"]));
    // Both schedulers were in the race.
    const claimed = async () => (await instances[0]!.client.data(Instances)).instances.map((instance) => instance.claimsMade > 0);
    await expect.poll(claimed, { timeout: 30_000 }).toEqual([true, true]);
    expect(await cluster.stop()).toEqual([0, 0]);

    const rows = new Map((await db.task.findMany({ select: { id: true, state: true, nextRunAt: true, runs: { select: { occurrence: true } } } })).map((row) => [row.id, row]));
    let claimFirst = 0;
    const wrong: unknown[] = [];
    for (const { id, at, write } of raced) {
      const { state, nextRunAt, runs } = rows.get(id)!;
      const expected = write === "pause" ? { state: "PAUSED", nextRunAt: null } : { state: "ACTIVE", nextRunAt: at + day };
      const seen = { state, nextRunAt: nextRunAt?.getTime() ?? null };
      // At most the raced occurrence ran, claimed before the write; after it, nothing of the old schedule.
      if (JSON.stringify(seen) !== JSON.stringify(expected) || runs.length > 1 || runs.some((run) => run.occurrence?.getTime() !== at)) wrong.push({ id, write, seen, runs });
      claimFirst += runs.length;
    }
    expect(wrong).toEqual([]);
    // The races were real: both orders happened many times.
    expect(claimFirst).toBeGreaterThan(raced.length / 10);
    expect(raced.length - claimFirst).toBeGreaterThan(raced.length / 10);
    console.log(`claim races: ${raced.length} of ${races}; the claim committed first ${claimFirst} times, the pause or edit ${raced.length - claimFirst} times`);
  });
});
