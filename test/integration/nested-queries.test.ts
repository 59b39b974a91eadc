import { decodeGlobalID, encodeGlobalID } from "@pothos/plugin-relay";
import { beforeAll, expect, it } from "vitest";
import type { TaskRunPagesQuery, TaskRunPagesQueryVariables } from "../generated/graphql/graphql.js";
import { graphql } from "../generated/graphql/index.js";
import { describeEachDatabase } from "../support/databases.js";
import { createDevice, createPool, createService } from "../support/fixtures.js";
import { PoolsPage, ServicesPage } from "../support/operations.js";
import { useTestServer } from "../support/test-server.js";

const rows = 12;

/**
 * A count that stays equal could still be broken logging (0 = 0). A page of 10 read row by
 * row would need at least 10 statements per nested list; batched, the whole page takes a
 * dozen or so.
 */
function expectFewButSome(statements: number) {
  expect(statements).toBeGreaterThan(0);
  expect(statements).toBeLessThanOrEqual(20);
}

describeEachDatabase("nested reads", (provider) => {
  // No task exists here, and resync and the instance's heartbeat are an hour away: nothing
  // is sent in the background while queries are counted, so every statement counted comes
  // from the request. Authentication is off because a token's lastUsedAt write (at most once
  // a minute, not awaited by the request) could otherwise land inside a counted window. The
  // counts are about batching: on a loaded machine a request can outlast an event-loop slice,
  // and a batch cut by the slice's end reads twice, so slices are made longer than any of these
  // requests.
  const server = useTestServer(provider, {
    SCHEDULER_RESYNC_SECONDS: "3600",
    EXECUTOR_POLL_SECONDS: "3600",
    EXECUTOR_LEASE_SECONDS: "3600",
    RUN_RETENTION_INTERVAL_SECONDS: "86400",
    AUTH_DISABLED: "true",
    EVENT_LOOP_SLICE_MS: "10000",
  });

  beforeAll(async () => {
    const devices = [];
    for (let i = 0; i < rows; i++) devices.push(await createDevice(server.client, { name: `dev-${i}`, tags: [`group-${i % 3}`], properties: { index: i } }));
    const pools = [];
    for (let i = 0; i < rows; i++) {
      const members = [devices[i]!.id, devices[(i + 1) % rows]!.id];
      // Tag rules and property-only rules take different paths through the device lookup.
      const rule = i % 2 === 0 ? { tags: [`group-${i % 3}`] } : { properties: { index: (i + 5) % rows } };
      pools.push(await createPool(server.client, { name: `pool-${i}`, deviceIds: members, rule }));
    }
    for (let i = 0; i < rows; i++) {
      await createService(server.client, {
        name: `svc-${i}`,
        targetDeviceIds: [devices[i]!.id, devices[(i + 2) % rows]!.id],
        targetPoolIds: [pools[i]!.id, pools[(i + 3) % rows]!.id],
      });
    }
  });

  it("reads pools with their members and devices in as many queries for a page of 10 as for a page of 2", async () => {
    const read = async (first: number) => {
      let edges = 0;
      const queries = await server.countQueries(async () => {
        const { pools } = await server.client.data(PoolsPage, { first });
        edges = pools.edges.length;
        // The nested lists were really read, so their queries are in the count.
        for (const { node } of pools.edges) {
          expect(node.members).toHaveLength(2);
          expect(node.devices.length).toBeGreaterThanOrEqual(2);
        }
      });
      expect(edges).toBe(first);
      return queries;
    };
    const [small, large] = [await read(2), await read(10)];
    expect(large).toBe(small);
    expectFewButSome(large);
  });

  it("reads services with their target devices and pools, and those pools' devices, in as many queries for 10 as for 2", async () => {
    const read = async (first: number) => {
      let edges = 0;
      const queries = await server.countQueries(async () => {
        const { services } = await server.client.data(ServicesPage, { first });
        edges = services.edges.length;
        for (const { node } of services.edges) {
          expect(node.targetDevices).toHaveLength(2);
          expect(node.targetPools).toHaveLength(2);
          for (const pool of node.targetPools) expect(pool.devices.length).toBeGreaterThanOrEqual(2);
        }
      });
      expect(edges).toBe(first);
      return queries;
    };
    const [small, large] = [await read(2), await read(10)];
    expect(large).toBe(small);
    expectFewButSome(large);
  });
});

