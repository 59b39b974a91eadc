import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { runInGroup } from "../support/child-processes.js";
import { childEnvironment } from "../support/server-process.js";

// Each approved in package.json's allowScripts, so `npm install` runs them (better-sqlite3's
// build above all) without a notice about unreviewed install scripts.
it("leaves no dependency's install script unreviewed", async () => {
  const result = await runInGroup("npm", ["install-scripts", "ls"], { cwd: fileURLToPath(new URL("../../", import.meta.url)), env: { ...childEnvironment(), HOME: process.env.HOME ?? "" } });
  expect(result).toMatchObject({ code: 0, stdout: expect.stringMatching(/No packages with unreviewed install scripts/) });
});
