// Pages of a one-to-many relation (a task's runs, a run's results) for every parent of a page
// at once, reading at most one page per parent. Prisma's nested `take` reads every child of
// the parents and cuts the pages in memory: with a million runs, ten tasks' five latest runs
// read ten thousand rows. Here one statement takes each parent's page with a LIMIT of its own
// (one branch per parent, each served by the (parent, order) index), and a second reads those
// rows by id with what the query selects beneath them.
import { getConnectionPageSize, PothosValidationError, validateConnectionArguments } from "@pothos/core";
import { parsePrismaCursor, queryFromInfo } from "@pothos/plugin-prisma";
import DataLoader from "dataloader";
import type { FieldNode, GraphQLResolveInfo } from "graphql";
import type { DbClient } from "../db/database.js";
import { dispatchAfterWaitingPieces } from "../event-loop-slices.js";
import { Prisma } from "../db/database.js";
import { defaultPageSize, maxPageSize } from "./query-cost.js";

/** A one-to-many relation paged by `order`, whose last column is the child's id. */
export interface ChildRelation {
  model: "Run" | "RunResult";
  parentColumn: "taskId" | "runId";
  order: readonly { column: string; descending: boolean }[];
}

export interface PageArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}

/** Only children whose `column` is one of `values` (e.g. results by status). */
export interface ChildFilter {
  column: string;
  values: readonly string[];
}

/**
 * How many rows to read per parent (the page plus one, which tells whether more follow), from
 * which cursor and in which direction; the same rules and errors as Pothos's own connections.
 */
export function pageWindow(args: PageArgs): { take: number; cursorId: string | null; backward: boolean } {
  validateConnectionArguments(args);
  if (args.before != null && args.after != null) throw new PothosValidationError('Arguments "before" and "after" are not supported at the same time');
  if (args.before != null && args.first != null) throw new PothosValidationError('Arguments "before" and "first" are not supported at the same time');
  if (args.after != null && args.last != null) throw new PothosValidationError('Arguments "after" and "last" are not supported at the same time');
  const { limit } = getConnectionPageSize({ args, defaultSize: defaultPageSize, maxSize: maxPageSize });
  const cursor = args.before ?? args.after;
  return { take: limit, cursorId: cursor == null ? null : String(parsePrismaCursor(cursor)), backward: args.before != null || args.last != null };
}

const quoted = (name: string) => Prisma.raw(`"${name}"`);

/**
 * The ids of each parent's page, in page order (oldest first for a backward page, as
 * connections list them), at most `take` per parent.
 */
export async function childPageIds(
  db: DbClient,
  relation: ChildRelation,
  parentIds: readonly string[],
  args: PageArgs,
  filter: ChildFilter | null = null,
): Promise<Map<string, string[]>> {
  const { take, cursorId, backward } = pageWindow(args);
  const pages = new Map<string, string[]>(parentIds.map((id) => [id, []]));
  const table = quoted(relation.model);
  // A backward page walks from the cursor the other way, then is turned round.
  const order = relation.order.map(({ column, descending }) => ({ column: quoted(column), descending: descending !== backward }));
  const orderBy = Prisma.join(order.map(({ column, descending }) => Prisma.sql`${column} ${Prisma.raw(descending ? "DESC" : "ASC")}`));
  const columns = Prisma.join(relation.order.map(({ column }) => quoted(column)));
  const conditions: Prisma.Sql[] = [];
  if (filter) conditions.push(Prisma.sql`${quoted(filter.column)} IN (${Prisma.join(filter.values)})`);
  if (cursorId !== null) conditions.push(beyondCursor(table, order, cursorId));
  const where = conditions.length > 0 ? Prisma.sql` AND ${Prisma.join(conditions, " AND ")}` : Prisma.empty;
  const branches = parentIds.map(
    (parentId, i) =>
      Prisma.sql`SELECT * FROM (SELECT ${quoted(relation.parentColumn)} AS "parentId", ${columns} FROM ${table} WHERE ${quoted(relation.parentColumn)} = ${parentId}${where} ORDER BY ${orderBy} LIMIT ${take}) AS ${Prisma.raw(`"page${i}"`)}`,
  );
  // The branches' own order does not survive UNION ALL by any rule, so the whole is sorted again (at most `take` rows a parent).
  const rows = await db.$queryRaw<{ parentId: string; id: string }[]>(
    Prisma.sql`${Prisma.join(branches, " UNION ALL ")} ORDER BY "parentId", ${orderBy}`,
  );
  for (const row of rows) pages.get(row.parentId)!.push(row.id);
  if (backward) for (const ids of pages.values()) ids.reverse();
  return pages;
}

/**
 * Rows strictly beyond the cursor row in `order` (each column compared to the cursor row's,
 * the id last). A cursor naming no row gives an empty page, as Prisma's cursors do.
 */
