// Service secrets (HTTP headers, COMMAND environment values, fields listed in secretFields):
// write-only through the API, sealed in the database, kept on edits that send them back
// masked, used for real by runs, masked in run output and in the log; and service configs
// and run output only for the roles allowed to see them.
import { createHash, randomBytes } from "node:crypto";
import { existsSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { decodeGlobalID, encodeGlobalID } from "@pothos/plugin-relay";
import Database from "better-sqlite3";
import { print } from "graphql";
import type { Client } from "graphql-ws";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type RunningApp } from "../../src/app.js";
import { generateTokenSecret, type Role } from "../../src/auth/tokens.js";
import { ConfigError } from "../../src/config.js";
import { sqliteFilePath, type DatabaseLocation } from "../../src/db/driver-adapter.js";
import { createScratchDatabase, type ScratchDatabase } from "../../src/db/scratch-database.js";
import { finishedRunStatuses } from "../../src/domain/runs.js";
import { createLogger } from "../../src/logger.js";
import { describeEachDatabase, withoutPostgres } from "../support/databases.js";
import { nodeCommand, sleep, useExecutionServer } from "../support/execution-harness.js";
import { graphqlClient, type GraphQLClient } from "../support/graphql-client.js";
import { CreateService, UpdateService } from "../support/operations.js";
import { RunEventOutputs, RunOutputs, ServiceSecrets } from "../support/secret-operations.js";
import { spawnServer, type ServerProcess } from "../support/server-process.js";
import { ScheduleView } from "../support/live-operations.js";
import { subscribe, subscriptionClient } from "../support/subscriptions.js";
import { CreateTask, DuplicateTask, RunTask } from "../support/task-operations.js";
import { testConfig } from "../support/test-server.js";
import { createTestToken } from "../support/tokens.js";

const secretOf = (label: string) => `${label}-${randomBytes(12).toString("hex")}`;
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const databaseId = (globalId: string) => decodeGlobalID(globalId).id;
const masked = "••••";
/** The webhook receiver of these tests listens on loopback, which HTTP services may not reach by default. */
const loopbackAllowed = { HTTP_DENIED_NETWORKS: "none" };

interface Received {
  url: string;
  authorization: string | undefined;
}

/** A webhook receiver that records each request and echoes its Authorization header, as it is and inside JSON; /fail answers 500. */
function useSink() {
  const sink = { received: [] as Received[], base: "" };
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const { authorization } = req.headers;
      sink.received.push({ url: req.url!, authorization });
      res.writeHead(req.url!.startsWith("/fail") ? 500 : 200).end(`plain ${authorization}\njson ${JSON.stringify({ authorization })}`);
    });
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    sink.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return sink;
}

/** The Authorization header of the latest request to `url`. */
const lastAuthorization = (received: Received[], url: string) => received.findLast((request) => request.url === url)?.authorization;

async function readService(client: GraphQLClient, id: string) {
  const { node } = await client.data(ServiceSecrets, { id });
  if (!node || !("config" in node)) throw new Error(`no service ${id}`);
  return node;
}

/** The service's row as the database holds it, read past Cronline. */
async function serviceRow(location: DatabaseLocation, id: string): Promise<Record<string, unknown>> {
  if (location.provider === "sqlite") {
    const db = new Database(sqliteFilePath(location), { readonly: true });
    try {
      return db.prepare(`SELECT * FROM "Service" WHERE "id" = ?`).get(id) as Record<string, unknown>;
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: location.url });
  await client.connect();
  try {
    return (await client.query(`SELECT * FROM "Service" WHERE "id" = $1`, [id])).rows[0] as Record<string, unknown>;
  } finally {
    await client.end();
  }
}

const jsonColumn = (value: unknown) => (typeof value === "string" ? (JSON.parse(value) as unknown) : value);

