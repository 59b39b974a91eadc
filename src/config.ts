import { isIP } from "node:net";
import { z } from "zod";
import { roles, type Role } from "./auth/tokens.js";
import { defaultDeniedNetworks, isAllowedHostEntry, parseNetwork, type HttpEgressSettings } from "./domain/http-egress.js";
import { isHostnameOrIp } from "./domain/input-rules.js";
import { parseSecretsKey, secretsKeyFormat } from "./secrets/key-text.js";

const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

// Unset and empty variables both mean "use the default".
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === "" ? undefined : value), schema);

// z.coerce.number alone reads " " as 0 (PORT=" " would pick a random port) and "0x10" as 16.
const numberVariable = z.string().trim().regex(/^-?\d+(\.\d+)?$/, { message: "must be a number" });

/** A number setting within bounds; unset or empty gives the default. */
const numberSetting = (bounds: { min: number; max?: number; integer?: boolean }, defaultValue: number) => {
  const number = z.coerce.number<string>().min(bounds.min).max(bounds.max ?? Number.MAX_SAFE_INTEGER);
  return optional(numberVariable.pipe(bounds.integer ? number.int() : number).default(defaultValue));
};

/** A comma-separated list; unset or empty gives `[]`. */
const listVariable = z
  .string()
  .default("")
  .transform((list) => list.split(",").map((item) => item.trim()).filter(Boolean));
/** A user or group name as passwd and group files spell it. */
export const systemNamePattern = /^[a-z_][a-z0-9_-]*\$?$/i;

/** A comma-separated list of user or group names, never root (uid or gid 0 is refused at run time too). */
const systemNameList = (what: "user" | "group") =>
  optional(
    listVariable
      .refine((names) => names.every((name) => systemNamePattern.test(name)), { message: `must be a comma-separated list of ${what} names` })
      .refine((names) => !names.includes("root"), { message: "must not include root" }),
  );

const booleanVariable = z.enum(["true", "false", "1", "0"]).transform((value) => value === "true" || value === "1");

