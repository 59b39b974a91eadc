import { z } from "zod";

const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

// Unset and empty variables both mean "use the default".
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === "" ? undefined : value), schema);

const environmentSchema = z.object({
  PORT: optional(z.coerce.number().int().min(0).max(65535).default(4000)),
  HOST: optional(z.string().default("127.0.0.1")),
  DATABASE_URL: optional(
    z
      .string()
      .default("file:./data/cronline.db")
      .refine((url) => /^(postgres(ql)?:\/\/|file:)/i.test(url), {
        message: "must start with postgresql:// (PostgreSQL) or file: (SQLite)",
      }),
  ),
  LOG_LEVEL: optional(z.enum(logLevels).default("info")),
  SHUTDOWN_GRACE_SECONDS: optional(z.coerce.number().int().min(0).max(3600).default(30)),
  SCHEDULER_RESYNC_SECONDS: optional(z.coerce.number().min(0.1).max(3600).default(10)),
});

export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  logLevel: (typeof logLevels)[number];
  shutdownGraceSeconds: number;
  /** How often the scheduler looks for tasks changed by other Cronline processes. */
  schedulerResyncSeconds: number;
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
      parsed.error.issues.map((issue) => `${issue.path.join(".")}=${JSON.stringify(environment[String(issue.path[0])])}: ${issue.message}`),
    );
  }
  const env = parsed.data;
  return {
    port: env.PORT,
    host: env.HOST,
    databaseUrl: env.DATABASE_URL,
    logLevel: env.LOG_LEVEL,
    shutdownGraceSeconds: env.SHUTDOWN_GRACE_SECONDS,
    schedulerResyncSeconds: env.SCHEDULER_RESYNC_SECONDS,
  };
}
