// The few spots where hand-written SQL differs between SQLite and PostgreSQL. Used only
// where one statement must do what Prisma's API would need a statement per row for.
import type { DatabaseProvider } from "./prisma-schema.js";

export type SqlType = "text" | "integer" | "timestamp" | "json" | "boolean";

export interface SqlDialect {
  /** The placeholder of the n-th parameter (1-based). */
  placeholder(n: number): string;
  /** A placeholder cast to a column type, needed where PostgreSQL cannot infer it (VALUES lists). */
  typed(n: number, type: SqlType): string;
  /** How a JSON value is passed as a parameter. */
  jsonParameter(value: unknown): unknown;
  /** How a boolean is passed as a parameter. */
  booleanParameter(value: boolean): unknown;
}

const postgresTypes: Record<SqlType, string> = { text: "TEXT", integer: "INTEGER", timestamp: "TIMESTAMP(3)", json: "JSONB", boolean: "BOOLEAN" };

export const sqlDialects: Record<DatabaseProvider, SqlDialect> = {
  postgresql: {
    placeholder: (n) => `$${n}`,
    typed: (n, type) => `CAST($${n} AS ${postgresTypes[type]})`,
    jsonParameter: (value) => JSON.stringify(value),
    booleanParameter: (value) => value,
  },
  sqlite: {
    placeholder: () => "?",
    // SQLite keeps the value as bound; Prisma stores DateTime as ISO-8601 text, which is what
    // the adapter binds a Date as.
    typed: () => "?",
    jsonParameter: (value) => JSON.stringify(value),
    // Prisma keeps SQLite booleans as 0 and 1.
    booleanParameter: (value) => (value ? 1 : 0),
  },
};

/**
 * `(VALUES (...), (...))` for rows of typed parameters, with the columns renamed; returns
 * the SQL and the flat parameter list, numbered from `firstParameter`.
 */
export function valuesTable(
  dialect: SqlDialect,
  columns: { name: string; type: SqlType }[],
  rows: unknown[][],
  firstParameter = 1,
): { sql: string; parameters: unknown[] } {
  let n = firstParameter;
  const tuples = rows.map((row) => `(${row.map((_, i) => dialect.typed(n++, columns[i]!.type)).join(", ")})`);
  const renamed = columns.map((column, i) => `column${i + 1} AS ${column.name}`).join(", ");
  return { sql: `(SELECT ${renamed} FROM (VALUES ${tuples.join(", ")}) AS raw_values)`, parameters: rows.flat() };
}
