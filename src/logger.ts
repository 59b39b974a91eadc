import { pino, type Logger } from "pino";
import type { Config } from "./config.js";

export type { Logger };

/** Structured JSON logs on stdout, one object per line. */
export function createLogger(level: Config["logLevel"]): Logger {
  return pino({ level, base: { service: "cronline" }, timestamp: pino.stdTimeFunctions.isoTime });
}
