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

describe("server settings from the environment", () => {
  it("have defaults, also for empty variables", () => {
    for (const environment of [{}, { PORT: "", HOST: "", DATABASE_URL: "", LOG_LEVEL: "" }]) {
      expect(loadConfig(environment)).toMatchObject({ port: 4000, host: "127.0.0.1", databaseUrl: "file:./data/cronline.db", logLevel: "info" });
    }
  });

  it("accept IP addresses and hostnames as HOST, and refuse anything else by name", () => {
    for (const host of ["0.0.0.0", "::", "::1", "localhost", "cronline.internal"]) expect(loadConfig({ HOST: host }).host).toBe(host);
    expect(loadConfig({ HOST: "[::1]" }).host).toBe("::1");
    for (const host of ["no such host!", "256.1.1.1", "1.2.3", "[localhost]"]) {
      expect(() => loadConfig({ HOST: host })).toThrow(`HOST=${JSON.stringify(host)}: must be an IP address or a hostname`);
    }
  });

  it("refuse a PORT that is blank, not a decimal number or out of range", () => {
    for (const port of [" ", "0x10", "4000abc", "1e3", "65536", "-1", "80.5"]) {
      expect(() => loadConfig({ PORT: port })).toThrow(new RegExp(`PORT=${JSON.stringify(port).replace(/[.+]/g, "\\$&")}`));
    }
    expect(loadConfig({ PORT: "0" }).port).toBe(0);
    expect(loadConfig({ PORT: " 8080 " }).port).toBe(8080);
  });

  it("refuse a DATABASE_URL of another database or a bare path, without echoing it (it may hold a password)", () => {
    for (const url of ["mysql://admin:secret@localhost/cronline", "./data/cronline.db", "sqlite:cronline.db"]) {
      expect(() => loadConfig({ DATABASE_URL: url })).toThrow("DATABASE_URL=(hidden): must start with postgresql:// (PostgreSQL) or file: (SQLite)");
    }
    expect(loadConfig({ DATABASE_URL: "postgres://db.internal/cronline" }).databaseUrl).toBe("postgres://db.internal/cronline");
  });
});

describe("websocket settings from the environment", () => {
  it("have defaults: 1 MiB messages, 100 subscriptions per socket", () => {
    expect(loadConfig({}).websocket).toEqual({ maxMessageBytes: 1024 * 1024, maxSubscriptions: 100 });
    expect(loadConfig({ WEBSOCKET_MAX_MESSAGE_BYTES: "65536", WEBSOCKET_MAX_SUBSCRIPTIONS: "10" }).websocket).toEqual({ maxMessageBytes: 65536, maxSubscriptions: 10 });
  });

  it("refuse values out of range or not whole numbers, by name", () => {
    expect(() => loadConfig({ WEBSOCKET_MAX_MESSAGE_BYTES: "100" })).toThrow(/WEBSOCKET_MAX_MESSAGE_BYTES="100"/);
    expect(() => loadConfig({ WEBSOCKET_MAX_MESSAGE_BYTES: "1e9" })).toThrow(/WEBSOCKET_MAX_MESSAGE_BYTES="1e9"/);
    expect(() => loadConfig({ WEBSOCKET_MAX_SUBSCRIPTIONS: "0" })).toThrow(/WEBSOCKET_MAX_SUBSCRIPTIONS="0"/);
    expect(() => loadConfig({ WEBSOCKET_MAX_SUBSCRIPTIONS: "2.5" })).toThrow(/WEBSOCKET_MAX_SUBSCRIPTIONS="2.5"/);
  });
});
