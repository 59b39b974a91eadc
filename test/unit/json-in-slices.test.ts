import { describe, expect, it } from "vitest";
import { jsonPieces } from "../../src/http/json-in-slices.js";

const joined = (value: unknown, options?: Parameters<typeof jsonPieces>[1]) => [...jsonPieces(value, options)].join("");

describe("JSON text in pieces", () => {
  const nullPrototype = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1, "quote\"key": "é\u2028\n" });
  const values: unknown[] = [
    null,
    0,
    -1.5e-7,
    "text with \"quotes\", \\ and \u0000",
    true,
    [],
    {},
    [undefined, () => 1, Symbol("s"), null, NaN, Infinity],
    { skipped: undefined, fn: () => 1, kept: null, nested: { deeper: [1, { x: [2, [3, [4, [5, [6, [7]]]]]] }] } },
    nullPrototype,
    { at: new Date("2026-12-03T10:00:00Z"), custom: { toJSON: () => ({ replaced: true }) } },
    { data: { tasks: { edges: Array.from({ length: 300 }, (_, i) => ({ node: { id: `t${i}`, runs: Array.from({ length: 20 }, (_, j) => ({ j, s: "ok\n".repeat(j) })) } })) } } },
  ];

  it("writes the same text as JSON.stringify, whatever the piece length and the depth written whole", () => {
    for (const value of values) {
      for (const options of [{}, { pieceChars: 1 }, { pieceChars: 100, wholeFromDepth: 0 }, { pieceChars: 7, wholeFromDepth: 2 }, { pieceChars: 50, wholeFromDepth: 100 }]) {
        expect(joined(value, options)).toBe(JSON.stringify(value));
      }
    }
  });

  it("writes nothing for a value JSON.stringify leaves undefined", () => {
    expect([...jsonPieces(undefined)]).toEqual([]);
  });

  it("hands out pieces of about the length asked for, so each takes a short time to write", () => {
    const value = values.at(-1);
    const pieces = [...jsonPieces(value, { pieceChars: 4096 })];
    expect(pieces.length).toBeGreaterThan(JSON.stringify(value).length / 8192);
    // A piece ends once it reaches the length: by at most one subtree written whole (a task's runs here).
    for (const piece of pieces.slice(0, -1)) expect(piece.length).toBeLessThan(4096 + 2048);
  });
});
