// Notification rules against a real server, real commands and a real local HTTP sink: which
// run ends notify, how often, and what the notification runs are.
import { mkdtempSync, rmSync, writeFileSync, unlinkSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeGlobalID, encodeGlobalID } from "@pothos/plugin-relay";
import { v7 as uuidv7 } from "uuid";
import { parse, stringify } from "yaml";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Prisma } from "../../src/db/database.js";
import { graphql } from "../generated/graphql/index.js";
import { describeEachDatabase } from "../support/databases.js";
import { useExecutionServer } from "../support/execution-harness.js";
import { runInGroup } from "../support/child-processes.js";
import { RerunFailedTargets } from "../support/run-control-operations.js";
import { DeleteService, fieldErrorPaths } from "../support/operations.js";
import { childEnvironment } from "../support/server-process.js";
import { CreateTask, PauseTask } from "../support/task-operations.js";

const TaskNotifications = graphql(`
  query TaskNotifications($id: ID!, $triggers: [RunTrigger!]) {
    task: node(id: $id) {
      ... on Task {
        lastRunStatus
        notify { serviceId on everyTime service { name } }
        effectiveNotify { serviceId }
      }
    }
    runs(filter: { taskId: $id, triggers: $triggers }, first: 50) {
      edges { node { id trigger status reason payload service { id } results { totalCount } } }
    }
  }
`);

interface Received {
  url: string;
  body: Record<string, unknown>;
}

