// `cronline export` and `cronline apply`: the server's devices, pools, services and tasks as
// one YAML file, and that file made true on a server (see src/cli/schedules-as-code).
import type { Command } from "commander";
import { clientAction, clientCommand } from "../command-context.js";
import { readDataFile } from "../files.js";
import { printJson, printLine } from "../output.js";
import type { Action } from "../schedules-as-code/plan.js";
import { documentOf, readServerState } from "../schedules-as-code/server-objects.js";

const header = `# Cronline's devices, pools, services and tasks, written by \`cronline export\`.
# \`cronline apply -f <file>\` makes a server match it (matched by name). Secrets the API masks
# show as "••••": applied as they are, they keep what the server holds.
`;

const symbols: Record<Action, string> = { create: "+", update: "~", delete: "-", unchanged: "=" };

export function registerConfigurationCommands(program: Command): void {
  clientCommand(program, "export", "print every service, device, pool and task as YAML (--json: as JSON), for apply").action(
    clientAction(async ({ client, json }) => {
      const state = await readServerState(client);
      if ([...state.services.values()].some((service) => service.configHidden)) {
        process.stderr.write("warning: the server shows services' configs only to ADMIN tokens; they are written empty\n");
      }
      const document = documentOf(state);
      if (json) return printJson(document);
      const { toYaml } = await import("../yaml-text.js");
      process.stdout.write(header + toYaml(document));
    }),
  );

  clientCommand(program, "apply", "make the server match a file of devices, pools, services and tasks (as export writes it)")
    .requiredOption("-f, --file <file>", "the YAML or JSON file; - for standard input")
    .option("--dry-run", "print the plan, change nothing")
    .option("--prune", "also delete what the server holds and the file leaves out")
    .action(
      clientAction(async ({ client, json }, options: { file: string; dryRun?: boolean; prune?: boolean }) => {
        // The file's checks load the API's own rules: only this command needs them.
        const [{ parseDocument }, { applyDocument }] = await Promise.all([import("../schedules-as-code/document.js"), import("../schedules-as-code/apply.js")]);
        const document = parseDocument(await readDataFile(options.file), options.file);
        const outcome = await applyDocument(client, document, { dryRun: options.dryRun === true, prune: options.prune === true });
        const counts = { create: 0, update: 0, delete: 0, unchanged: 0 } satisfies Record<Action, number>;
        for (const change of outcome.changes) counts[change.action] += 1;
        if (json) return printJson({ applied: outcome.applied, changes: outcome.changes, counts });
        for (const change of outcome.changes) {
          printLine(`${symbols[change.action]} ${change.action} ${change.kind} ${change.name}${change.fields.length > 0 ? ` (${change.fields.join(", ")})` : ""}`);
        }
        printLine(
          outcome.applied
            ? `applied: ${counts.create} created, ${counts.update} updated, ${counts.delete} deleted, ${counts.unchanged} unchanged`
            : `dry run, nothing changed: ${counts.create} to create, ${counts.update} to update, ${counts.delete} to delete, ${counts.unchanged} unchanged`,
        );
      }),
    );
}