const TaskRunPages = graphql(`
  query TaskRunPages($first: Int, $runsFirst: Int, $runsAfter: String, $runsLast: Int, $runsBefore: String) {
    tasks(first: $first) {
      edges {
        node {
          name
          runs(first: $runsFirst, after: $runsAfter, last: $runsLast, before: $runsBefore) {
            pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
            edges { node { id } }
          }
        }
      }
    }
  }
`);

const RunResultPages = graphql(`
  query RunResultPages($id: ID!, $first: Int, $after: String, $statuses: [RunResultStatus!]) {
    run(id: $id) {
      results(first: $first, after: $after, statuses: $statuses) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { node { id status } }
      }
    }
  }
`);

const TaskRunFields = graphql(`
  query TaskRunFields {
    tasks(first: 3) {
      edges { node { name runs(first: 2) { edges { node { id status trigger scheduledFor results(first: 1) { edges { node { id status output } } } } } } } }
    }
  }
`);

const tasksWithRuns = 3;
const runsPerTask = 50;

/** The ids in the widest `<table>.id IN (...)` of the statements that read `table`'s rows by id. */
function widestIdList(statements: string[], table: string): number {
  const byId = new RegExp(`${table}[\`"]\\.[\`"]id[\`"] IN \\(([^)]*)\\)`);
  return Math.max(0, ...statements.map((sql) => byId.exec(sql)?.[1]!.split(",").length ?? 0));
}

