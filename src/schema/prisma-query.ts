/**
 * The query Pothos hands a resolver, made safe to run: when the client selects nothing of
 * the object itself (only `__typename`, as a mutation's result union invites), Pothos passes
 * an empty `select`, which Prisma refuses.
 */
export function withSelection<Query extends object>(query: Query): Query {
  const { select } = query as { select?: object };
  return select && Object.keys(select).length === 0 ? ({ ...query, select: { id: true } } as Query) : query;
}
