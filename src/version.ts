// Cronline's version, as its package.json says: what each instance reports.
import { readFileSync } from "node:fs";
import path from "node:path";
import { projectRoot } from "./project-root.js";

export const cronlineVersion: string = (JSON.parse(readFileSync(path.join(projectRoot, "package.json"), "utf8")) as { version: string }).version;
