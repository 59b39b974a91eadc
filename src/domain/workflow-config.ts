// The config of a WORKFLOW service: steps, each naming a service, and the graph they form by
// following each other on success, on failure or always. Everything that can be judged from
// the config alone is checked here (names, the graph, cycles, unreachable steps, step names in
// templates); what needs the database (the services named, nested workflows) in workflows.ts.
import { z } from "zod";
import { parseTemplate, stepPlaceholderText, stepReferences, TemplateError, type Template } from "../execution/templates.js";

export const stepConditions = ["SUCCESS", "FAILURE", "ALWAYS"] as const;
export type StepCondition = (typeof stepConditions)[number];

const stepName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1 to 64 letters, digits, _ or -");

const stepSchema = z.strictObject({
  name: stepName,
  /** The service the step runs, by name: a COMMAND, an HTTP call or another WORKFLOW. */
  service: z.string().min(1).max(200),
  /** Steps this one follows, each with the outcome it waits for; none: it starts with the run. */
  after: z.array(z.strictObject({ step: stepName, on: z.enum(stepConditions).default("SUCCESS") })).max(100).default([]),
  /** RUN: the run's targets; SERVICE: the step's service's own default targets. */
  targets: z.enum(["RUN", "SERVICE"]).default("RUN"),
  /** Keys set over the run's payload for this step; values are templates that may use earlier steps' results. */
  payload: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/, "must be letters, digits, _ or -"), z.string().max(8_192)).optional(),
  /** Replaces the service's timeout for each attempt of this step (COMMAND and HTTP steps). */
  timeoutSeconds: z.number().int().positive().max(86_400).optional(),
  /** Attempts per target for this step; default: the task's maxAttempts. */
  maxAttempts: z.number().int().min(1).max(10).optional(),
  retryBackoffSeconds: z.number().int().min(0).max(3_600).optional(),
  /** After SIGTERM, how long this step's commands have before SIGKILL; default COMMAND_KILL_GRACE_SECONDS. */
  killGraceSeconds: z.number().int().min(0).max(300).optional(),
});

export type WorkflowStep = z.output<typeof stepSchema>;

/** Step names `step` cannot run without: every step it follows, and theirs. */
function ancestorsOf(steps: ReadonlyMap<string, WorkflowStep>, name: string, seen = new Set<string>()): Set<string> {
  for (const { step } of steps.get(name)?.after ?? []) {
    if (seen.has(step)) continue;
    seen.add(step);
    ancestorsOf(steps, step, seen);
  }
  return seen;
}

/** The first cycle through `after`, as step names, or null. */
function findCycle(steps: readonly WorkflowStep[]): string[] | null {
  const byName = new Map(steps.map((step) => [step.name, step]));
  const state = new Map<string, "visiting" | "done">();
  const path: string[] = [];
  const visit = (name: string): string[] | null => {
    if (state.get(name) === "done") return null;
    if (state.get(name) === "visiting") return [...path.slice(path.indexOf(name)), name];
    state.set(name, "visiting");
    path.push(name);
    for (const { step } of byName.get(name)?.after ?? []) {
      const cycle = visit(step);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(name, "done");
    return null;
  };
  for (const step of steps) {
    const cycle = visit(step.name);
    if (cycle) return cycle;
  }
  return null;
}

/**
 * What each step needs of the others to run: for each step it depends on, directly or
 * through others, the outcome (SUCCESS, FAILURE) it must have had, or ALWAYS (it ran). A step
 * needing both SUCCESS and FAILURE of one step can never run. The graph has no cycle.
 */
function requirementsOf(steps: ReadonlyMap<string, WorkflowStep>): Map<string, Map<string, Set<StepCondition>>> {
  const memo = new Map<string, Map<string, Set<StepCondition>>>();
  const of = (name: string): Map<string, Set<StepCondition>> => {
    const known = memo.get(name);
    if (known) return known;
    const needs = new Map<string, Set<StepCondition>>();
    const add = (step: string, condition: StepCondition) => {
      if (!needs.has(step)) needs.set(step, new Set());
      needs.get(step)!.add(condition);
    };
    for (const { step, on } of steps.get(name)?.after ?? []) {
      add(step, on);
      for (const [other, conditions] of of(step)) for (const condition of conditions) add(other, condition);
    }
    memo.set(name, needs);
    return needs;
  };
  for (const name of steps.keys()) of(name);
  return memo;
}

/** Every template of the step's payload, with its key. */
export function payloadTemplates(step: WorkflowStep): [string, Template][] {
  return Object.entries(step.payload ?? {}).map(([key, text]) => [key, parseTemplate(text)]);
}

/**
 * The steps' templates may name only steps that ran before them: steps they follow, directly
 * or through others. `where` says which template, for the message.
 */
export function unknownStepReference(steps: ReadonlyMap<string, WorkflowStep>, step: string, template: Template): string | null {
  const before = ancestorsOf(steps, step);
  const wrong = stepReferences(template).find((reference) => !before.has(reference.step));
  if (!wrong) return null;
  return steps.has(wrong.step)
    ? `${stepPlaceholderText(wrong)} names step "${wrong.step}", which does not run before step "${step}" (list it in "after")`
    : `${stepPlaceholderText(wrong)} names no step of this workflow`;
}

export const workflowConfigSchema = z
  .strictObject({
    steps: z.array(stepSchema).min(1, "must have at least one step").max(100),
  })
  .superRefine((config, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
    const byName = new Map<string, WorkflowStep>();
    config.steps.forEach((step, i) => {
      if (byName.has(step.name)) issue(["steps", i, "name"], `step "${step.name}": another step has this name`);
      byName.set(step.name, step);
    });
    let broken = false;
    config.steps.forEach((step, i) => {
      step.after.forEach((edge, j) => {
        if (edge.step === step.name) issue(["steps", i, "after", j, "step"], `step "${step.name}" cannot follow itself`);
        else if (!byName.has(edge.step)) issue(["steps", i, "after", j, "step"], `step "${step.name}" follows "${edge.step}", which is not a step of this workflow`);
        else return;
        broken = true;
      });
      for (const [key, text] of Object.entries(step.payload ?? {})) {
        try {
          parseTemplate(text);
        } catch (error) {
          if (!(error instanceof TemplateError)) throw error;
          issue(["steps", i, "payload", key], `step "${step.name}": ${error.message}`);
          broken = true;
        }
      }
    });
    if (broken) return;
    const cycle = findCycle(config.steps);
    if (cycle) {
      const i = config.steps.findIndex((step) => step.name === cycle[0]);
      issue(["steps", i, "after"], `step "${cycle[0]}" is in a cycle: ${cycle.join(" → ")}`);
      return;
    }
    const requirements = requirementsOf(byName);
    config.steps.forEach((step, i) => {
      for (const [other, conditions] of requirements.get(step.name)!) {
        if (conditions.has("SUCCESS") && conditions.has("FAILURE")) {
          issue(["steps", i, "after"], `step "${step.name}" is unreachable: it needs step "${other}" to both succeed and fail`);
          return;
        }
      }
      for (const [key, template] of payloadTemplates(step)) {
        const problem = unknownStepReference(byName, step.name, template);
        if (problem) issue(["steps", i, "payload", key], `step "${step.name}": ${problem}`);
      }
    });
  });

export type WorkflowConfig = z.output<typeof workflowConfigSchema>;
