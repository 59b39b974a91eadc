import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import type { Prisma } from "../db/database.js";
import { tagsRule } from "./input-rules.js";

/** Dynamic pool membership: devices carrying the tags (all or any) and having every listed property value. */
export const poolRuleSchema = z
  .object({
    tags: tagsRule.default([]),
    tagMatch: z.enum(["ALL", "ANY"]).default("ALL"),
    properties: z.record(z.string().min(1, "property names must not be empty"), z.unknown()).default({}),
  })
  .refine((rule) => rule.tags.length > 0 || Object.keys(rule.properties).length > 0, {
    message: "must select devices by at least one tag or property",
  });

export type PoolRule = z.output<typeof poolRuleSchema>;

export interface RuleCandidate {
  tags: { name: string }[];
  properties: unknown;
}

export function deviceMatchesRule(device: RuleCandidate, rule: PoolRule): boolean {
  const tags = new Set(device.tags.map((t) => t.name));
  const tagsMatch =
    rule.tags.length === 0 ||
    (rule.tagMatch === "ALL" ? rule.tags.every((t) => tags.has(t)) : rule.tags.some((t) => tags.has(t)));
  if (!tagsMatch) return false;
  const properties = (device.properties ?? {}) as Record<string, unknown>;
  return Object.entries(rule.properties).every(
    ([key, value]) => Object.hasOwn(properties, key) && isDeepStrictEqual(properties[key], value),
  );
}

/**
 * The database-side narrowing of a rule: tags are rows and can be filtered in SQL; JSON
 * property equality cannot be expressed the same way on SQLite and PostgreSQL, so it is
 * checked by deviceMatchesRule on the narrowed set. Null when the rule has no tags: then
 * SQL cannot narrow at all (and `{}` would not do: inside an OR, Prisma matches nothing).
 */
export function ruleDeviceFilter(rule: PoolRule): Prisma.DeviceWhereInput | null {
  if (rule.tags.length === 0) return null;
  return rule.tagMatch === "ALL"
    ? { AND: rule.tags.map((name) => ({ tags: { some: { name } } })) }
    : { tags: { some: { name: { in: rule.tags } } } };
}

/** Reads a stored rule; rows written by this code always parse. */
export const storedPoolRule = (value: unknown): PoolRule | null => (value == null ? null : poolRuleSchema.parse(value));
