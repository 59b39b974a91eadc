import { isUniqueViolation } from "../db/prisma-errors.js";
import { ConflictError } from "./errors.js";

/**
 * Runs a write whose only unique column is `name`, turning a unique violation (also one
 * raced in by a concurrent writer) into a ConflictError on `input.name`.
 */
export async function withUniqueName<T>(kind: string, name: string | undefined, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError("input.name", `a ${kind} named ${JSON.stringify(name)} already exists`);
    throw error;
  }
}
