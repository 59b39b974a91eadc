// Entry point: read the configuration and the roles, start Cronline, stop cleanly on SIGTERM/SIGINT.
//   node dist/server.js [--role all|api|scheduler|worker|api,worker...]
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "./config.js";
import { createLogger } from "./logger.js";
import { parseRoles, RoleError } from "./roles/roles.js";

let config;
let roles;
try {
  const { values } = parseArgs({ options: { role: { type: "string", default: "all" } } });
  roles = parseRoles(values.role);
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError || error instanceof RoleError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS"))) throw error;
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(2);
}

const logger = createLogger(config.logLevel);
const stopTimeMs = (config.shutdownGraceSeconds + config.executor.killGraceSeconds) * 1000 + 10_000;

/** Stops Cronline and exits with `code`; a stop that takes too long exits 1. */
function stopAndExit(app: { stop(): Promise<void> }, code: number): void {
  const forceExit = setTimeout(() => {
    logger.error("shutdown took too long; exiting");
    process.exit(1);
  }, stopTimeMs);
  forceExit.unref();
  app.stop().then(
    () => process.exit(code),
    (error: unknown) => {
      logger.error({ err: error }, "shutdown failed");
      process.exit(1);
    },
  );
}

// Loaded once the arguments and settings are known good, so a mistake is told at once.
const { startApp } = await import("./app.js");
try {
  let app: Awaited<ReturnType<typeof startApp>> | undefined;
  let failed = false;
  app = await startApp(config, logger, {
    roles,
    // A scheduler or worker thread that died leaves a process that looks alive and does nothing: stop, so a supervisor restarts it.
    onRoleFailure: (error) => {
      logger.fatal({ err: error }, "a Cronline role thread failed; stopping");
      if (failed) return;
      failed = true;
      if (app) stopAndExit(app, 1);
      else process.exit(1);
    },
  });
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      logger.info({ signal }, "signal received");
      stopAndExit(app!, 0);
    });
  }
} catch (error) {
  logger.fatal({ err: error }, "Cronline could not start");
  process.exit(1);
}