/** Waits until the run has finished, then answers its results as the client sees them. */
async function finishedRun(client: GraphQLClient, id: string) {
  for (const deadline = Date.now() + 90_000; ; await sleep(50)) {
    const { run } = await client.data(RunOutputs, { id });
    if (run && (finishedRunStatuses as readonly string[]).includes(run.status)) return { status: run.status, results: run.results.edges.map((edge) => edge.node) };
    if (Date.now() > deadline) throw new Error(`run ${id} did not finish: ${JSON.stringify(run)}`);
  }
}

/**
 * runEvents of the task on the socket, once open: a schedule view asked for after it on the
 * same socket has sent its snapshot (runEvents itself sends nothing first).
 */
async function openRunEvents(socket: Client, taskId: string) {
  const events = subscribe(socket, RunEventOutputs, { taskId });
  const view = subscribe(socket, ScheduleView, { filter: { taskIds: [taskId] }, tickSeconds: 3600 });
  await view.waitFor((event) => event.scheduleView.kind === "SNAPSHOT", { from: 0 });
  view.unsubscribe();
  return events;
}

/** Creates a task of the service and runs it once. */
async function runService(client: GraphQLClient, serviceId: string) {
  const { createTask } = await client.data(CreateTask, { input: { name: secretOf("task"), serviceId, schedule: { once: { at: "2099-01-01T00:00:00Z" } } } });
  if (createTask.__typename !== "CreateTaskSuccess") throw new Error(JSON.stringify(createTask));
  const { runTask } = await client.data(RunTask, { input: { id: createTask.task.id, confirm: true } });
  if (runTask.__typename !== "RunTaskSuccess") throw new Error(JSON.stringify(runTask));
  return finishedRun(client, runTask.run.id);
}

