// JSON text of a large value, written a piece at a time: JSON.stringify of a 3.5 MB answer
// holds the thread for about 70 ms (and its write as much again), during which no connection
// is accepted and no /healthz is answered. Pieces are about `pieceChars` long; a subtree at
// `wholeFromDepth` or deeper is written whole by JSON.stringify, which is fast and keeps the
// walk short. The text is the same as JSON.stringify's.

/** A container being written: its entries, and how far the writing has got. */
type Frame =
  | { kind: "object"; value: Record<string, unknown>; keys: string[]; next: number; written: number; depth: number }
  | { kind: "array"; value: unknown[]; next: number; depth: number };

/** Values JSON.stringify leaves out of objects (and writes as null in arrays). */
const isSkipped = (value: unknown) => value === undefined || typeof value === "function" || typeof value === "symbol";

/** A container written entry by entry: a plain object or array without toJSON. */
function isWalked(value: unknown): value is Record<string, unknown> | unknown[] {
  return typeof value === "object" && value !== null && typeof (value as { toJSON?: unknown }).toJSON !== "function";
}

export interface JsonInSlicesOptions {
  /** Length of a piece (characters) before it is handed out; the last may be shorter. */
  pieceChars?: number;
  /** Depth from which a subtree is written whole (the value itself is depth 0). */
  wholeFromDepth?: number;
}

/** The JSON text of `value` in pieces, each produced when asked for. */
export function* jsonPieces(value: unknown, { pieceChars = 64 * 1024, wholeFromDepth = 6 }: JsonInSlicesOptions = {}): Generator<string, void, undefined> {
  let piece = "";
  const stack: Frame[] = [];
  /** Writes `entry` whole, or opens it to be written entry by entry. */
  const write = (entry: unknown, depth: number): void => {
    if (!isWalked(entry) || depth >= wholeFromDepth) {
      piece += JSON.stringify(entry) ?? "null";
    } else if (Array.isArray(entry)) {
      piece += "[";
      stack.push({ kind: "array", value: entry, next: 0, depth });
    } else {
      piece += "{";
      stack.push({ kind: "object", value: entry, keys: Object.keys(entry), next: 0, written: 0, depth });
    }
  };
  if (isSkipped(value)) return;
  write(value, 0);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.kind === "array") {
      if (frame.next === frame.value.length) {
        piece += "]";
        stack.pop();
      } else {
        if (frame.next > 0) piece += ",";
        const entry = frame.value[frame.next++];
        if (isSkipped(entry)) piece += "null";
        else write(entry, frame.depth + 1);
      }
    } else if (frame.next === frame.keys.length) {
      piece += "}";
      stack.pop();
    } else {
      const key = frame.keys[frame.next++]!;
      const entry = frame.value[key];
      if (!isSkipped(entry)) {
        if (frame.written++ > 0) piece += ",";
        piece += `${JSON.stringify(key)}:`;
        write(entry, frame.depth + 1);
      }
    }
    if (piece.length >= pieceChars) {
      yield piece;
      piece = "";
    }
  }
  if (piece.length > 0) yield piece;
}
