// Generates one Prisma client per provider (and the Pothos types) from the shared models.
// `prisma generate` never runs the schema engine, but the CLI insists on downloading it
// first unless PRISMA_SCHEMA_ENGINE_BINARY names an existing file; migrations go through
// the WebAssembly engine instead (src/db/migrations.ts), so no native engine is needed.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { databaseProviders, joinedSchemaPath, prismaSchemaText } from "../src/db/prisma-schema.js";

const require = createRequire(import.meta.url);
const prismaCli = require.resolve("prisma/build/index.js");

for (const provider of databaseProviders) {
  const schemaPath = joinedSchemaPath(provider);
  mkdirSync(path.dirname(schemaPath), { recursive: true });
  writeFileSync(schemaPath, prismaSchemaText(provider));
  execFileSync(process.execPath, [prismaCli, "generate", "--schema", schemaPath], {
    stdio: "inherit",
    env: {
      ...process.env,
      PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
      PRISMA_HIDE_UPDATE_MESSAGE: "1",
      CHECKPOINT_DISABLE: "1",
    },
  });
}
