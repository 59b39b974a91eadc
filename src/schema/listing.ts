// Filters and ordering shared by the top-level connections.
import { builder } from "../builder.js";
import type { Context } from "../context.js";
import { Prisma } from "../db/database.js";

export const OrderDirection = builder.enumType("OrderDirection", { values: ["ASC", "DESC"] as const });
export const OrderField = builder.enumType("OrderField", { values: ["NAME", "CREATED_AT", "UPDATED_AT"] as const });

export const OrderInput = builder.inputType("OrderInput", {
  description: "Sort order; ties are broken by id so pages are stable.",
  fields: (t) => ({
    field: t.field({ type: OrderField, required: true }),
    direction: t.field({ type: OrderDirection, defaultValue: "ASC", required: true }),
  }),
});

export const NameTagFilter = builder.inputType("NameTagFilter", {
  fields: (t) => ({
    nameContains: t.string({ required: false, description: "Case-insensitive substring of the name." }),
    tag: t.string({ required: false, description: "Only those carrying this tag." }),
  }),
});

const orderColumns = { NAME: "name", CREATED_AT: "createdAt", UPDATED_AT: "updatedAt" } as const;

export function orderBy(order: { field: keyof typeof orderColumns; direction: "ASC" | "DESC" } | null | undefined) {
  const direction = order?.direction === "DESC" ? ("desc" as const) : ("asc" as const);
  return [{ [orderColumns[order?.field ?? "NAME"]]: direction }, { id: direction }];
}

/** The listed models, named as their tables. */
export type NamedTable = "Device" | "Pool" | "Service" | "Task";

/**
 * Rows whose name contains `text` literally, ignoring ASCII case. Prisma's `contains` hands
 * the text to LIKE unescaped, so `%` and `_` would match anything: PostgreSQL's LIKE takes a
 * backslash escape; SQLite's has none unless the query says ESCAPE, which Prisma's does not,
 * so there such a text is matched with instr() in a query of our own.
 */
export async function nameContainsWhere(ctx: Pick<Context, "db" | "provider">, table: NamedTable, text: string) {
  if (ctx.provider === "postgresql") {
    return { name: { contains: text.replace(/[\\%_]/g, "\\$&"), mode: "insensitive" as const } };
  }
  if (!/[%_]/.test(text)) return { name: { contains: text } };
  const rows = await ctx.db.$queryRaw<{ id: string }[]>(
    Prisma.sql`SELECT id FROM ${Prisma.raw(`"${table}"`)} WHERE instr(lower(name), lower(${text})) > 0`,
  );
  return { id: { in: rows.map((row) => row.id) } };
}

export async function nameTagWhere(
  ctx: Pick<Context, "db" | "provider">,
  table: NamedTable,
  filter: { nameContains?: string | null; tag?: string | null } | null | undefined,
) {
  return {
    ...(filter?.nameContains && (await nameContainsWhere(ctx, table, filter.nameContains))),
    ...(filter?.tag && { tags: { some: { name: filter.tag } } }),
  };
}