describeEachDatabase("service secrets", (provider) => {
  const h = useExecutionServer(provider, loopbackAllowed);
  const sink = useSink();
  const clients = {} as Record<Role, GraphQLClient>;
  beforeAll(async () => {
    clients.ADMIN = h.server.client;
    for (const role of ["VIEWER", "OPERATOR"] as const) clients[role] = graphqlClient(h.server.app.url, await createTestToken(h.server.app, role));
  });

  it("shows ADMIN the config with every secret masked and which are set; VIEWER and OPERATOR get no config at all", async () => {
    const token = secretOf("token");
    const hookPath = secretOf("hook");
    const httpId = await h.createService("HTTP", { url: `${sink.base}/${hookPath}`, headers: { Authorization: `Bearer ${token}`, "X-Empty": "" }, secretFields: ["url"] });
    const commandId = await h.createService("COMMAND", { command: "true", environment: { API_TOKEN: token } });

    const http = await h.server.client.request(ServiceSecrets, { id: httpId });
    expect(http).toEqual({
      status: 200,
      data: {
        node: {
          id: httpId,
          name: expect.any(String),
          kind: "HTTP",
          config: { url: masked, method: "POST", headers: { Authorization: masked, "X-Empty": "" }, secretFields: ["url"] },
          secrets: [
            { field: "headers", name: "Authorization", isSet: true, value: masked },
            { field: "headers", name: "X-Empty", isSet: false, value: "" },
            { field: "url", name: null, isSet: true, value: masked },
          ],
        },
      },
    });
    const command = await h.server.client.request(ServiceSecrets, { id: commandId });
    expect(command.data?.node).toMatchObject({
      config: { command: "true", environment: { API_TOKEN: masked } },
      secrets: [{ field: "environment", name: "API_TOKEN", isSet: true, value: masked }],
    });

    const answers: unknown[] = [http, command];
    for (const role of ["VIEWER", "OPERATOR"] as const) {
      for (const [id, kind] of [[httpId, "HTTP"], [commandId, "COMMAND"]] as const) {
        const answer = await clients[role].request(ServiceSecrets, { id });
        expect(answer, role).toEqual({ status: 200, data: { node: { id, name: expect.any(String), kind, config: null, secrets: null } } });
        answers.push(answer);
      }
    }
    expect(JSON.stringify(answers)).not.toContain(token);
    expect(JSON.stringify(answers)).not.toContain(hookPath);
  });

  it("stores the secret values sealed: the database row holds none of them", async () => {
    const token = secretOf("token");
    const hookPath = secretOf("hook");
    const httpId = await h.createService("HTTP", { url: `${sink.base}/${hookPath}`, headers: { Authorization: `Bearer ${token}` }, secretFields: ["url"] });
    const commandId = await h.createService("COMMAND", { command: "true", environment: { API_TOKEN: token } });
    for (const id of [httpId, commandId]) {
      const row = await serviceRow(h.server.app.database.location, databaseId(id));
      expect(JSON.stringify(row)).not.toContain(token);
      expect(JSON.stringify(row)).not.toContain(hookPath);
      expect(row).toMatchObject({ secrets: expect.stringMatching(/^v1:/), secretsKeyId: expect.stringMatching(/^[0-9a-f]{16}$/) });
    }
    expect(jsonColumn((await serviceRow(h.server.app.database.location, databaseId(httpId))).config)).toMatchObject({ url: masked, headers: { Authorization: masked } });
  });

  it("keeps a secret sent back masked and runs with it, also from a duplicated task; replaces it and removes it", async () => {
    const token = secretOf("token");
    const serviceId = await h.createService("HTTP", { url: `${sink.base}/first`, headers: { Authorization: `Bearer ${token}` } });
    // The config as ADMIN reads it, with the URL changed and the header sent back masked.
    const read = await readService(h.server.client, serviceId);
    const edited = { ...(read.config as Record<string, unknown>), url: `${sink.base}/edited` };
    const { updateService } = await h.server.client.data(UpdateService, { input: { id: serviceId, config: edited } });
    expect(updateService).toMatchObject({ __typename: "UpdateServiceSuccess", service: { config: { url: `${sink.base}/edited`, headers: { Authorization: masked } } } });

    const taskId = await h.createTask(serviceId);
    expect((await h.waitForRun(await h.runTask(taskId))).status).toBe("SUCCEEDED");
    expect(lastAuthorization(sink.received, "/edited")).toBe(`Bearer ${token}`);
    const { duplicateTask } = await h.server.client.data(DuplicateTask, { input: { id: taskId } });
    if (duplicateTask.__typename !== "DuplicateTaskSuccess") throw new Error(JSON.stringify(duplicateTask));
    const before = sink.received.length;
    expect((await h.waitForRun(await h.runTask(duplicateTask.task.id))).status).toBe("SUCCEEDED");
    expect(sink.received.slice(before)).toEqual([{ url: "/edited", authorization: `Bearer ${token}` }]);

    const replacement = secretOf("replacement");
    await h.server.client.data(UpdateService, { input: { id: serviceId, config: { url: `${sink.base}/replaced`, headers: { Authorization: `Bearer ${replacement}` } } } });
    await h.waitForRun(await h.runTask(taskId));
    expect(lastAuthorization(sink.received, "/replaced")).toBe(`Bearer ${replacement}`);

    await h.server.client.data(UpdateService, { input: { id: serviceId, config: { url: `${sink.base}/removed` } } });
    expect(await readService(h.server.client, serviceId)).toMatchObject({ secrets: [] });
    await h.waitForRun(await h.runTask(taskId));
    expect(sink.received.findLast((request) => request.url === "/removed")).toEqual({ url: "/removed", authorization: undefined });

    const { updateService: nothingToKeep } = await h.server.client.data(UpdateService, {
      input: { id: serviceId, config: { url: `${sink.base}/removed`, headers: { Authorization: masked } } },
    });
    expect(nothingToKeep).toMatchObject({
      __typename: "ValidationError",
      fieldErrors: [{ field: "input.config.headers.Authorization", message: `"${masked}" keeps the stored value, but none is stored here; send the value` }],
    });
  });

  it("gives a command the real environment value, and masks it in stdout, stderr and runEvents", async () => {
    const token = secretOf("token");
    const script = `const t = process.env.API_TOKEN; console.log(require("crypto").createHash("sha256").update(t).digest("hex")); console.log("echo " + t); console.error("err " + t); process.exit(3);`;
    const serviceId = await h.createService("COMMAND", { command: nodeCommand(script), environment: { API_TOKEN: token } });
    const taskId = await h.createTask(serviceId);
    const socket = subscriptionClient(h.server.app.url, h.server.adminToken);
    try {
      const events = await openRunEvents(socket, taskId);
      const run = await h.waitForRun(await h.runTask(taskId));
      const expected = { status: "FAILED", output: `${sha256(token)}\necho ${masked}\n`, errorOutput: `err ${masked}\n`, error: "exited with code 3" };
      expect(run.results[0]).toMatchObject(expected);
      const finished = await events.waitFor((event) => event.runEvents.type === "TARGET_FINISHED", { from: 0 });
      expect(finished.runEvents.result).toEqual(expected);
      expect(JSON.stringify([run, events.events])).not.toContain(token);
    } finally {
      await socket.dispose();
    }
  });

  it("masks a secret header echoed in an HTTP response body, as it is and inside JSON", async () => {
    // The quote is escaped inside JSON: both forms are masked.
    const token = `${secretOf("token")}"quoted`;
    const run = await h.runOnce("HTTP", { url: `${sink.base}/fail/echo`, headers: { Authorization: `Bearer ${token}` } });
    expect(lastAuthorization(sink.received, "/fail/echo")).toBe(`Bearer ${token}`);
    expect(run.results[0]).toMatchObject({ status: "FAILED", httpStatus: 500, output: `plain ${masked}\njson {"authorization":"${masked}"}` });
  });

  it("names a bad secret template's field without quoting any of its value", async () => {
    const token = secretOf("token");
    const { createService: header } = await h.server.client.data(CreateService, {
      input: { name: secretOf("bad-header"), kind: "HTTP", config: { url: sink.base, headers: { Authorization: `Bearer {{${token}` } } },
    });
    expect(header).toMatchObject({
      __typename: "ValidationError",
      fieldErrors: [{ field: "input.config.headers.Authorization", message: `"{{" at character 8 is not closed by "}}"` }],
    });
    const { createService: environment } = await h.server.client.data(CreateService, {
      input: { name: secretOf("bad-environment"), kind: "COMMAND", config: { command: "true", environment: { API_TOKEN: `{{${token}}}` } } },
    });
    expect(environment).toMatchObject({
      __typename: "ValidationError",
      fieldErrors: [{ field: "input.config.environment.API_TOKEN", message: expect.stringMatching(/^unknown placeholder at character 1; known: /) }],
    });
    const { createService: body } = await h.server.client.data(CreateService, {
      input: {
        name: secretOf("bad-body"),
        kind: "HTTP",
        config: { url: sink.base, headers: { "content-type": "application/json" }, body: `{"password": "${token}"`, secretFields: ["body"] },
      },
    });
    expect(body).toMatchObject({
      __typename: "ValidationError",
      fieldErrors: [{ field: "input.config.body", message: "must be JSON, with placeholders inside strings or as whole values (content-type is application/json)" }],
    });
    expect(JSON.stringify([header, environment, body])).not.toContain(token.slice(0, 8));
  });
});

