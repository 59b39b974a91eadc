import { describe, expect, it } from "vitest";
import { describeEachDatabase } from "../support/databases.js";
import { createDevice, createPool, createService } from "../support/fixtures.js";
import { CreateService, DeleteDevice, DeletePool, DeleteService, DevicesPage, fieldErrorPaths, NodeById, ServicesPage, UpdateService } from "../support/operations.js";
import { useTestServer } from "../support/test-server.js";

describeEachDatabase("services", (provider) => {
  const server = useTestServer(provider);

  async function readService(name: string) {
    const { services } = await server.client.data(ServicesPage, { filter: { nameContains: name } });
    const service = services.edges.map((e) => e.node).find((node) => node.name === name);
    if (!service) throw new Error(`no service named ${name}`);
    return service;
  }

  it("creates a COMMAND service with config, default payload, tags and default targets, and reads the targets nested", async () => {
    const b = await createDevice(server.client, { name: "tgt-b" });
    const a = await createDevice(server.client, { name: "tgt-a" });
    const member = await createDevice(server.client, { name: "tgt-member" });
    const pool = await createPool(server.client, { name: "tgt-pool", deviceIds: [member.id] });
    const service = await createService(server.client, {
      name: "backup",
      description: "nightly backup",
      config: { command: "backup.sh --all", environment: { LANG: "C" }, timeoutSeconds: 600 },
      defaultPayload: { retries: 2, paths: ["/etc", "/var"], options: { compress: true } },
      targetDeviceIds: [b.id, a.id, b.id],
      targetPoolIds: [pool.id],
      tags: ["ops", "nightly"],
    });
    expect(service).toMatchObject({
      name: "backup",
      description: "nightly backup",
      kind: "COMMAND",
      // Environment values are secret: write-only.
      config: { command: "backup.sh --all", environment: { LANG: "••••" }, timeoutSeconds: 600 },
      defaultPayload: { retries: 2, paths: ["/etc", "/var"], options: { compress: true } },
      tags: ["nightly", "ops"],
      targetDevices: [{ name: "tgt-a" }, { name: "tgt-b" }],
      targetPools: [{ name: "tgt-pool" }],
    });
    expect(await readService("backup")).toMatchObject({ targetPools: [{ name: "tgt-pool", members: [{ name: "tgt-member" }], devices: [{ name: "tgt-member" }] }] });
    expect((await server.client.data(NodeById, { id: service.id })).node).toMatchObject({ __typename: "Service", name: "backup" });
  });

  it("creates an HTTP service, filling the config's defaults, with an empty default payload unless given", async () => {
    const service = await createService(server.client, { name: "hook", kind: "HTTP", config: { url: "https://example.net/hook", expectedStatusCodes: [200, 204] } });
    expect(service).toMatchObject({ kind: "HTTP", config: { url: "https://example.net/hook", method: "POST", expectedStatusCodes: [200, 204] }, defaultPayload: {}, targetDevices: [], targetPools: [] });
  });

  describe("config", () => {
    it("rejects a COMMAND config that breaks the kind's rules, naming input.config.<key>, and writes nothing", async () => {
      const { createService: result } = await server.client.data(CreateService, {
        input: { name: "bad-command", kind: "COMMAND", config: { command: "  ", timeoutSeconds: 0, environment: { "bad name": "x" } } },
      });
      expect(result.__typename).toBe("ValidationError");
      expect(fieldErrorPaths(result)).toEqual(["input.config.command", "input.config.environment.bad name", "input.config.timeoutSeconds"]);
      expect((await server.client.data(ServicesPage, { filter: { nameContains: "bad-command" } })).services.totalCount).toBe(0);
    });

    it("rejects an HTTP config that breaks the kind's rules, naming input.config.<key>", async () => {
      const { createService: result } = await server.client.data(CreateService, {
        input: { name: "bad-http", kind: "HTTP", config: { url: "ftp://example.net/file", method: "FETCH", expectedStatusCodes: [] } },
      });
      expect(fieldErrorPaths(result)).toEqual(["input.config.expectedStatusCodes", "input.config.method", "input.config.url"]);
    });

    it("names a key the kind does not know", async () => {
      const { createService: result } = await server.client.data(CreateService, { input: { name: "stray-key", kind: "COMMAND", config: { command: "true", url: "https://example.net" } } });
      expect(fieldErrorPaths(result)).toEqual(["input.config.url"]);
    });

    it("checks a new config against the current kind, and a new kind against its config, changing nothing when either is wrong", async () => {
      const service = await createService(server.client, { name: "switch", config: { command: "true" } });
      const { updateService: badConfig } = await server.client.data(UpdateService, { input: { id: service.id, name: "switched", config: { url: "https://example.net" } } });
      expect(fieldErrorPaths(badConfig)).toEqual(["input.config.command", "input.config.url"]);
      const { updateService: kindOnly } = await server.client.data(UpdateService, { input: { id: service.id, kind: "HTTP" } });
      expect(kindOnly.__typename).toBe("ValidationError");
      expect(fieldErrorPaths(kindOnly)).toContain("input.config.url");
      expect(await readService("switch")).toMatchObject({ kind: "COMMAND", config: { command: "true" } });

      const { updateService: both } = await server.client.data(UpdateService, { input: { id: service.id, kind: "HTTP", config: { url: "https://example.net", method: "GET" } } });
      expect(both).toMatchObject({ __typename: "UpdateServiceSuccess", service: { kind: "HTTP", config: { url: "https://example.net", method: "GET" } } });
    });
  });

  it("rejects unknown target ids with a NotFoundError naming the index, and writes nothing", async () => {
    const device = await createDevice(server.client, { name: "nf-device" });
    const gone = await createDevice(server.client, { name: "nf-gone" });
    await server.client.data(DeleteDevice, { input: { id: gone.id } });
    const gonePool = await createPool(server.client, { name: "nf-gone-pool" });
    await server.client.data(DeletePool, { input: { id: gonePool.id } });

    const { createService: byDevice } = await server.client.data(CreateService, { input: { name: "nf-svc", kind: "COMMAND", config: { command: "true" }, targetDeviceIds: [device.id, gone.id] } });
    expect(byDevice).toMatchObject({ __typename: "NotFoundError", field: "input.targetDeviceIds.1" });
    const { createService: byPool } = await server.client.data(CreateService, { input: { name: "nf-svc", kind: "COMMAND", config: { command: "true" }, targetPoolIds: [gonePool.id] } });
    expect(byPool).toMatchObject({ __typename: "NotFoundError", field: "input.targetPoolIds.0" });
    expect((await server.client.data(ServicesPage, { filter: { nameContains: "nf-svc" } })).services.totalCount).toBe(0);

    const service = await createService(server.client, { name: "nf-kept", targetDeviceIds: [device.id] });
    const { updateService } = await server.client.data(UpdateService, { input: { id: service.id, tags: ["changed"], targetDeviceIds: [gone.id] } });
    expect(updateService).toMatchObject({ __typename: "NotFoundError", field: "input.targetDeviceIds.0" });
    expect(await readService("nf-kept")).toMatchObject({ tags: [], targetDevices: [{ name: "nf-device" }] });
  });

  it("replaces targets, tags and the default payload on update, and keeps what is left out", async () => {
    const a = await createDevice(server.client, { name: "rep-a" });
    const b = await createDevice(server.client, { name: "rep-b" });
    const pool = await createPool(server.client, { name: "rep-pool" });
    const service = await createService(server.client, { name: "rep", description: "kept", defaultPayload: { old: true }, tags: ["x"], targetDeviceIds: [a.id], targetPoolIds: [pool.id] });
    const { updateService } = await server.client.data(UpdateService, { input: { id: service.id, defaultPayload: { fresh: 1 }, tags: ["y"], targetDeviceIds: [b.id], targetPoolIds: [] } });
    expect(updateService).toMatchObject({
      __typename: "UpdateServiceSuccess",
      service: { name: "rep", description: "kept", kind: "COMMAND", config: { command: "true" }, defaultPayload: { fresh: 1 }, tags: ["y"], targetDevices: [{ name: "rep-b" }], targetPools: [] },
    });
  });

  it("rejects a duplicate name with a ConflictError on input.name, on create and on rename", async () => {
    await createService(server.client, { name: "dup-svc" });
    const other = await createService(server.client, { name: "other-svc" });
    const { createService: created } = await server.client.data(CreateService, { input: { name: "dup-svc", kind: "HTTP", config: { url: "https://example.net" } } });
    expect(created).toMatchObject({ __typename: "ConflictError", field: "input.name" });
    const { updateService: renamed } = await server.client.data(UpdateService, { input: { id: other.id, name: "dup-svc" } });
    expect(renamed).toMatchObject({ __typename: "ConflictError", field: "input.name" });
    expect(await readService("dup-svc")).toMatchObject({ kind: "COMMAND" });
  });

  it("refuses to delete a device a service targets, naming the service, and deletes nothing", async () => {
    const device = await createDevice(server.client, { name: "aimed-at" });
    const service = await createService(server.client, { name: "aims", targetDeviceIds: [device.id] });
    const { deleteDevice } = await server.client.data(DeleteDevice, { input: { id: device.id } });
    expect(deleteDevice).toMatchObject({ __typename: "InUseError", field: "input.id", usedBy: ['service "aims"'] });
    expect((await server.client.data(DevicesPage, { filter: { nameContains: "aimed-at" } })).devices.totalCount).toBe(1);

    expect((await server.client.data(DeleteService, { input: { id: service.id } })).deleteService).toMatchObject({ __typename: "DeleteServiceSuccess" });
    expect((await server.client.data(DeleteDevice, { input: { id: device.id } })).deleteDevice).toMatchObject({ __typename: "DeleteDeviceSuccess" });
  });

  describe("listing", () => {
    it("filters by name, tag and kind, orders stably and paginates with cursors", async () => {
      await createService(server.client, { name: "slist-c", tags: ["slisted"] });
      await createService(server.client, { name: "slist-a", tags: ["slisted"], kind: "HTTP", config: { url: "https://example.net/a" } });
      await createService(server.client, { name: "SLIST-b", tags: ["slisted"] });
      await createService(server.client, { name: "slist-d", kind: "HTTP", config: { url: "https://example.net/d" } });
      const byTag = await server.client.data(ServicesPage, { filter: { tag: "slisted" } });
      expect(byTag.services.edges.map((e) => e.node.name)).toEqual(["SLIST-b", "slist-a", "slist-c"].sort());
      const byKind = await server.client.data(ServicesPage, { filter: { nameContains: "slist-", kind: "HTTP" } });
      expect(byKind.services.totalCount).toBe(2);
      expect(byKind.services.edges.map((e) => e.node.name)).toEqual(["slist-a", "slist-d"]);
      const byAll = await server.client.data(ServicesPage, { filter: { nameContains: "SLIST", tag: "slisted", kind: "COMMAND" } });
      expect(byAll.services.edges.map((e) => e.node.name)).toEqual(["SLIST-b", "slist-c"].sort());

      const first = await server.client.data(ServicesPage, { first: 2, filter: { nameContains: "slist-" } });
      expect(first.services.totalCount).toBe(4);
      expect(first.services.pageInfo.hasNextPage).toBe(true);
      const rest = await server.client.data(ServicesPage, { first: 10, after: first.services.pageInfo.endCursor, filter: { nameContains: "slist-" } });
      expect(rest.services.pageInfo.hasNextPage).toBe(false);
      const names = [...first.services.edges, ...rest.services.edges].map((e) => e.node.name);
      expect(names).toEqual(["SLIST-b", "slist-a", "slist-c", "slist-d"].sort());
      const descending = await server.client.data(ServicesPage, { filter: { nameContains: "slist-" }, orderBy: { field: "NAME", direction: "DESC" } });
      expect(descending.services.edges.map((e) => e.node.name)).toEqual([...names].reverse());
    });
  });
});
