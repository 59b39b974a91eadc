// Filters and ordering shared by the top-level connections.
import { builder } from "../builder.js";
import type { DatabaseProvider } from "../db/prisma-schema.js";

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

/** SQLite's LIKE already ignores ASCII case; PostgreSQL needs to be told. */
export function nameContains(provider: DatabaseProvider, text: string) {
  return provider === "postgresql" ? { contains: text, mode: "insensitive" as const } : { contains: text };
}

export function nameTagWhere(
  provider: DatabaseProvider,
  filter: { nameContains?: string | null; tag?: string | null } | null | undefined,
) {
  return {
    ...(filter?.nameContains && { name: nameContains(provider, filter.nameContains) }),
    ...(filter?.tag && { tags: { some: { name: filter.tag } } }),
  };
}
