// The key that seals the services' secrets: from SECRETS_KEY, from the file SECRETS_KEY_FILE
// names, or, on SQLite with neither, from `secrets.key` next to the database file, generated
// (mode 0600) on the first start. PostgreSQL has no such place that every process sharing the
// database would see, so it needs one of the variables. Keys used before it (rotation) come from
// SECRETS_PREVIOUS_KEYS or SECRETS_PREVIOUS_KEYS_FILE.
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

/** The key that seals, and the keys that sealed before it and still open what they sealed. */
export interface SecretsKeys {
  current: SecretsKey;
  previous: SecretsKey[];
}

export interface SecretsKeySettings {
  /** SECRETS_KEY: 32 bytes as base64 or hex. */
  key: string | undefined;
  /** SECRETS_KEY_FILE: a file holding the key as SECRETS_KEY would. */
  keyFile: string | undefined;
  /** SECRETS_PREVIOUS_KEYS: such keys separated by commas. */
  previousKeys: string | undefined;
  /** SECRETS_PREVIOUS_KEYS_FILE: a file of such keys, one per line. */
  previousKeysFile: string | undefined;
}

function keyOf(bytes: Uint8Array): SecretsKey {
  return { id: createHmac("sha256", bytes).update("cronline secrets key id").digest("hex").slice(0, 16), bytes };
}

/** `named`: how errors name the file, e.g. `SECRETS_KEY_FILE="/etc/cronline/key"`. */
function readFileNamed(file: string, named: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError([`${named}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`]);
  }
}

function readKeyFile(file: string, named: string): SecretsKey {
  const bytes = parseSecretsKey(readFileNamed(file, named));
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

export function resolveSecretsKeys(settings: SecretsKeySettings, location: DatabaseLocation, logger: Logger): SecretsKeys {
  const current = resolveCurrentKey(settings, location, logger);
  // The key in use may still be listed among the previous ones while a rotation is rolled out.
  const previous = previousKeys(settings).filter((key) => key.id !== current.id);
  return { current, previous };
}

function previousKeys(settings: SecretsKeySettings): SecretsKey[] {
  if (settings.previousKeys !== undefined) return settings.previousKeys.split(",").map((text) => keyOf(parseSecretsKey(text)!));
  if (settings.previousKeysFile === undefined) return [];
  const named = `SECRETS_PREVIOUS_KEYS_FILE=${JSON.stringify(settings.previousKeysFile)}`;
  const lines = readFileNamed(settings.previousKeysFile, named)
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  return lines.map((line, index) => {
    const bytes = parseSecretsKey(line);
    if (!bytes) throw new ConfigError([`${named}: line ${index + 1} of its keys ${secretsKeyFormat}`]);
    return keyOf(bytes);
  });
}

function resolveCurrentKey(settings: SecretsKeySettings, location: DatabaseLocation, logger: Logger): SecretsKey {
  if (settings.key !== undefined) return keyOf(parseSecretsKey(settings.key)!);
  if (settings.keyFile !== undefined) return readKeyFile(settings.keyFile, `SECRETS_KEY_FILE=${JSON.stringify(settings.keyFile)}`);
  if (location.provider === "postgresql") {
    throw new ConfigError([
      "SECRETS_KEY: must be set (or SECRETS_KEY_FILE) with PostgreSQL, the same key for every Cronline process sharing the database; generate one with `openssl rand -base64 32`",
    ]);
  }
  return readOrCreateKeyFile(path.join(path.dirname(sqliteFilePath(location)), "secrets.key"), logger);
}