describeEachDatabase("nested pages read per parent", (provider) => {
  // Long slices, as above: the statements' id lists are about batching.
  const server = useTestServer(provider, {
    SCHEDULER_RESYNC_SECONDS: "3600",
    EXECUTOR_POLL_SECONDS: "3600",
    RUN_RETENTION_INTERVAL_SECONDS: "86400",
    AUTH_DISABLED: "true",
    EVENT_LOOP_SLICE_MS: "10000",
  });
  /** Each task's run ids, newest first (claimedAt, then id, descending). */
  const runIdsByTask = new Map<string, string[]>();
  let resultRunId = "";

  beforeAll(async () => {
    const db = server.app.database.client;
    const service = await db.service.create({ data: { name: "paged", kind: "COMMAND", config: { command: "true" }, defaultPayload: {} } });
    const base = Date.parse("2026-03-01T00:00:00Z");
    for (let t = 0; t < tasksWithRuns; t++) {
      const task = await db.task.create({
        data: { name: `paged-${t}`, serviceId: service.id, schedule: {}, payload: {}, state: "PAUSED", misfirePolicy: "SKIP", misfireGraceSeconds: 60, overlapPolicy: "SKIP" },
      });
      // Pairs of runs share a claim instant, so the id decides between them.
      await db.run.createMany({
        data: Array.from({ length: runsPerTask }, (_, i) => ({
          taskId: task.id,
          trigger: "MANUAL",
          status: "SUCCEEDED",
          scheduledFor: new Date(base),
          payload: {},
          claimedAt: new Date(base + Math.floor(i / 2) * 1000),
        })),
      });
      const runs = await db.run.findMany({ where: { taskId: task.id }, orderBy: [{ claimedAt: "desc" }, { id: "desc" }], select: { id: true } });
      runIdsByTask.set(task.name, runs.map((run) => run.id));
    }
    resultRunId = runIdsByTask.get("paged-0")![0]!;
    await db.runResult.createMany({
      data: Array.from({ length: 7 }, (_, i) => ({
        runId: resultRunId,
        attempt: 1,
        status: i % 3 === 0 ? "FAILED" : "SUCCEEDED",
        output: "",
        startedAt: new Date(base + i * 1000),
        finishedAt: new Date(base + i * 1000),
        durationMs: 0,
      })),
    });
  });

  it("reads at most a page of runs (and one more) per task, with a LIMIT per task", async () => {
    const before = server.statements.length;
    const { tasks } = await server.client.data(TaskRunPages, { first: tasksWithRuns, runsFirst: 5 });
    const statements = server.statements.slice(before);
    expect(tasks.edges).toHaveLength(tasksWithRuns);
    for (const { node } of tasks.edges) {
      expect(node.runs.edges.map((edge) => decodeGlobalID(edge.node.id).id)).toEqual(runIdsByTask.get(node.name)!.slice(0, 5));
      expect(node.runs.pageInfo.hasNextPage).toBe(true);
    }
    // Every run row read is one of a page: 3 tasks × (5 + 1), not 3 × 50.
    expect(widestIdList(statements, "Run")).toBe(tasksWithRuns * 6);
    const pageStatement = statements.find((sql) => /FROM "Run" WHERE "taskId" =/.test(sql));
    expect(pageStatement?.match(/LIMIT/g)).toHaveLength(tasksWithRuns);
  });

  it("reads the fields of every parent's page from the page's own statement, not again row by row", async () => {
    const before = server.statements.length;
    const { tasks } = await server.client.data(TaskRunFields);
    const statements = server.statements.slice(before);
    expect(tasks.edges).toHaveLength(tasksWithRuns);
    for (const { node } of tasks.edges) expect(node.runs.edges.map((edge) => edge.node.status)).toEqual(["SUCCEEDED", "SUCCEEDED"]);
    // One statement for the run rows of every task's page, one for the result rows of every
    // run's page: a row whose fields were looked for under another parent's path was read again.
    const readingRows = (table: string) => statements.filter((sql) => new RegExp(`FROM \\S*[\`"]${table}[\`"] WHERE .*[\`"]id[\`"] (IN|=)`).test(sql));
    expect(readingRows("Run")).toHaveLength(1);
    expect(readingRows("RunResult")).toHaveLength(1);
  });

  it("pages through a task's runs forwards and backwards, ties on the claim instant broken by id", async () => {
    const pageThrough = async (backward: boolean) => {
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < runsPerTask; pages++) {
        const variables: TaskRunPagesQueryVariables = backward ? { first: 1, runsLast: 7, runsBefore: cursor } : { first: 1, runsFirst: 7, runsAfter: cursor };
        const { tasks }: TaskRunPagesQuery = await server.client.data(TaskRunPages, variables);
        const { edges, pageInfo } = tasks.edges[0]!.node.runs;
        const ids = edges.map((edge) => decodeGlobalID(edge.node.id).id);
        seen.splice(backward ? 0 : seen.length, 0, ...ids);
        if (!(backward ? pageInfo.hasPreviousPage : pageInfo.hasNextPage)) break;
        cursor = backward ? pageInfo.startCursor! : pageInfo.endCursor!;
      }
      return seen;
    };
    const expected = runIdsByTask.get("paged-0")!;
    expect(await pageThrough(false)).toEqual(expected);
    expect(await pageThrough(true)).toEqual(expected);
  });

  it("pages a run's results in the order they started, filtered by status, with the filtered total", async () => {
    const id = encodeGlobalID("Run", resultRunId);
    const first = await server.client.data(RunResultPages, { id, first: 2, statuses: ["FAILED"] });
    expect(first.run!.results.totalCount).toBe(3);
    expect(first.run!.results.edges.map((edge) => edge.node.status)).toEqual(["FAILED", "FAILED"]);
    const rest = await server.client.data(RunResultPages, { id, first: 2, after: first.run!.results.pageInfo.endCursor, statuses: ["FAILED"] });
    expect(rest.run!.results.edges).toHaveLength(1);
    expect(rest.run!.results.pageInfo.hasNextPage).toBe(false);
    const all = await server.client.data(RunResultPages, { id, first: 100 });
    expect(all.run!.results.totalCount).toBe(7);
    const ids = all.run!.results.edges.map((edge) => edge.node.id);
    expect(ids).toHaveLength(7);
    expect([...first.run!.results.edges, ...rest.run!.results.edges].map((edge) => edge.node.id)).toEqual(ids.filter((_, i) => i % 3 === 0));
  });
});
