// What went wrong with a request, in words a reader can act on; `code` is the GraphQL error's
// extensions.code when the server gave one (UNAUTHENTICATED, FORBIDDEN, ...).
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** GraphQL errors as one message, with the first one's code. */
export function fromGraphqlErrors(errors: readonly { message: string; extensions?: Record<string, unknown> }[]): ApiError {
  const code = errors[0]?.extensions?.code;
  return new ApiError(errors.map((error) => error.message).join("; "), typeof code === "string" ? code : null);
}

/** Anything thrown, as a sentence. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
