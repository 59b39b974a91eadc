// Where Cronline's own files (prisma/, schema.graphql) are, whether this code runs from src/
// through tsx or from the bundle in dist/: the nearest folder above this module that holds
// Cronline's package.json.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

function findProjectRoot(start: string): string {
  for (let folder = start; ; folder = path.dirname(folder)) {
    const manifest = path.join(folder, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "cronline") return folder;
    if (path.dirname(folder) === folder) throw new Error(`no Cronline package.json above ${start}`);
  }
}

export const projectRoot = findProjectRoot(path.dirname(fileURLToPath(import.meta.url)));
