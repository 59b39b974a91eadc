import { request } from "node:http";
import { beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { malformedConnectionParams } from "../../src/http/graphql-ws.js";
import { revokeApiToken } from "../../src/auth/tokens.js";
import { loadConfig, ConfigError } from "../../src/config.js";
import { createScratchDatabase } from "../../src/db/scratch-database.js";
import { schema } from "../../src/schema/index.js";
import { spawnServer } from "../support/server-process.js";
import { describeEachDatabase } from "../support/databases.js";
import { graphqlClient } from "../support/graphql-client.js";
import { RunEvents, ScheduleView, TaskEvents } from "../support/live-operations.js";
import { subscribe, subscriptionClient } from "../support/subscriptions.js";
import { AuditedService, AuditedTask, CreateApiToken, ListApiTokens, RevokeApiToken, UpdateAuditedService } from "../support/auth-operations.js";
import { CreateService } from "../support/operations.js";
import { CreateTask, DuplicateTask, PauseTask, PauseTasks, RunTask, UpdateTask } from "../support/task-operations.js";
import { useTestServer, type TestServer } from "../support/test-server.js";
import { createTestToken } from "../support/tokens.js";

type Caller = "none" | "revoked" | "expired" | "VIEWER" | "OPERATOR" | "ADMIN";
const callers: Caller[] = ["none", "revoked", "expired", "VIEWER", "OPERATOR", "ADMIN"];

interface RawResponse {
  status: number;
  body: { data?: Record<string, { __typename?: string } | null> | null; errors?: { message: string; extensions?: { code?: string } }[] };
}

/** A request as any HTTP client sends it, with the token (if any) as a bearer header. */
async function raw(url: string, query: string, token?: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token !== undefined && { authorization: `Bearer ${token}` }), ...headers },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, body: (await response.json()) as RawResponse["body"] };
}

/** The root fields of the schema: the matrices below must cover exactly these. */
const rootFields = {
  query: Object.keys(schema.getQueryType()!.getFields()).sort(),
  mutation: Object.keys(schema.getMutationType()!.getFields()).sort(),
  subscription: Object.keys(schema.getSubscriptionType()!.getFields()).sort(),
};

/** Every mutation with an input that reaches its resolver and is refused there, so nothing is written. */
const mutations: Record<string, { role: "OPERATOR" | "ADMIN"; call: string }> = {
  createDevice: { role: "ADMIN", call: `createDevice(input: { name: "", address: "" })` },
  updateDevice: { role: "ADMIN", call: `updateDevice(input: { id: "nope" })` },
  deleteDevice: { role: "ADMIN", call: `deleteDevice(input: { id: "nope" })` },
  createPool: { role: "ADMIN", call: `createPool(input: { name: "" })` },
  updatePool: { role: "ADMIN", call: `updatePool(input: { id: "nope" })` },
  deletePool: { role: "ADMIN", call: `deletePool(input: { id: "nope" })` },
  createService: { role: "ADMIN", call: `createService(input: { name: "", kind: COMMAND, config: {} })` },
  updateService: { role: "ADMIN", call: `updateService(input: { id: "nope" })` },
  deleteService: { role: "ADMIN", call: `deleteService(input: { id: "nope" })` },
  createTask: { role: "ADMIN", call: `createTask(input: { name: "", serviceId: "nope", schedule: { once: { at: "2030-01-01T00:00:00Z" } } })` },
  updateTask: { role: "ADMIN", call: `updateTask(input: { id: "nope" })` },
  duplicateTask: { role: "ADMIN", call: `duplicateTask(input: { id: "nope" })` },
  deleteTask: { role: "ADMIN", call: `deleteTask(input: { id: "nope" })` },
  createApiToken: { role: "ADMIN", call: `createApiToken(input: { name: "", role: VIEWER })` },
  revokeApiToken: { role: "ADMIN", call: `revokeApiToken(input: { id: "nope" })` },
  pauseTask: { role: "OPERATOR", call: `pauseTask(input: { id: "nope" })` },
  resumeTask: { role: "OPERATOR", call: `resumeTask(input: { id: "nope" })` },
  runTask: { role: "OPERATOR", call: `runTask(input: { id: "nope" })` },
  pauseTasks: { role: "OPERATOR", call: `pauseTasks(input: { tag: "no-task-has-this-tag" }) { ... on PauseTasksSuccess { tasks { id } } }` },
  resumeTasks: { role: "OPERATOR", call: `resumeTasks(input: { tag: "no-task-has-this-tag" }) { ... on ResumeTasksSuccess { tasks { id } } }` },
  runTasks: { role: "OPERATOR", call: `runTasks(input: { tag: "no-task-has-this-tag" }) { ... on RunTasksSuccess { runs { id } } }` },
  cancelRun: { role: "OPERATOR", call: `cancelRun(input: { id: "nope" })` },
  skipNextRun: { role: "OPERATOR", call: `skipNextRun(input: { id: "nope" })` },
  backfillTask: { role: "OPERATOR", call: `backfillTask(input: { id: "nope", from: "2020-01-01T00:00:00Z", to: "2020-01-02T00:00:00Z" })` },
  cancelBackfill: { role: "OPERATOR", call: `cancelBackfill(input: { id: "nope" })` },
  rerunFailedTargets: { role: "OPERATOR", call: `rerunFailedTargets(input: { id: "nope" })` },
  drainInstance: { role: "ADMIN", call: `drainInstance(input: { id: "nope" })` },
};

