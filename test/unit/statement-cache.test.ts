// The SQLite connection's statement cache: each SQL text compiled once, every call with its
// own parameters, rows as the adapter reads them, the least recently used statements let go.
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StatementCache, type SqliteStatement } from "../../src/db/statement-cache.js";

describe("statement cache", () => {
  let db: Database.Database;
  let compiled: string[];
  const cache = (capacity?: number) =>
    new StatementCache((sql) => {
      compiled.push(sql);
      return db.prepare(sql) as unknown as SqliteStatement;
    }, capacity);

  beforeEach(() => {
    db = new Database(":memory:");
    db.exec(`CREATE TABLE "Item" ("id" INTEGER PRIMARY KEY, "name" TEXT)`);
    compiled = [];
  });
  afterEach(() => db.close());

  it("compiles a statement once and runs it with each call's own parameters", () => {
    const statements = cache();
    const insert = `INSERT INTO "Item" ("id", "name") VALUES (?, ?)`;
    for (let id = 1; id <= 3; id++) statements.prepare(insert).bind([id, `item-${id}`]).run();
    const select = `SELECT "id", "name" FROM "Item" WHERE "id" >= ? ORDER BY "id"`;
    const two = statements.prepare(select).bind([2]);
    const one = statements.prepare(select).bind([3]);
    expect(two.reader).toBe(true);
    expect(two.raw().all()).toEqual([
      [2, "item-2"],
      [3, "item-3"],
    ]);
    // A bound statement keeps its own parameters, whatever was bound since.
    expect(one.raw().all()).toEqual([[3, "item-3"]]);
    expect(two.raw().all()).toHaveLength(2);
    expect(two.columns()).toMatchObject([{ name: "id" }, { name: "name" }]);
    expect(compiled).toEqual([insert, select]);
  });

  it("keeps the most recently used statements up to its capacity", () => {
    const statements = cache(2);
    const sql = (n: number) => `SELECT ${n}`;
    statements.prepare(sql(1));
    statements.prepare(sql(2));
    statements.prepare(sql(1)); // 2 is now the least recently used
    statements.prepare(sql(3));
    statements.prepare(sql(1));
    statements.prepare(sql(2));
    expect(compiled).toEqual([sql(1), sql(2), sql(3), sql(2)]);
    expect(statements.size).toBe(2);
  });

  it("lets a statement that cannot be compiled fail without keeping anything", () => {
    const statements = cache();
    expect(() => statements.prepare(`SELECT * FROM "Missing"`)).toThrow(/no such table/);
    expect(statements.size).toBe(0);
  });

  it("still answers after the schema changed under a kept statement", () => {
    const statements = cache();
    const select = `SELECT * FROM "Item"`;
    statements.prepare(`INSERT INTO "Item" ("id", "name") VALUES (?, ?)`).bind([1, "a"]).run();
    expect(statements.prepare(select).bind([]).raw().all()).toEqual([[1, "a"]]);
    db.exec(`ALTER TABLE "Item" ADD COLUMN "extra" TEXT DEFAULT 'x'`);
    const after = statements.prepare(select).bind([]);
    expect(after.raw().all()).toEqual([[1, "a", "x"]]);
    expect(after.columns()).toHaveLength(3);
  });
});
