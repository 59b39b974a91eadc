// Mistakes in the input, across devices, pools and services: each comes back typed, with
// the field or variable it concerns, never as an HTTP 500 or a stack trace, and nothing
// of the request is written.
import { decodeGlobalID } from "@pothos/plugin-relay";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { limits } from "../../src/domain/input-rules.js";
import { jsonInputLimits } from "../../src/domain/json-shape.js";
import { describeEachDatabase } from "../support/databases.js";
import { createDevice, createPool, createService } from "../support/fixtures.js";
import type { GraphQLResponse } from "../support/graphql-client.js";
import { CreateDevice, CreatePool, CreateService, DevicesPage, fieldErrorPaths, NodeById, PoolsPage, ServicesPage, UpdatePool, UpdateService } from "../support/operations.js";
import { useTestServer } from "../support/test-server.js";

const tooLongName = "n".repeat(limits.name + 1);
const tooLongDescription = "d".repeat(limits.description + 1);
const tooBigJson = { blob: "j".repeat(limits.jsonBytes) };

/** A request GraphQL validation refused: status 400, no data, a message naming $input and the path in it. */
function expectRefusedVariable(response: GraphQLResponse<unknown>, path: string) {
  expect(response.status).toBe(400);
  expect(response.data ?? null).toBeNull();
  expect(response.errors?.[0]?.message).toContain('Variable "$input"');
  expect(response.errors?.[0]?.message).toContain(path);
  expectNoStackTrace(response);
}

