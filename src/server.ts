// Entry point: read the configuration, start Cronline, stop cleanly on SIGTERM/SIGINT.
import { startApp } from "./app.js";
import { ConfigError, loadConfig } from "./config.js";
import { createLogger } from "./logger.js";

let config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
}

const logger = createLogger(config.logLevel);
try {
  const app = await startApp(config, logger);
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      logger.info({ signal }, "signal received");
      const forceExit = setTimeout(() => {
        logger.error("shutdown took too long; exiting");
        process.exit(1);
      }, (config.shutdownGraceSeconds + config.executor.killGraceSeconds) * 1000 + 10_000);
      forceExit.unref();
      app.stop().then(() => process.exit(0), (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      });
    });
  }
} catch (error) {
  logger.fatal({ err: error }, "Cronline could not start");
  process.exit(1);
}
