// Prisma's error codes for the constraint violations we turn into typed API errors.
// https://www.prisma.io/docs/orm/reference/error-reference
function prismaCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
    ? error.code
    : undefined;
}

export const isUniqueViolation = (error: unknown): boolean => prismaCode(error) === "P2002";
export const isForeignKeyViolation = (error: unknown): boolean => prismaCode(error) === "P2003";
export const isRecordMissing = (error: unknown): boolean => prismaCode(error) === "P2025";
