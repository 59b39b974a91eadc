import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";

describe("execution settings from the environment", () => {
  it("have defaults", () => {
    const { executor, retention } = loadConfig({});
    expect(executor).toEqual({ maxConcurrentRuns: 50, pollSeconds: 2, leaseSeconds: 30, outputLimitBytes: 65536, killGraceSeconds: 5, runAsAllowedUsers: [] });
    expect(retention).toEqual({ keepPerTask: 1000, maxAgeDays: 0, intervalSeconds: 300 });
  });

  it("read RUN_AS_ALLOWED_USERS as a list and refuse root and bad names", () => {
    expect(loadConfig({ RUN_AS_ALLOWED_USERS: "backup, deploy" }).executor.runAsAllowedUsers).toEqual(["backup", "deploy"]);
    expect(() => loadConfig({ RUN_AS_ALLOWED_USERS: "backup,root" })).toThrow(ConfigError);
    expect(() => loadConfig({ RUN_AS_ALLOWED_USERS: "bad user" })).toThrow(/RUN_AS_ALLOWED_USERS="bad user": must be a comma-separated list of user names/);
  });

  it("name each wrong variable", () => {
    expect(() => loadConfig({ EXECUTOR_LEASE_SECONDS: "0", RUN_RETENTION_KEEP_PER_TASK: "-1" })).toThrow(/EXECUTOR_LEASE_SECONDS="0"[\s\S]*RUN_RETENTION_KEEP_PER_TASK="-1"/);
  });
});
