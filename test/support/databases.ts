// Runs a suite once per database provider. PostgreSQL suites get their own database, created
// for the file and dropped after it. When PostgreSQL is unreachable (checked once per run by
// postgres-availability.ts, which also prints why) they are skipped with the reason as the
// skip note, except under CI=true, where that is a failure.
import { describe, inject, it } from "vitest";
import { databaseProviders, type DatabaseProvider } from "../../src/db/prisma-schema.js";

const postgresProblem = inject("postgresProblem");

/** For tests that need PostgreSQL alone: `it.skipIf(withoutPostgres)`. Under CI=true they run, and fail. */
export const withoutPostgres = postgresProblem !== null && process.env.CI !== "true";

export function describeEachDatabase(title: string, body: (provider: DatabaseProvider) => void): void {
  for (const provider of databaseProviders) {
    const problem = provider === "postgresql" ? postgresProblem : null;
    if (problem && process.env.CI !== "true") {
      describe(`${title} [${provider}]`, () => {
        it("needs PostgreSQL", (context) => context.skip(problem));
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
