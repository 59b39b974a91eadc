// `cronline serve`: read the configuration, then forget the secrets it read from the environment
// and keep processes of the same user out of this one's memory; start Cronline with the given
// roles, stop cleanly on SIGTERM/SIGINT. A mistake in the roles or the settings exits 2 at once,
// before anything loads.
import { ConfigError, loadConfig, removeSecretsFromEnvironment, type Config } from "../config.js";
import { createLogger } from "../logger.js";
import { makeProcessUndumpable } from "../process-dumpable.js";
import { parseRoles, RoleError, type Role } from "../roles/roles.js";
import { exitCodes } from "./exit-codes.js";

export async function serve(roleList: string): Promise<void> {
  let config: Config;
  let roles: readonly Role[];
  try {
    roles = parseRoles(roleList);
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError || error instanceof RoleError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(exitCodes.usage);
  }
  // Before any role thread starts (each takes a copy of the environment).
  removeSecretsFromEnvironment();

  const logger = createLogger(config.logLevel);
  // /proc/<pid>/environ still holds what was removed: only other users' processes cannot read it.
  const undumpable = makeProcessUndumpable();
  if (undumpable !== null) logger.warn(`commands running as the server's own user may read its memory and start environment: ${undumpable}`);
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
  const { startApp } = await import("../app.js");
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
    // A setting only checked at start (the secrets key) is a mistake in the settings too.
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(exitCodes.usage);
    }
    logger.fatal({ err: error }, "Cronline could not start");
    process.exit(1);
  }
}