/** Every query, with arguments it answers without error; `deviceId` is a device that exists. */
const queries: Record<string, { role: "VIEWER" | "ADMIN"; call: (deviceId: string) => string }> = {
  apiTokens: { role: "ADMIN", call: () => `apiTokens { name }` },
  devices: { role: "VIEWER", call: () => `devices { totalCount }` },
  instances: { role: "ADMIN", call: () => `instances { id }` },
  node: { role: "VIEWER", call: (deviceId) => `node(id: "${deviceId}") { __typename }` },
  nodes: { role: "VIEWER", call: (deviceId) => `nodes(ids: ["${deviceId}"]) { __typename }` },
  pools: { role: "VIEWER", call: () => `pools { totalCount }` },
  previewSchedule: { role: "VIEWER", call: () => `previewSchedule(schedule: { once: { at: "2030-01-01T00:00:00Z" } }) { __typename }` },
  run: { role: "VIEWER", call: () => `run(id: "no-such-run") { id }` },
  runs: { role: "VIEWER", call: () => `runs { pageInfo { hasNextPage } }` },
  services: { role: "VIEWER", call: () => `services { totalCount }` },
  tasks: { role: "VIEWER", call: () => `tasks { totalCount }` },
  viewer: { role: "VIEWER", call: () => `viewer { name role }` },
};

/** Every subscription; each is opened by the websocket test below. */
const subscriptions: Record<string, { role: "VIEWER" }> = {
  runEvents: { role: "VIEWER" },
  scheduleView: { role: "VIEWER" },
  taskEvents: { role: "VIEWER" },
};

const rank: Record<Caller, number> = { none: -1, revoked: -1, expired: -1, VIEWER: 0, OPERATOR: 1, ADMIN: 2 };
const roleRank = { VIEWER: 0, OPERATOR: 1, ADMIN: 2 } as const;

/** What a caller gets: ALLOWED (the resolver ran), FORBIDDEN (a valid token, too weak a role) or UNAUTHENTICATED. */
function expected(caller: Caller, role: keyof typeof roleRank): "ALLOWED" | "FORBIDDEN" | "UNAUTHENTICATED" {
  if (rank[caller] < 0) return "UNAUTHENTICATED";
  return rank[caller] >= roleRank[role] ? "ALLOWED" : "FORBIDDEN";
}

function outcome(field: string, response: RawResponse): string {
  const code = response.body.errors?.[0]?.extensions?.code;
  if (code === "FORBIDDEN" || code === "UNAUTHENTICATED") {
    expect(response.body.data ?? null).toBeNull();
    return code;
  }
  expect(response.body.errors).toBeUndefined();
  expect(response.body.data?.[field]?.__typename).toEqual(expect.any(String));
  return "ALLOWED";
}

async function tokensOfEveryKind(server: TestServer): Promise<Record<Caller, string | undefined>> {
  const revoked = await createTestToken(server.app, "ADMIN", "revoked-admin");
  await revokeApiToken(server.app.database.client, { name: "revoked-admin" }, new Date());
  return {
    none: undefined,
    revoked,
    expired: await createTestToken(server.app, "ADMIN", undefined, { expiresAt: new Date(Date.now() - 1000) }),
    VIEWER: await createTestToken(server.app, "VIEWER"),
    OPERATOR: await createTestToken(server.app, "OPERATOR"),
    ADMIN: await createTestToken(server.app, "ADMIN"),
  };
}

