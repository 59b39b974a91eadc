// Runs a suite once per database provider. PostgreSQL suites get their own database, created
// for the file and dropped after it. When PostgreSQL is unreachable they are skipped with the
// reason in the suite name, except under CI=true, where that is a failure.
import { describe, it } from "vitest";
import { databaseProviders, type DatabaseProvider } from "../../src/db/prisma-schema.js";
import { postgresUnavailableReason } from "../../src/db/scratch-database.js";

const postgresProblem = await postgresUnavailableReason();

export function describeEachDatabase(title: string, body: (provider: DatabaseProvider) => void): void {
  for (const provider of databaseProviders) {
    const problem = provider === "postgresql" ? postgresProblem : null;
    if (problem && process.env.CI !== "true") {
      describe.skip(`${title} [${provider}] (skipped: ${problem})`, () => {
        it("needs PostgreSQL", () => {});
      });
      continue;
    }
    describe(`${title} [${provider}]`, () => {
      if (problem) {
        it("has PostgreSQL, which CI=true requires", () => {
          throw new Error(problem);
        });
        return;
      }
      body(provider);
    });
  }
}
