// Bundles Cronline into dist/: the `cronline` command and the role threads' entry, with their
// libraries inside, so a start reads a few files instead of resolving and compiling hundreds of
// modules in node_modules (half of a start's time before it opens the database). What is
// imported only lazily (the server behind `cronline serve`, a client command's heavier parts)
// goes into chunks beside them, loaded when used: `cronline`'s client commands neither compile
// nor load the server, nor Prisma. Then what browsers get, in dist/web/ (see build-web.ts).
import { readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { projectRoot } from "../src/project-root.js";
import { buildWebPage } from "./build-web.js";

// What stays in node_modules, loaded at run time:
const external = [
  // native addons, and the optional native bindings their JavaScript tries
  "better-sqlite3",
  "koffi",
  "pg-native",
  "bufferutil",
  "utf-8-validate",
  // Prisma's runtime loads its WebAssembly engines from files beside its own modules
  "@prisma/client",
  "@prisma/adapter-better-sqlite3",
  "@prisma/adapter-pg",
  "@prisma/schema-engine-wasm",
];

const outdir = path.join(projectRoot, "dist");

const { metafile } = await build({
  absWorkingDir: projectRoot,
  entryPoints: ["src/cli/cronline.ts", "src/roles/role-thread.ts"],
  outdir,
  entryNames: "[name]",
  // Chunks stay beside the entries: code in them finds ./role-thread.js relative to itself.
  chunkNames: "chunk-[hash]",
  bundle: true,
  splitting: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external,
  // Stack traces name the TypeScript file and line; the sources themselves need not be inside.
  sourcemap: true,
  sourcesContent: false,
  logLevel: "warning",
  // CommonJS libraries inside an ES module bundle still call require() for Node's own modules.
  banner: { js: 'import { createRequire as createRequireForBundle } from "node:module"; const require = createRequireForBundle(import.meta.url);' },
  metafile: true,
});

// Chunks are named by their content: those of earlier builds would pile up. They go only once
// the new ones are written, so a process loading dist/ meanwhile finds every chunk it names.
const written = new Set(Object.keys(metafile.outputs).map((output) => path.basename(output)));
for (const file of readdirSync(outdir).filter((name) => name.startsWith("chunk-") && !written.has(name))) {
  rmSync(path.join(outdir, file));
}

await buildWebPage(projectRoot);
