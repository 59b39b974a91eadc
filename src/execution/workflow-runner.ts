// Carries out a WORKFLOW run: its steps in the order their graph allows, in parallel where it
// allows, each following the steps it names on success, on failure or always. Every step is
// recorded RUNNING before its targets start and again when it ends, so a run taken up again
// after a crash (see RunStore.recoverInterruptedRuns) skips what ended and never starts a step
// twice: a step the crash caught running is closed as interrupted.
import type { RunResultStatus, StepReport, StepStatus } from "../domain/runs.js";
import type { StepCondition, WorkflowConfig, WorkflowStep } from "../domain/workflow-config.js";
import { payloadTemplates } from "../domain/workflow-config.js";
import { errorText } from "./error-text.js";
import type { RunTargets, TargetDevice } from "./targets.js";
import { renderTemplate, type StepOutcome, type StepTargetResult, type TemplateContext } from "./templates.js";

/** A service as a step runs it. */
export interface StepService {
  id: string;
  name: string;
  kind: string;
  config: unknown;
}

/** One target of a leaf step, as the executor runs it (attempts, retries, recording). */
export interface StepTargetRun {
  status: RunResultStatus;
  result: StepTargetResult;
}

/** What the executor does for a workflow run. */
export interface WorkflowHost {
  /** The services with these names. */
  services(names: string[]): Promise<Map<string, StepService>>;
  /** The service's own default targets. */
  serviceTargets(serviceId: string): Promise<RunTargets>;
  /**
   * Runs a COMMAND or HTTP step against its targets (null: once without a device) with every
   * attempt recorded under `path`; resolves once the results are stored. `context(device)` is
   * the template context of a target, and throws a TemplateError when the step's payload cannot
   * be rendered for it.
   */
  runLeaf(path: string, step: WorkflowStep, service: StepService, devices: (TargetDevice | null)[], context: (device: TargetDevice | null) => TemplateContext): Promise<StepTargetRun[]>;
  /** Records the step (durably) and tells the live views. */
  saveStep(step: StepReport, event: "STEP_STARTED" | "STEP_FINISHED"): Promise<void>;
  now(): Date;
  signal: AbortSignal;
}

/** The outcome of a workflow, nested or whole. */
export interface WorkflowOutcome {
  status: Extract<StepStatus, "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "CANCELLED">;
  reason: string | null;
  targetCount: number;
  succeededCount: number;
  failedCount: number;
}

/** What the run already recorded, when it is taken up again after a crash. */
export interface RecordedProgress {
  steps: Map<string, StepReport>;
  results: Map<string, StepTargetResult[]>;
}

const failed = (status: StepStatus) => status === "FAILED" || status === "TIMED_OUT";

/** Whether a step that ended `status` lets a step that follows it `on` run. */
export function conditionHolds(on: StepCondition, status: StepStatus): boolean {
  if (on === "SUCCESS") return status === "SUCCEEDED";
  if (on === "FAILURE") return failed(status);
  return status === "SUCCEEDED" || failed(status);
}

/**
 * The workflow's status from its steps' (documented in README "Workflows"): CANCELLED when the
 * run was stopped; SUCCEEDED when every step that failed is handled, i.e. followed `on:
 * FAILURE` by a step that ran; otherwise TIMED_OUT when every unhandled failure timed out, else
 * FAILED, naming the steps.
 */
export function workflowStatus(config: WorkflowConfig, statuses: ReadonlyMap<string, StepStatus>, cancelReason: string | null): Pick<WorkflowOutcome, "status" | "reason"> {
  if (cancelReason !== null) return { status: "CANCELLED", reason: cancelReason };
  const ran = (name: string) => {
    const status = statuses.get(name);
    return status !== undefined && status !== "SKIPPED" && status !== "CANCELLED";
  };
  const unhandled = config.steps.filter(
    (step) => failed(statuses.get(step.name) ?? "SKIPPED") && !config.steps.some((other) => ran(other.name) && other.after.some((edge) => edge.step === step.name && edge.on === "FAILURE")),
  );
  if (unhandled.length === 0) return { status: "SUCCEEDED", reason: null };
  const timedOut = unhandled.every((step) => statuses.get(step.name) === "TIMED_OUT");
  const names = unhandled.map((step) => `"${step.name}"`).join(", ");
  return { status: timedOut ? "TIMED_OUT" : "FAILED", reason: `step${unhandled.length === 1 ? "" : "s"} ${names} ${timedOut ? "timed out" : "failed"} with no failure branch` };
}

export const interruptedStepReason = "interrupted: the server running it stopped; not run again";

export class WorkflowRunner {
  readonly #host: WorkflowHost;
  readonly #progress: RecordedProgress;
  readonly #base: Omit<TemplateContext, "device" | "steps">;
  readonly #cancelReason: () => string | null;

  constructor(host: WorkflowHost, progress: RecordedProgress, base: Omit<TemplateContext, "device" | "steps">, cancelReason: () => string | null) {
    this.#host = host;
    this.#progress = progress;
    this.#base = base;
    this.#cancelReason = cancelReason;
  }

