// An error as a run's reason shows it: one line. Prisma's messages begin with the call that
// failed and a blank line or two; their last line says what the database answered.
export function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const lines = message.split("\n").map((line) => line.trim()).filter(Boolean);
  return lines.at(-1) ?? (error instanceof Error ? error.name : "unknown error");
}
