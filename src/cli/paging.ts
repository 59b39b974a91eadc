// Reads a connection page by page, as many rows as the command needs.

/** The most rows the API returns in one page. */
export const pageSize = 100;

interface Page<T> {
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
  edges: { node: T }[];
}

/** Every node of the connection, or the first `limit`, reading page after page from `readPage(after)`. */
export async function readAll<T>(readPage: (first: number, after: string | null) => Promise<Page<T>>, limit = Infinity): Promise<T[]> {
  const nodes: T[] = [];
  let after: string | null = null;
  while (nodes.length < limit) {
    const page: Page<T> = await readPage(Math.min(pageSize, limit - nodes.length), after);
    nodes.push(...page.edges.map((edge) => edge.node));
    if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) break;
    after = page.pageInfo.endCursor;
  }
  return nodes;
}

/** The first node `matches` accepts, reading pages only until it is found. */
export async function findFirst<T>(readPage: (first: number, after: string | null) => Promise<Page<T>>, matches: (node: T) => boolean): Promise<T | undefined> {
  let after: string | null = null;
  for (;;) {
    const page: Page<T> = await readPage(pageSize, after);
    const found = page.edges.map((edge) => edge.node).find(matches);
    if (found !== undefined) return found;
    if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) return undefined;
    after = page.pageInfo.endCursor;
  }
}