describeEachDatabase("who may do what", (provider) => {
  const server = useTestServer(provider);
  let tokens: Record<Caller, string | undefined>;
  let deviceId: string;

  beforeAll(async () => {
    tokens = await tokensOfEveryKind(server);
    const created = await raw(server.app.url, `mutation { createDevice(input: { name: "matrix", address: "10.0.0.1" }) { ... on CreateDeviceSuccess { device { id } } } }`, tokens.ADMIN);
    deviceId = (created.body.data!.createDevice as unknown as { device: { id: string } }).device.id;
  });

  it("covers every query, mutation and subscription of the schema", () => {
    expect(Object.keys(queries).sort()).toEqual(rootFields.query);
    expect(Object.keys(mutations).sort()).toEqual(rootFields.mutation);
    expect(Object.keys(subscriptions).sort()).toEqual(rootFields.subscription);
  });

  for (const field of rootFields.mutation) {
    it(`mutation ${field}: ${mutations[field]?.role ?? "(no expectation)"} and above`, async () => {
      const { role, call } = mutations[field]!;
      const seen: Record<string, string> = {};
      const wanted: Record<string, string> = {};
      for (const caller of callers) {
        const query = call.endsWith("}") ? `mutation { ${call.replace(/\{ \.\.\. on/, "{ __typename ... on")} }` : `mutation { ${call} { __typename } }`;
        seen[caller] = outcome(field, await raw(server.app.url, query, tokens[caller]));
        wanted[caller] = expected(caller, role);
      }
      expect(seen).toEqual(wanted);
    });
  }

  for (const field of rootFields.query) {
    it(`query ${field}: ${queries[field]?.role ?? "(no expectation)"} and above`, async () => {
      const { role, call } = queries[field]!;
      const seen: Record<string, string> = {};
      const wanted: Record<string, string> = {};
      for (const caller of callers) {
        const response = await raw(server.app.url, `{ ${call(deviceId)} }`, tokens[caller]);
        const code = response.body.errors?.[0]?.extensions?.code;
        if (code === "FORBIDDEN" || code === "UNAUTHENTICATED") {
          // A nullable field (node, run) answers null beside the error; a non-null one nulls data.
          expect(response.body.data?.[field] ?? null).toBeNull();
          seen[caller] = code;
        } else {
          expect(response.body.errors).toBeUndefined();
          expect(response.body.data).toHaveProperty(field);
          seen[caller] = "ALLOWED";
        }
        wanted[caller] = expected(caller, role);
      }
      expect(seen).toEqual(wanted);
    });
  }

  it("tells callers who they are: their token's name and role", async () => {
    const operator = await createTestToken(server.app, "OPERATOR", "who-am-i");
    expect((await raw(server.app.url, `{ viewer { name role } }`, operator)).body).toEqual({ data: { viewer: { name: "who-am-i", role: "OPERATOR" } } });
  });

  it("explains a refusal: what is missing, which role a field needs", async () => {
    const none = await raw(server.app.url, `mutation { deleteTask(input: { id: "nope" }) { __typename } }`);
    expect(none.body.errors?.[0]?.message).toMatch(/^Not authenticated: no API token was sent/);
    const revoked = await raw(server.app.url, `{ devices { totalCount } }`, tokens.revoked);
    expect(revoked.body.errors?.[0]?.message).toBe("Not authenticated: the API token is revoked");
    const expired = await raw(server.app.url, `{ devices { totalCount } }`, tokens.expired);
    expect(expired.body.errors?.[0]?.message).toBe("Not authenticated: the API token is expired");
    const forbidden = await raw(server.app.url, `mutation { deleteTask(input: { id: "nope" }) { __typename } }`, tokens.OPERATOR);
    expect(forbidden.body.errors?.[0]).toMatchObject({ message: expect.stringMatching(/deleteTask needs the ADMIN role/), extensions: { code: "FORBIDDEN" } });
    expect(JSON.stringify(forbidden.body)).not.toMatch(/\s+at /);
    const viewerPausing = await raw(server.app.url, `mutation { pauseTask(input: { id: "nope" }) { __typename } }`, tokens.VIEWER);
    expect(viewerPausing.body.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/^Forbidden: pauseTask needs the OPERATOR role; token ".+" is VIEWER$/),
      extensions: { code: "FORBIDDEN", requiredRole: "OPERATOR" },
    });
    const operatorListing = await raw(server.app.url, `{ apiTokens { name } }`, tokens.OPERATOR);
    expect(operatorListing.body.errors?.[0]).toMatchObject({ message: expect.stringMatching(/^Forbidden: apiTokens needs the ADMIN role/), extensions: { requiredRole: "ADMIN" } });
    const bogus = await raw(server.app.url, `{ devices { totalCount } }`, "cl_not-a-token");
    expect(bogus.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("tells a malformed Authorization header from a missing one, over HTTP and websocket", async () => {
    const query = `{ devices { totalCount } }`;
    const malformed = 'Not authenticated: the Authorization header is not "Bearer <token>"';
    for (const authorization of [tokens.ADMIN!, `Basic ${Buffer.from("admin:secret").toString("base64")}`, `Bearer ${tokens.ADMIN} extra`]) {
      const response = await raw(server.app.url, query, undefined, { authorization });
      expect({ authorization, error: response.body.errors?.[0] }).toEqual({ authorization, error: expect.objectContaining({ message: malformed, extensions: { code: "UNAUTHENTICATED" } }) });
    }
    expect((await raw(server.app.url, query, undefined, { authorization: " " })).body.errors?.[0]?.message).toMatch(/^Not authenticated: no API token was sent/);

    for (const payload of [{ authorization: "Basic YWRtaW46c2VjcmV0" }, { authorization: 42 }, { token: ["cl_x"] }]) {
      expect({ payload, closed: await connectionInitClose(server.app.url, payload) }).toEqual({ payload, closed: { code: 4401, reason: malformedConnectionParams } });
    }
    expect(await connectionInitClose(server.app.url, {})).toEqual({ code: 4401, reason: "Unauthorized" });
    // The bare token is a form connectionParams accept.
    expect(await connectionInitClose(server.app.url, { authorization: tokens.ADMIN })).toBe("ack");
  });

  it("subscriptions: VIEWER and above over websocket; no token closes with 4401, a bad one with 4403", async () => {
    const admin = graphqlClient(server.app.url, tokens.ADMIN);
    const { createService } = await admin.data(CreateService, { input: { name: "sub-matrix", kind: "COMMAND", config: { command: "true" } } });
    if (createService.__typename !== "CreateServiceSuccess") throw new Error(createService.__typename);
    for (const caller of callers) {
      const client = subscriptionClient(server.app.url, tokens[caller]);
      try {
        const view = subscribe(client, ScheduleView, { tickSeconds: 1 });
        const tasks = subscribe(client, TaskEvents, {});
        const runs = subscribe(client, RunEvents, {});
        // Every subscription of the schema is opened here, each needing the role the table says.
        expect(Object.keys({ scheduleView: view, taskEvents: tasks, runEvents: runs }).sort()).toEqual(rootFields.subscription);
        expect(new Set(Object.values(subscriptions).map(({ role }) => role))).toEqual(new Set(["VIEWER"]));
        if (expected(caller, "VIEWER") === "ALLOWED") {
          await view.waitFor((e) => e.scheduleView.kind === "SNAPSHOT", { from: 0 });
          const { createTask } = await admin.data(CreateTask, {
            input: { name: `sub-${caller}`, serviceId: createService.service.id, schedule: { once: { at: "2030-01-01T00:00:00Z" } } },
          });
          if (createTask.__typename !== "CreateTaskSuccess") throw new Error(createTask.__typename);
          await tasks.waitFor((e) => e.taskEvents.task?.name === `sub-${caller}`, { from: 0 });
          await admin.data(RunTask, { input: { id: createTask.task.id, confirm: false } });
          await runs.waitFor((e) => e.runEvents.type === "RUN_QUEUED", { from: 0 });
        } else {
          const closed = await client.closed;
          expect({ caller, code: closed.code }).toEqual({ caller, code: caller === "none" ? 4401 : 4403 });
          for (const subscription of [view, tasks, runs]) {
            await subscription.ended;
            expect(subscription.events).toEqual([]);
          }
        }
      } finally {
        await client.dispose();
      }
    }
  });

  it("subscriptions over server-sent events need a token too", async () => {
    const response = await fetch(server.app.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ query: "subscription { scheduleView(tickSeconds: 1) { kind } }" }),
    });
    const text = await response.text();
    expect(text).toMatch(/UNAUTHENTICATED/);
    expect(text).not.toMatch(/SNAPSHOT/);
  });
});

