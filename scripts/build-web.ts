// Builds what the server sends to browsers into dist/web/: the schedule page (src/web, bundled
// by esbuild) and GraphiQL's scripts, styles and editor workers (from
// @graphql-yoga/render-graphiql, which carries them), so neither loads anything from another
// host. Assets get content-hashed names (cached for good) and a gzip copy; the two HTML pages
// name them and are never cached (src/http/web-page.ts serves them).
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { css, editorWorkerService, favicon, graphqlWorker, js, jsonWorker } from "@graphql-yoga/render-graphiql/graphiql";
import { build, type Metafile } from "esbuild";
import { graphiqlOptionsPlaceholder, webPageFiles } from "../src/http/web-page-files.js";

export async function buildWebPage(projectRoot: string): Promise<void> {
  const out = path.join(projectRoot, webPageFiles.folder);
  const assets = path.join(out, webPageFiles.assets);
  // Hashed names change with every edit: start empty so old ones do not pile up.
  rmSync(out, { recursive: true, force: true });
  mkdirSync(assets, { recursive: true });

  const { metafile } = await build({
    absWorkingDir: projectRoot,
    entryPoints: { app: "src/web/main.tsx", "graphiql-start": "src/web/graphiql/start.ts" },
    outdir: assets,
    entryNames: "[name]-[hash]",
    assetNames: "[name]-[hash]",
    bundle: true,
    format: "esm",
    platform: "browser",
    // Browsers of the last few years; the page uses <dialog>, CSS nesting-free styles and ES2022.
    target: ["chrome111", "firefox113", "safari16.4"],
    tsconfig: "src/web/tsconfig.json",
    minify: true,
    sourcemap: true,
    metafile: true,
    logLevel: "warning",
  });
  const app = entryOutput(metafile, "src/web/main.tsx");
  const graphiqlStart = entryOutput(metafile, "src/web/graphiql/start.ts");

  const write = (name: string, content: string | Buffer): string => {
    const bytes = typeof content === "string" ? Buffer.from(content) : content;
    const extension = path.extname(name);
    const hashed = `${path.basename(name, extension)}-${createHash("sha256").update(bytes).digest("hex").slice(0, 12)}${extension}`;
    writeFileSync(path.join(assets, hashed), bytes);
    return hashed;
  };
  const icon = write("cronline.svg", readFileSync(path.join(projectRoot, "src/web/icon.svg")));
  const graphiql = {
    script: write("yoga-graphiql.js", js),
    style: write("graphiql.css", css),
    icon: write("graphiql.ico", Buffer.from(favicon.replace(/^data:[^,]*;base64,/, ""), "base64")),
    // The labels are the ones Monaco asks MonacoEnvironment.getWorkerUrl for.
    workers: {
      editorWorkerService: write("editor-worker.js", editorWorkerService),
      json: write("json-worker.js", jsonWorker),
      graphql: write("graphql-worker.js", graphqlWorker),
    },
  };

  const template = readFileSync(path.join(projectRoot, "src/web/index.html"), "utf8");
  writeFileSync(
    path.join(out, webPageFiles.page),
    fill(template, { icon, script: path.basename(app.js), style: path.basename(app.css ?? missing("the page's stylesheet")) }),
  );
  writeFileSync(path.join(out, webPageFiles.graphiql), graphiqlPage({ ...graphiql, start: path.basename(graphiqlStart.js) }));
  compressAssets(assets);
}

function entryOutput(metafile: Metafile, entryPoint: string): { js: string; css: string | undefined } {
  for (const [file, output] of Object.entries(metafile.outputs)) {
    if (output.entryPoint === entryPoint) return { js: file, css: output.cssBundle };
  }
  return missing(`the bundle of ${entryPoint}`);
}

function missing(what: string): never {
  throw new Error(`the web build produced no ${what}`);
}

/** `{{name}}` → the value; a placeholder left unfilled is a mistake in the template. */
function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_match, name: string) => values[name] ?? missing(`value for {{${name}}}`));
}

/**
 * GraphiQL without a CDN and without inline scripts, so the Content-Security-Policy can be
 * 'self': its options travel as JSON in a data block (the server puts them in place of the
 * placeholder) that graphiql-start reads.
 */
function graphiqlPage(names: { script: string; style: string; icon: string; start: string; workers: Record<string, string> }): string {
  const workers = Object.fromEntries(Object.entries(names.workers).map(([label, name]) => [label, `${webPageFiles.assets}/${name}`]));
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Cronline GraphiQL</title>
    <link rel="icon" href="${webPageFiles.assets}/${names.icon}">
    <link rel="stylesheet" href="${webPageFiles.assets}/${names.style}">
    <script id="graphiql-workers" type="application/json">${JSON.stringify(workers)}</script>
    <script id="graphiql-options" type="application/json">${graphiqlOptionsPlaceholder}</script>
    <!-- In this order: the start script tells Monaco where its workers are before GraphiQL loads. -->
    <script src="${webPageFiles.assets}/${names.start}" defer></script>
    <script src="${webPageFiles.assets}/${names.script}" defer></script>
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>GraphiQL needs JavaScript.</noscript>
    <div id="root"></div>
  </body>
</html>
`;
}

/** A .gz beside each asset that gzip makes smaller, for browsers that accept it. */
function compressAssets(assets: string): void {
  for (const name of webPageFiles.list(assets)) {
    const bytes = readFileSync(path.join(assets, name));
    const compressed = gzipSync(bytes);
    if (compressed.length < bytes.length) writeFileSync(path.join(assets, `${name}.gz`), compressed);
  }
}
