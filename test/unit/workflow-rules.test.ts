// The pure rules of workflows: earlier steps' results in templates, the checks of a config
// when saved, which step follows which outcome, and a workflow's status.
import { describe, expect, it } from "vitest";
import { parseInput } from "../../src/domain/input-rules.js";
import { workflowConfigSchema } from "../../src/domain/workflow-config.js";
import { ValidationError } from "../../src/domain/errors.js";
import { parseJsonTemplate, renderJsonTemplate } from "../../src/execution/json-template.js";
import { parseCommandTemplate, parseTemplate, renderCommand, renderTemplate, type StepOutcome, type TemplateContext } from "../../src/execution/templates.js";
import { conditionHolds, workflowStatus } from "../../src/execution/workflow-runner.js";

const result = (deviceName: string | null, output: string, status = "SUCCEEDED") => ({ deviceName, status, exitCode: 0, httpStatus: null, output, errorOutput: "" });

const steps = new Map<string, StepOutcome>([
  ["inventory", { status: "SUCCEEDED", results: [result(null, '{"version":"1.2","items":[{"id":7}],"flag":true}')] }],
  ["backup", { status: "FAILED", results: [result("r1", "saved r1\n"), { ...result("r2", "-rf\n", "FAILED"), exitCode: 2 }] }],
]);

const context: TemplateContext = { device: null, payload: {}, task: { name: "t" }, run: { id: "run-1" }, scheduledFor: new Date(0), steps };

const render = (text: string, ctx = context) => renderTemplate(parseTemplate(text), ctx);

const issues = (config: unknown) => {
  try {
    parseInput(workflowConfigSchema, config, "input.config");
    return [];
  } catch (error) {
    return (error as ValidationError).issues;
  }
};

describe("step placeholders", () => {
  it("give a step's status, a device's stdout and exit code, and values inside JSON output", () => {
    expect(render("{{steps.backup.status}} {{steps.backup.devices.r1.stdout}}")).toBe("FAILED saved r1\n");
    expect(render("{{steps.backup.devices.r2.exitCode}} {{steps.backup.devices.r2.status}}")).toBe("2 FAILED");
    expect(render("{{steps.inventory.json.version}} {{steps.inventory.json.items.0.id}} {{steps.inventory.stdout}}")).toBe(
      '1.2 7 {"version":"1.2","items":[{"id":7}],"flag":true}',
    );
  });

  it("read the result on the device being rendered with .device", () => {
    const r2 = { ...context, device: { name: "r2", address: "10.0.0.2", properties: {} } };
    expect(render("{{steps.backup.device.exitCode}} {{steps.backup.device.status}}", r2)).toBe("2 FAILED");
    expect(() => render("{{steps.backup.device.stdout}}")).toThrow("{{steps.backup.device.stdout}}: the run has no target device");
    expect(() => render("{{steps.inventory.device.stdout}}", r2)).toThrow('step "inventory" did not run on device "r2"');
  });

  it("keep a JSON value's type in a JSON body, and escape it inside a string", () => {
    const body = parseJsonTemplate('{"flag": {{steps.inventory.json.flag}}, "items": {{steps.inventory.json.items}}, "text": "{{steps.backup.devices.r1.stdout}}"}');
    expect(JSON.parse(renderJsonTemplate(body, context))).toEqual({ flag: true, items: [{ id: 7 }], text: "saved r1\n" });
  });

  it("fail a target, saying why, when the step, device or JSON key is missing or the device is ambiguous", () => {
    expect(() => render("{{steps.backup.stdout}}")).toThrow('{{steps.backup.stdout}}: step "backup" ran on 2 targets; name one with {{steps.backup.devices.<device>.stdout}}');
    expect(() => render("{{steps.backup.devices.r9.stdout}}")).toThrow('step "backup" did not run on device "r9"');
    expect(() => render("{{steps.inventory.json.nothing}}")).toThrow(`the step's JSON output has nothing at "nothing"`);
    expect(() => render("{{steps.backup.devices.r1.json.x}}")).toThrow("the step's output is not JSON");
    expect(() => render("{{steps.later.status}}")).toThrow('step "later" has not run');
    expect(() => render("{{steps.inventory.status}}", { ...context, steps: undefined })).toThrow("only a step of a workflow sees other steps' results");
  });

  it("are refused as options in commands like any other value", () => {
    expect(() => renderCommand(parseCommandTemplate("rm {{steps.backup.devices.r2.stdout}}"), context, false)).toThrow(/starts with "-"/);
    expect(renderCommand(parseCommandTemplate("rm -- {{steps.backup.devices.r2.stdout}}"), context, false)).toEqual(["rm", "--", "-rf\n"]);
  });

  it("are refused when misspelt", () => {
    expect(() => parseTemplate("{{steps.a.output}}")).toThrow(/unknown placeholder/);
    expect(() => parseTemplate("{{steps.a.status.x}}")).toThrow(/unknown placeholder/);
  });
});

