// Writes schema.graphql from the code: `npm run schema`. A test fails when it is stale.
import { writeFileSync } from "node:fs";
import { printSchemaFile, schemaFilePath } from "../src/schema/print.js";

writeFileSync(schemaFilePath, printSchemaFile());
console.log(`wrote ${schemaFilePath}`);