describeEachDatabase("notifications", (provider) => {
  // The sink listens on loopback, which HTTP services may not reach by default.
  const h = useExecutionServer(provider, { HTTP_DENIED_NETWORKS: "none" });
  const received: Received[] = [];
  let sink: Server;
  let base: string;
  let flags: string;
  const held: (() => void)[] = [];

  beforeAll(async () => {
    flags = mkdtempSync(join(tmpdir(), "cronline-notify-"));
    sink = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => {
        received.push({ url: req.url!, body: JSON.parse(body || "{}") as Record<string, unknown> });
        // Held until the test lets it go: a notification still running.
        if (req.url!.startsWith("/held")) return void held.push(() => res.writeHead(200).end("late"));
        res.writeHead(req.url!.startsWith("/broken") ? 500 : 200).end("noted");
      });
    });
    await new Promise<void>((resolve) => sink.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const answer of held) answer();
    sink.closeAllConnections();
    await new Promise((resolve) => sink.close(resolve));
    rmSync(flags, { recursive: true, force: true });
  });

  const notificationsOf = async (taskId: string) => {
    const { task, runs } = await h.server.client.data(TaskNotifications, { id: taskId, triggers: ["NOTIFICATION"] });
    return { task, runs: runs.edges.map((edge) => edge.node) };
  };
  const received_ = (path: string) => received.filter((request) => request.url === path);

  it("notifies once on FAILED, not again while it keeps failing, then once RECOVERED; notification runs leave the task's status alone", async () => {
    const flag = join(flags, "healthy");
    const hook = await h.createService("HTTP", { url: `${base}/flap` });
    const service = await h.createService("COMMAND", { command: `test -f ${flag}` });
    const taskId = await h.createTask(service, { notify: [{ serviceId: hook, on: ["FAILED", "RECOVERED"] }] });

    const first = await h.waitForRun(await h.runTask(taskId));
    expect(first.status).toBe("FAILED");
    await expect.poll(() => received_("/flap").length, { timeout: 30_000 }).toBe(1);
    expect(received_("/flap")[0]!.body).toMatchObject({ outcome: "FAILED", runId: first.id, status: "FAILED", trigger: "MANUAL", taskId, reason: "1 failed of 1 target" });
    const notification = (await notificationsOf(taskId)).runs[0]!;
    expect(notification).toMatchObject({ trigger: "NOTIFICATION", service: { id: hook } });
    await h.waitForRun(notification.id);
    expect((await notificationsOf(taskId)).task).toMatchObject({ lastRunStatus: "FAILED", notify: [{ serviceId: hook, on: ["FAILED", "RECOVERED"], everyTime: false }] });

    // Queued in the transaction that records the end: none queued by the time the run reads finished.
    expect((await h.waitForRun(await h.runTask(taskId))).status).toBe("FAILED");
    expect((await notificationsOf(taskId)).runs).toHaveLength(1);

    writeFileSync(flag, "");
    try {
      const recovered = await h.waitForRun(await h.runTask(taskId));
      expect(recovered.status).toBe("SUCCEEDED");
      const { runs } = await notificationsOf(taskId);
      expect(runs).toHaveLength(2);
      await Promise.all(runs.map((run) => h.waitForRun(run.id)));
      expect(received_("/flap").map((request) => request.body.outcome)).toEqual(["FAILED", "RECOVERED"]);
      expect((await notificationsOf(taskId)).task?.lastRunStatus).toBe("SUCCEEDED");
    } finally {
      unlinkSync(flag);
    }
  });

  it("a notification running does not hold back the task's next run under maxConcurrentRuns 1", async () => {
    const hook = await h.createService("HTTP", { url: `${base}/held` });
    const service = await h.createService("COMMAND", { command: "false" });
    const taskId = await h.createTask(service, { overlapPolicy: "ALLOW", maxConcurrentRuns: 1, notify: [{ serviceId: hook, on: ["FAILED"] }] });
    await h.waitForRun(await h.runTask(taskId));
    await expect.poll(() => held.length, { timeout: 30_000 }).toBe(1);
    const [notification] = (await notificationsOf(taskId)).runs;
    expect(notification?.status).toBe("RUNNING");
    // The task's next run starts and ends while the notification still runs.
    expect((await h.waitForRun(await h.runTask(taskId))).status).toBe("FAILED");
    expect((await notificationsOf(taskId)).runs.map((run) => run.status)).toEqual(["RUNNING"]);
    held.shift()!();
    expect((await h.waitForRun(notification!.id)).status).toBe("SUCCEEDED");
  });

  it("a newer occurrence under CANCEL_PREVIOUS does not cancel a notification still running", async () => {
    const hook = await h.createService("HTTP", { url: `${base}/held` });
    const service = await h.createService("COMMAND", { command: "false" });
    const { createTask } = await h.server.client.data(CreateTask, {
      input: { name: "cancel-previous-notified", serviceId: service, schedule: { standard: { frequencySeconds: 1 } }, overlapPolicy: "CANCEL_PREVIOUS", notify: [{ serviceId: hook, on: ["FAILED"] }] },
      schedule: true,
    });
    if (createTask.__typename !== "CreateTaskSuccess") throw new Error(JSON.stringify(createTask));
    const taskId = createTask.task.id;
    try {
      await expect.poll(() => held.length, { timeout: 30_000 }).toBe(1);
      const [notification] = (await notificationsOf(taskId)).runs;
      // Two more occurrences fire and end while it runs, each replacing what came before it.
      const scheduled = async () => (await h.server.client.data(TaskNotifications, { id: taskId, triggers: ["SCHEDULE"] })).runs.edges.filter((edge) => edge.node.status === "FAILED").length;
      const before = await scheduled();
      await expect.poll(scheduled, { timeout: 30_000 }).toBeGreaterThanOrEqual(before + 2);
      expect((await notificationsOf(taskId)).runs.find((run) => run.id === notification!.id)?.status).toBe("RUNNING");
      held.shift()!();
      expect((await h.waitForRun(notification!.id)).status).toBe("SUCCEEDED");
    } finally {
      await h.server.client.data(PauseTask, { input: { id: taskId } });
    }
  });

  it("everyTime notifies about every failure", async () => {
    const hook = await h.createService("HTTP", { url: `${base}/every` });
    const service = await h.createService("COMMAND", { command: "false" });
    const taskId = await h.createTask(service, { notify: [{ serviceId: hook, on: ["FAILED"], everyTime: true }] });
    await h.waitForRun(await h.runTask(taskId));
    await h.waitForRun(await h.runTask(taskId));
    expect((await notificationsOf(taskId)).runs).toHaveLength(2);
  });

  it("notifies TIMED_OUT through a service's default rules; a failing notification is retried, FAILED, and notifies nobody", async () => {
    const hook = await h.createService("HTTP", { url: `${base}/broken` });
    const service = await h.createService("COMMAND", { command: "sleep 30", timeoutSeconds: 1 }, { notify: [{ serviceId: hook, on: ["TIMED_OUT", "FAILED"] }] });
    const taskId = await h.createTask(service, { maxAttempts: 2, retryBackoffSeconds: 0 });
    const run = await h.waitForRun(await h.runTask(taskId));
    expect(run.status).toBe("TIMED_OUT");
    const [notification] = (await notificationsOf(taskId)).runs;
    const done = await h.waitForRun(notification!.id);
    expect(done).toMatchObject({ status: "FAILED", resultCount: 2 });
    expect(received_("/broken").map((request) => request.body.outcome)).toEqual(["TIMED_OUT", "TIMED_OUT"]);
    const after = await notificationsOf(taskId);
    expect(after.runs).toHaveLength(1);
    expect(after.task).toMatchObject({ lastRunStatus: "TIMED_OUT", notify: null, effectiveNotify: [{ serviceId: hook }] });
    // Re-running its failed targets would run the task's service instead: refused.
    const { rerunFailedTargets } = await h.server.client.data(RerunFailedTargets, { input: { id: notification!.id, confirm: true } });
    expect(rerunFailedTargets).toMatchObject({ __typename: "StateError", field: "input.id" });
  });

  it("notifies SKIPPED once for occurrences missed beyond the misfire grace", async () => {
    const hook = await h.createService("HTTP", { url: `${base}/missed` });
    const service = await h.createService("COMMAND", { command: "true" });
    const { createTask } = await h.server.client.data(CreateTask, {
      input: { name: "missed-every-minute", serviceId: service, schedule: { standard: { frequencySeconds: 60 } }, misfirePolicy: "SKIP", notify: [{ serviceId: hook, on: ["SKIPPED"] }] },
      schedule: true,
    });
    if (createTask.__typename !== "CreateTaskSuccess") throw new Error(JSON.stringify(createTask));
    const taskId = createTask.task.id;
    // As after ten minutes of downtime: the scheduler's next occurrence is long past.
    const db = h.server.app.database.client;
    const past = new Date(Date.now() - 10 * 60_000);
    await db.$executeRaw(Prisma.sql`UPDATE "Task" SET "nextRunAt" = ${past}, "version" = "version" + 1 WHERE "id" = ${decodeGlobalID(taskId).id}`);
    await expect.poll(() => received_("/missed").length, { timeout: 30_000 }).toBe(1);
    expect(received_("/missed")[0]!.body).toMatchObject({ outcome: "SKIPPED", status: "SKIPPED", taskName: "missed-every-minute" });
    expect(String(received_("/missed")[0]!.body.reason)).toMatch(/missed by \d+s/);
    expect((await notificationsOf(taskId)).runs).toHaveLength(1);
  });

  it("notifies DEADLINE_MISSED once for runs in a row that could not start within the task's deadline, again after a run that started; SKIPPED rules stay quiet", async () => {
    const hook = await h.createService("HTTP", { url: `${base}/deadline` });
    const missedHook = await h.createService("HTTP", { url: `${base}/missed-only` });
    const service = await h.createService("COMMAND", { command: "true" });
    const taskId = await h.createTask(service, {
      deadlineSeconds: 60,
      notify: [
        { serviceId: hook, on: ["DEADLINE_MISSED"] },
        { serviceId: missedHook, on: ["SKIPPED"] },
      ],
    });
    const db = h.server.app.database.client;
    // Queued as a scheduler would have queued it, `lateMs` ago; the executor's poll finds it.
    const queued = async (lateMs: number) => {
      const now = new Date();
      const run = await db.run.create({
        data: { id: uuidv7(), taskId: decodeGlobalID(taskId).id, trigger: "SCHEDULE", status: "QUEUED", scheduledFor: new Date(now.getTime() - lateMs), payload: {}, claimedAt: now },
      });
      return h.waitForRun(encodeGlobalID("Run", run.id));
    };
    const first = await queued(120_000);
    expect(first).toMatchObject({ status: "SKIPPED", startedAt: null });
    await expect.poll(() => received_("/deadline").length, { timeout: 30_000 }).toBe(1);
    expect(received_("/deadline")[0]!.body).toMatchObject({ outcome: "DEADLINE_MISSED", status: "SKIPPED", runId: first.id, taskId });
    expect(String(received_("/deadline")[0]!.body.reason)).toMatch(/^could not start within its 60s deadline/);

    // Still missing its deadline: the same outcome, no new notification.
    expect((await queued(120_000)).status).toBe("SKIPPED");
    expect((await notificationsOf(taskId)).runs).toHaveLength(1);
    // A run that starts in time ends the streak; the next deadline missed notifies again.
    expect((await queued(0)).status).toBe("SUCCEEDED");
    const again = await queued(120_000);
    expect(again.status).toBe("SKIPPED");
    const { runs } = await notificationsOf(taskId);
    expect(runs).toHaveLength(2);
    await Promise.all(runs.map((run) => h.waitForRun(run.id)));
    expect(received_("/deadline").map((request) => [request.body.outcome, request.body.runId])).toEqual([
      ["DEADLINE_MISSED", first.id],
      ["DEADLINE_MISSED", again.id],
    ]);
    expect(received_("/missed-only")).toEqual([]);
  });

  it("notifies FAILED about a run whose server died, closed by the recovery of another process", async () => {
    const hook = await h.createService("HTTP", { url: `${base}/interrupted` });
    const service = await h.createService("COMMAND", { command: "true" });
    const taskId = await h.createTask(service, { notify: [{ serviceId: hook, on: ["FAILED"] }] });
    const past = new Date(Date.now() - 60_000);
    // What a process that died in the middle leaves: a RUNNING run whose lease has expired.
    const orphan = await h.server.app.database.client.run.create({
      data: { taskId: decodeGlobalID(taskId).id, trigger: "MANUAL", status: "RUNNING", scheduledFor: past, claimedAt: past, startedAt: past, payload: {}, ownerId: "dead-host:1", leaseExpiresAt: past },
      select: { id: true },
    });
    await expect.poll(() => received_("/interrupted").length, { timeout: 30_000 }).toBe(1);
    expect(received_("/interrupted")[0]!.body).toMatchObject({ outcome: "FAILED", runId: encodeGlobalID("Run", orphan.id), reason: expect.stringMatching(/interrupted/) });
  });

  it("refuses rules naming unknown services, saving nothing, and services that rules name cannot be deleted", async () => {
    const service = await h.createService("COMMAND", { command: "true" });
    const hook = await h.createService("HTTP", { url: `${base}/unused` });
    const { createTask } = await h.server.client.data(CreateTask, {
      input: {
        name: "badly-notified",
        serviceId: service,
        schedule: { once: { at: "2099-01-01T00:00:00Z" } },
        notify: [{ serviceId: hook, on: ["FAILED"] }, { serviceId: encodeGlobalID("Service", "01930000-0000-7000-8000-000000000000"), on: ["FAILED"] }],
      },
    });
    expect(createTask.__typename).toBe("ValidationError");
    expect(fieldErrorPaths(createTask)).toEqual(["input.notify.1.serviceId"]);
    const unknownOutcome = await h.server.client.request(CreateTask, {
      input: { name: "badly-notified", serviceId: service, schedule: { once: { at: "2099-01-01T00:00:00Z" } }, notify: [{ serviceId: hook, on: ["EXPLODED" as "FAILED"] }] },
    });
    expect(unknownOutcome.errors?.[0]?.message).toMatch(/EXPLODED/);
    // Nothing of the refused task was saved: its name is free.
    const taskId = await h.createTask(service, { name: "badly-notified", notify: [{ serviceId: hook, on: ["FAILED"] }] });
    const { deleteService } = await h.server.client.data(DeleteService, { input: { id: hook } });
    expect(deleteService).toMatchObject({ __typename: "InUseError", field: "input.id" });
    expect((await notificationsOf(taskId)).task?.notify).toHaveLength(1);
  });

  const cronline = (...args: string[]) =>
    runInGroup(process.execPath, [fileURLToPath(new URL("../../dist/cronline.js", import.meta.url)), ...args], {
      cwd: flags,
      env: { ...childEnvironment(), CRONLINE_URL: h.server.app.url, CRONLINE_TOKEN: h.server.adminToken },
    });

  it("applies and exports notify rules as schedules as code, naming services by name", async () => {
    const configuration = {
      services: [
        { name: "code-notified", kind: "COMMAND", config: { command: "true" } },
        { name: "code-alert", kind: "HTTP", config: { url: `${base}/code` } },
      ],
      tasks: [{ name: "code-notifying", service: "code-notified", schedule: { cron: { expression: "0 2 * * *" } }, notify: [{ service: "code-alert", on: ["FAILED", "RECOVERED"] }] }],
    };
    const file = join(flags, "notify.yaml");
    writeFileSync(file, stringify(configuration));
    expect((await cronline("apply", "-f", file)).code).toBe(0);
    const again = await cronline("apply", "-f", file);
    expect(again.stdout).toContain("0 created, 0 updated, 0 deleted");
    const exported = parse((await cronline("export")).stdout) as { tasks: { name: string; notify: unknown }[] };
    expect(exported.tasks.find((task) => task.name === "code-notifying")?.notify).toEqual([{ service: "code-alert", on: ["FAILED", "RECOVERED"], everyTime: false }]);

    writeFileSync(file, stringify({ tasks: [{ ...configuration.tasks[0], notify: [{ service: "no-such-hook", on: ["FAILED"] }] }] }));
    const refused = await cronline("apply", "-f", file, "--json");
    expect(refused.code).toBe(2);
    expect((JSON.parse(refused.stderr) as { error: { fieldErrors: { field: string }[] } }).error.fieldErrors.map((problem) => problem.field)).toEqual(["tasks.0.notify.0.service"]);
  });
  it("applies, plans and exports a service's default notify rules as schedules as code, even naming a service the file creates after it", async () => {
    const watched = { name: "code-watched", kind: "COMMAND", config: { command: "false" }, notify: [{ service: "code-default-hook", on: ["FAILED"] }] };
    const configuration = {
      services: [watched, { name: "code-default-hook", kind: "HTTP", config: { url: `${base}/code-default` } }],
      tasks: [{ name: "code-defaulted", service: "code-watched", schedule: { cron: { expression: "0 2 * * *" } } }],
    };
    const file = join(flags, "service-notify.yaml");
    writeFileSync(file, stringify(configuration));
    const applied = await cronline("apply", "-f", file);
    expect(applied.code, applied.stderr).toBe(0);
    expect((await cronline("apply", "-f", file)).stdout).toContain("0 created, 0 updated, 0 deleted");
    const exported = parse((await cronline("export")).stdout) as { services: { name: string; notify: unknown }[] };
    expect(exported.services.find((service) => service.name === "code-watched")?.notify).toEqual([{ service: "code-default-hook", on: ["FAILED"], everyTime: false }]);
    expect(exported.services.find((service) => service.name === "code-default-hook")?.notify).toBeNull();

    // The task has no rules of its own: its service's apply, and a failed run notifies.
    const { tasks } = parse((await cronline("export")).stdout) as { tasks: { name: string; notify: unknown }[] };
    expect(tasks.find((task) => task.name === "code-defaulted")?.notify).toBeNull();
    const task = await h.server.app.database.client.task.findFirstOrThrow({ where: { name: "code-defaulted" }, select: { id: true } });
    const taskId = encodeGlobalID("Task", task.id);
    expect((await notificationsOf(taskId)).task).toMatchObject({ notify: null, effectiveNotify: [{ serviceId: expect.any(String) }] });
    expect((await h.waitForRun(await h.runTask(taskId))).status).toBe("FAILED");
    await expect.poll(() => received_("/code-default").length, { timeout: 30_000 }).toBe(1);

    writeFileSync(file, stringify({ ...configuration, services: [{ ...watched, notify: [{ service: "code-default-hook", on: ["FAILED", "RECOVERED"] }] }, configuration.services[1]] }));
    const plan = await cronline("apply", "-f", file, "--dry-run");
    expect(plan.stdout).toMatch(/update service code-watched \(notify\)/);
    expect((await cronline("apply", "-f", file)).code).toBe(0);
    const after = parse((await cronline("export")).stdout) as { services: { name: string; notify: unknown }[] };
    expect(after.services.find((service) => service.name === "code-watched")?.notify).toEqual([{ service: "code-default-hook", on: ["FAILED", "RECOVERED"], everyTime: false }]);

    writeFileSync(file, stringify({ services: [{ ...watched, notify: [{ service: "no-such-hook", on: ["FAILED"] }] }] }));
    const refused = await cronline("apply", "-f", file, "--json");
    expect(refused.code).toBe(2);
    expect((JSON.parse(refused.stderr) as { error: { fieldErrors: { field: string; message: string }[] } }).error.fieldErrors).toEqual([
      { field: "services.0.notify.0.service", message: 'names the service "no-such-hook", which neither the file nor the server has' },
    ]);
  });
});
