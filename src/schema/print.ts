import { fileURLToPath } from "node:url";
import { printSchema } from "graphql";
import { schema } from "./index.js";

export const schemaFilePath = fileURLToPath(new URL("../../schema.graphql", import.meta.url));

/** The SDL committed as schema.graphql, the source of the typed client. */
export function printSchemaFile(): string {
  return `# Generated from src/schema by \`npm run schema\`; do not edit.\n\n${printSchema(schema)}\n`;
}
