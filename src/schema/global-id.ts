import { decodeGlobalID } from "@pothos/plugin-relay";
import { ValidationError } from "../domain/errors.js";

/** The database id inside a global ID of the expected type, or a ValidationError naming the field. */
export function localId(globalId: string, typeName: string, field: string): string {
  let decoded: { typename: string; id: string };
  try {
    decoded = decodeGlobalID(globalId);
  } catch {
    throw ValidationError.of(field, `is not a valid ${typeName} id`);
  }
  if (decoded.typename !== typeName || decoded.id === "") {
    throw ValidationError.of(field, `is not a ${typeName} id`);
  }
  return decoded.id;
}

export const localIds = (globalIds: readonly string[], typeName: string, field: string): string[] =>
  globalIds.map((id, index) => localId(id, typeName, `${field}.${index}`));
