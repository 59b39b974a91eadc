import { MessageChannel } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { EventBus, type CronlineEvents } from "../../src/events/event-bus.js";
import { linkEventBus } from "../../src/events/event-link.js";
import { parseRoles, RoleError } from "../../src/roles/roles.js";

describe("parseRoles", () => {
  it("reads all, one role, or a list in any order and case", () => {
    expect(parseRoles("all")).toEqual(["api", "scheduler", "worker"]);
    expect(parseRoles("worker")).toEqual(["worker"]);
    expect(parseRoles(" Worker , api ")).toEqual(["api", "worker"]);
  });

  it("refuses unknown roles and empty lists, naming the choices", () => {
    for (const text of ["", "apis", "api,all", "scheduler,cron"]) expect(() => parseRoles(text), text).toThrow(RoleError);
    expect(() => parseRoles("cron")).toThrow(/--role must be all, or one or more of api, scheduler, worker/);
  });
});

describe("linked event buses", () => {
  const nextMessage = () => new Promise((resolve) => setImmediate(() => setImmediate(resolve)));

  it("carry what the other side consumes, with its dates, and never send a received event back", async () => {
    const { port1, port2 } = new MessageChannel();
    const api = new EventBus();
    const worker = new EventBus();
    const unlink = [linkEventBus(api, port1, ["runsCreated", "runsCancelled"]), linkEventBus(worker, port2, ["runProgress", "runsCreated"])];
    const heardByWorker: unknown[] = [];
    const heardByApi: unknown[] = [];
    worker.on("runsCreated", (event) => heardByWorker.push(event));
    worker.on("taskChanged", (event) => heardByWorker.push(event));
    api.on("runsCreated", (event) => heardByApi.push(event));
    try {
      const runs = { runs: [{ id: "r1", scheduledFor: new Date("2026-01-01T00:00:00Z") }] } as unknown as CronlineEvents["runsCreated"];
      api.emit("runsCreated", runs);
      api.emit("taskChanged", { taskId: "t1", change: "UPDATED" });
      await expect.poll(() => heardByWorker).toEqual([runs]);
      expect((heardByWorker[0] as typeof runs).runs[0]!.scheduledFor).toBeInstanceOf(Date);
      // The API consumes runsCreated too, yet heard its own emit once: the worker did not send it back.
      await nextMessage();
      expect(heardByApi).toEqual([runs]);
    } finally {
      for (const stop of unlink) stop();
    }
  });

  it("keep the order of events emitted in one turn", async () => {
    const { port1, port2 } = new MessageChannel();
    const from = new EventBus();
    const to = new EventBus();
    const unlink = [linkEventBus(from, port1, ["runsCancelled"]), linkEventBus(to, port2, [])];
    const heard: string[] = [];
    to.on("runsCancelled", ({ runIds }) => heard.push(...runIds));
    try {
      for (let i = 0; i < 100; i += 1) from.emit("runsCancelled", { runIds: [`r${i}`] });
      await expect.poll(() => heard.length).toBe(100);
      expect(heard).toEqual(Array.from({ length: 100 }, (_, i) => `r${i}`));
    } finally {
      for (const stop of unlink) stop();
    }
  });
});
