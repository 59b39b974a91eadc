// How deep and how large a JSON value given as input may be. Each level of a value costs a
// frame wherever it is walked (validation, Prisma's serialization, stringify): a value nested
// thousands deep exhausts the stack. The size bound is above the stored limit (limits.jsonBytes,
// a ValidationError naming the field) and bounds the work done before that is checked.
export const jsonInputLimits = { depth: 64, bytes: 256 * 1024 } as const;

/**
 * What is wrong with a JSON value's shape, or null. Walked depth first, stopping as soon as a
 * limit is passed: the walk never goes deeper than the depth limit, nor much past the size one.
 * The size is that of the value as JSON, without escapes.
 */
export function jsonShapeProblem(value: unknown, limits: { depth: number; bytes: number } = jsonInputLimits): string | null {
  let bytes = 0;
  const walk = (item: unknown, depth: number): string | null => {
    if (typeof item === "object" && item !== null) {
      if (depth > limits.depth) return `must be nested at most ${limits.depth} levels deep`;
      const entries = Array.isArray(item) ? item.map((element) => ["", element] as const) : Object.entries(item);
      bytes += 2 + Math.max(entries.length - 1, 0);
      for (const [key, element] of entries) {
        if (!Array.isArray(item)) bytes += Buffer.byteLength(key) + 3;
        const problem = walk(element, depth + 1);
        if (problem) return problem;
      }
    } else {
      bytes += typeof item === "string" ? Buffer.byteLength(item) + 2 : String(item).length;
    }
    return bytes > limits.bytes ? `must be at most ${limits.bytes / 1024} KiB as JSON` : null;
  };
  return walk(value, 1);
}
