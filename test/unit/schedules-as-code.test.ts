// The comparison `cronline apply` makes between a file and what the server shows: a file
// applied twice changes nothing the second time, and secrets the API masks are never
// "updated" with the mask.
import { describe, expect, it } from "vitest";
import { CliError } from "../../src/cli/exit-codes.js";
import { parseDocument, parseSpec, type ConfigurationDocument, type ServiceSpec, type TaskSpec } from "../../src/cli/schedules-as-code/document.js";
import { matchesShown, missingReferences, planChanges, secretMask } from "../../src/cli/schedules-as-code/plan.js";
import type { ServerState } from "../../src/cli/schedules-as-code/server-objects.js";

const empty = (): ServerState => ({ devices: new Map(), pools: new Map(), services: new Map(), tasks: new Map() });

const document = (parts: Partial<Record<keyof ConfigurationDocument, unknown[]>>) => parseDocument(parts, "test.yaml");

function serverWith(file: ConfigurationDocument, change: (state: ServerState) => void = () => {}): ServerState {
  const state = empty();
  for (const spec of file.devices) state.devices.set(spec.name, { id: `d-${spec.name}`, spec: structuredClone(spec) });
  for (const spec of file.pools) state.pools.set(spec.name, { id: `p-${spec.name}`, spec: structuredClone(spec) });
  for (const spec of file.services) state.services.set(spec.name, { id: `s-${spec.name}`, spec: structuredClone(spec), configHidden: false });
  for (const spec of file.tasks) state.tasks.set(spec.name, { id: `t-${spec.name}`, spec: structuredClone(spec) });
  change(state);
  return state;
}

const hook = { name: "hook", kind: "HTTP", config: { url: "https://hooks.example.com/x", headers: { authorization: "Bearer real-secret" } } };
const nightly = { name: "nightly", service: "hook", schedule: { cron: { expression: "0 2 * * *" } }, timezone: "Europe/Berlin", tags: ["b", "a"] };

