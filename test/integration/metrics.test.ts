// GET /metrics of a real server: the families it declares, counters that move after runs,
// skips and failures, GraphQL and websocket activity, and who may read it (loopback only by
// default, every caller with METRICS_TOKEN's bearer token).
import { networkInterfaces } from "node:os";
import { describe, expect, it } from "vitest";
import { useExecutionServer } from "../support/execution-harness.js";
import { refusalOf, scrapeMetrics, type Scrape } from "../support/metrics.js";
import { subscribe, subscriptionClient } from "../support/subscriptions.js";
import { TaskEvents } from "../support/live-operations.js";
import { PauseTask, ResumeTask } from "../support/task-operations.js";
import { createScratchDatabase } from "../../src/db/scratch-database.js";
import { spawnServer } from "../support/server-process.js";
import { useTestServer } from "../support/test-server.js";

/** Polls the scrape until `check` passes. */
async function scrapeUntil(url: string, check: (scrape: Scrape) => void): Promise<Scrape> {
  let last: Scrape | undefined;
  await expect
    .poll(
      async () => {
        last = await scrapeMetrics(url);
        check(last);
        return true;
      },
      { timeout: 60_000, interval: 200 },
    )
    .toBe(true);
  return last!;
}

describe("GET /metrics", () => {
  const harness = useExecutionServer("sqlite");
  const url = () => harness.server.app.url;

  it("answers every thread's metrics in one scrape, with the process defaults and the database's counts", async () => {
    const scrape = await scrapeMetrics(url());
    expect(scrape.status).toBe(200);
    for (const family of [
      "process_cpu_user_seconds_total",
      "nodejs_eventloop_lag_seconds",
      "cronline_fire_lag_seconds",
      "cronline_occurrences_total",
      "cronline_claim_conflicts_total",
      "cronline_scheduler_tasks",
      "cronline_runs_finished_total",
      "cronline_run_duration_seconds",
      "cronline_target_duration_seconds",
      "cronline_graphql_operations_total",
      "cronline_websocket_connections",
      "cronline_database_query_errors_total",
      "cronline_tasks",
      "cronline_runs",
    ]) {
      expect(scrape.families, family).toContain(family);
    }
    expect(scrape.value("cronline_role_thread_up", { thread: "scheduler" })).toBe(1);
    expect(scrape.value("cronline_role_thread_up", { thread: "worker" })).toBe(1);
    expect(scrape.text).toContain('cronline_tasks{state="ACTIVE"}');
    expect(scrape.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it("counts runs by status and service kind, with their durations and start lag", async () => {
    const before = await scrapeMetrics(url());
    const succeeded = await harness.runOnce("COMMAND", { command: "true" });
    const failed = await harness.runOnce("COMMAND", { command: "exit 3" });
    expect([succeeded.status, failed.status]).toEqual(["SUCCEEDED", "FAILED"]);
    const moved = (scrape: Scrape, name: string, labels: Record<string, string>) => scrape.value(name, labels) - before.value(name, labels);
    await scrapeUntil(url(), (after) => {
      expect(moved(after, "cronline_runs_finished_total", { status: "SUCCEEDED", service_kind: "COMMAND" })).toBe(1);
      expect(moved(after, "cronline_runs_finished_total", { status: "FAILED", service_kind: "COMMAND" })).toBe(1);
      expect(moved(after, "cronline_run_duration_seconds_count", { status: "FAILED", service_kind: "COMMAND" })).toBe(1);
      expect(moved(after, "cronline_target_duration_seconds_count", { status: "SUCCEEDED", service_kind: "COMMAND" })).toBe(1);
      expect(moved(after, "cronline_fire_lag_seconds_count", { stage: "start" })).toBe(2);
    });
  });

  it("counts occurrences queued and skipped for overlap and deadline, and their fire lag", async () => {
    const before = await scrapeMetrics(url());
    const sleeper = await harness.createService("COMMAND", { command: "sleep 2" });
    const schedule = { standard: { frequencySeconds: 1 } };
    const overlapping = await harness.createTask(sleeper, { schedule, overlapPolicy: "SKIP" });
    const late = await harness.createTask(sleeper, { schedule, overlapPolicy: "BUFFER_ALL", deadlineSeconds: 1 });
    const { client } = harness.server;
    try {
      for (const id of [overlapping, late]) await client.data(ResumeTask, { input: { id } });
      const moved = (scrape: Scrape, name: string, labels: Record<string, string>) => scrape.value(name, labels) - before.value(name, labels);
      await scrapeUntil(url(), (after) => {
        expect(moved(after, "cronline_occurrences_total", { outcome: "queued" })).toBeGreaterThan(0);
        expect(moved(after, "cronline_occurrences_total", { outcome: "skipped_overlap" })).toBeGreaterThan(0);
        expect(moved(after, "cronline_occurrences_total", { outcome: "skipped_deadline" })).toBeGreaterThan(0);
        expect(moved(after, "cronline_runs_finished_total", { status: "SKIPPED", service_kind: "COMMAND" })).toBeGreaterThan(0);
        expect(moved(after, "cronline_fire_lag_seconds_count", { stage: "claim" })).toBeGreaterThan(0);
        expect(after.value("cronline_scheduler_tasks")).toBeGreaterThanOrEqual(2);
      });
    } finally {
      for (const id of [overlapping, late]) await client.data(PauseTask, { input: { id } });
    }
  });

  it("counts GraphQL operations and errors by operation name, and websockets and their subscriptions", async () => {
    // Refused without a token: counted under a name only once that name ran.
    const anonymous = await fetch(url(), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "query NeverRanBefore { viewer { name } }", operationName: "NeverRanBefore" }),
    });
    expect(anonymous.status).toBe(401);
    const invalid = await fetch(url(), {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${harness.server.adminToken}` },
      body: JSON.stringify({ query: "query Misspelt { viewr { name } }" }),
    });
    expect(invalid.status).toBe(400);
    let scrape = await scrapeMetrics(url());
    expect(scrape.value("cronline_graphql_operations_total", { operation: "CreateTask", type: "mutation" })).toBeGreaterThan(0);
    expect(scrape.value("cronline_graphql_operation_duration_seconds_count", { operation: "CreateTask", type: "mutation" })).toBeGreaterThan(0);
    expect(scrape.value("cronline_graphql_errors_total", { operation: "unknown", code: "UNAUTHENTICATED" })).toBeGreaterThan(0);
    expect(scrape.value("cronline_graphql_errors_total", { operation: "unknown", code: "GRAPHQL_VALIDATION_FAILED" })).toBeGreaterThan(0);
    expect(scrape.text).not.toContain("NeverRanBefore");

    const socket = subscriptionClient(url(), harness.server.adminToken);
    const events = subscribe(socket, TaskEvents, {});
    try {
      scrape = await scrapeUntil(url(), (s) => expect(s.value("cronline_websocket_subscriptions", { operation: "TaskEvents" })).toBe(1));
      expect(scrape.value("cronline_websocket_connections")).toBe(1);
      expect(scrape.value("cronline_graphql_operations_total", { operation: "TaskEvents", type: "subscription" })).toBe(1);
    } finally {
      events.unsubscribe();
      await socket.dispose();
    }
    await scrapeUntil(url(), (s) => {
      expect(s.value("cronline_websocket_subscriptions", { operation: "TaskEvents" })).toBe(0);
      expect(s.value("cronline_websocket_connections")).toBe(0);
    });
  });

  it("refuses browser pages and requests addressed to a name that is not loopback (DNS rebinding)", async () => {
    const fromPage = await scrapeMetrics(url(), { origin: "http://attacker.example" });
    expect(fromPage.status).toBe(403);
    expect(refusalOf(fromPage).extensions.code).toBe("FORBIDDEN_ORIGIN");
    const rebound = await scrapeMetrics(url(), { host: "attacker.example:4000" });
    expect(rebound.status).toBe(403);
    expect(refusalOf(rebound)).toMatchObject({ message: expect.stringContaining("loopback host"), extensions: { code: "FORBIDDEN" } });
    expect((await scrapeMetrics(url(), { host: "localhost" })).status).toBe(200);
  });
});

describe("GET /metrics with METRICS_TOKEN", () => {
  const token = "metrics-token-0123456789abcdef";
  const server = useTestServer("sqlite", { METRICS_TOKEN: token });

  it("answers only the bearer token, even on loopback", async () => {
    const missing = await scrapeMetrics(server.app.url);
    expect(missing.status).toBe(401);
    expect(missing.headers["www-authenticate"]).toBe("Bearer");
    expect(refusalOf(missing).extensions.code).toBe("UNAUTHENTICATED");
    const wrong = await scrapeMetrics(server.app.url, { authorization: `Bearer ${token}x` });
    expect(wrong.status).toBe(401);
    const right = await scrapeMetrics(server.app.url, { authorization: `Bearer ${token}` });
    expect(right.status).toBe(200);
    expect(right.families).toContain("cronline_occurrences_total");
  });
});

/** An address of this machine other than loopback, if it has one. */
const outsideAddress = Object.values(networkInterfaces())
  .flat()
  .find((address) => address && address.family === "IPv4" && !address.internal)?.address;

describe.skipIf(outsideAddress === undefined)("GET /metrics without METRICS_TOKEN, on every interface", () => {
  const server = useTestServer("sqlite", { HOST: "0.0.0.0" });

  it("answers loopback callers and refuses the others", async () => {
    const port = new URL(server.app.url).port;
    expect((await scrapeMetrics(`http://127.0.0.1:${port}/graphql`)).status).toBe(200);
    const outside = await scrapeMetrics(`http://${outsideAddress}:${port}/graphql`);
    expect(outside.status).toBe(403);
    expect(refusalOf(outside)).toMatchObject({ message: expect.stringContaining("set METRICS_TOKEN"), extensions: { code: "FORBIDDEN" } });
  });
});

describe("GET /metrics of processes with separate roles", () => {
  it("answers each process's own: the API's without role threads, the scheduler's and worker's without GraphQL", async () => {
    const scratch = await createScratchDatabase("sqlite");
    const env = { DATABASE_URL: scratch.location.url };
    const api = spawnServer(env, undefined, { args: ["--role", "api"] });
    const servers = [api];
    try {
      // One after the other: the first applies the migrations of the fresh database.
      const apiScrape = await scrapeMetrics(await api.listening);
      const engine = spawnServer(env, undefined, { args: ["--role", "scheduler,worker"] });
      servers.push(engine);
      const engineScrape = await scrapeMetrics(await engine.listening);
      expect([apiScrape.status, engineScrape.status]).toEqual([200, 200]);
      expect(apiScrape.families).toContain("cronline_graphql_operations_total");
      expect(apiScrape.families).not.toContain("cronline_occurrences_total");
      expect(apiScrape.text).not.toMatch(/^cronline_role_thread_up\{/m);
      expect(engineScrape.families).toContain("cronline_occurrences_total");
      expect(engineScrape.families).toContain("cronline_runs_finished_total");
      expect(engineScrape.families).not.toContain("cronline_graphql_operations_total");
      expect([engineScrape.value("cronline_role_thread_up", { thread: "scheduler" }), engineScrape.value("cronline_role_thread_up", { thread: "worker" })]).toEqual([1, 1]);
    } finally {
      for (const server of servers) server.child.kill("SIGTERM");
      await Promise.all(servers.map((server) => server.exited));
      await scratch.drop();
    }
  });
});
