// A service's secrets are write-only: the values at its kind's secret places (see secretPlaces)
// are stored sealed, apart from the config, which keeps "••••" in their place; the API shows
// that masked config, and a config sent back with "••••" somewhere keeps the value stored there.
import { SecretsUnreadableError, type SecretsCipher } from "../secrets/secrets-cipher.js";
import { ValidationError, type FieldIssue } from "./errors.js";
import { secretPlaces, type ServiceKind } from "./service-kinds.js";

/** What a secret value shows as, and what keeps it when sent back. */
export const secretMask = "••••";

type Config = Record<string, unknown>;

/** A config's secret values in the config's own shape: `{ headers: { Authorization: "Bearer ..." }, url: "..." }`. */
export type SecretValues = Record<string, string | Record<string, string>>;

/** One secret place of a config: an entry of the kind's map (`name` set) or a whole field. */
interface Place {
  field: string;
  name: string | null;
  value: unknown;
}

/** A secret place as the API lists it. */
export interface SecretEntry {
  field: string;
  name: string | null;
  isSet: boolean;
}

/** The columns a service's sealed secrets live in. */
export interface SealedSecretColumns {
  secrets: string | null;
  secretsKeyId: string | null;
}

const isObject = (value: unknown): value is Config => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The secret places of `config`: every entry of the kind's map, by name (PostgreSQL's jsonb
 * keeps no key order), then each of `fields` (there or not).
 */
function placesOf(kind: ServiceKind, config: Config, fields: readonly string[]): Place[] {
  const { map } = secretPlaces[kind];
  const byName = ([a]: [string, unknown], [b]: [string, unknown]) => (a < b ? -1 : a > b ? 1 : 0);
  const entries = isObject(config[map]) ? Object.entries(config[map]).sort(byName).map(([name, value]) => ({ field: map, name, value })) : [];
  return [...entries, ...fields.map((field) => ({ field, name: null, value: config[field] }))];
}

/** The places the config marks secret: its map's entries and the fields its secretFields lists. */
function secretPlacesOf(kind: ServiceKind, config: Config): Place[] {
  const listed = Array.isArray(config.secretFields) ? (config.secretFields as unknown[]) : [];
  return placesOf(kind, config, secretPlaces[kind].markable.filter((field) => listed.includes(field)));
}

const pathOf = (place: Place) => (place.name === null ? place.field : `${place.field}.${place.name}`);

const isSet = (value: unknown) => typeof value === "string" && value !== "";

/** `config` with `value(place)` written at each of `places` that holds something. */
function withPlaces(config: Config, places: Place[], value: (place: Place) => unknown): Config {
  const result = { ...config };
  for (const place of places) {
    if (place.value === undefined) continue;
    if (place.name === null) result[place.field] = value(place);
    else result[place.field] = { ...(result[place.field] as Config), [place.name]: value(place) };
  }
  return result;
}

function storedValue(secrets: SecretValues, place: Place): string | undefined {
  const stored = secrets[place.field];
  return place.name === null ? (typeof stored === "string" ? stored : undefined) : isObject(stored) ? stored[place.name] : undefined;
}

/** The config as the API shows it: every secret value that is set as "••••". Also right for a row written before secrets were sealed. */
export function maskedConfig(kind: ServiceKind, config: Config): Config {
  return withPlaces(config, secretPlacesOf(kind, config), (place) => (place.value === "" ? "" : secretMask));
}

/** The config's secret places, each saying whether it holds a value. */
export function secretEntries(kind: ServiceKind, config: Config): SecretEntry[] {
  return secretPlacesOf(kind, config).map((place) => ({ field: place.field, name: place.name, isSet: isSet(place.value) }));
}

/** A valid config split into what is stored in the clear (masked) and the secret values. */
export function splitSecrets(kind: ServiceKind, config: Config): { config: Config; secrets: SecretValues } {
  const places = secretPlacesOf(kind, config).filter((place) => isSet(place.value));
  const secrets: SecretValues = {};
  for (const place of places) {
    const value = place.value as string;
    if (place.name === null) secrets[place.field] = value;
    else secrets[place.field] = { ...(secrets[place.field] as Record<string, string> | undefined), [place.name]: value };
  }
  return { config: maskedConfig(kind, config), secrets };
}

/** The secret values of a whole config, as written (templates). */
export function secretValues(kind: ServiceKind, config: Config): string[] {
  return secretPlacesOf(kind, config).flatMap((place) => (isSet(place.value) ? [place.value as string] : []));
}

/** The stored (masked) config with its secret values back in place: what runs. */
export function withSecrets(config: Config, secrets: SecretValues): Config {
  const result = { ...config };
  for (const [field, value] of Object.entries(secrets)) result[field] = typeof value === "string" ? value : { ...(result[field] as Config), ...value };
  return result;
}

/**
 * The config sent, with each "••••" replaced by the value stored at the same place (map
 * entry or markable field); `stored` is only called when there is one. A "••••" where nothing
 * is stored, or with stored values that cannot be read, is a ValidationError naming the place.
 */
export function resolveMasks(kind: ServiceKind, config: Config, stored: () => SecretValues): Config {
  const masked = placesOf(kind, config, secretPlaces[kind].markable).filter((place) => place.value === secretMask);
  if (masked.length === 0) return config;
  let secrets: SecretValues;
  try {
    secrets = stored();
  } catch (error) {
    if (!(error instanceof SecretsUnreadableError)) throw error;
    const message = `"${secretMask}" keeps the stored value, but the stored values cannot be read: ${error.message}; send the value`;
    throw new ValidationError(masked.map((place) => ({ field: `input.config.${pathOf(place)}`, message })));
  }
  const missing: FieldIssue[] = masked
    .filter((place) => storedValue(secrets, place) === undefined)
    .map((place) => ({ field: `input.config.${pathOf(place)}`, message: `"${secretMask}" keeps the stored value, but none is stored here; send the value` }));
  if (missing.length > 0) throw new ValidationError(missing);
  return withPlaces(config, masked, (place) => storedValue(secrets, place));
}

/** The paths (`input.config.headers.Authorization`) of the secret places of a config, whose errors must not quote them. */
export function secretPaths(kind: ServiceKind, config: Config, prefix = "input.config"): Set<string> {
  return new Set(secretPlacesOf(kind, config).map((place) => `${prefix}.${pathOf(place)}`));
}

/** Sealed values belong to their service: a value copied into another service's row does not open there. */
const sealingContext = (serviceId: string) => `Service ${serviceId}`;

export function sealSecrets(cipher: SecretsCipher, serviceId: string, secrets: SecretValues): { secrets: string; secretsKeyId: string } {
  const { sealed, keyId } = cipher.seal(JSON.stringify(secrets), sealingContext(serviceId));
  return { secrets: sealed, secretsKeyId: keyId };
}

/** The service's secret values; none for a row written before secrets were sealed (its config holds them). */
export function openSecrets(cipher: SecretsCipher, serviceId: string, columns: SealedSecretColumns): SecretValues {
  if (columns.secrets === null) return {};
  if (columns.secretsKeyId === null) throw new SecretsUnreadableError("they have no key id");
  return JSON.parse(cipher.open({ sealed: columns.secrets, keyId: columns.secretsKeyId }, sealingContext(serviceId))) as SecretValues;
}
