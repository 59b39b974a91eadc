// The few spots where hand-written SQL differs between SQLite and PostgreSQL. Used only on
// hot paths where one statement must do what Prisma's API needs a statement per row for.
import type { DatabaseProvider } from "./prisma-schema.js";

export type SqlType = "text" | "integer" | "timestamp" | "json";

export interface SqlColumn<Name extends string = string> {
  name: Name;
  type: SqlType;
}

interface SqlDialect {
  /** The body of a common table expression: the rows of a JSON array passed as parameter `n` (1-based). */
  jsonRows(columns: SqlColumn[], n: number): string;
  /** An instant as the stored column holds it (Prisma's own text form on SQLite). */
  timestamp(instant: Date): string;
}

const postgresTypes: Record<SqlType, string> = { text: "text", integer: "integer", timestamp: "timestamp(3)", json: "jsonb" };

const dialects: Record<DatabaseProvider, SqlDialect> = {
  postgresql: {
    jsonRows: (columns, n) =>
      `SELECT * FROM jsonb_to_recordset(CAST($${n} AS jsonb)) AS json_rows(${columns.map((c) => `"${c.name}" ${postgresTypes[c.type]}`).join(", ")})`,
    timestamp: (instant) => instant.toISOString(),
  },
  sqlite: {
    // json_extract gives JSON objects back as their text, which is how Prisma stores Json.
    jsonRows: (columns) => `SELECT ${columns.map((c) => `json_extract(value, '$.${c.name}') AS "${c.name}"`).join(", ")} FROM json_each(?)`,
    timestamp: (instant) => instant.toISOString().replace("Z", "+00:00"),
  },
};

/**
 * Rows for a statement as one JSON parameter: `cte` defines the table `alias` with the given
 * columns (for `WITH ${cte} UPDATE ...`), `parameter` is its value. One parameter instead of
 * one per cell keeps a batch of thousands of rows cheap to send and within every parameter
 * limit. The table is materialized: SQLite would otherwise re-read the JSON for every row
 * it joins with.
 */
export function jsonRowsTable<Row extends object>(
  provider: DatabaseProvider,
  alias: string,
  columns: SqlColumn<keyof Row & string>[],
  rows: Row[],
  parameterNumber = 1,
): { cte: string; parameter: string } {
  const dialect = dialects[provider];
  const stored = (value: unknown) => (value instanceof Date ? dialect.timestamp(value) : value);
  const encoded = rows.map((row) => Object.fromEntries(columns.map((c) => [c.name, stored(row[c.name] ?? null)])));
  return { cte: `${alias} AS MATERIALIZED (${dialect.jsonRows(columns, parameterNumber)})`, parameter: JSON.stringify(encoded) };
}
