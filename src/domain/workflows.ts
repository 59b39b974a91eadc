// What a WORKFLOW's config needs of the database when saved: every step's service exists,
// no workflow runs itself through nested ones, and the templates of each step's service name
// only steps that run before it. Services used by workflows are kept from being deleted or
// renamed from under them, and a new config or kind of one is checked in every workflow step
// that runs it, as that workflow was when saved.
import type { DbClient } from "../db/database.js";
import { configTemplates, type ServiceKind } from "./service-kinds.js";
import { InUseError, ValidationError, type FieldIssue } from "./errors.js";
import { unknownStepReference, type WorkflowConfig, type WorkflowStep } from "./workflow-config.js";

interface StoredService {
  id: string;
  name: string;
  kind: string;
  config: unknown;
}

const serviceColumns = { id: true, name: true, kind: true, config: true } as const;

/**
 * Checks a workflow about to be saved as service `self` (its id, and the name it will have).
 * Errors name the step: `input.config.steps.<i>.service`.
 */
export async function checkWorkflow(db: DbClient, self: { id: string; name: string }, config: WorkflowConfig): Promise<void> {
  const names = [...new Set(config.steps.map((step) => step.service))];
  const found = await db.service.findMany({ where: { name: { in: names } }, select: serviceColumns });
  const byName = new Map(found.map((service) => [service.name, service]));
  const steps = new Map(config.steps.map((step) => [step.name, step]));
  const issues: FieldIssue[] = [];
  for (const [i, step] of config.steps.entries()) {
    const field = `input.config.steps.${i}.service`;
    const service = step.service === self.name ? { ...self, kind: "WORKFLOW", config } : byName.get(step.service);
    if (!service) {
      issues.push({ field, message: `step "${step.name}": no service is named "${step.service}"` });
      continue;
    }
    if (service.kind === "WORKFLOW") {
      const cycle = await pathBack(db, service as StoredService, self.id, [step.service]);
      if (service.id === self.id || cycle) {
        issues.push({ field, message: `step "${step.name}" would run this workflow inside itself: ${[self.name, ...(cycle ?? [])].join(" → ")}` });
      }
      continue;
    }
    for (const [where, template] of configTemplates(service.kind as ServiceKind, service.config as Record<string, unknown>)) {
      const problem = unknownStepReference(steps, step.name, template);
      if (problem) issues.push({ field, message: `step "${step.name}": service "${service.name}" config.${where}: ${problem}` });
    }
  }
  if (issues.length > 0) throw new ValidationError(issues);
}

/** The chain of workflow names from `workflow` down to the one with id `target`, or null when none leads there. */
async function pathBack(db: DbClient, workflow: StoredService, target: string, path: string[], seen = new Set<string>()): Promise<string[] | null> {
  if (workflow.id === target) return path;
  if (seen.has(workflow.id)) return null;
  seen.add(workflow.id);
  const steps = (workflow.config as { steps?: WorkflowStep[] }).steps ?? [];
  const inner = await db.service.findMany({ where: { name: { in: steps.map((step) => step.service) }, kind: "WORKFLOW" }, select: serviceColumns });
  for (const next of inner) {
    const found = await pathBack(db, next, target, [...path, next.name], seen);
    if (found) return found;
  }
  return null;
}

/** The workflows (and their steps) that run the service called `name`. */
export async function workflowsUsing(db: DbClient, name: string): Promise<string[]> {
  const workflows = await db.service.findMany({ where: { kind: "WORKFLOW" }, select: { name: true, config: true }, orderBy: { name: "asc" } });
  return workflows.flatMap((workflow) =>
    ((workflow.config as { steps?: WorkflowStep[] }).steps ?? [])
      .filter((step) => step.service === name)
      .map((step) => `workflow ${JSON.stringify(workflow.name)} step ${JSON.stringify(step.name)}`),
  );
}

/**
 * Checks a service's new kind and config (`field`: the input that changed them) in every
 * workflow step that runs it: its templates may name only steps that run before that step.
 * A service becoming, or staying, a WORKFLOW has no templates of its own (whether it would
 * run a workflow inside itself is checked as it is saved). Errors name the workflow and step.
 */
export async function checkWorkflowsUsing(db: DbClient, service: { name: string; kind: ServiceKind; config: Record<string, unknown> }, field: string): Promise<void> {
  if (service.kind === "WORKFLOW") return;
  const templates = configTemplates(service.kind, service.config);
  if (templates.length === 0) return;
  const workflows = await db.service.findMany({ where: { kind: "WORKFLOW" }, select: { name: true, config: true }, orderBy: { name: "asc" } });
  const issues: FieldIssue[] = [];
  for (const workflow of workflows) {
    const steps = new Map(((workflow.config as { steps?: WorkflowStep[] }).steps ?? []).map((step) => [step.name, step]));
    for (const step of steps.values()) {
      if (step.service !== service.name) continue;
      for (const [where, template] of templates) {
        const problem = unknownStepReference(steps, step.name, template);
        if (problem) issues.push({ field, message: `workflow ${JSON.stringify(workflow.name)} step ${JSON.stringify(step.name)}: config.${where}: ${problem}` });
      }
    }
  }
  if (issues.length > 0) throw new ValidationError(issues);
}

/** Refuses to delete or rename a service that workflows run by its name. */
export async function assertNotInWorkflows(db: DbClient, name: string, field: string, what: string): Promise<void> {
  const usedBy = await workflowsUsing(db, name);
  if (usedBy.length > 0) throw new InUseError(field, usedBy, what);
}
