// Builds dist/ from the current source, as the install step does: servers spawned by the tests
// and benchmarks run `dist/cronline.js serve`, the way `npm start` runs Cronline.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const projectRoot = fileURLToPath(new URL("../../", import.meta.url));

export function buildDist(): void {
  execFileSync("npm", ["run", "--silent", "build"], { cwd: projectRoot, stdio: "inherit" });
}