describeEachDatabase("API tokens", (provider) => {
  const server = useTestServer(provider);

  it("creates a token whose secret is shown once and works at once; lists tokens without secrets; revokes", async () => {
    const { createApiToken } = await server.client.data(CreateApiToken, { input: { name: "ci-viewer", role: "VIEWER" } });
    if (createApiToken.__typename !== "CreateApiTokenSuccess") throw new Error(createApiToken.__typename);
    const { secret, id } = createApiToken.apiToken;
    expect(secret).toMatch(/^cl_[A-Za-z0-9_-]{43}$/);
    const viewer = graphqlClient(server.app.url, secret);
    expect((await raw(server.app.url, "{ devices { totalCount } }", secret)).body.errors).toBeUndefined();

    const stored = await server.app.database.client.apiToken.findUniqueOrThrow({ where: { id } });
    expect(stored.tokenHash).not.toContain(secret.slice(3));
    expect(stored.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    await expect.poll(async () => (await server.app.database.client.apiToken.findUniqueOrThrow({ where: { id } })).lastUsedAt).not.toBeNull();

    const { apiTokens } = await server.client.data(ListApiTokens);
    expect(apiTokens.find((token) => token.name === "ci-viewer")).toMatchObject({ role: "VIEWER", createdBy: "test-admin", revokedAt: null });
    expect(JSON.stringify(apiTokens)).not.toContain(secret);

    const duplicate = await server.client.data(CreateApiToken, { input: { name: "ci-viewer", role: "ADMIN" } });
    expect(duplicate.createApiToken.__typename).toBe("ConflictError");

    const { revokeApiToken } = await server.client.data(RevokeApiToken, { input: { id } });
    expect(revokeApiToken).toMatchObject({ __typename: "RevokeApiTokenSuccess", apiToken: { revokedAt: expect.any(String) } });
    const refused = await viewer.request(ListApiTokens);
    expect(refused.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("refuses a token past its expiry", async () => {
    // The token must be used once before it expires: a machine too busy to do that within the
    // lead given gets another token with twice the lead.
    for (let leadMs = 1500, attempt = 1; ; leadMs *= 2, attempt += 1) {
      const soon = new Date(Date.now() + leadMs);
      const { createApiToken } = await server.client.data(CreateApiToken, { input: { name: `short-lived-${attempt}`, role: "VIEWER", expiresAt: soon.toISOString() } });
      if (createApiToken.__typename !== "CreateApiTokenSuccess") throw new Error(createApiToken.__typename);
      const { secret } = createApiToken.apiToken;
      const before = await raw(server.app.url, "{ devices { totalCount } }", secret);
      if (before.body.errors && Date.now() > soon.getTime() && leadMs < 60_000) continue;
      expect(before.body.errors).toBeUndefined();
      await new Promise((resolve) => setTimeout(resolve, soon.getTime() - Date.now() + 50));
      expect((await raw(server.app.url, "{ devices { totalCount } }", secret)).body.errors?.[0]?.message).toBe("Not authenticated: the API token is expired");
      return;
    }
  });

  it("records which token created and changed tasks and services, and which paused a task", async () => {
    const operator = graphqlClient(server.app.url, await createTestToken(server.app, "OPERATOR", `night-shift-${provider}`));
    const otherAdmin = graphqlClient(server.app.url, await createTestToken(server.app, "ADMIN", `second-admin-${provider}`));
    const { createService } = await server.client.data(CreateService, { input: { name: "audited", kind: "COMMAND", config: { command: "true" } } });
    if (createService.__typename !== "CreateServiceSuccess") throw new Error(createService.__typename);
    const serviceId = createService.service.id;
    expect((await server.client.data(AuditedService, { id: serviceId })).node).toMatchObject({ createdBy: "test-admin", updatedBy: "test-admin" });
    await otherAdmin.data(UpdateAuditedService, { input: { id: serviceId, description: "edited" } });
    expect((await server.client.data(AuditedService, { id: serviceId })).node).toMatchObject({ createdBy: "test-admin", updatedBy: `second-admin-${provider}` });

    const { createTask } = await server.client.data(CreateTask, { input: { name: "audited", serviceId, schedule: { once: { at: "2030-01-01T00:00:00Z" } } }, schedule: true });
    if (createTask.__typename !== "CreateTaskSuccess") throw new Error(createTask.__typename);
    const taskId = createTask.task.id;
    await otherAdmin.data(UpdateTask, { input: { id: taskId, description: "edited" } });
    await operator.data(PauseTask, { input: { id: taskId, note: "maintenance" } });
    expect((await server.client.data(AuditedTask, { id: taskId })).node).toMatchObject({
      createdBy: "test-admin",
      updatedBy: `second-admin-${provider}`,
      pausedBy: `night-shift-${provider}`,
      pauseNote: "maintenance",
    });

    const { duplicateTask } = await otherAdmin.data(DuplicateTask, { input: { id: taskId } });
    if (duplicateTask.__typename !== "DuplicateTaskSuccess") throw new Error(duplicateTask.__typename);
    expect((await server.client.data(AuditedTask, { id: duplicateTask.task.id })).node).toMatchObject({
      createdBy: `second-admin-${provider}`,
      updatedBy: `second-admin-${provider}`,
    });

    const { createTask: tagged } = await server.client.data(CreateTask, {
      input: { name: "audited-bulk", serviceId, tags: [`bulk-${provider}`], schedule: { once: { at: "2030-01-01T00:00:00Z" } } },
      schedule: true,
    });
    if (tagged.__typename !== "CreateTaskSuccess") throw new Error(tagged.__typename);
    const bulkOperator = graphqlClient(server.app.url, await createTestToken(server.app, "OPERATOR", `bulk-operator-${provider}`));
    const { pauseTasks } = await bulkOperator.data(PauseTasks, { input: { tag: `bulk-${provider}`, note: "bulk maintenance" } });
    expect(pauseTasks).toMatchObject({ __typename: "PauseTasksSuccess", tasks: [{ name: "audited-bulk", state: "PAUSED" }] });
    expect((await server.client.data(AuditedTask, { id: tagged.task.id })).node).toMatchObject({
      createdBy: "test-admin",
      pausedBy: `bulk-operator-${provider}`,
      pauseNote: "bulk maintenance",
    });
  });
});

describe("AUTH_DISABLED", () => {
  it("is refused at startup unless HOST is a loopback address, naming the variable", () => {
    for (const host of ["0.0.0.0", "10.1.2.3", "::", "example.com"]) {
      expect(() => loadConfig({ AUTH_DISABLED: "true", HOST: host })).toThrow(ConfigError);
      try {
        loadConfig({ AUTH_DISABLED: "true", HOST: host });
      } catch (error) {
        expect((error as ConfigError).problems.join("\n")).toMatch(/^AUTH_DISABLED=.*loopback HOST/);
      }
    }
    for (const host of ["127.0.0.1", "127.8.9.10", "::1", "localhost", "[::1]"]) {
      expect(loadConfig({ AUTH_DISABLED: "true", HOST: host }).auth.disabled).toBe(true);
    }
    expect(loadConfig({ HOST: "0.0.0.0" }).auth.disabled).toBe(false);
  });

  it("is announced on stderr at every start, even with LOG_LEVEL=silent", async () => {
    const scratch = await createScratchDatabase("sqlite");
    const server = spawnServer({ AUTH_DISABLED: "true", HOST: "127.0.0.1", LOG_LEVEL: "silent", DATABASE_URL: scratch.location.url });
    try {
      await expect.poll(() => server.stderr.join(""), { timeout: 30_000 }).toMatch(/^WARNING: AUTHENTICATION IS DISABLED \(AUTH_DISABLED=true\)/);
    } finally {
      server.child.kill("SIGTERM");
      await server.exited;
      await scratch.drop();
    }
  });

  it("never echoes the bootstrap token in a configuration error", () => {
    expect(() => loadConfig({ CRONLINE_BOOTSTRAP_ADMIN_TOKEN: "short-secret" })).toThrow(/CRONLINE_BOOTSTRAP_ADMIN_TOKEN=\(hidden\)/);
    expect(() => loadConfig({ CRONLINE_BOOTSTRAP_ADMIN_TOKEN: "short-secret" })).not.toThrow(/short-secret/);
  });
});

/** A GraphQL POST with exactly these headers (Host included, which fetch cannot set). */
function postWithHeaders(url: string, query: string, headers: Record<string, string>, method = "POST"): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method, headers: { "content-type": "application/json", ...headers } }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    });
    outgoing.on("error", reject);
    outgoing.end(method === "POST" ? JSON.stringify({ query }) : undefined);
  });
}

