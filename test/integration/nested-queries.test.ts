import { beforeAll, expect, it } from "vitest";
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
  // No task exists here, and resync is an hour away: the scheduler sends nothing while
  // queries are counted, so every statement counted comes from the request. Authentication
  // is off because a token's lastUsedAt write (at most once a minute, not awaited by the
  // request) could otherwise land inside a counted window.
  const server = useTestServer(provider, {
    SCHEDULER_RESYNC_SECONDS: "3600",
    EXECUTOR_POLL_SECONDS: "3600",
    RUN_RETENTION_INTERVAL_SECONDS: "86400",
    AUTH_DISABLED: "true",
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
