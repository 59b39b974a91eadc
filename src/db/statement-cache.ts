// Prepared statements kept for reuse on one better-sqlite3 connection. Prisma's adapter
// prepares every statement afresh and binds its parameters for good (Statement#bind), so a
// statement is compiled by SQLite again at every call: a good part of a busy thread's time.
// Here each SQL text is compiled once (the most recently used ones kept) and each call gets
// a light statement of its own that passes its parameters to the shared one at every use.

/** What the adapter uses of a better-sqlite3 statement. */
export interface SqliteStatement {
  readonly reader: boolean;
  run(...params: unknown[]): unknown;
  columns(): unknown[];
  raw(toggle?: boolean): SqliteStatement;
  all(...params: unknown[]): unknown[];
}

/** A statement with its parameters bound, as the adapter gets it from `prepare(sql).bind(args)`. */
export interface BoundStatement {
  readonly reader: boolean;
  run(): unknown;
  columns(): unknown[];
  raw(): { all(): unknown[] };
}

export interface CachedStatement {
  bind(params: unknown[]): BoundStatement;
}

export class StatementCache {
  readonly #prepare: (sql: string) => SqliteStatement;
  readonly #capacity: number;
  /** Least recently used first (a Map keeps insertion order). */
  readonly #statements = new Map<string, SqliteStatement>();

  constructor(prepare: (sql: string) => SqliteStatement, capacity = 500) {
    this.#prepare = prepare;
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#statements.size;
  }

  prepare(sql: string): CachedStatement {
    let statement = this.#statements.get(sql);
    if (statement) this.#statements.delete(sql);
    else {
      statement = this.#prepare(sql);
      // Rows as arrays (Statement#raw), as the adapter reads them: set once, since the mode stays with the statement.
      if (statement.reader) statement.raw(true);
      if (this.#statements.size >= this.#capacity) this.#statements.delete(this.#statements.keys().next().value!);
    }
    this.#statements.set(sql, statement);
    const shared = statement;
    return {
      bind: (params) => ({
        reader: shared.reader,
        run: () => shared.run(...params),
        columns: () => shared.columns(),
        raw: () => ({ all: () => shared.all(...params) }),
      }),
    };
  }
}
