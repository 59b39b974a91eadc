// Operation names as metric labels, bounded: a client chooses them, so an anonymous operation
// is "anonymous", a name that is not a GraphQL name "unknown", and past the first
// `maxNames` distinct names every new one is "other". Only operations that ran admit new
// names: refused requests (which anybody can send) use names already admitted, else "unknown".
export const anonymousOperation = "anonymous";
export const unknownOperation = "unknown";
export const otherOperation = "other";

const graphqlName = /^[_A-Za-z][_0-9A-Za-z]{0,99}$/;

export class OperationNames {
  readonly #names = new Set<string>();

  constructor(readonly maxNames = 200) {}

  /** The label for an operation that runs, named `name` (undefined or null when anonymous). */
  ofExecuted(name: string | null | undefined): string {
    if (name === undefined || name === null || name === "") return anonymousOperation;
    if (!graphqlName.test(name)) return unknownOperation;
    if (this.#names.has(name)) return name;
    if (this.#names.size >= this.maxNames) return otherOperation;
    this.#names.add(name);
    return name;
  }

  /** The label for a request refused before it ran, whose body said `name`. */
  ofRefused(name: unknown): string {
    return typeof name === "string" && this.#names.has(name) ? name : unknownOperation;
  }
}