const environmentSchema = z.object({
  PORT: numberSetting({ min: 0, max: 65535, integer: true }, 4000),
  HOST: optional(
    z
      .string()
      // "[::1]", as IPv6 addresses are written in URLs, is bound as ::1.
      .transform((host) => (/^\[.*\]$/.test(host) && isIP(host.slice(1, -1)) === 6 ? host.slice(1, -1) : host))
      .refine(isHostnameOrIp, { message: "must be an IP address or a hostname" })
      .default("127.0.0.1"),
  ),
  DATABASE_URL: optional(
    z
      .string()
      .default("file:./data/cronline.db")
      .refine((url) => /^(postgres(ql)?:\/\/|file:)/i.test(url), {
        message: "must start with postgresql:// (PostgreSQL) or file: (SQLite)",
      }),
  ),
  /** pg's own variable for the database password: read here, so it can leave the environment. */
  PGPASSWORD: optional(z.string().optional()),
  LOG_LEVEL: optional(z.enum(logLevels).default("info")),
  SHUTDOWN_GRACE_SECONDS: numberSetting({ min: 0, max: 3600, integer: true }, 30),
  SCHEDULER_RESYNC_SECONDS: numberSetting({ min: 0.1, max: 3600 }, 10),
  LIVE_RESYNC_SECONDS: numberSetting({ min: 0.1, max: 3600 }, 5),
  EVENT_LOOP_SLICE_MS: numberSetting({ min: 1, max: 10_000, integer: true }, 20),
  EXECUTOR_MAX_CONCURRENT_RUNS: numberSetting({ min: 1, max: 10_000, integer: true }, 50),
  EXECUTOR_POLL_SECONDS: numberSetting({ min: 0.05, max: 3600 }, 2),
  EXECUTOR_LEASE_SECONDS: numberSetting({ min: 1, max: 3600 }, 30),
  RUN_OUTPUT_LIMIT_BYTES: numberSetting({ min: 0, max: 16 * 1024 * 1024, integer: true }, 64 * 1024),
  COMMAND_KILL_GRACE_SECONDS: numberSetting({ min: 0, max: 600 }, 5),
  RUN_AS_ALLOWED_USERS: systemNameList("user"),
  RUN_AS_ALLOWED_GROUPS: systemNameList("group"),
  COMMAND_DEFAULT_USER: optional(z.string().regex(systemNamePattern, { message: "must be a user name" }).optional()),
  HTTP_ALLOWED_HOSTS: optional(
    listVariable.refine((hosts) => hosts.every(isAllowedHostEntry), {
      message: "must be a comma-separated list of host names (hooks.example.com), wildcard names (*.example.com) or IP addresses",
    }),
  ),
  // "none": only the always-denied networks (link-local, metadata) are refused.
  HTTP_DENIED_NETWORKS: optional(
    z
      .string()
      .default(defaultDeniedNetworks.join(","))
      .transform((list) => (list.trim() === "none" ? [] : list.split(",").map((network) => network.trim()).filter(Boolean)))
      .refine((networks) => networks.every((network) => parseNetwork(network) !== null), {
        message: "must be none or a comma-separated list of networks in CIDR notation (10.0.0.0/8, fc00::/7) or IP addresses",
      }),
  ),
  RUN_RETENTION_KEEP_PER_TASK: numberSetting({ min: 0, integer: true }, 1000),
  RUN_RETENTION_MAX_AGE_DAYS: numberSetting({ min: 0 }, 0),
  RUN_RETENTION_INTERVAL_SECONDS: numberSetting({ min: 0.1, max: 86_400 }, 300),
  AUTH_DISABLED: optional(booleanVariable.default(false)),
  CRONLINE_BOOTSTRAP_ADMIN_TOKEN: optional(
    z
      .string()
      .regex(/^cl_[A-Za-z0-9_-]{32,}$/, { message: "must be cl_ followed by at least 32 letters, digits, - or _" })
      .optional(),
  ),
  CORS_ORIGINS: optional(
    listVariable.refine((origins) => origins.every(isOrigin), { message: "must be a comma-separated list of origins such as https://dashboard.example.com (scheme, host and port only)" }),
  ),
  GRAPHQL_INTROSPECTION: optional(booleanVariable.default(true)),
  // At most 100: the document nesting limit follows it, and graphql-js parses recursively.
  GRAPHQL_MAX_DEPTH: numberSetting({ min: 1, max: 100, integer: true }, 15),
  GRAPHQL_MAX_ALIASES: numberSetting({ min: 0, max: 1000, integer: true }, 30),
  GRAPHQL_MAX_TOKENS: numberSetting({ min: 10, max: 1_000_000, integer: true }, 5000),
  GRAPHQL_MAX_COST: numberSetting({ min: 1, max: 100_000_000, integer: true }, 150_000),
  GRAPHQL_MAX_COST_IN_FLIGHT: numberSetting({ min: 1, max: 1_000_000_000, integer: true }, 300_000),
  GRAPHQL_MAX_QUEUED_OPERATIONS: numberSetting({ min: 0, max: 100_000, integer: true }, 200),
  HTTP_MAX_BODY_BYTES: numberSetting({ min: 1024, max: 100 * 1024 * 1024, integer: true }, 1024 * 1024),
  WEBSOCKET_MAX_MESSAGE_BYTES: numberSetting({ min: 1024, max: 100 * 1024 * 1024, integer: true }, 1024 * 1024),
  WEBSOCKET_MAX_SUBSCRIPTIONS: numberSetting({ min: 1, max: 100_000, integer: true }, 100),
  SECRETS_KEY: optional(z.string().refine((text) => parseSecretsKey(text) !== null, { message: secretsKeyFormat }).optional()),
  SECRETS_KEY_FILE: optional(z.string().optional()),
  SECRETS_PREVIOUS_KEYS: optional(
    z
      .string()
      .refine((text) => text.split(",").every((key) => parseSecretsKey(key) !== null), { message: `each key, separated by commas, ${secretsKeyFormat}` })
      .optional(),
  ),
  SECRETS_PREVIOUS_KEYS_FILE: optional(z.string().optional()),
  RUN_OUTPUT_VISIBLE_TO: optional(z.enum(roles).default("OPERATOR")),
  METRICS_TOKEN: optional(
    z
      .string()
      .regex(/^[\x21-\x7e]{16,}$/, { message: "must be at least 16 printable characters without spaces" })
      .optional(),
  ),
}).superRefine((env, context) => {
  if (env.SECRETS_KEY !== undefined && env.SECRETS_KEY_FILE !== undefined) {
    context.addIssue({ code: "custom", path: ["SECRETS_KEY_FILE"], message: "must not be set together with SECRETS_KEY: give the key one way" });
  }
  if (env.SECRETS_PREVIOUS_KEYS !== undefined && env.SECRETS_PREVIOUS_KEYS_FILE !== undefined) {
    context.addIssue({ code: "custom", path: ["SECRETS_PREVIOUS_KEYS_FILE"], message: "must not be set together with SECRETS_PREVIOUS_KEYS: give the previous keys one way" });
  }
  if (env.AUTH_DISABLED && !isLoopbackHost(env.HOST)) {
    context.addIssue({
      code: "custom",
      path: ["AUTH_DISABLED"],
      message: `is only allowed with a loopback HOST (127.0.0.1, ::1, localhost), not ${JSON.stringify(env.HOST)}`,
    });
  }
});

