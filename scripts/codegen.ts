// Generates the typed clients from schema.graphql and the operations written with `graphql(...)`:
// the integration tests' (test/generated/graphql/, from test/), the `cronline` command's
// (src/generated/graphql/, from src/cli/) and the web page's (src/generated/web-graphql/, from
// src/web/); the last two hold documents as plain strings, so neither needs a GraphQL parser.
// What `graphql-codegen` with the client preset did, without the CLI, whose loaders need Node 22.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { codegen } from "@graphql-codegen/core";
import { preset } from "@graphql-codegen/client-preset";
import { getCachedDocumentNodeFromSchema, type Types } from "@graphql-codegen/plugin-helpers";
import { buildSchema, lexicographicSortSchema, parse, Source } from "graphql";
import ts from "typescript";
import { projectRoot } from "../src/project-root.js";

/** Each `graphql(...)` call's document in one file, in the order they appear. */
function documentsOf(file: string): Types.DocumentFile[] {
  const sourceFile = ts.createSourceFile(file, readFileSync(path.join(projectRoot, file), "utf8"), ts.ScriptTarget.Latest);
  const documents: Types.DocumentFile[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === "graphql") {
      const [argument] = node.arguments;
      // The generated `graphql` types its result by the document's exact text.
      if (!argument || !(ts.isNoSubstitutionTemplateLiteral(argument) || ts.isStringLiteral(argument))) {
        const { line } = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile));
        throw new Error(`${file}:${line + 1}: graphql() takes its document as a literal without substitutions`);
      }
      documents.push({ location: file, rawSDL: argument.text, document: parse(new Source(argument.text, file)) });
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return documents;
}

/** The .ts files under `folder`, but `except`, in path order as graphql-codegen read them, whatever the file system's order. */
function typeScriptFiles(folder: string, except?: string): string[] {
  return readdirSync(path.join(projectRoot, folder), { recursive: true, encoding: "utf8" })
    .map((file) => path.posix.join(folder, file.split(path.sep).join("/")))
    .filter((file) => file.endsWith(".ts") && (except === undefined || !file.startsWith(except)))
    .sort();
}

// Sorted like graphql-codegen's schema loader, which decides the order of the generated types.
const schemaAst = lexicographicSortSchema(buildSchema(readFileSync(path.join(projectRoot, "schema.graphql"), "utf8")));

const config = {
  emitLegacyCommonJSImports: false,
  useTypeImports: true,
  enumsAsTypes: true,
  scalars: { DateTime: "string", JSONObject: "Record<string, unknown>", ID: "string" },
};

const clients = [
  { output: "test/generated/graphql/", documents: typeScriptFiles("test", "test/generated/"), config },
  // The command sends documents as text: it needs no graphql library at run time, so it starts fast.
  { output: "src/generated/graphql/", documents: typeScriptFiles("src/cli"), config: { ...config, documentMode: "string" } },
  // So does the web page, which also keeps its bundle small.
  { output: "src/generated/web-graphql/", documents: typeScriptFiles("src/web"), config: { ...config, documentMode: "string" } },
];

for (const client of clients) {
  const outputs = await preset.buildGeneratesSection({
    baseOutputDir: client.output,
    presetConfig: { fragmentMasking: false },
    plugins: [],
    pluginMap: {},
    schema: getCachedDocumentNodeFromSchema(schemaAst),
    schemaAst,
    documents: client.documents.flatMap(documentsOf),
    config: client.config,
  });
  for (const output of outputs) {
    const file = path.join(projectRoot, output.filename);
    const content = await codegen(output);
    // An unchanged file keeps its modification time, so watchers do not rerun for nothing.
    if (existsSync(file) && readFileSync(file, "utf8") === content) continue;
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
}