describe("apply's plan", () => {
  it("creates what the server lacks, in the order references need, and deletes with prune from tasks to devices", () => {
    const file = document({ devices: [{ name: "edge", address: "10.0.0.1" }], services: [hook], tasks: [nightly] });
    const server = empty();
    server.pools.set("old", { id: "p-old", spec: parseSpec("pool", { name: "old" }, "x") });
    server.tasks.set("gone", { id: "t-gone", spec: parseSpec("task", { ...nightly, name: "gone" }, "x") });
    expect(planChanges(file, server, { prune: true }).map((change) => `${change.action} ${change.kind} ${change.name}`)).toEqual([
      "create device edge",
      "create service hook",
      "create task nightly",
      "delete task gone",
      "delete pool old",
    ]);
    expect(planChanges(file, server, { prune: false }).some((change) => change.action === "delete")).toBe(false);
  });

  it("finds nothing to change in what the server made of the file: defaults, tag order, time zone spelling, an HTTP method filled in", () => {
    const file = document({ services: [hook], tasks: [nightly] });
    const server = serverWith(file, (state) => {
      const task = state.tasks.get("nightly")!.spec as TaskSpec;
      task.tags = ["a", "b"];
      task.timezone = "Europe/Berlin";
    });
    // The file's service already holds method POST: the same rules that fill it on the server filled it here.
    expect((file.services[0]!.config as { method?: string }).method).toBe("POST");
    expect(planChanges(file, server, { prune: true }).map((change) => change.action)).toEqual(["unchanged", "unchanged"]);
    const zoneInOtherCase = document({ services: [hook], tasks: [{ ...nightly, timezone: "europe/berlin" }] });
    expect(planChanges(zoneInOtherCase, server, { prune: true }).map((change) => change.action)).toEqual(["unchanged", "unchanged"]);
  });

  it("does not count a standard schedule's start, which the server sets when it schedules the task, unless the file gives one", () => {
    const every = { name: "every", service: "hook", schedule: { standard: { frequencySeconds: 60 } } };
    const file = document({ services: [hook], tasks: [every] });
    const server = serverWith(file, (state) => {
      (state.tasks.get("every")!.spec as TaskSpec).schedule = { standard: { frequencySeconds: 60, startAt: "2026-12-03T10:00:00.000Z" } };
    });
    expect(planChanges(file, server, { prune: false })[1]).toMatchObject({ action: "unchanged" });
    const anchored = document({ services: [hook], tasks: [{ ...every, schedule: { standard: { frequencySeconds: 60, startAt: "2026-12-03T11:00:00Z" } } }] });
    expect(planChanges(anchored, server, { prune: false })[1]).toMatchObject({ action: "update", fields: ["schedule"] });
    const sameInstant = document({ services: [hook], tasks: [{ ...every, schedule: { standard: { frequencySeconds: 60, startAt: "2026-12-03T11:00:00+01:00" } } }] });
    expect(planChanges(sameInstant, server, { prune: false })[1]).toMatchObject({ action: "unchanged" });
  });

  it("names the fields that differ", () => {
    const file = document({ services: [hook], tasks: [{ ...nightly, maxAttempts: 3 }] });
    const server = serverWith(document({ services: [hook], tasks: [{ ...nightly, state: "PAUSED" }] }));
    expect(planChanges(file, server, { prune: false })[1]).toEqual({ action: "update", kind: "task", name: "nightly", fields: ["maxAttempts", "state"] });
  });

  it("takes a secret the server shows masked as equal to the file's value, and compares the rest of the config", () => {
    const file = document({ services: [hook] });
    const masked = (state: ServerState, url = hook.config.url) => {
      const spec = state.services.get("hook")!.spec as ServiceSpec;
      spec.config = { url, method: "POST", headers: { authorization: secretMask } };
    };
    expect(planChanges(file, serverWith(file, (state) => masked(state)), { prune: false })[0]).toMatchObject({ action: "unchanged" });
    expect(planChanges(file, serverWith(file, (state) => masked(state, "https://hooks.example.com/other")), { prune: false })[0]).toMatchObject({
      action: "update",
      fields: ["config"],
    });
    // A header the file adds or leaves out is a change, masked or not.
    expect(matchesShown({ headers: { a: "1", b: "2" } }, { headers: { a: secretMask } })).toBe(false);
    expect(matchesShown({ headers: { a: "1" } }, { headers: { a: secretMask, b: secretMask } })).toBe(false);
  });

  it("does not compare a config the server hides (a token below ADMIN)", () => {
    const file = document({ services: [hook] });
    const server = serverWith(file, (state) => {
      state.services.get("hook")!.configHidden = true;
      (state.services.get("hook")!.spec as ServiceSpec).config = {};
    });
    expect(planChanges(file, server, { prune: false })[0]).toMatchObject({ action: "unchanged" });
  });

  it("names references to objects that will not exist, pruned ones included", () => {
    const file = document({ pools: [{ name: "pool", members: ["edge", "ghost"] }], services: [{ ...hook, targetPools: ["pool"] }], tasks: [{ ...nightly, service: "missing" }] });
    const server = empty();
    server.devices.set("edge", { id: "d-edge", spec: parseSpec("device", { name: "edge", address: "10.0.0.1" }, "x") });
    expect(missingReferences(file, server, { prune: false })).toEqual([
      { field: "pools.0.members.1", message: 'names the device "ghost", which neither the file nor the server has' },
      { field: "tasks.0.service", message: 'names the service "missing", which neither the file nor the server has' },
    ]);
    expect(missingReferences(file, server, { prune: true })[0]).toEqual({ field: "pools.0.members.0", message: 'names the device "edge", which --prune deletes, as the file leaves it out' });
  });

  it("compares a service's default notify rules, checks the services they name, and prunes a notifying service before the one it names", () => {
    const watched = { name: "watched", kind: "COMMAND", config: { command: "true" }, notify: [{ service: "hook", on: ["FAILED"] }] };
    const file = document({ services: [watched, hook] });
    expect(file.services[0]!.notify).toEqual([{ service: "hook", on: ["FAILED"], everyTime: false }]);
    expect(document({ services: [hook] }).services[0]!.notify).toBeNull();
    expect(planChanges(file, serverWith(file), { prune: false }).map((change) => change.action)).toEqual(["unchanged", "unchanged"]);
    const recovered = document({ services: [{ ...watched, notify: [{ service: "hook", on: ["FAILED", "RECOVERED"] }] }, hook] });
    expect(planChanges(recovered, serverWith(file), { prune: false })[0]).toEqual({ action: "update", kind: "service", name: "watched", fields: ["notify"] });

    const unknown = document({ services: [{ ...watched, notify: [{ service: "hook", on: ["FAILED"] }, { service: "ghost", on: ["TIMED_OUT"] }] }] });
    expect(missingReferences(unknown, empty(), { prune: false })).toEqual([
      { field: "services.0.notify.0.service", message: 'names the service "hook", which neither the file nor the server has' },
      { field: "services.0.notify.1.service", message: 'names the service "ghost", which neither the file nor the server has' },
    ]);
    // The server refuses to delete a service that rules name: the one whose rules name it goes first, whatever the server's order.
    const server = serverWith(document({ services: [hook, watched] }));
    expect(planChanges(document({}), server, { prune: true }).map((change) => `${change.action} ${change.name}`)).toEqual(["delete watched", "delete hook"]);
  });
});

describe("the file's checks", () => {
  it("name every wrong field with its path, with the API's own rules", () => {
    const error = (() => {
      try {
        parseDocument({ devices: [], extra: [] }, "test.yaml");
      } catch (caught) {
        return caught as CliError;
      }
    })();
    expect(error).toBeInstanceOf(CliError);
    expect(error!.exitCode).toBe(2);
    expect(error!.details.fieldErrors).toEqual([{ field: "extra", message: "is not a known section (devices, pools, services, tasks)" }]);
    const fields = (value: unknown) => {
      try {
        parseDocument(value, "test.yaml");
        return [];
      } catch (caught) {
        return ((caught as CliError).details.fieldErrors ?? []).map((problem) => problem.field);
      }
    };
    expect(
      fields({
        devices: [{ name: "edge", address: "not an address!" }, { name: "edge", address: "10.0.0.2" }, { name: "edge", address: "10.0.0.3" }],
        services: [{ name: "cmd", kind: "COMMAND", config: { command: "echo a; rm -rf /" } }],
        tasks: [{ name: "t", service: "cmd", schedule: { cron: { expression: "* * * * *" }, once: { at: "2027-01-01T00:00:00Z" } }, maxAttempts: 50, colour: "red" }],
      }),
    ).toEqual(["devices.0.address", "devices.2.name", "services.0.config.command", "tasks.0.schedule", "tasks.0.maxAttempts", "tasks.0.colour"]);
    expect(fields({ tasks: [{ name: "t" }] })).toEqual(["tasks.0.service", "tasks.0.schedule"]);
  });
});