/** Each setting of RUN_OUTPUT_VISIBLE_TO, and which roles then see run output. */
const outputSettings: { env: Record<string, string>; visibleTo: Role[] }[] = [
  { env: {}, visibleTo: ["OPERATOR", "ADMIN"] },
  { env: { RUN_OUTPUT_VISIBLE_TO: "VIEWER" }, visibleTo: ["VIEWER", "OPERATOR", "ADMIN"] },
  { env: { RUN_OUTPUT_VISIBLE_TO: "ADMIN" }, visibleTo: ["ADMIN"] },
];

describeEachDatabase("run output visibility", (provider) => {
  const servers = outputSettings.map((setting) => ({ ...setting, h: useExecutionServer(provider, setting.env) }));

  it("shows stdout and stderr only to RUN_OUTPUT_VISIBLE_TO (default OPERATOR) and above, in queries and in runEvents; the error to everyone", async () => {
    for (const { env, visibleTo, h } of servers) {
      const setting = `RUN_OUTPUT_VISIBLE_TO=${env.RUN_OUTPUT_VISIBLE_TO ?? "(default)"}`;
      const tokens = { ADMIN: h.server.adminToken } as Record<Role, string>;
      for (const role of ["VIEWER", "OPERATOR"] as const) tokens[role] = await createTestToken(h.server.app, role);
      const taskId = await h.createTask(await h.createService("COMMAND", { command: nodeCommand(`console.log("printed"); console.error("complained"); process.exit(1);`) }));
      const sockets = (["VIEWER", "OPERATOR", "ADMIN"] as const).map((role) => ({ role, socket: subscriptionClient(h.server.app.url, tokens[role]) }));
      try {
        const subscriptions = await Promise.all(sockets.map(async ({ role, socket }) => ({ role, events: await openRunEvents(socket, taskId) })));
        const runId = await h.runTask(taskId);
        await h.waitForRun(runId);
        for (const { role, events } of subscriptions) {
          const visible = visibleTo.includes(role);
          const expected = { status: "FAILED", output: visible ? "printed\n" : null, errorOutput: visible ? "complained\n" : null, error: "exited with code 1" };
          const { run } = await graphqlClient(h.server.app.url, tokens[role]).data(RunOutputs, { id: runId });
          expect(run?.results.edges.map((edge) => edge.node), `${setting}, ${role}`).toEqual([{ ...expected, exitCode: 1 }]);
          const finished = await events.waitFor((event) => event.runEvents.type === "TARGET_FINISHED", { from: 0 });
          expect(finished.runEvents.result, `${setting}, ${role}, runEvents`).toEqual(expected);
          expect(events.errors, `${setting}, ${role}, runEvents`).toEqual([]);
        }
      } finally {
        await Promise.all(sockets.map(({ socket }) => socket.dispose()));
      }
    }
  });
});