function expectNoStackTrace(body: unknown) {
  expect(JSON.stringify(body)).not.toMatch(/\bat \S+ \(|\.ts:\d+|node_modules|"stack"/);
}

describeEachDatabase("bad input", (provider) => {
  const server = useTestServer(provider);

  const poolCount = async (nameContains: string) => (await server.client.data(PoolsPage, { filter: { nameContains } })).pools.totalCount;
  const serviceCount = async (nameContains: string) => (await server.client.data(ServicesPage, { filter: { nameContains } })).services.totalCount;
  const deviceCount = async (nameContains: string) => (await server.client.data(DevicesPage, { filter: { nameContains } })).devices.totalCount;

  describe("oversize and invalid values: a ValidationError naming every field", () => {
    it("accepts a name and a description exactly at their limits", async () => {
      const name = "p".repeat(limits.name);
      const pool = await createPool(server.client, { name, description: "d".repeat(limits.description) });
      expect(pool.name).toBe(name);
      expect(pool.description).toHaveLength(limits.description);
    });

    it("for a pool", async () => {
      const device = await createDevice(server.client, { name: "bi-device" });
      const service = await createService(server.client, { name: "bi-not-a-device" });
      const { createPool: result } = await server.client.data(CreatePool, {
        input: { name: tooLongName, description: tooLongDescription, tags: ["fine", "has space"], deviceIds: [device.id], rule: { tags: ["x".repeat(limits.tag + 1)] } },
      });
      expect(result.__typename).toBe("ValidationError");
      expect(fieldErrorPaths(result)).toEqual(["input.description", "input.name", "input.rule.tags.0", "input.tags.1"]);
      expect(await poolCount(tooLongName.slice(0, 20))).toBe(0);
      const { createPool: wrongId } = await server.client.data(CreatePool, { input: { name: "bi-pool", deviceIds: [device.id, service.id] } });
      expect(wrongId).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ field: "input.deviceIds.1" }] });
      expect(await poolCount("bi-pool")).toBe(0);
    });

    it("for a service", async () => {
      const { createService: result } = await server.client.data(CreateService, {
        input: { name: "   ", description: tooLongDescription, kind: "COMMAND", config: { command: "true" }, defaultPayload: tooBigJson, tags: ["a b"] },
      });
      expect(result.__typename).toBe("ValidationError");
      expect(fieldErrorPaths(result)).toEqual(["input.defaultPayload", "input.description", "input.name", "input.tags.0"]);
      const pool = await createPool(server.client, { name: "bi-not-a-device-pool" });
      const { createService: wrongId } = await server.client.data(CreateService, { input: { name: "bi-svc", kind: "COMMAND", config: { command: "true" }, targetDeviceIds: [pool.id] } });
      expect(wrongId).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ field: "input.targetDeviceIds.0" }] });
      expect(await serviceCount("bi-svc")).toBe(0);
    });

    it("for a device's description", async () => {
      const { createDevice: result } = await server.client.data(CreateDevice, { input: { name: "bi-long-description", address: "10.0.0.1", description: tooLongDescription } });
      expect(result).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ field: "input.description" }] });
      expect(await deviceCount("bi-long-description")).toBe(0);
    });

    it("on update, changing nothing", async () => {
      const pool = await createPool(server.client, { name: "bi-upd-pool", description: "before" });
      const { updatePool } = await server.client.data(UpdatePool, { input: { id: pool.id, name: "bi-upd-pool-renamed", description: tooLongDescription } });
      expect(updatePool).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ field: "input.description" }] });
      expect((await server.client.data(PoolsPage, { filter: { nameContains: "bi-upd-pool" } })).pools.edges.map((e) => e.node)).toMatchObject([{ name: "bi-upd-pool", description: "before" }]);

      const service = await createService(server.client, { name: "bi-upd-svc", defaultPayload: { kept: true } });
      const { updateService } = await server.client.data(UpdateService, { input: { id: service.id, name: "bi-upd-svc-renamed", defaultPayload: tooBigJson } });
      expect(updateService).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ field: "input.defaultPayload" }] });
      expect((await server.client.data(ServicesPage, { filter: { nameContains: "bi-upd-svc" } })).services.edges.map((e) => e.node)).toMatchObject([{ name: "bi-upd-svc", defaultPayload: { kept: true } }]);
    });
  });

  describe("wrong types: refused by GraphQL validation with HTTP 400, naming the variable", () => {
    it("a number where a name goes", async () => {
      expectRefusedVariable(await server.client.request(CreatePool, { input: { name: 42 as never } }), "input.name");
      expect(await poolCount("42")).toBe(0);
    });

    it("an unknown service kind, and a boolean where an id goes", async () => {
      expectRefusedVariable(await server.client.request(CreateService, { input: { name: "bi-kind", kind: "SHELL" as never, config: { command: "true" } } }), "input.kind");
      expectRefusedVariable(await server.client.request(CreateService, { input: { name: "bi-kind", kind: "COMMAND", config: { command: "true" }, targetPoolIds: [true as never] } }), "input.targetPoolIds");
      expect(await serviceCount("bi-kind")).toBe(0);
    });

    it("JSON that is not an object: a list, a string holding (malformed) JSON, a number", async () => {
      expectRefusedVariable(await server.client.request(CreateService, { input: { name: "bi-json", kind: "COMMAND", config: { command: "true" }, defaultPayload: ["a"] as never } }), "input.defaultPayload");
      expectRefusedVariable(await server.client.request(CreateService, { input: { name: "bi-json", kind: "HTTP", config: '{"url": "https://example.net"' as never } }), "input.config");
      expectRefusedVariable(await server.client.request(CreateDevice, { input: { name: "bi-json", address: "10.0.0.1", properties: '{"rack": ' as never } }), "input.properties");
      expectRefusedVariable(await server.client.request(CreatePool, { input: { name: "bi-json", rule: { properties: 5 as never } } }), "input.rule.properties");
      expect(await serviceCount("bi-json")).toBe(0);
      expect(await deviceCount("bi-json")).toBe(0);
      expect(await poolCount("bi-json")).toBe(0);
    });
  });

  describe("JSON nested too deep or too large: refused before execution with HTTP 400, BAD_USER_INPUT naming the argument", () => {
    const nested = (depth: number): Record<string, unknown> => {
      let value: Record<string, unknown> = { leaf: true };
      for (let level = 1; level < depth; level++) value = { a: value };
      return value;
    };

    it("as a variable, however deep in the input; as deep as the limit is taken", async () => {
      const atLimit = await server.client.data(CreateDevice, { input: { name: "bi-json-64", address: "10.0.0.1", properties: nested(jsonInputLimits.depth) } });
      expect(atLimit.createDevice.__typename).toBe("CreateDeviceSuccess");
      for (const properties of [nested(jsonInputLimits.depth + 1), nested(2_000)]) {
        const refused = await server.client.request(CreateDevice, { input: { name: "bi-json-deep", address: "10.0.0.1", properties } });
        expect(refused.status).toBe(400);
        expect(refused.data ?? null).toBeNull();
        expect(refused.errors).toEqual([
          expect.objectContaining({
            message: `Too large a JSON value in "input.properties" of createDevice: must be nested at most ${jsonInputLimits.depth} levels deep.`,
            extensions: { code: "BAD_USER_INPUT", fieldErrors: [{ field: "input.properties", message: `must be nested at most ${jsonInputLimits.depth} levels deep` }] },
          }),
        ]);
      }
      const deepRule = await server.client.request(CreatePool, { input: { name: "bi-json-deep", rule: { properties: nested(100) } } });
      expect(deepRule.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", fieldErrors: [{ field: "input.rule.properties" }] });
      const large = await server.client.request(CreateDevice, { input: { name: "bi-json-deep", address: "10.0.0.1", properties: { blob: "j".repeat(jsonInputLimits.bytes) } } });
      expect(large.errors?.[0]?.extensions).toEqual({ code: "BAD_USER_INPUT", fieldErrors: [{ field: "input.properties", message: `must be at most ${jsonInputLimits.bytes / 1024} KiB as JSON` }] });
      expect(await deviceCount("bi-json-deep")).toBe(0);
      expect(await poolCount("bi-json-deep")).toBe(0);
    });

    it("written in the document: too deep a document is refused as it is parsed", async () => {
      const literal = (depth: number) => "{ a: ".repeat(depth) + "1" + " }".repeat(depth);
      const response = await fetch(server.app.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${server.adminToken}` },
        body: JSON.stringify({ query: `mutation { createDevice(input: { name: "bi-json-literal", address: "10.0.0.1", properties: ${literal(3_000)} }) { __typename } }` }),
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ errors: [{ message: expect.stringMatching(/^Syntax Error: Document nesting limit of \d+ exceeded\.$/), extensions: { code: "GRAPHQL_PARSE_FAILED", maxNesting: expect.any(Number) } }] });
      expect(await deviceCount("bi-json-literal")).toBe(0);
    });
  });

  describe("malformed ids and cursors: BAD_USER_INPUT naming the argument", () => {
    function expectBadArgument(response: GraphQLResponse<unknown>, argument: string) {
      expect(response.status).toBe(200);
      expect(response.errors).toHaveLength(1);
      expect(response.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", fieldErrors: [{ field: argument }] });
      expect(response.errors?.[0]?.message).toMatch(new RegExp(`^${argument}: `));
      expectNoStackTrace(response);
    }

    it("node(id:) with text that is no global id, with a global id of no type, and with one of a type that is not a Node", async () => {
      expectBadArgument(await server.client.request(NodeById, { id: "garbage" }), "id");
      expectBadArgument(await server.client.request(NodeById, { id: Buffer.from("Nope:1").toString("base64") }), "id");
      expectBadArgument(await server.client.request(NodeById, { id: Buffer.from("RunResult:1").toString("base64") }), "id");
    });

    it("a connection's after: cursor that it never handed out", async () => {
      await createDevice(server.client, { name: "bi-cursor" });
      expectBadArgument(await server.client.request(DevicesPage, { after: "zzz" }), "after");
    });
  });

  describe("page arguments that ask for no page: refused before execution with HTTP 400 and BAD_USER_INPUT naming them", () => {
    it("a negative first:, first: with last:, before: with after:", async () => {
      const negative = await server.client.request(PoolsPage, { first: -1 });
      expect(negative).toMatchObject({ status: 400, errors: [{ message: "Invalid page of pools: first must not be negative.", extensions: { code: "BAD_USER_INPUT", fieldErrors: [{ field: "first", message: "must not be negative" }] } }] });
      expect(negative.data ?? null).toBeNull();
      const post = async (query: string) => {
        const response = await fetch(server.app.url, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${server.adminToken}` },
          body: JSON.stringify({ query }),
        });
        return { status: response.status, ...((await response.json()) as Omit<GraphQLResponse<unknown>, "status">) };
      };
      // Nested pages too: a task's runs.
      const both = await post(`{ tasks(first: 1) { edges { node { runs(first: 2, last: 2) { edges { cursor } } } } } }`);
      expect(both).toMatchObject({ status: 400, errors: [{ message: "Invalid page of runs: last cannot be given with first.", extensions: { code: "BAD_USER_INPUT", fieldErrors: [{ field: "last", message: "cannot be given with first" }] } }] });
      const cursors = await post(`{ devices(after: "a", before: "b") { totalCount } }`);
      expect(cursors).toMatchObject({ status: 400, errors: [{ extensions: { code: "BAD_USER_INPUT", fieldErrors: [{ field: "before", message: "cannot be given with after" }] } }] });
    });
  });

  // Staged on PostgreSQL only: a SQLite write waiting for the lock blocks this very process
  // (the server runs in it, and better-sqlite3 is synchronous), so the deleting side could not
  // commit until the write gave up.
  describe.runIf(provider === "postgresql")("a target deleted between the existence check and the write: NotFoundError naming it", () => {
    /**
     * Sends `mutation` while another connection holds back the server's writes to pools,
     * services and their links (but not its reads), deletes `doomed` once the server has checked that it
     * exists, then lets the write go on: the race of a concurrent delete, made certain.
     */
    async function deleteDuringWrite<T>(doomed: { table: "Device" | "Pool"; id: string }, mutation: () => Promise<T>): Promise<T> {
      const client = new pg.Client({ connectionString: server.app.database.location.url });
      await client.connect();
      try {
        await client.query('BEGIN; LOCK TABLE "Pool", "PoolMember", "Service", "ServiceDeviceTarget", "ServicePoolTarget" IN SHARE ROW EXCLUSIVE MODE');
        const checked = server.statements.length;
        const result = mutation();
        const existenceChecked = () => server.statements.slice(checked).some((sql) => sql.includes(`"${doomed.table}"`) && sql.includes("IN ("));
        await expect.poll(existenceChecked, { timeout: 20_000 }).toBe(true);
        await client.query(`DELETE FROM "${doomed.table}" WHERE id = $1`, [doomed.id]);
        await client.query("COMMIT");
        return await result;
      } finally {
        // Without COMMIT (a failed step), ending the connection rolls back and frees the lock.
        await client.end();
      }
    }

    it("in a pool's devices, on create and on update", async () => {
      const kept = await createDevice(server.client, { name: "bi-kept-member" });
      const doomed = await createDevice(server.client, { name: "bi-doomed-member-1" });
      const created = await deleteDuringWrite({ table: "Device", id: decodeGlobalID(doomed.id).id }, () =>
        server.client.data(CreatePool, { input: { name: "bi-race-pool", deviceIds: [kept.id, doomed.id] } }),
      );
      expect(created.createPool).toMatchObject({ __typename: "NotFoundError", field: "input.deviceIds.1" });
      expect(await poolCount("bi-race-pool")).toBe(0);

      const pool = await createPool(server.client, { name: "bi-race-pool-2", deviceIds: [kept.id] });
      const other = await createDevice(server.client, { name: "bi-doomed-member-2" });
      const updated = await deleteDuringWrite({ table: "Device", id: decodeGlobalID(other.id).id }, () =>
        server.client.data(UpdatePool, { input: { id: pool.id, deviceIds: [other.id, kept.id] } }),
      );
      expect(updated.updatePool).toMatchObject({ __typename: "NotFoundError", field: "input.deviceIds.0" });
    });

    it("in a service's target devices and pools, on create and on update", async () => {
      const doomedDevice = await createDevice(server.client, { name: "bi-doomed-target-1" });
      const created = await deleteDuringWrite({ table: "Device", id: decodeGlobalID(doomedDevice.id).id }, () =>
        server.client.data(CreateService, { input: { name: "bi-race-svc", kind: "COMMAND", config: { command: "true" }, targetDeviceIds: [doomedDevice.id] } }),
      );
      expect(created.createService).toMatchObject({ __typename: "NotFoundError", field: "input.targetDeviceIds.0" });
      expect(await serviceCount("bi-race-svc")).toBe(0);

      const service = await createService(server.client, { name: "bi-race-svc-2" });
      const kept = await createPool(server.client, { name: "bi-kept-target" });
      const doomedPool = await createPool(server.client, { name: "bi-doomed-target-2" });
      const updated = await deleteDuringWrite({ table: "Pool", id: decodeGlobalID(doomedPool.id).id }, () =>
        server.client.data(UpdateService, { input: { id: service.id, targetPoolIds: [kept.id, doomedPool.id] } }),
      );
      expect(updated.updateService).toMatchObject({ __typename: "NotFoundError", field: "input.targetPoolIds.1" });
    });
  });

  it("answers a request body that is not JSON with HTTP 400", async () => {
    const response = await fetch(server.app.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
      body: '{"query": "mutation { createPool(input: { name: \\"bi-body\\" }) { __typename } }", "variables": {',
    });
    expect(response.status).toBe(400);
    expectNoStackTrace(await response.json());
    expect(await poolCount("bi-body")).toBe(0);
  });
});