describe("workflow configs", () => {
  const step = (name: string, extra: Record<string, unknown> = {}) => ({ name, service: "s", ...extra });

  it("name the step in every refusal", () => {
    expect(issues({ steps: [step("a"), step("a")] })).toEqual([{ field: "input.config.steps.1.name", message: 'step "a": another step has this name' }]);
    expect(issues({ steps: [step("a", { after: [{ step: "a" }] })] })).toEqual([{ field: "input.config.steps.0.after.0.step", message: 'step "a" cannot follow itself' }]);
    expect(issues({ steps: [step("a", { after: [{ step: "zz" }] })] })).toEqual([
      { field: "input.config.steps.0.after.0.step", message: 'step "a" follows "zz", which is not a step of this workflow' },
    ]);
    expect(issues({ steps: [step("a", { payload: { x: "{{steps.a.stdout" } })] })[0]!.field).toBe("input.config.steps.0.payload.x");
    expect(issues({ steps: [] })).toEqual([{ field: "input.config.steps", message: "must have at least one step" }]);
  });

  it("accept what earlier steps bring through the steps they follow, directly or not", () => {
    expect(issues({ steps: [step("a"), step("b", { after: [{ step: "a" }] }), step("c", { after: [{ step: "b", on: "ALWAYS" }], payload: { x: "{{steps.a.stdout}}" } })] })).toEqual([]);
  });
});

describe("workflow outcomes", () => {
  const config = parseInput(workflowConfigSchema, {
    steps: [
      { name: "backup", service: "s" },
      { name: "alert", service: "s", after: [{ step: "backup", on: "FAILURE" }] },
      { name: "verify", service: "s", after: [{ step: "backup" }] },
    ],
  });

  it("follow success, failure or any ending; a skipped or cancelled step lets nothing follow", () => {
    expect([conditionHolds("SUCCESS", "SUCCEEDED"), conditionHolds("FAILURE", "TIMED_OUT"), conditionHolds("ALWAYS", "FAILED")]).toEqual([true, true, true]);
    expect([conditionHolds("SUCCESS", "FAILED"), conditionHolds("ALWAYS", "SKIPPED"), conditionHolds("ALWAYS", "CANCELLED")]).toEqual([false, false, false]);
  });

  it("succeed when every failure is handled by a failure branch that ran, fail otherwise, and time out when only timeouts went unhandled", () => {
    expect(workflowStatus(config, new Map([["backup", "FAILED"], ["alert", "SUCCEEDED"], ["verify", "SKIPPED"]]), null).status).toBe("SUCCEEDED");
    expect(workflowStatus(config, new Map([["backup", "SUCCEEDED"], ["alert", "SKIPPED"], ["verify", "FAILED"]]), null)).toEqual({
      status: "FAILED",
      reason: 'step "verify" failed with no failure branch',
    });
    expect(workflowStatus(config, new Map([["backup", "SUCCEEDED"], ["alert", "SKIPPED"], ["verify", "TIMED_OUT"]]), null).status).toBe("TIMED_OUT");
    // The failure branch failing is itself a failure nobody handles.
    expect(workflowStatus(config, new Map([["backup", "FAILED"], ["alert", "FAILED"], ["verify", "SKIPPED"]]), null).reason).toBe('step "alert" failed with no failure branch');
    expect(workflowStatus(config, new Map([["backup", "CANCELLED"]]), "cancelled").status).toBe("CANCELLED");
  });
});