/** Sends connection_init with this payload: "ack", or how the server closed the socket. */
function connectionInitClose(url: string, payload: Record<string, unknown>): Promise<"ack" | { code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url.replace(/^http/, "ws"), "graphql-transport-ws");
    socket.on("open", () => socket.send(JSON.stringify({ type: "connection_init", payload })));
    socket.on("message", (data) => {
      if (JSON.parse(String(data)).type === "connection_ack") resolve("ack");
      socket.close();
    });
    socket.on("close", (code, reason) => resolve({ code, reason: reason.toString() }));
    socket.on("error", reject);
  });
}

/** Opens a graphql-ws socket with these headers: "ack" once connection_ack arrives, or the HTTP status of a refused upgrade. */
function openSocket(url: string, options: { origin?: string; host?: string; token?: string }): Promise<"ack" | number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url.replace(/^http/, "ws"), "graphql-transport-ws", {
      ...(options.origin !== undefined && { origin: options.origin }),
      ...(options.host !== undefined && { headers: { host: options.host } }),
    });
    socket.on("unexpected-response", (_request, response) => {
      resolve(response.statusCode!);
      socket.terminate();
    });
    socket.on("open", () => socket.send(JSON.stringify({ type: "connection_init", payload: options.token ? { authorization: `Bearer ${options.token}` } : {} })));
    socket.on("message", (data) => {
      if (JSON.parse(String(data)).type === "connection_ack") resolve("ack");
      socket.close();
    });
    socket.on("error", reject);
  });
}

