/** Nested-write data that replaces an entity's tag rows with `tags`. */
export function replaceTags(tags: string[]) {
  return { deleteMany: {}, create: tags.map((name) => ({ name })) };
}

export function createTags(tags: string[]) {
  return { create: tags.map((name) => ({ name })) };
}

export const tagNames = (rows: { name: string }[]): string[] => rows.map((row) => row.name).sort();
