// Vitest global setup: checks PostgreSQL once for the whole run and says why its suites are
// skipped. A skipped suite's name never reaches the default reporter's output, so without
// this line a run without PostgreSQL would look like a full run that skipped a few tests.
import type { TestProject } from "vitest/node";
import { postgresUnavailableReason } from "../../src/db/scratch-database.js";

declare module "vitest" {
  export interface ProvidedContext {
    postgresProblem: string | null;
  }
}

export default async function checkPostgres(project: TestProject): Promise<void> {
  const problem = await postgresUnavailableReason();
  project.provide("postgresProblem", problem);
  if (!problem) return;
  console.warn(
    process.env.CI === "true"
      ? `PostgreSQL suites fail (CI=true requires PostgreSQL): ${problem}`
      : `PostgreSQL suites are skipped: ${problem}`,
  );
}
