// The few spots where hand-written SQL differs between SQLite and PostgreSQL. Used only on
// hot paths where one statement must do what Prisma's API needs a statement per row for,
// or where a write must leave Prisma's @updatedAt alone.
import type { DatabaseProvider } from "./prisma-schema.js";

export type SqlType = "text" | "integer" | "timestamp" | "json" | "boolean";

export interface SqlColumn<Name extends string = string> {
  name: Name;
  type: SqlType;
}

export interface SqlDialect {
  /** The placeholder of the n-th parameter (1-based). */
  placeholder(n: number): string;
  /** A placeholder cast to a column type, where PostgreSQL cannot infer it. */
  typed(n: number, type: SqlType): string;
  /** The body of a common table expression: the rows of a JSON array passed as parameter `n`. */
  jsonRows(columns: SqlColumn[], n: number): string;
  /** A subquery of the texts of a JSON array of strings passed as parameter `n`, for `IN (...)`. */
  textList(n: number): string;
  /** A value as the stored column holds it, inside such a JSON array. */
  stored(value: unknown): unknown;
  /**
   * An aggregate: the rows of a group as one JSON text, an array holding an array of the
   * expressions per row. Reading many rows this way costs one value instead of a value per
   * cell, each of which the driver adapter converts on its own.
   */
  jsonArrayOfRows(expressions: string[]): string;
  /** A timestamp column as ISO text with its zone, for `jsonArrayOfRows`. */
  isoInstant(column: string): string;
  /**
   * The database's clock now, as a stored timestamp, `n` milliseconds (a parameter number)
   * ahead when given: leases and heartbeats are set and compared by the clock all processes
   * share, not by each one's own.
   */
  now(n?: number): string;
}

const postgresTypes: Record<SqlType, string> = { text: "text", integer: "integer", timestamp: "timestamp(3)", json: "jsonb", boolean: "boolean" };

/** Cell `i` of a row given as a JSON array (`cells`), as a value of the column type; JSON null is SQL NULL. */
function postgresCell(type: SqlType, i: number): string {
  switch (type) {
    case "text":
      return `cells ->> ${i}`;
    case "json":
      return `NULLIF(cells -> ${i}, 'null')`;
    default:
      return `CAST(cells ->> ${i} AS ${postgresTypes[type]})`;
  }
}

export const sqlDialects: Record<DatabaseProvider, SqlDialect> = {
  postgresql: {
    placeholder: (n) => `$${n}`,
    typed: (n, type) => `CAST($${n} AS ${postgresTypes[type]})`,
    jsonRows: (columns, n) =>
      `SELECT ${columns.map((c, i) => `${postgresCell(c.type, i)} AS "${c.name}"`).join(", ")} FROM jsonb_array_elements(CAST($${n} AS jsonb)) AS json_rows(cells)`,
    textList: (n) => `SELECT jsonb_array_elements_text(CAST($${n} AS jsonb))`,
    stored: (value) => (value instanceof Date ? value.toISOString() : value),
    jsonArrayOfRows: (expressions) => `CAST(json_agg(json_build_array(${expressions.join(", ")})) AS text)`,
    // Prisma's timestamp(3) has no zone and holds UTC.
    isoInstant: (column) => `to_char(${column}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
    // now() is the transaction's start: one instant for everything a transaction compares and writes.
    now: (n) => `(CAST(now() AT TIME ZONE 'UTC' AS timestamp(3))${n === undefined ? "" : ` + CAST($${n} AS double precision) * interval '1 millisecond'`})`,
  },
  sqlite: {
    placeholder: () => "?",
    // SQLite keeps a value as bound, and the adapter binds a Date in Prisma's own text form.
    typed: () => "?",
    // ->> gives JSON objects back as their text, which is how Prisma stores Json.
    jsonRows: (columns) => `SELECT ${columns.map((c, i) => `value ->> ${i} AS "${c.name}"`).join(", ")} FROM json_each(?)`,
    textList: () => "SELECT value FROM json_each(?)",
    // Prisma keeps SQLite DateTimes as ISO text with "+00:00", and booleans as 0 and 1.
    stored: (value) => (value instanceof Date ? value.toISOString().replace("Z", "+00:00") : typeof value === "boolean" ? Number(value) : value),
    jsonArrayOfRows: (expressions) => `json_group_array(json_array(${expressions.join(", ")}))`,
    // Already ISO text with "+00:00" (see `stored`).
    isoInstant: (column) => column,
    // The machine's clock (SQLite has no other), in the text form Prisma stores (see `stored`).
    now: (n) => `strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'${n === undefined ? "" : `, printf('%+.3f seconds', CAST(? AS REAL) / 1000)`})`,
  },
};

/**
 * Rows for a statement as one JSON parameter: `cte` defines the table `alias` with the given
 * columns (for `WITH ${cte} UPDATE ...`), `parameter` is its value. One parameter instead of
 * one per cell keeps a batch of thousands of rows cheap to send and within every parameter
 * limit; each row is an array of its cells, not an object, which halves the text that is
 * built, passed through Prisma's parameter serialisation and parsed again. The table is
 * materialized: SQLite would otherwise re-read the JSON for every row it joins with.
 */
export function jsonRowsTable<Row extends object>(
  provider: DatabaseProvider,
  alias: string,
  columns: SqlColumn<keyof Row & string>[],
  rows: Row[],
  parameterNumber = 1,
): { cte: string; parameter: string } {
  const dialect = sqlDialects[provider];
  // Rows often share instants (an occurrence, a claim time): each is written out once.
  const storedInstants = new Map<number, unknown>();
  const stored = (value: unknown) => {
    if (!(value instanceof Date)) return dialect.stored(value);
    let text = storedInstants.get(value.getTime());
    if (text === undefined) storedInstants.set(value.getTime(), (text = dialect.stored(value)));
    return text;
  };
  const encoded = rows.map((row) => columns.map((c) => stored(row[c.name] ?? null)));
  return { cte: `${alias} AS MATERIALIZED (${dialect.jsonRows(columns, parameterNumber)})`, parameter: JSON.stringify(encoded) };
}