function beyondCursor(table: Prisma.Sql, order: { column: Prisma.Sql; descending: boolean }[], cursorId: string): Prisma.Sql {
  const cursorValue = (column: Prisma.Sql) => Prisma.sql`(SELECT ${column} FROM ${table} WHERE "id" = ${cursorId})`;
  const beyond = ({ column, descending }: (typeof order)[number]) => Prisma.sql`${column} ${Prisma.raw(descending ? "<" : ">")} ${cursorValue(column)}`;
  const alternatives = order.map((entry, i) =>
    Prisma.join([...order.slice(0, i).map(({ column }) => Prisma.sql`${column} = ${cursorValue(column)}`), beyond(entry)], " AND "),
  );
  return Prisma.sql`(${Prisma.join(alternatives.map((alternative) => Prisma.sql`(${alternative})`), " OR ")})`;
}

type ChildRow = { id: string };

/** Parents per statement: a branch each, well within SQLite's 500 terms of a compound SELECT. */
const maxParentsPerStatement = 100;
/**
 * Rows a statement reads at most (parents × page size): reading and mapping a statement's rows
 * is one piece of work, which the event loop cannot interrupt (see event-loop-slices.ts).
 */
const maxRowsPerStatement = 2_000;
type ModelDelegate = { findMany(args: object): Promise<ChildRow[]> };

/**
 * The pages of one connection field for every parent an operation reaches it from: the field's
 * occurrences in a list share a loader (same field node, same arguments), so a page of parents
 * costs two statements, whatever its size.
 */
export class ChildPages {
  private readonly loaders = new WeakMap<FieldNode, Map<string, DataLoader<string, ChildRow[]>>>();
  private readonly counters = new Map<string, DataLoader<string, number>>();

  constructor(private readonly db: DbClient) {}

  /** `Row`: the model's rows as the connection's node type sees them (its selection is read). */
  load<Row>(relation: ChildRelation, parentId: string, args: PageArgs, info: GraphQLResolveInfo, context: object, filter: ChildFilter | null = null): Promise<Row[]> {
    const fieldNode = info.fieldNodes[0]!;
    let byArgs = this.loaders.get(fieldNode);
    if (!byArgs) this.loaders.set(fieldNode, (byArgs = new Map()));
    const key = JSON.stringify([args.first, args.last, args.after, args.before, filter]);
    let loader = byArgs.get(key);
    // Planned for every parent, not only the first: planning records where the rows' fields find
    // their columns under this parent's path, and a row whose path has no record is read again,
    // field by field, by Pothos's fallback loader.
    const nodeQuery = queryFromInfo({ context, info, typeName: relation.model, path: ["edges", "node"] });
    if (!loader) {
      // Checked once per field, before anything is read: a bad argument is the caller's error.
      const { take } = pageWindow(args);
      loader = new DataLoader(async (parentIds: readonly string[]) => {
        const pages = await childPageIds(this.db, relation, parentIds, args, filter);
        const ids = [...pages.values()].flat();
        const delegate = (relation.model === "Run" ? this.db.run : this.db.runResult) as unknown as ModelDelegate;
        const rows = ids.length === 0 ? [] : await delegate.findMany({ ...nodeQuery, where: { id: { in: ids } } });
        const byId = new Map(rows.map((row) => [row.id, row]));
        // A child deleted between the two statements is left out of its page.
        return parentIds.map((parentId) => pages.get(parentId)!.flatMap((id) => byId.get(id) ?? []));
      }, { maxBatchSize: Math.max(1, Math.min(maxParentsPerStatement, Math.floor(maxRowsPerStatement / take))), batchScheduleFn: dispatchAfterWaitingPieces });
      byArgs.set(key, loader);
    }
    return loader.load(parentId) as Promise<Row[]>;
  }

  /** Children of a parent (matching `filter`), for a connection's totalCount; one statement per page of parents. */
  count(relation: ChildRelation, parentId: string, filter: ChildFilter | null = null): Promise<number> {
    const key = JSON.stringify([relation.model, filter]);
    let loader = this.counters.get(key);
    if (!loader) {
      loader = new DataLoader(
        async (parentIds: readonly string[]) => {
          const parent = quoted(relation.parentColumn);
          const filtered = filter ? Prisma.sql` AND ${quoted(filter.column)} IN (${Prisma.join(filter.values)})` : Prisma.empty;
          const rows = await this.db.$queryRaw<{ parentId: string; count: bigint | number }[]>(
            Prisma.sql`SELECT ${parent} AS "parentId", COUNT(*) AS "count" FROM ${quoted(relation.model)} WHERE ${parent} IN (${Prisma.join(parentIds)})${filtered} GROUP BY ${parent}`,
          );
          const counts = new Map(rows.map((row) => [row.parentId, Number(row.count)]));
          return parentIds.map((id) => counts.get(id) ?? 0);
        },
        { maxBatchSize: maxParentsPerStatement, batchScheduleFn: dispatchAfterWaitingPieces },
      );
      this.counters.set(key, loader);
    }
    return loader.load(parentId);
  }
}