  /** Runs `config` against `targets`, its step names prefixed by `prefix` ("" at the top, "outer/" inside). */
  async run(config: WorkflowConfig, targets: RunTargets, prefix = ""): Promise<WorkflowOutcome> {
    const services = await this.#host.services([...new Set(config.steps.map((step) => step.service))]);
    const statuses = new Map<string, StepStatus>();
    const outcomes = new Map<string, StepOutcome>();
    const counts = { targetCount: 0, succeededCount: 0, failedCount: 0 };
    const running = new Map<string, Promise<void>>();
    const settle = (step: WorkflowStep, report: StepReport, results: StepTargetResult[]) => {
      statuses.set(step.name, report.status);
      outcomes.set(step.name, { status: report.status, results });
      counts.targetCount += report.targetCount;
      counts.succeededCount += report.succeededCount;
      counts.failedCount += report.failedCount;
    };
    for (;;) {
      let started = false;
      for (const step of config.steps) {
        if (statuses.has(step.name) || running.has(step.name)) continue;
        const before = step.after.map((edge) => ({ edge, status: statuses.get(edge.step) }));
        if (before.some(({ status }) => status === undefined)) continue;
        started = true;
        const path = prefix + step.name;
        const unmet = before.find(({ edge, status }) => !conditionHolds(edge.on, status!));
        if (this.#host.signal.aborted || unmet) {
          const reason = this.#host.signal.aborted ? "the run was stopped before it started" : `step "${unmet!.edge.step}" ended ${unmet!.status}; this step runs on ${unmet!.edge.on}`;
          const report = this.#progress.steps.get(path) ?? (await this.#skip(path, step.service, reason));
          settle(step, report, []);
          continue;
        }
        const work = this.#runStep(path, step, services.get(step.service), targets, outcomes).then(
          ({ report, results }) => {
            running.delete(step.name);
            settle(step, report, results);
          },
          // A step that could not even be recorded fails on its own; the others go on.
          (error: unknown) => {
            running.delete(step.name);
            const reason = `internal error: ${errorText(error)}`;
            settle(step, { name: path, serviceName: step.service, status: "FAILED", reason, startedAt: null, finishedAt: this.#host.now(), targetCount: 0, succeededCount: 0, failedCount: 0 }, []);
          },
        );
        running.set(step.name, work);
      }
      if (running.size > 0) await Promise.race(running.values());
      else if (!started) break;
    }
    return { ...workflowStatus(config, statuses, this.#cancelReason()), ...counts };
  }

  async #skip(path: string, serviceName: string, reason: string): Promise<StepReport> {
    const report: StepReport = { name: path, serviceName, status: "SKIPPED", reason, startedAt: null, finishedAt: this.#host.now(), targetCount: 0, succeededCount: 0, failedCount: 0 };
    await this.#host.saveStep(report, "STEP_FINISHED");
    return report;
  }

  async #runStep(
    path: string,
    step: WorkflowStep,
    service: StepService | undefined,
    runTargets: RunTargets,
    outcomes: ReadonlyMap<string, StepOutcome>,
  ): Promise<{ report: StepReport; results: StepTargetResult[] }> {
    const recorded = this.#progress.steps.get(path);
    const isWorkflow = service?.kind === "WORKFLOW";
    // Ended before a crash: its results stand. Caught running by one: a nested workflow goes on, any other step is not run again.
    if (recorded && recorded.status !== "RUNNING") return { report: recorded, results: this.#progress.results.get(path) ?? [] };
    const startedAt = recorded?.startedAt ?? this.#host.now();
    const report: StepReport = { name: path, serviceName: service?.name ?? step.service, status: "RUNNING", reason: null, startedAt, finishedAt: null, targetCount: 0, succeededCount: 0, failedCount: 0 };
    const end = async (fields: Partial<StepReport>, results: StepTargetResult[] = []) => {
      Object.assign(report, fields, { finishedAt: this.#host.now() });
      await this.#host.saveStep(report, "STEP_FINISHED");
      return { report, results };
    };
    if (recorded && !isWorkflow) {
      const results = this.#progress.results.get(path) ?? [];
      const succeededCount = results.filter((r) => r.status === "SUCCEEDED").length;
      return end({ status: "FAILED", reason: interruptedStepReason, targetCount: results.length, succeededCount, failedCount: results.length - succeededCount }, results);
    }
    if (!recorded) await this.#host.saveStep(report, "STEP_STARTED");
    if (!service) return end({ status: "FAILED", reason: `no service is named "${step.service}" any more` });
    let targets = runTargets;
    if (step.targets === "SERVICE") targets = await this.#host.serviceTargets(service.id);
    if (targets.declared && targets.devices.length === 0) return end({ status: "FAILED", reason: "no target devices: the targeted pools have no devices" });
    if (isWorkflow) {
      const outcome = await this.run(service.config as WorkflowConfig, targets, `${path}/`);
      return end(outcome);
    }
    const payloads = payloadTemplates(step);
    const context = (device: TargetDevice | null): TemplateContext => {
      const base = { ...this.#base, device, steps: outcomes };
      return { ...base, payload: { ...base.payload, ...Object.fromEntries(payloads.map(([key, template]) => [key, renderTemplate(template, base)])) } };
    };
    const runs = await this.#host.runLeaf(path, step, service, targets.declared ? targets.devices : [null], context);
    const statuses = runs.map((r) => r.status);
    const succeededCount = statuses.filter((s) => s === "SUCCEEDED").length;
    const failedCount = statuses.length - succeededCount;
    const timedOut = statuses.filter((s) => s === "TIMED_OUT").length;
    const cancelled = statuses.filter((s) => s === "CANCELLED").length;
    const status: StepStatus = failedCount === 0 ? "SUCCEEDED" : cancelled === failedCount ? "CANCELLED" : timedOut === failedCount ? "TIMED_OUT" : "FAILED";
    const reason = failedCount === 0 ? null : `${failedCount} of ${statuses.length} target${statuses.length === 1 ? "" : "s"} did not succeed`;
    return end({ status, reason, targetCount: statuses.length, succeededCount, failedCount }, runs.map((r) => r.result));
  }
}