/** 127.0.0.0/8, ::1 (also IPv4-mapped) and localhost: addresses other machines cannot reach. */
export function isLoopbackHost(host: string): boolean {
  const address = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (address === "localhost" || address === "::1" || address === "0:0:0:0:0:0:0:1") return true;
  const ipv4 = address.replace(/^::ffff:/, "");
  return isIP(ipv4) === 4 && ipv4.startsWith("127.");
}

/** `https://host[:port]` exactly as a browser sends it in the Origin header. */
function isOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === "http:" || url.protocol === "https:") && url.origin === text;
  } catch {
    return false;
  }
}

export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  logLevel: (typeof logLevels)[number];
  shutdownGraceSeconds: number;
  /** How often the scheduler looks for tasks changed by other Cronline processes. */
  schedulerResyncSeconds: number;
  /** How often the live subscriptions look for tasks changed by other Cronline processes (while anyone subscribes). */
  liveResyncSeconds: number;
  eventLoopSliceMs: number;
  executor: {
    maxConcurrentRuns: number;
    pollSeconds: number;
    /** A RUNNING run whose owner has not renewed its lease for this long is closed as interrupted. */
    leaseSeconds: number;
    outputLimitBytes: number;
    killGraceSeconds: number;
    runAsAllowedUsers: string[];
    /** Groups a COMMAND service may name in `runAs.group`. */
    runAsAllowedGroups: string[];
    /**
     * Who runs commands without `runAs` while the server runs as root: undefined means
     * `nobody`; "root" is the explicit opt-in to run them as the server itself.
     */
    commandDefaultUser: string | undefined;
  };
  /** Where HTTP services may send requests. */
  httpEgress: HttpEgressSettings;
  retention: {
    /** Finished runs kept per task (newest first); 0 = no limit by count. */
    keepPerTask: number;
    /** Finished runs younger than this are kept whatever their rank; 0 = no limit by age. */
    maxAgeDays: number;
    intervalSeconds: number;
  };
  /** Web pages of other origins allowed to call the API from a browser; none by default. */
  corsOrigins: string[];
  auth: {
    /** Everyone is ADMIN, without a token; only allowed on a loopback HOST. */
    disabled: boolean;
    /** Stored (hashed) as an ADMIN token at startup when the database has no usable ADMIN token. */
    bootstrapAdminToken: string | undefined;
  };
  graphql: {
    introspection: boolean;
    maxDepth: number;
    maxAliases: number;
    maxTokens: number;
    maxCost: number;
    /** The total cost of the operations executing at once; the others wait their turn (execution-admission.ts). */
    maxCostInFlight: number;
    /** Operations waiting for their turn before more are refused with 503. */
    maxQueued: number;
  };
  http: {
    /** A request body larger than this is refused with 413 before it is parsed. */
    maxBodyBytes: number;
  };
  websocket: {
    /** A client message larger than this closes its socket (1009). */
    maxMessageBytes: number;
    /** Operations one socket may have in progress at once. */
    maxSubscriptions: number;
  };
  /** Where the key sealing the services' secrets comes from; neither: a key file next to the SQLite database. */
  secrets: {
    key: string | undefined;
    keyFile: string | undefined;
    /** Keys that sealed secrets before the one in use: they still open them, and the start seals those again with the key in use. */
    previousKeys: string | undefined;
    previousKeysFile: string | undefined;
  };
  /** The lowest role that sees what runs printed (RunResult and runEvents output and errorOutput). */
  runOutputVisibleTo: Role;
  metrics: {
    /** The bearer token GET /metrics requires; undefined: open to loopback callers only. */
    token: string | undefined;
  };
}

/**
 * The variables that carry Cronline's secrets (and PGPASSWORD, which pg reads for the
 * database): never echoed in configuration errors, never passed on to commands.
 */
export const secretEnvironmentVariables: readonly string[] = ["DATABASE_URL", "POSTGRES_ADMIN_URL", "PGPASSWORD", "CRONLINE_BOOTSTRAP_ADMIN_TOKEN", "SECRETS_KEY", "SECRETS_PREVIOUS_KEYS", "METRICS_TOKEN"];
const secretVariables = new Set(secretEnvironmentVariables);

/**
 * Takes Cronline's secrets out of this process's environment once the configuration holds
 * them: role threads (which copy the environment when they start), libraries and commands
 * then never find them there.
 */
