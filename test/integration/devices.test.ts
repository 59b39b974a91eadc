import { describe, expect, it } from "vitest";
import { describeEachDatabase } from "../support/databases.js";
import { createDevice } from "../support/fixtures.js";
import { CreateDevice, DeleteDevice, DevicesPage, NodeById, UpdateDevice } from "../support/operations.js";
import { useTestServer } from "../support/test-server.js";

describeEachDatabase("devices", (provider) => {
  const server = useTestServer(provider);

  it("creates a device and reads it back by its global id", async () => {
    const device = await createDevice(server.client, { name: "edge-1", address: "edge-1.example.net", tags: ["prod", "edge", "prod"], properties: { rack: "A3", slots: 4 } });
    expect(device).toMatchObject({ name: "edge-1", address: "edge-1.example.net", description: "", tags: ["edge", "prod"], properties: { rack: "A3", slots: 4 } });
    const { node } = await server.client.data(NodeById, { id: device.id });
    expect(node).toMatchObject({ __typename: "Device", id: device.id, name: "edge-1" });
  });

  it("updates only the fields given, and replaces tags", async () => {
    const device = await createDevice(server.client, { name: "upd-1", tags: ["a"], properties: { x: 1 } });
    const { updateDevice } = await server.client.data(UpdateDevice, { input: { id: device.id, description: "core switch", tags: ["b", "c"] } });
    expect(updateDevice).toMatchObject({ __typename: "UpdateDeviceSuccess", device: { name: "upd-1", address: "10.0.0.1", description: "core switch", tags: ["b", "c"], properties: { x: 1 } } });
  });

  it("rejects a duplicate name with a ConflictError on input.name and writes nothing", async () => {
    await createDevice(server.client, { name: "dup-1" });
    const { createDevice: result } = await server.client.data(CreateDevice, { input: { name: "dup-1", address: "10.0.0.2" } });
    expect(result).toMatchObject({ __typename: "ConflictError", field: "input.name" });
    const page = await server.client.data(DevicesPage, { filter: { nameContains: "dup-1" } });
    expect(page.devices.totalCount).toBe(1);
  });

  it("rejects renaming onto another device's name", async () => {
    await createDevice(server.client, { name: "ren-a" });
    const b = await createDevice(server.client, { name: "ren-b" });
    const { updateDevice } = await server.client.data(UpdateDevice, { input: { id: b.id, name: "ren-a" } });
    expect(updateDevice).toMatchObject({ __typename: "ConflictError", field: "input.name" });
  });

  it("names every invalid field in one ValidationError", async () => {
    const { createDevice: result } = await server.client.data(CreateDevice, {
      input: { name: "x".repeat(201), address: "not a host!", tags: ["ok", "has space"], properties: { big: "y".repeat(70_000) } },
    });
    expect(result.__typename).toBe("ValidationError");
    if (result.__typename !== "ValidationError") return;
    expect(result.fieldErrors.map((e) => e.field).sort()).toEqual(["input.address", "input.name", "input.properties", "input.tags.1"]);
    expect(result.fieldErrors.find((e) => e.field === "input.name")?.message).toMatch(/at most 200/);
    const page = await server.client.data(DevicesPage, { filter: { nameContains: "xxxx" } });
    expect(page.devices.totalCount).toBe(0);
  });

  it("accepts IP addresses and hostnames as address, and refuses digits and dots that are no IPv4 address", async () => {
    for (const address of ["192.0.2.10", "2001:db8::1", "edge-2.example.net", "host1"]) {
      expect((await createDevice(server.client, { name: `addr-${address}`, address })).address).toBe(address);
    }
    for (const address of ["256.1.1.1", "1.2.3", "999", "1.2.3.4.5"]) {
      const { createDevice: result } = await server.client.data(CreateDevice, { input: { name: `bad-addr-${address}`, address } });
      expect(result).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ field: "input.address", message: "must be a hostname or an IP address" }] });
    }
    expect((await server.client.data(DevicesPage, { filter: { nameContains: "bad-addr-" } })).devices.totalCount).toBe(0);
  });

  it("rejects an explicit null for a required field on update", async () => {
    const device = await createDevice(server.client, { name: "null-1" });
    const { updateDevice } = await server.client.data(UpdateDevice, { input: { id: device.id, address: null } });
    expect(updateDevice).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ field: "input.address" }] });
  });

  it("answers unknown and malformed ids with typed errors", async () => {
    const device = await createDevice(server.client, { name: "gone-1" });
    expect((await server.client.data(DeleteDevice, { input: { id: device.id } })).deleteDevice).toMatchObject({ __typename: "DeleteDeviceSuccess", deletedId: device.id });
    expect((await server.client.data(DeleteDevice, { input: { id: device.id } })).deleteDevice).toMatchObject({ __typename: "NotFoundError", field: "input.id" });
    expect((await server.client.data(UpdateDevice, { input: { id: device.id, name: "again" } })).updateDevice).toMatchObject({ __typename: "NotFoundError", field: "input.id" });
    expect((await server.client.data(UpdateDevice, { input: { id: "garbage", name: "again" } })).updateDevice).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ field: "input.id" }] });
  });

  it("rejects a JSON value that is not an object, at the variable, with HTTP 4xx rather than 500", async () => {
    const result = await server.client.request(CreateDevice, { input: { name: "json-1", address: "10.0.0.9", properties: ["not", "an", "object"] as never } });
    expect(result.status).toBeGreaterThanOrEqual(400);
    expect(result.status).toBeLessThan(500);
    expect(result.errors?.[0]?.message).toMatch(/properties/);
  });

  describe("listing", () => {
    it("filters by name and tag, orders stably and paginates with cursors", async () => {
      for (const name of ["list-c", "list-a", "LIST-b", "list-d"]) await createDevice(server.client, { name, tags: name === "list-d" ? ["odd"] : ["listed"] });
      const byTag = await server.client.data(DevicesPage, { filter: { tag: "listed" } });
      expect(byTag.devices.edges.map((e) => e.node.name)).toEqual(["LIST-b", "list-a", "list-c"].sort());
      const first = await server.client.data(DevicesPage, { first: 2, filter: { nameContains: "list-" } });
      expect(first.devices.totalCount).toBe(4);
      expect(first.devices.pageInfo.hasNextPage).toBe(true);
      const rest = await server.client.data(DevicesPage, { first: 10, after: first.devices.pageInfo.endCursor, filter: { nameContains: "list-" } });
      const names = [...first.devices.edges, ...rest.devices.edges].map((e) => e.node.name);
      expect(names).toEqual(["LIST-b", "list-a", "list-c", "list-d"].sort());
      const descending = await server.client.data(DevicesPage, { filter: { nameContains: "list-" }, orderBy: { field: "NAME", direction: "DESC" } });
      expect(descending.devices.edges.map((e) => e.node.name)).toEqual([...names].reverse());
    });
  });
});
