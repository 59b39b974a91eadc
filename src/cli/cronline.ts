#!/usr/bin/env node
// The `cronline` command (package.json "bin", so `npx cronline …` in the project runs it).
//   cronline serve [--role all|api|scheduler|worker|api,worker...]   starts Cronline
//   cronline tasks|runs|devices|pools|services|print|watch|export|apply ...   operate a running server
// The client commands talk to the server through its GraphQL API and load none of the
// server's code; `serve` loads it only once its arguments are known good.
import { readFileSync } from "node:fs";
import path from "node:path";
import { Command, CommanderError } from "commander";
import { projectRoot } from "../project-root.js";
import { registerConfigurationCommands } from "./commands/configuration.js";
import { registerInventoryCommands } from "./commands/inventory.js";
import { registerRunCommands } from "./commands/runs.js";
import { registerScheduleCommands } from "./commands/schedule.js";
import { registerTaskCommands } from "./commands/tasks.js";
import { exitCodes } from "./exit-codes.js";

const { version } = JSON.parse(readFileSync(path.join(projectRoot, "package.json"), "utf8")) as { version: string };

const program = new Command("cronline")
  .description("Cronline, a self-hosted task scheduler with a live GraphQL API")
  .version(version)
  // Commander has already told the user what was wrong; a usage mistake exits 2, as a bad setting does.
  .exitOverride((error: CommanderError) => process.exit(error.exitCode === 0 ? 0 : exitCodes.usage))
  // Subcommands inherit the exit override above, and their options stay their own.
  .enablePositionalOptions();

program
  .command("serve")
  .description(
    "start Cronline: the GraphQL API, the scheduler and the worker, on the database DATABASE_URL names (SQLite ./data/cronline.db by default)",
  )
  .option("--role <roles>", "the roles of this process: all, or a comma-separated list of api, scheduler and worker", "all")
  .action(async (options: { role: string }) => {
    const { serve } = await import("./serve.js");
    await serve(options.role);
  });

// A reader that stops early (`cronline watch --json | head -1`) is no failure.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
  process.exit(exitCodes.ok);
});

registerTaskCommands(program);
registerRunCommands(program);
registerScheduleCommands(program);
registerInventoryCommands(program);
registerConfigurationCommands(program);

await program.parseAsync();
