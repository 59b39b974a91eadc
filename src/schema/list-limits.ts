// The most items every list argument and list input field may hold. GraphQL Armor bounds the
// document, not the variables, so each list carries its maximum (the `maxItems` extension, also
// stated in its description) and the lists an operation is given, written in the document or
// passed as variables, are measured before its cost is computed or anything runs (input-limits.ts).
import { limits } from "../domain/input-rules.js";

/** The maximums shared by several lists. */
export const listMaxima = {
  /** `nodes(ids:)`: each id is an object to load. */
  nodeIds: 100,
  /** Ids an object refers to (targets, members) or a filter names. */
  ids: limits.idsPerList,
  /** Tags of a device, pool, service or task, or a pool rule's. */
  tags: limits.tagsPerEntity,
  /** Tags a live view's filter names. */
  filterTags: limits.tagsPerFilter,
  excludedDates: limits.excludedDates,
} as const;

/**
 * Options of a list argument or input field holding at most `max` items: the limit, and the
 * sentence that documents it in schema.graphql.
 */
export function maxItems(max: number, description?: string): { description: string; extensions: { maxItems: number } } {
  return { description: [description, `At most ${max} items.`].filter(Boolean).join(" "), extensions: { maxItems: max } };
}

/** The maximum of an argument or input field, if it is a list that has one. */
export function maxItemsOf(definition: { extensions: Readonly<Record<string, unknown>> }): number | undefined {
  const max = definition.extensions.maxItems;
  return typeof max === "number" ? max : undefined;
}
