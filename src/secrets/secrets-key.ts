// The key that seals the services' secrets: from SECRETS_KEY, from the file SECRETS_KEY_FILE
// names, or, on SQLite with neither, from `secrets.key` next to the database file, generated
// (mode 0600) on the first start. PostgreSQL has no such place that every process sharing the
// database would see, so it needs one of the variables.
import { createHmac, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ConfigError } from "../config.js";
import { sqliteFilePath, type DatabaseLocation } from "../db/driver-adapter.js";
import type { Logger } from "../logger.js";
import { parseSecretsKey, secretsKeyBytes, secretsKeyFormat } from "./key-text.js";

export interface SecretsKey {
  /** Names the key without revealing it; stored with every sealed value, so keys can be rotated. */
  id: string;
  bytes: Uint8Array;
}

export interface SecretsKeySettings {
  /** SECRETS_KEY: 32 bytes as base64 or hex. */
  key: string | undefined;
  /** SECRETS_KEY_FILE: a file holding the key as SECRETS_KEY would. */
  keyFile: string | undefined;
}

function keyOf(bytes: Uint8Array): SecretsKey {
  return { id: createHmac("sha256", bytes).update("cronline secrets key id").digest("hex").slice(0, 16), bytes };
}

/** `named`: how errors name the file, e.g. `SECRETS_KEY_FILE="/etc/cronline/key"`. */
function readKeyFile(file: string, named: string): SecretsKey {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError([`${named}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`]);
  }
  const bytes = parseSecretsKey(text);
  if (!bytes) throw new ConfigError([`${named}: the file ${secretsKeyFormat}`]);
  return keyOf(bytes);
}

/** Reads the key file, or writes a new random one when there is none (another process may be writing it at the same moment). */
function readOrCreateKeyFile(file: string, logger: Logger): SecretsKey {
  // The database's directory, created for its owner alone as the database itself would create it.
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, `${randomBytes(secretsKeyBytes).toString("base64")}\n`, { mode: 0o600, flag: "wx" });
    logger.info(
      { keyFile: file },
      "generated the key that seals the services' secrets; keep it, and back it up apart from the database: without it they cannot be read (see SECRETS_KEY_FILE)",
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  return readKeyFile(file, `the secrets key file ${JSON.stringify(file)}`);
}

export function resolveSecretsKey(settings: SecretsKeySettings, location: DatabaseLocation, logger: Logger): SecretsKey {
  if (settings.key !== undefined) return keyOf(parseSecretsKey(settings.key)!);
  if (settings.keyFile !== undefined) return readKeyFile(settings.keyFile, `SECRETS_KEY_FILE=${JSON.stringify(settings.keyFile)}`);
  if (location.provider === "postgresql") {
    throw new ConfigError([
      "SECRETS_KEY: must be set (or SECRETS_KEY_FILE) with PostgreSQL, the same key for every Cronline process sharing the database; generate one with `openssl rand -base64 32`",
    ]);
  }
  return readOrCreateKeyFile(path.join(path.dirname(sqliteFilePath(location)), "secrets.key"), logger);
}
