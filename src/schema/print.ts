import path from "node:path";
import { printSchema } from "graphql";
import { projectRoot } from "../project-root.js";
import { schema } from "./index.js";

export const schemaFilePath = path.join(projectRoot, "schema.graphql");

/** The SDL committed as schema.graphql, the source of the typed client. */
export function printSchemaFile(): string {
  return `# Generated from src/schema by \`npm run schema\`; do not edit.\n\n${printSchema(schema)}\n`;
}
