import { describe, expect, it } from "vitest";
import { describeEachDatabase } from "../support/databases.js";
import { createDevice, createPool, createService } from "../support/fixtures.js";
import { CreatePool, DeleteDevice, DeletePool, DeleteService, DevicesPage, NodeById, PoolsPage, UpdateDevice, UpdatePool } from "../support/operations.js";
import { useTestServer } from "../support/test-server.js";

describeEachDatabase("pools", (provider) => {
  const server = useTestServer(provider);

  /** The pool as a page read shows it: devices are resolved at this moment. */
  async function readPool(name: string) {
    const { pools } = await server.client.data(PoolsPage, { filter: { nameContains: name } });
    const pool = pools.edges.map((e) => e.node).find((node) => node.name === name);
    if (!pool) throw new Error(`no pool named ${name}`);
    return pool;
  }

  /** The id of a device that existed and was deleted. */
  async function deletedDeviceId(name: string) {
    const device = await createDevice(server.client, { name });
    await server.client.data(DeleteDevice, { input: { id: device.id } });
    return device.id;
  }

  it("creates a pool with a description, tags and static members, and reads it back by its global id", async () => {
    const second = await createDevice(server.client, { name: "static-2" });
    const first = await createDevice(server.client, { name: "static-1" });
    const pool = await createPool(server.client, { name: "static", description: "rack A", tags: ["b", "a", "b"], deviceIds: [second.id, first.id, second.id] });
    expect(pool).toMatchObject({ name: "static", description: "rack A", tags: ["a", "b"], rule: null, members: [{ name: "static-1" }, { name: "static-2" }], devices: [{ name: "static-1" }, { name: "static-2" }] });
    const { node } = await server.client.data(NodeById, { id: pool.id });
    expect(node).toMatchObject({ __typename: "Pool", id: pool.id, name: "static" });
  });

  it("rejects a duplicate name with a ConflictError on input.name, on create and on rename", async () => {
    await createPool(server.client, { name: "dup-pool" });
    const other = await createPool(server.client, { name: "other-pool" });
    const { createPool: created } = await server.client.data(CreatePool, { input: { name: "dup-pool", description: "second" } });
    expect(created).toMatchObject({ __typename: "ConflictError", field: "input.name" });
    const { updatePool: renamed } = await server.client.data(UpdatePool, { input: { id: other.id, name: "dup-pool" } });
    expect(renamed).toMatchObject({ __typename: "ConflictError", field: "input.name" });
    const { pools } = await server.client.data(PoolsPage, { filter: { nameContains: "dup-pool" } });
    expect(pools.edges.map((e) => e.node)).toMatchObject([{ name: "dup-pool", description: "" }]);
  });

  describe("rule", () => {
    it("selects devices carrying ALL of its tags (the default) or ANY of them", async () => {
      await createDevice(server.client, { name: "tm-ab", tags: ["tm-a", "tm-b"] });
      await createDevice(server.client, { name: "tm-a", tags: ["tm-a"] });
      await createDevice(server.client, { name: "tm-b", tags: ["tm-b", "other"] });
      await createDevice(server.client, { name: "tm-none", tags: ["other"] });
      const all = await createPool(server.client, { name: "tm-all", rule: { tags: ["tm-a", "tm-b"] } });
      expect(all.rule).toEqual({ tags: ["tm-a", "tm-b"], tagMatch: "ALL", properties: {} });
      expect(all.devices.map((d) => d.name)).toEqual(["tm-ab"]);
      const any = await createPool(server.client, { name: "tm-any", rule: { tags: ["tm-a", "tm-b"], tagMatch: "ANY" } });
      expect(any.devices.map((d) => d.name)).toEqual(["tm-a", "tm-ab", "tm-b"]);
    });

    it("selects devices by property values, compared with their JSON type, alone or together with tags", async () => {
      await createDevice(server.client, { name: "pv-ams-1", tags: ["pv"], properties: { site: "ams", tier: 1 } });
      await createDevice(server.client, { name: "pv-ams-2", properties: { site: "ams", tier: 2 } });
      await createDevice(server.client, { name: "pv-fra-1", tags: ["pv"], properties: { site: "fra", tier: 1 } });
      const bySite = await createPool(server.client, { name: "pv-site", rule: { properties: { site: "ams" } } });
      expect(bySite.devices.map((d) => d.name)).toEqual(["pv-ams-1", "pv-ams-2"]);
      const byBoth = await createPool(server.client, { name: "pv-both", rule: { tags: ["pv"], properties: { tier: 1 } } });
      expect(byBoth.devices.map((d) => d.name)).toEqual(["pv-ams-1", "pv-fra-1"]);
      const byString = await createPool(server.client, { name: "pv-string", rule: { properties: { tier: "1" } } });
      expect(byString.devices).toEqual([]);
    });

    it("needs at least one tag or property, and names invalid rule tags", async () => {
      const { createPool: empty } = await server.client.data(CreatePool, { input: { name: "rule-empty", rule: { tagMatch: "ANY" } } });
      expect(empty).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ field: "input.rule" }] });
      const { createPool: badTag } = await server.client.data(CreatePool, { input: { name: "rule-bad", rule: { tags: ["ok", "not ok"] } } });
      expect(badTag).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ field: "input.rule.tags.1" }] });
      const { pools } = await server.client.data(PoolsPage, { filter: { nameContains: "rule-" } });
      expect(pools.totalCount).toBe(0);
    });
  });

  it("gives as devices the static members and the rule's matches, once each, by name, as they are when read", async () => {
    const member = await createDevice(server.client, { name: "live-member" });
    const both = await createDevice(server.client, { name: "live-both", tags: ["live"] });
    await createPool(server.client, { name: "live", deviceIds: [member.id, both.id], rule: { tags: ["live"] } });
    expect((await readPool("live")).devices.map((d) => d.name)).toEqual(["live-both", "live-member"]);

    const late = await createDevice(server.client, { name: "live-late", tags: ["live"] });
    expect((await readPool("live")).devices.map((d) => d.name)).toEqual(["live-both", "live-late", "live-member"]);
    // A static member stays when it stops matching; a mere match goes.
    await server.client.data(UpdateDevice, { input: { id: both.id, tags: [] } });
    await server.client.data(UpdateDevice, { input: { id: late.id, tags: ["dead"] } });
    const pool = await readPool("live");
    expect(pool.devices.map((d) => d.name)).toEqual(["live-both", "live-member"]);
    expect(pool.members.map((d) => d.name)).toEqual(["live-both", "live-member"]);
  });

  it("replaces members and tags on update, removes the rule with rule: null, and keeps what is left out", async () => {
    const a = await createDevice(server.client, { name: "upd-a" });
    const b = await createDevice(server.client, { name: "upd-b" });
    await createDevice(server.client, { name: "upd-ruled", tags: ["upd-rule"] });
    const pool = await createPool(server.client, { name: "upd-pool", description: "old", tags: ["x"], deviceIds: [a.id, b.id], rule: { tags: ["upd-rule"] } });

    const { updatePool: replaced } = await server.client.data(UpdatePool, { input: { id: pool.id, description: "new", tags: ["y"], deviceIds: [b.id] } });
    expect(replaced).toMatchObject({
      __typename: "UpdatePoolSuccess",
      pool: { name: "upd-pool", description: "new", tags: ["y"], rule: { tags: ["upd-rule"] }, members: [{ name: "upd-b" }], devices: [{ name: "upd-b" }, { name: "upd-ruled" }] },
    });
    const { updatePool: withoutRule } = await server.client.data(UpdatePool, { input: { id: pool.id, rule: null } });
    expect(withoutRule).toMatchObject({ pool: { rule: null, devices: [{ name: "upd-b" }] } });
    const { updatePool: renamed } = await server.client.data(UpdatePool, { input: { id: pool.id, name: "upd-renamed" } });
    expect(renamed).toMatchObject({ pool: { name: "upd-renamed", description: "new", tags: ["y"], rule: null, members: [{ name: "upd-b" }] } });
  });

  it("rejects unknown member ids with a NotFoundError naming the index, and writes nothing", async () => {
    const kept = await createDevice(server.client, { name: "nf-kept" });
    const goneId = await deletedDeviceId("nf-gone");
    const { createPool: created } = await server.client.data(CreatePool, { input: { name: "nf-new", deviceIds: [kept.id, goneId] } });
    expect(created).toMatchObject({ __typename: "NotFoundError", field: "input.deviceIds.1" });
    expect((await server.client.data(PoolsPage, { filter: { nameContains: "nf-new" } })).pools.totalCount).toBe(0);

    const pool = await createPool(server.client, { name: "nf-pool", deviceIds: [kept.id] });
    const { updatePool: updated } = await server.client.data(UpdatePool, { input: { id: pool.id, name: "nf-renamed", deviceIds: [goneId] } });
    expect(updated).toMatchObject({ __typename: "NotFoundError", field: "input.deviceIds.0" });
    expect((await readPool("nf-pool")).members.map((d) => d.name)).toEqual(["nf-kept"]);
  });

  describe("deleting", () => {
    it("refuses to delete a device still a static member, naming the pool, and deletes nothing", async () => {
      const device = await createDevice(server.client, { name: "held" });
      const pool = await createPool(server.client, { name: "holder", deviceIds: [device.id] });
      const { deleteDevice } = await server.client.data(DeleteDevice, { input: { id: device.id } });
      expect(deleteDevice).toMatchObject({ __typename: "InUseError", field: "input.id", usedBy: ['pool "holder"'] });
      expect((await server.client.data(DevicesPage, { filter: { nameContains: "held" } })).devices.totalCount).toBe(1);
      expect((await readPool("holder")).members.map((d) => d.name)).toEqual(["held"]);

      await server.client.data(UpdatePool, { input: { id: pool.id, deviceIds: [] } });
      expect((await server.client.data(DeleteDevice, { input: { id: device.id } })).deleteDevice).toMatchObject({ __typename: "DeleteDeviceSuccess" });
    });

    it("deletes a device the pool only selects by its rule, which then leaves the pool", async () => {
      const device = await createDevice(server.client, { name: "ruled-only", tags: ["ruled-only"] });
      await createPool(server.client, { name: "ruler", rule: { tags: ["ruled-only"] } });
      expect((await server.client.data(DeleteDevice, { input: { id: device.id } })).deleteDevice).toMatchObject({ __typename: "DeleteDeviceSuccess" });
      expect((await readPool("ruler")).devices).toEqual([]);
    });

    it("refuses to delete a pool a service targets, naming the service, and deletes it once the service is gone", async () => {
      const pool = await createPool(server.client, { name: "targeted" });
      const service = await createService(server.client, { name: "aims-at-pool", targetPoolIds: [pool.id] });
      const { deletePool: refused } = await server.client.data(DeletePool, { input: { id: pool.id } });
      expect(refused).toMatchObject({ __typename: "InUseError", field: "input.id", usedBy: ['service "aims-at-pool"'] });
      expect((await server.client.data(NodeById, { id: pool.id })).node).toMatchObject({ name: "targeted" });

      await server.client.data(DeleteService, { input: { id: service.id } });
      expect((await server.client.data(DeletePool, { input: { id: pool.id } })).deletePool).toMatchObject({ __typename: "DeletePoolSuccess", deletedId: pool.id });
      expect((await server.client.data(NodeById, { id: pool.id })).node).toBeNull();
    });
  });

  describe("listing", () => {
    it("filters by name and tag, orders stably and paginates with cursors", async () => {
      for (const name of ["plist-c", "plist-a", "PLIST-b", "plist-d"]) await createPool(server.client, { name, tags: name === "plist-d" ? ["odd"] : ["plisted"] });
      const byTag = await server.client.data(PoolsPage, { filter: { tag: "plisted" } });
      expect(byTag.pools.edges.map((e) => e.node.name)).toEqual(["PLIST-b", "plist-a", "plist-c"].sort());
      const first = await server.client.data(PoolsPage, { first: 2, filter: { nameContains: "plist-" } });
      expect(first.pools.totalCount).toBe(4);
      expect(first.pools.pageInfo.hasNextPage).toBe(true);
      const rest = await server.client.data(PoolsPage, { first: 10, after: first.pools.pageInfo.endCursor, filter: { nameContains: "plist-" } });
      expect(rest.pools.pageInfo.hasNextPage).toBe(false);
      const names = [...first.pools.edges, ...rest.pools.edges].map((e) => e.node.name);
      expect(names).toEqual(["PLIST-b", "plist-a", "plist-c", "plist-d"].sort());
      const newestFirst = await server.client.data(PoolsPage, { filter: { nameContains: "plist-" }, orderBy: { field: "CREATED_AT", direction: "DESC" } });
      expect(newestFirst.pools.edges.map((e) => e.node.name)).toEqual(["plist-d", "PLIST-b", "plist-a", "plist-c"]);
    });
  });
});