describeEachDatabase("services saved before secrets were sealed", (provider) => {
  const sink = useSink();
  let scratch: ScratchDatabase;
  let app: RunningApp | undefined;
  beforeAll(async () => {
    scratch = await createScratchDatabase(provider);
  });
  afterAll(async () => {
    await app?.stop();
    await scratch?.drop();
  });

  async function restart(env: Record<string, string> = {}) {
    await app?.stop();
    app = undefined;
    app = await startApp(testConfig(scratch.location.url, { ...loopbackAllowed, ...env }), createLogger("silent"));
    return graphqlClient(app.url, await createTestToken(app, "ADMIN"));
  }

  it("are sealed at the next start, shown masked, and their runs still send the secret", async () => {
    await restart();
    const token = secretOf("token");
    // A row as Cronline wrote it before secrets were sealed: the header in the config itself.
    const legacy = await app!.database.client.service.create({
      data: { name: "legacy", kind: "HTTP", config: { url: `${sink.base}/legacy`, method: "POST", headers: { Authorization: `Bearer ${token}` } }, defaultPayload: {} },
    });
    const client = await restart();
    const row = await serviceRow(scratch.location, legacy.id);
    expect(JSON.stringify(row)).not.toContain(token);
    expect(row).toMatchObject({ secrets: expect.stringMatching(/^v1:/) });
    const serviceId = encodeGlobalID("Service", legacy.id);
    expect(await readService(client, serviceId)).toMatchObject({ config: { headers: { Authorization: masked } } });
    expect((await runService(client, serviceId)).status).toBe("SUCCEEDED");
    expect(lastAuthorization(sink.received, "/legacy")).toBe(`Bearer ${token}`);
  });

  it("fail each target saying why under another key, and work again once the secret is sent again", async () => {
    const [keyA, keyB] = [randomBytes(32).toString("base64"), randomBytes(32).toString("base64")];
    let client = await restart({ SECRETS_KEY: keyA });
    const token = secretOf("token");
    const { createService } = await client.data(CreateService, {
      input: { name: "keyed", kind: "HTTP", config: { url: `${sink.base}/keyed`, headers: { Authorization: `Bearer ${token}` } } },
    });
    if (createService.__typename !== "CreateServiceSuccess") throw new Error(JSON.stringify(createService));
    const serviceId = createService.service.id;

    client = await restart({ SECRETS_KEY: keyB });
    const failed = await runService(client, serviceId);
    expect(failed).toMatchObject({ status: "FAILED", results: [{ status: "FAILED", error: expect.stringMatching(/^the service's secrets cannot be read: they were sealed with the secrets key [0-9a-f]{16}, and the key in use is [0-9a-f]{16}/) }] });
    const { updateService: keep } = await client.data(UpdateService, { input: { id: serviceId, config: { url: `${sink.base}/keyed`, headers: { Authorization: masked } } } });
    expect(keep).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ field: "input.config.headers.Authorization", message: expect.stringContaining("cannot be read") }] });

    await client.data(UpdateService, { input: { id: serviceId, config: { url: `${sink.base}/keyed`, headers: { Authorization: `Bearer ${token}` } } } });
    expect((await runService(client, serviceId)).status).toBe("SUCCEEDED");
    expect(lastAuthorization(sink.received, "/keyed")).toBe(`Bearer ${token}`);
  });
  it("open under a new key while SECRETS_PREVIOUS_KEYS lists the old one, are sealed again with the new one at that start, and then need only it", async () => {
    const [keyA, keyB] = [randomBytes(32).toString("base64"), randomBytes(32).toString("hex")];
    let client = await restart({ SECRETS_KEY: keyA });
    const token = secretOf("token");
    const { createService } = await client.data(CreateService, {
      input: { name: "rotated", kind: "HTTP", config: { url: `${sink.base}/rotated`, headers: { Authorization: `Bearer ${token}` } } },
    });
    if (createService.__typename !== "CreateServiceSuccess") throw new Error(JSON.stringify(createService));
    const serviceId = createService.service.id;
    const rowId = (row: Record<string, unknown>) => row.secretsKeyId;
    const sealedWithA = rowId(await serviceRow(scratch.location, decodeGlobalID(serviceId).id));

    // The rollout: every process gets the new key and keeps the old one as previous (here in a file, with a comment).
    const previousKeysFile = path.join(tmpdir(), `previous-keys-${randomBytes(4).toString("hex")}`);
    writeFileSync(previousKeysFile, `# retired 2026-12\n${keyA}\n`, { mode: 0o600 });
    client = await restart({ SECRETS_KEY: keyB, SECRETS_PREVIOUS_KEYS_FILE: previousKeysFile });
    const resealed = await serviceRow(scratch.location, decodeGlobalID(serviceId).id);
    expect(rowId(resealed)).not.toBe(sealedWithA);
    expect(JSON.stringify(resealed)).not.toContain(token);
    expect((await runService(client, serviceId)).status).toBe("SUCCEEDED");
    expect(lastAuthorization(sink.received, "/rotated")).toBe(`Bearer ${token}`);

    // Once every process runs with the new key, the old one may go.
    client = await restart({ SECRETS_KEY: keyB });
    expect(await readService(client, serviceId)).toMatchObject({ config: { headers: { Authorization: masked } } });
    expect((await runService(client, serviceId)).status).toBe("SUCCEEDED");
    expect(lastAuthorization(sink.received, "/rotated")).toBe(`Bearer ${token}`);
  });
});

describeEachDatabase("secrets and the server's log", (provider) => {
  const sink = useSink();

  it("logs no secret, at the most verbose level, through saves, mistakes, runs and failures", async () => {
    const scratch = await createScratchDatabase(provider);
    let server: ServerProcess | undefined;
    try {
      const adminToken = generateTokenSecret();
      server = spawnServer({ DATABASE_URL: scratch.location.url, CRONLINE_BOOTSTRAP_ADMIN_TOKEN: adminToken, LOG_LEVEL: "trace", ...loopbackAllowed });
      const url = await server.listening;
      const client = graphqlClient(url, adminToken);
      const token = secretOf("token");
      const created = [];
      for (const [kind, config] of [
        ["HTTP", { url: `${sink.base}/fail/logged`, headers: { Authorization: `Bearer ${token}` } }],
        ["COMMAND", { command: nodeCommand(`console.log(process.env.API_TOKEN); console.error(process.env.API_TOKEN); process.exit(2);`), environment: { API_TOKEN: token } }],
      ] as const) {
        const { createService } = await client.data(CreateService, { input: { name: secretOf("logged"), kind, config } });
        if (createService.__typename !== "CreateServiceSuccess") throw new Error(JSON.stringify(createService));
        created.push(createService.service.id);
      }
      for (const serviceId of created) expect((await runService(client, serviceId)).status).toBe("FAILED");
      const mistakes = [
        { url: sink.base, headers: { Authorization: `Bearer {{${token}` } },
        { url: sink.base, headers: { Authorization: `${token}{{payload.x}}`, "X-Kept": masked } },
      ];
      for (const config of mistakes) {
        const { updateService } = await client.data(UpdateService, { input: { id: created[0]!, config } });
        expect(updateService.__typename).toBe("ValidationError");
      }
      // A config that is not even a JSON object: refused by GraphQL itself, which quotes it back to its sender.
      expect((await client.request(UpdateService, { input: { id: created[0]!, config: `Bearer ${token}` as never } })).status).toBe(400);
      // A mutation sent as a GET, its variables in the URL: refused, and its URL is logged without them.
      const query = new URLSearchParams({ query: print(UpdateService), variables: JSON.stringify({ input: { id: created[0]!, config: { url: sink.base, headers: { Authorization: token } } } }) });
      const get = await fetch(`${url}?${query}`, { headers: { authorization: `Bearer ${adminToken}`, "x-cronline-csrf": "1" } });
      expect(get.status).toBe(405);
      server.child.kill("SIGTERM");
      expect(await server.exited).toBe(0);
      // The level let the debugging details of every request through, and the runs were logged.
      expect(server.logs.filter((entry) => entry.level === 20).length).toBeGreaterThan(0);
      expect(server.logs.filter((entry) => entry.msg === "run finished").length).toBe(created.length);
      expect(JSON.stringify(server.logs) + server.stderr.join("")).not.toContain(token.slice(0, 12));
    } finally {
      server?.child.kill("SIGKILL");
      await server?.exited;
      await scratch.drop();
    }
  });
});

describe("the secrets key", () => {
  const sink = useSink();

  it("on SQLite without one, is generated next to the database (mode 0600) at the first start, said once, and used again", async () => {
    const scratch = await createScratchDatabase("sqlite");
    const keyFile = path.join(path.dirname(sqliteFilePath(scratch.location)), "secrets.key");
    const servers: ServerProcess[] = [];
    const adminToken = generateTokenSecret();
    const start = async () => {
      const server = spawnServer({ DATABASE_URL: scratch.location.url, CRONLINE_BOOTSTRAP_ADMIN_TOKEN: adminToken, ...loopbackAllowed });
      servers.push(server);
      return { server, client: graphqlClient(await server.listening, adminToken) };
    };
    const stop = async (server: ServerProcess) => {
      server.child.kill("SIGTERM");
      expect(await server.exited).toBe(0);
    };
    const generated = (server: ServerProcess) => server.logs.filter((entry) => entry.keyFile !== undefined);
    try {
      const first = await start();
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      expect(generated(first.server)).toEqual([expect.objectContaining({ keyFile, msg: expect.stringContaining("generated the key") })]);
      const token = secretOf("token");
      const { createService } = await first.client.data(CreateService, {
        input: { name: "across-restarts", kind: "HTTP", config: { url: `${sink.base}/restarted`, headers: { Authorization: `Bearer ${token}` } } },
      });
      if (createService.__typename !== "CreateServiceSuccess") throw new Error(JSON.stringify(createService));
      await stop(first.server);

      const second = await start();
      expect(generated(second.server)).toEqual([]);
      expect((await runService(second.client, createService.service.id)).status).toBe("SUCCEEDED");
      expect(lastAuthorization(sink.received, "/restarted")).toBe(`Bearer ${token}`);
      await stop(second.server);
    } finally {
      for (const server of servers) server.child.kill("SIGKILL");
      await Promise.all(servers.map((server) => server.exited));
      await scratch.drop();
    }
  });

  it("from SECRETS_KEY_FILE, is read from that file; a missing or malformed one stops the start, naming it", async () => {
    const scratch = await createScratchDatabase("sqlite");
    const directory = path.dirname(sqliteFilePath(scratch.location));
    const start = (keyFile: string) => startApp(testConfig(scratch.location.url, { SECRETS_KEY_FILE: keyFile, ...loopbackAllowed }), createLogger("silent"));
    try {
      const missing = path.join(directory, "missing.key");
      await expect(start(missing)).rejects.toThrow(ConfigError);
      await expect(start(missing)).rejects.toThrow(`SECRETS_KEY_FILE=${JSON.stringify(missing)}: cannot be read (ENOENT)`);
      const malformed = path.join(directory, "malformed.key");
      writeFileSync(malformed, "hunter2\n");
      await expect(start(malformed)).rejects.toThrow(`SECRETS_KEY_FILE=${JSON.stringify(malformed)}: the file must be 32 bytes written as base64`);

      const keyFile = path.join(directory, "given.key");
      writeFileSync(keyFile, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600 });
      const app = await start(keyFile);
      try {
        const client = graphqlClient(app.url, await createTestToken(app, "ADMIN"));
        const token = secretOf("token");
        const { createService } = await client.data(CreateService, {
          input: { name: "key-file", kind: "HTTP", config: { url: `${sink.base}/key-file`, headers: { Authorization: `Bearer ${token}` } } },
        });
        if (createService.__typename !== "CreateServiceSuccess") throw new Error(JSON.stringify(createService));
        expect((await runService(client, createService.service.id)).status).toBe("SUCCEEDED");
        expect(lastAuthorization(sink.received, "/key-file")).toBe(`Bearer ${token}`);
        // No key of its own was generated beside the database.
        expect(existsSync(path.join(directory, "secrets.key"))).toBe(false);
      } finally {
        await app.stop();
      }
    } finally {
      await scratch.drop();
    }
  });

  it.skipIf(withoutPostgres)("on PostgreSQL, must be given: without one the server refuses to start, with exit code 2, saying so", async () => {
    const scratch = await createScratchDatabase("postgresql");
    try {
      const server = spawnServer({ DATABASE_URL: scratch.location.url, SECRETS_KEY: "" });
      expect(await server.exited).toBe(2);
      expect(server.stderr.join("")).toMatch(/SECRETS_KEY: must be set \(or SECRETS_KEY_FILE\) with PostgreSQL/);
    } finally {
      await scratch.drop();
    }
  });
});
