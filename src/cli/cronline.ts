#!/usr/bin/env node
// The `cronline` command (package.json "bin", so `npx cronline …` in the project runs it).
//   cronline serve [--role all|api|scheduler|worker|api,worker...]
import { readFileSync } from "node:fs";
import path from "node:path";
import { Command, CommanderError } from "commander";
import { projectRoot } from "../project-root.js";
import { serve, usageExitCode } from "./serve.js";

const { version } = JSON.parse(readFileSync(path.join(projectRoot, "package.json"), "utf8")) as { version: string };

const program = new Command("cronline")
  .description("Cronline, a self-hosted task scheduler with a live GraphQL API")
  .version(version)
  // Commander has already told the user what was wrong; a usage mistake exits 2, as a bad setting does.
  .exitOverride((error: CommanderError) => process.exit(error.exitCode === 0 ? 0 : usageExitCode));

program
  .command("serve")
  .description(
    "start Cronline: the GraphQL API, the scheduler and the worker, on the database DATABASE_URL names (SQLite ./data/cronline.db by default)",
  )
  .option("--role <roles>", "the roles of this process: all, or a comma-separated list of api, scheduler and worker", "all")
  .action((options: { role: string }) => serve(options.role));

await program.parseAsync();