describe("with AUTH_DISABLED=true on loopback", () => {
  const server = useTestServer("sqlite", { AUTH_DISABLED: "true", HOST: "127.0.0.1" });
  const createDevice = `mutation { createDevice(input: { name: "from-a-page", address: "10.0.0.1" }) { __typename } }`;

  it("refuses other web pages and host names that are not loopback (DNS rebinding), over HTTP and websocket", async () => {
    const { port } = new URL(server.app.url);
    const foreignPage = await postWithHeaders(server.app.url, createDevice, { origin: "http://attacker.example" });
    expect(foreignPage.status).toBe(403);
    expect(JSON.parse(foreignPage.body).errors[0]).toMatchObject({ message: expect.stringMatching(/Origin "http:\/\/attacker\.example" may not use this API/), extensions: { code: "FORBIDDEN_ORIGIN" } });
    const preflight = await postWithHeaders(server.app.url, "", { origin: "http://attacker.example", "access-control-request-method": "POST" }, "OPTIONS");
    expect(preflight.status).toBe(403);
    expect(preflight.headers["access-control-allow-origin"]).toBeUndefined();
    // The attacker's name resolves to 127.0.0.1: the page is same-origin to itself, the Host is not loopback.
    const rebound = await postWithHeaders(server.app.url, createDevice, { host: `attacker.example:${port}`, origin: `http://attacker.example:${port}` });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body).errors[0].message).toMatch(/^Host "attacker\.example:\d+" is not a loopback name or address/);
    expect(await server.app.database.client.device.count({ where: { name: "from-a-page" } })).toBe(0);

    expect(await openSocket(server.app.url, { origin: "http://attacker.example" })).toBe(403);
    expect(await openSocket(server.app.url, { host: `attacker.example:${port}` })).toBe(403);
    expect(await openSocket(server.app.url, { origin: "null" })).toBe(403);
  });

  it("serves GraphiQL's own page (same origin) and programs that send no Origin, under every loopback name", async () => {
    const { port } = new URL(server.app.url);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
      const sameOrigin = await postWithHeaders(server.app.url, `{ devices { totalCount } }`, { host, origin: `http://${host}` });
      expect({ host, status: sameOrigin.status }).toEqual({ host, status: 200 });
      expect(await openSocket(server.app.url, { host, origin: `http://${host}` })).toBe("ack");
    }
    expect((await postWithHeaders(server.app.url, `{ devices { totalCount } }`, {})).status).toBe(200);
    expect(await openSocket(server.app.url, {})).toBe("ack");
  });

  it("lets a request without a token do everything, as ADMIN", async () => {
    const anonymous = graphqlClient(server.app.url);
    expect(JSON.parse((await postWithHeaders(server.app.url, `{ viewer { name role } }`, {})).body)).toEqual({ data: { viewer: { name: "local-development", role: "ADMIN" } } });
    const { createService } = await anonymous.data(CreateService, { input: { name: "local", kind: "COMMAND", config: { command: "true" } } });
    expect(createService.__typename).toBe("CreateServiceSuccess");
    const client = subscriptionClient(server.app.url);
    try {
      await subscribe(client, ScheduleView, { tickSeconds: 1 }).waitFor(() => true, { from: 0 });
    } finally {
      await client.dispose();
    }
  });
});

