// What `add` and `edit` commands make of their flags and of `-f file`: the fields of an
// object as the schedules-as-code file writes them (the file's first, flags over them), and
// names or ids of other objects looked up on the server.
import type { ApiClient } from "./client.js";
import { CliError, exitCodes } from "./exit-codes.js";
import { readDataFile } from "./files.js";
import { findDevice, findPool, findService, idsOf } from "./references.js";
import type { ResolveNames } from "./schedules-as-code/inputs.js";

/** A JSON object given as an option's value; anything else is a usage error naming the option. */
export function jsonObjectOption(option: string, text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${option} is not JSON: ${(error as Error).message}`, exitCodes.usage, { code: "BAD_OPTION" });
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new CliError(`${option} must be a JSON object`, exitCodes.usage, { code: "BAD_OPTION" });
  return value as Record<string, unknown>;
}

/** The object's fields: those of `file` (when given), then every flag that was given. */
export async function objectFields(file: string | undefined, flags: Record<string, unknown>): Promise<Record<string, unknown>> {
  const fromFile = file === undefined ? {} : await readDataFile(file);
  if (fromFile === null || typeof fromFile !== "object" || Array.isArray(fromFile)) {
    throw new CliError(`${file} must hold one object (a mapping of its fields)`, exitCodes.usage, { code: "INVALID_FILE" });
  }
  const given = Object.fromEntries(Object.entries(flags).filter(([, value]) => value !== undefined));
  return { ...(fromFile as Record<string, unknown>), ...given };
}

/** Names (or ids) of devices, pools and services, as the server's ids; one that names nothing exits with the not-found code. */
export const lookupNames =
  (client: ApiClient): ResolveNames =>
  (kind, references) =>
    idsOf(references, (reference) => ({ device: findDevice, pool: findPool, service: findService })[kind](client, reference));