export function removeSecretsFromEnvironment(environment: NodeJS.ProcessEnv = process.env): void {
  for (const name of secretEnvironmentVariables) delete environment[name];
}

/**
 * A PostgreSQL URL with PGPASSWORD as its `password` parameter when it names no password
 * itself (pg's own order), so the password still reaches pg once PGPASSWORD has left the
 * environment. Appended as text: a Unix-socket URL (`postgresql://user@/db?host=/run/postgresql`)
 * is no URL to WHATWG's parser, but pg reads it.
 */
function withPostgresPassword(databaseUrl: string, password: string | undefined): string {
  if (password === undefined || !/^postgres(ql)?:\/\//i.test(databaseUrl)) return databaseUrl;
  const userInfo = /^postgres(?:ql)?:\/\/([^@/?#]*)@/i.exec(databaseUrl)?.[1];
  if (userInfo?.includes(":") || /[?&]password=/.test(databaseUrl)) return databaseUrl;
  return `${databaseUrl}${databaseUrl.includes("?") ? "&" : "?"}password=${encodeURIComponent(password)}`;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function loadConfig(environment: NodeJS.ProcessEnv = process.env): Config {
  const parsed = environmentSchema.safeParse(environment);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0]);
        // Never echo a secret into the logs.
        const shown = secretVariables.has(name) ? "(hidden)" : JSON.stringify(environment[name]);
        return `${issue.path.join(".")}=${shown}: ${issue.message}`;
      }),
    );
  }
  const env = parsed.data;
  return {
    port: env.PORT,
    host: env.HOST,
    databaseUrl: withPostgresPassword(env.DATABASE_URL, env.PGPASSWORD),
    logLevel: env.LOG_LEVEL,
    shutdownGraceSeconds: env.SHUTDOWN_GRACE_SECONDS,
    schedulerResyncSeconds: env.SCHEDULER_RESYNC_SECONDS,
    liveResyncSeconds: env.LIVE_RESYNC_SECONDS,
    eventLoopSliceMs: env.EVENT_LOOP_SLICE_MS,
    executor: {
      maxConcurrentRuns: env.EXECUTOR_MAX_CONCURRENT_RUNS,
      pollSeconds: env.EXECUTOR_POLL_SECONDS,
      leaseSeconds: env.EXECUTOR_LEASE_SECONDS,
      outputLimitBytes: env.RUN_OUTPUT_LIMIT_BYTES,
      killGraceSeconds: env.COMMAND_KILL_GRACE_SECONDS,
      runAsAllowedUsers: env.RUN_AS_ALLOWED_USERS,
      runAsAllowedGroups: env.RUN_AS_ALLOWED_GROUPS,
      commandDefaultUser: env.COMMAND_DEFAULT_USER,
    },
    httpEgress: { allowedHosts: env.HTTP_ALLOWED_HOSTS, deniedNetworks: env.HTTP_DENIED_NETWORKS },
    retention: {
      keepPerTask: env.RUN_RETENTION_KEEP_PER_TASK,
      maxAgeDays: env.RUN_RETENTION_MAX_AGE_DAYS,
      intervalSeconds: env.RUN_RETENTION_INTERVAL_SECONDS,
    },
    corsOrigins: env.CORS_ORIGINS,
    auth: { disabled: env.AUTH_DISABLED, bootstrapAdminToken: env.CRONLINE_BOOTSTRAP_ADMIN_TOKEN },
    graphql: {
      introspection: env.GRAPHQL_INTROSPECTION,
      maxDepth: env.GRAPHQL_MAX_DEPTH,
      maxAliases: env.GRAPHQL_MAX_ALIASES,
      maxTokens: env.GRAPHQL_MAX_TOKENS,
      maxCost: env.GRAPHQL_MAX_COST,
      maxCostInFlight: env.GRAPHQL_MAX_COST_IN_FLIGHT,
      maxQueued: env.GRAPHQL_MAX_QUEUED_OPERATIONS,
    },
    http: { maxBodyBytes: env.HTTP_MAX_BODY_BYTES },
    websocket: { maxMessageBytes: env.WEBSOCKET_MAX_MESSAGE_BYTES, maxSubscriptions: env.WEBSOCKET_MAX_SUBSCRIPTIONS },
    secrets: { key: env.SECRETS_KEY, keyFile: env.SECRETS_KEY_FILE, previousKeys: env.SECRETS_PREVIOUS_KEYS, previousKeysFile: env.SECRETS_PREVIOUS_KEYS_FILE },
    runOutputVisibleTo: env.RUN_OUTPUT_VISIBLE_TO,
    metrics: { token: env.METRICS_TOKEN },
  };
}
