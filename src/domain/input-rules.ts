// Shared rules for the fields every entity has, and the bridge from zod issues to FieldIssue.
import { isIP } from "node:net";
import { z } from "zod";
import { ValidationError } from "./errors.js";

export const limits = {
  name: 200,
  description: 4_000,
  tag: 64,
  tagsPerEntity: 50,
  tagsPerFilter: 100,
  address: 253,
  jsonBytes: 64 * 1024,
  idsPerList: 1_000,
  excludedDates: 1_000,
} as const;

const controlCharacters = /[\u0000-\u001f\u007f]/;

export const nameRule = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(limits.name, `must be at most ${limits.name} characters`)
  .refine((name) => !controlCharacters.test(name), "must not contain control characters");

export const descriptionRule = z.string().max(limits.description, `must be at most ${limits.description} characters`);

export const tagRule = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(limits.tag, `must be at most ${limits.tag} characters`)
  .regex(/^[\p{L}\p{N}_.:/@-]+$/u, "may contain only letters, digits and _ . : / @ -");

export const tagsRule = z
  .array(tagRule)
  .max(limits.tagsPerEntity, `must have at most ${limits.tagsPerEntity} tags`)
  .transform((tags) => [...new Set(tags)]);

const hostnamePattern = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

/**
 * An IPv4 or IPv6 address, or a hostname. Digits and dots alone are meant as an IPv4
 * address, so 256.1.1.1, 1.2.3 or 999 are refused rather than taken as hostnames (which
 * resolvers would read as other addresses or fail on).
 */
export function isHostnameOrIp(text: string): boolean {
  if (isIP(text) !== 0) return true;
  return hostnamePattern.test(text) && !/^[\d.]+$/.test(text);
}

export const addressRule = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(limits.address, `must be at most ${limits.address} characters`)
  .refine(isHostnameOrIp, "must be a hostname or an IP address");

export const jsonObjectRule = z
  .record(z.string(), z.unknown())
  .refine((value) => Buffer.byteLength(JSON.stringify(value)) <= limits.jsonBytes, {
    message: `must be at most ${limits.jsonBytes / 1024} KiB as JSON`,
  });

export const idListRule = z.array(z.string()).max(limits.idsPerList, `must have at most ${limits.idsPerList} entries`);

/**
 * Parses `input` or throws a ValidationError whose fields are prefixed with `prefix`. An issue
 * at one of `secretPaths` (full paths, prefix included) is told with its `params.unquoted`
 * message when it has one, which quotes nothing of the value.
 */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown, prefix = "input", secretPaths: ReadonlySet<string> = new Set()): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(
    result.error.issues.flatMap((issue) => {
      const path = [prefix, ...issue.path.map(String)];
      // zod reports unknown keys on their object; each is named by its own path instead.
      if (issue.code === "unrecognized_keys") return issue.keys.map((key) => ({ field: [...path, key].join("."), message: "is not a known field" }));
      const field = path.join(".");
      const unquoted = issue.code === "custom" ? (issue.params as { unquoted?: string } | undefined)?.unquoted : undefined;
      return [{ field, message: secretPaths.has(field) && unquoted !== undefined ? unquoted : issue.message }];
    }),
  );
}
