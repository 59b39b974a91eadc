// Bundles Cronline into dist/: the `cronline` command and the role threads' entry, each one file
// with its libraries inside, so a start reads two files instead of resolving and compiling
// hundreds of modules in node_modules (half of a start's time before it opens the database);
// then what browsers get, in dist/web/ (see build-web.ts).
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

await build({
  absWorkingDir: projectRoot,
  entryPoints: ["src/cli/cronline.ts", "src/roles/role-thread.ts"],
  outdir: "dist",
  entryNames: "[name]",
  bundle: true,
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
});

await buildWebPage(projectRoot);
