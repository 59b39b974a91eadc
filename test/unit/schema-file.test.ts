import { readFile } from "node:fs/promises";
import { expect, it } from "vitest";
import { printSchemaFile, schemaFilePath } from "../../src/schema/print.js";

it("schema.graphql matches the schema built from the code (else run `npm run schema`)", async () => {
  expect(await readFile(schemaFilePath, "utf8")).toBe(printSchemaFile());
});