describe("CORS_ORIGINS", () => {
  const server = useTestServer("sqlite", { CORS_ORIGINS: "https://dashboard.example.com, http://localhost:5173" });
  const dashboard = "https://dashboard.example.com";

  it("lets the listed pages call the API with a token, over HTTP and websocket, and refuses others", async () => {
    const preflight = await postWithHeaders(server.app.url, "", { origin: dashboard, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" }, "OPTIONS");
    expect(preflight.status).toBeLessThan(300);
    expect(preflight.headers["access-control-allow-origin"]).toBe(dashboard);
    expect(preflight.headers["access-control-allow-credentials"]).toBeUndefined();
    const listed = await postWithHeaders(server.app.url, `{ devices { totalCount } }`, { origin: dashboard, authorization: `Bearer ${server.adminToken}` });
    expect(listed.status).toBe(200);
    expect(listed.headers["access-control-allow-origin"]).toBe(dashboard);
    expect(JSON.parse(listed.body)).toEqual({ data: { devices: { totalCount: 0 } } });
    expect(await openSocket(server.app.url, { origin: dashboard, token: server.adminToken })).toBe("ack");

    const other = await postWithHeaders(server.app.url, `{ devices { totalCount } }`, { origin: "https://dashboard.example.com.attacker.example", authorization: `Bearer ${server.adminToken}` });
    expect(other.status).toBe(403);
    expect(other.headers["access-control-allow-origin"]).toBeUndefined();
    expect(await openSocket(server.app.url, { origin: "https://attacker.example", token: server.adminToken })).toBe(403);
  });

  it("is what lets GraphiQL in behind a reverse proxy that rewrites Host", async () => {
    const { host } = new URL(server.app.url);
    const publicPage = "https://cronline.example.com";
    const query = `{ devices { totalCount } }`;
    // The proxy passes the public Host on: the page is same-origin.
    expect((await postWithHeaders(server.app.url, query, { host: "cronline.example.com", origin: publicPage, authorization: `Bearer ${server.adminToken}` })).status).toBe(200);
    // The proxy rewrites Host to the server's own address: the page's origin is foreign unless listed.
    const rewritten = await postWithHeaders(server.app.url, query, { host, origin: publicPage, authorization: `Bearer ${server.adminToken}` });
    expect(rewritten.status).toBe(403);
    expect(JSON.parse(rewritten.body).errors[0].extensions.code).toBe("FORBIDDEN_ORIGIN");
    expect(await openSocket(server.app.url, { host, origin: publicPage, token: server.adminToken })).toBe(403);
    expect((await postWithHeaders(server.app.url, query, { host, origin: dashboard, authorization: `Bearer ${server.adminToken}` })).status).toBe(200);
  });

  it("is refused at startup unless every entry is an origin", () => {
    expect(() => loadConfig({ CORS_ORIGINS: "https://dashboard.example.com/app" })).toThrow(/CORS_ORIGINS=.*must be a comma-separated list of origins/);
    expect(() => loadConfig({ CORS_ORIGINS: "*" })).toThrow(/CORS_ORIGINS/);
    expect(loadConfig({ CORS_ORIGINS: "https://a.example, http://localhost:5173" }).corsOrigins).toEqual(["https://a.example", "http://localhost:5173"]);
    expect(loadConfig({}).corsOrigins).toEqual([]);
  });
});
