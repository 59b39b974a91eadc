import { describe, expect, it } from "vitest";
import pg from "pg";
import { ConfigError, loadConfig, removeSecretsFromEnvironment, secretEnvironmentVariables } from "../../src/config.js";

describe("execution settings from the environment", () => {
  it("have defaults", () => {
    const { executor, retention } = loadConfig({});
    expect(executor).toEqual({
      maxConcurrentRuns: 50,
      pollSeconds: 2,
      leaseSeconds: 30,
      outputLimitBytes: 65536,
      killGraceSeconds: 5,
      runAsAllowedUsers: [],
      runAsAllowedGroups: [],
      commandDefaultUser: undefined,
    });
    expect(retention).toEqual({ keepPerTask: 1000, maxAgeDays: 0, intervalSeconds: 300 });
  });

  it("read RUN_AS_ALLOWED_USERS as a list and refuse root and bad names", () => {
    expect(loadConfig({ RUN_AS_ALLOWED_USERS: "backup, deploy" }).executor.runAsAllowedUsers).toEqual(["backup", "deploy"]);
    expect(() => loadConfig({ RUN_AS_ALLOWED_USERS: "backup,root" })).toThrow(ConfigError);
    expect(() => loadConfig({ RUN_AS_ALLOWED_USERS: "bad user" })).toThrow(/RUN_AS_ALLOWED_USERS="bad user": must be a comma-separated list of user names/);
  });

  it("read RUN_AS_ALLOWED_GROUPS as a list and COMMAND_DEFAULT_USER as a name; refuse the root group and bad names", () => {
    const { executor } = loadConfig({ RUN_AS_ALLOWED_GROUPS: "backup, www-data", COMMAND_DEFAULT_USER: "cronjobs" });
    expect(executor).toMatchObject({ runAsAllowedGroups: ["backup", "www-data"], commandDefaultUser: "cronjobs" });
    expect(loadConfig({ COMMAND_DEFAULT_USER: "root" }).executor.commandDefaultUser).toBe("root");
    expect(() => loadConfig({ RUN_AS_ALLOWED_GROUPS: "backup,root" })).toThrow(/RUN_AS_ALLOWED_GROUPS="backup,root": must not include root/);
    expect(() => loadConfig({ RUN_AS_ALLOWED_GROUPS: "a group" })).toThrow(/RUN_AS_ALLOWED_GROUPS="a group": must be a comma-separated list of group names/);
    expect(() => loadConfig({ COMMAND_DEFAULT_USER: "no body" })).toThrow(/COMMAND_DEFAULT_USER="no body": must be a user name/);
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

describe("secrets in the environment", () => {
  it("PGPASSWORD reaches pg through the database URL, unless the URL names a password itself", () => {
    const password = "p@ss w&rd=1";
    // What pg makes of it (the client only reads its settings until it connects).
    const seenByPg = (environment: Record<string, string>) => {
      const client = new pg.Client({ connectionString: loadConfig(environment).databaseUrl });
      return { user: client.user, host: client.host, database: client.database, password: client.password };
    };
    expect(seenByPg({ DATABASE_URL: "postgresql://cronline@db.internal:5432/cronline?application_name=x", PGPASSWORD: password })).toEqual({ user: "cronline", host: "db.internal", database: "cronline", password });
    expect(seenByPg({ DATABASE_URL: "postgresql://cronline@/cronline?host=/run/postgresql", PGPASSWORD: password })).toMatchObject({ host: "/run/postgresql", password });
    expect(loadConfig({ DATABASE_URL: "postgresql://cronline:own@db/cronline", PGPASSWORD: password }).databaseUrl).toBe("postgresql://cronline:own@db/cronline");
    expect(loadConfig({ DATABASE_URL: "file:./x.db", PGPASSWORD: password }).databaseUrl).toBe("file:./x.db");
  });

  it("leave the environment once read, and nothing else does", () => {
    const environment: NodeJS.ProcessEnv = { DATABASE_URL: "postgresql://u:pw@db/c", PGPASSWORD: "pw", POSTGRES_ADMIN_URL: "postgresql://admin@db/postgres", CRONLINE_BOOTSTRAP_ADMIN_TOKEN: `cl_${"a".repeat(43)}`, LANG: "C.UTF-8", PGUSER: "u" };
    const config = loadConfig(environment);
    removeSecretsFromEnvironment(environment);
    expect(environment).toEqual({ LANG: "C.UTF-8", PGUSER: "u" });
    expect(secretEnvironmentVariables).toEqual(expect.arrayContaining(["DATABASE_URL", "PGPASSWORD", "CRONLINE_BOOTSTRAP_ADMIN_TOKEN"]));
    expect(config.auth.bootstrapAdminToken).toBe(`cl_${"a".repeat(43)}`);
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

describe("secrets settings from the environment", () => {
  const key = Buffer.alloc(32, 7);

  it("take SECRETS_KEY as 32 bytes in base64 or hex, refusing anything else without echoing it", () => {
    expect(loadConfig({ SECRETS_KEY: key.toString("base64") }).secrets).toEqual({ key: key.toString("base64"), keyFile: undefined, previousKeys: undefined, previousKeysFile: undefined });
    expect(loadConfig({ SECRETS_KEY: key.toString("hex") }).secrets.key).toBe(key.toString("hex"));
    for (const wrong of ["hunter2-hunter2", Buffer.alloc(16, 7).toString("base64"), Buffer.alloc(33, 7).toString("hex")]) {
      expect(() => loadConfig({ SECRETS_KEY: wrong })).toThrow(/SECRETS_KEY=\(hidden\): must be 32 bytes written as base64 \(44 characters\) or hex \(64 characters\)/);
      expect(() => loadConfig({ SECRETS_KEY: wrong })).not.toThrow(wrong);
    }
  });

  it("refuse SECRETS_KEY and SECRETS_KEY_FILE together, and take either alone", () => {
    expect(() => loadConfig({ SECRETS_KEY: key.toString("base64"), SECRETS_KEY_FILE: "/etc/cronline/key" })).toThrow(/SECRETS_KEY_FILE="\/etc\/cronline\/key": must not be set together with SECRETS_KEY/);
    expect(loadConfig({ SECRETS_KEY_FILE: "/etc/cronline/key" }).secrets).toMatchObject({ key: undefined, keyFile: "/etc/cronline/key" });
    expect(loadConfig({}).secrets).toEqual({ key: undefined, keyFile: undefined, previousKeys: undefined, previousKeysFile: undefined });
  });

  it("take SECRETS_PREVIOUS_KEYS as such keys separated by commas, refusing a bad one without echoing any, or together with SECRETS_PREVIOUS_KEYS_FILE", () => {
    const other = Buffer.alloc(32, 9).toString("hex");
    expect(loadConfig({ SECRETS_PREVIOUS_KEYS: `${key.toString("base64")},${other}` }).secrets.previousKeys).toBe(`${key.toString("base64")},${other}`);
    expect(() => loadConfig({ SECRETS_PREVIOUS_KEYS: `${other},hunter2-hunter2` })).toThrow(/SECRETS_PREVIOUS_KEYS=\(hidden\): each key, separated by commas, must be 32 bytes/);
    expect(() => loadConfig({ SECRETS_PREVIOUS_KEYS: `${other},hunter2-hunter2` })).not.toThrow(other);
    expect(() => loadConfig({ SECRETS_PREVIOUS_KEYS: other, SECRETS_PREVIOUS_KEYS_FILE: "/etc/cronline/old-keys" })).toThrow(/SECRETS_PREVIOUS_KEYS_FILE="\/etc\/cronline\/old-keys": must not be set together with SECRETS_PREVIOUS_KEYS/);
  });

  it("read RUN_OUTPUT_VISIBLE_TO as a role, OPERATOR by default", () => {
    expect(loadConfig({}).runOutputVisibleTo).toBe("OPERATOR");
    expect(loadConfig({ RUN_OUTPUT_VISIBLE_TO: "VIEWER" }).runOutputVisibleTo).toBe("VIEWER");
    expect(() => loadConfig({ RUN_OUTPUT_VISIBLE_TO: "viewer" })).toThrow(/RUN_OUTPUT_VISIBLE_TO="viewer"/);
  });
});

describe("metrics settings from the environment", () => {
  it("take METRICS_TOKEN as a bearer token of 16 or more printable characters, refusing anything else without echoing it", () => {
    expect(loadConfig({}).metrics).toEqual({ token: undefined });
    expect(loadConfig({ METRICS_TOKEN: "prometheus-scrapes-here" }).metrics).toEqual({ token: "prometheus-scrapes-here" });
    for (const token of ["too-short-token", "has a space in it, long enough"]) {
      const error = (() => {
        try {
          loadConfig({ METRICS_TOKEN: token });
        } catch (caught) {
          return caught as ConfigError;
        }
      })();
      expect(error?.message).toMatch(/METRICS_TOKEN=\(hidden\): must be at least 16 printable characters/);
      expect(error?.message).not.toContain(token);
    }
  });

  it("leave the environment once read", () => {
    const environment: NodeJS.ProcessEnv = { METRICS_TOKEN: "prometheus-scrapes-here", LANG: "C.UTF-8" };
    removeSecretsFromEnvironment(environment);
    expect(environment).toEqual({ LANG: "C.UTF-8" });
  });
});
