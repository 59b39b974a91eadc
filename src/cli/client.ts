// The `cronline` command's way to a running server: its typed operations (src/cli/operations,
// generated into src/generated/graphql) sent over HTTP with the API token, subscriptions over
// the graphql-ws websocket, and every refusal turned into a CliError with the exit code it
// means (exit-codes.ts).
import type { TypedDocumentString } from "../generated/graphql/graphql.js";
import { CliError, exitCodes, type ExitCode, type FieldProblem } from "./exit-codes.js";

export const defaultUrl = "http://127.0.0.1:4000/graphql";

export interface Connection {
  /** The GraphQL endpoint over HTTP, e.g. http://127.0.0.1:4000/graphql. */
  url: string;
  token: string | undefined;
}

interface GraphQLErrorShape {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; fieldErrors?: FieldProblem[]; [key: string]: unknown };
}

/** Exit codes of the API's error codes (extensions.code); any other is a failure (1). */
const exitCodeOfApiCode: Record<string, ExitCode> = {
  UNAUTHENTICATED: exitCodes.forbidden,
  FORBIDDEN: exitCodes.forbidden,
  FORBIDDEN_ORIGIN: exitCodes.forbidden,
  BAD_USER_INPUT: exitCodes.usage,
  GRAPHQL_VALIDATION_FAILED: exitCodes.usage,
  GRAPHQL_PARSE_FAILED: exitCodes.usage,
  NotFoundError: exitCodes.notFound,
};

/** The CliError of the first GraphQL error of a response (the others follow in its details). */
export function errorOfGraphQL(errors: GraphQLErrorShape[]): CliError {
  const [first] = errors as [GraphQLErrorShape, ...GraphQLErrorShape[]];
  const code = first.extensions?.code;
  const exitCode = (code !== undefined && exitCodeOfApiCode[code]) || exitCodes.failure;
  const message = errors.map((error) => error.message).join("; ");
  return new CliError(message, exitCode, {
    ...(code !== undefined && { code }),
    ...(first.extensions?.fieldErrors && { fieldErrors: first.extensions.fieldErrors }),
    ...(first.path && { path: first.path.join(".") }),
  });
}

export class ApiClient {
  constructor(readonly connection: Connection) {}

  /** The data of an operation; any GraphQL error, HTTP refusal or network failure is thrown as a CliError. */
  async request<TResult, TVariables>(document: TypedDocumentString<TResult, TVariables>, variables: TVariables): Promise<TResult> {
    const { url, token } = this.connection;
    let response: Response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/graphql-response+json, application/json",
          ...(token !== undefined && { authorization: `Bearer ${token}` }),
        },
        body: JSON.stringify({ query: document.toString(), variables }),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(`cannot reach the Cronline server at ${url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`, exitCodes.failure, {
        code: "UNREACHABLE",
      });
    }
    const text = await response.text();
    let body: { data?: TResult | null; errors?: GraphQLErrorShape[] };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new CliError(`the server at ${url} answered HTTP ${response.status} without a GraphQL response: ${text.slice(0, 200)}`, exitCodes.failure, {
        code: "NOT_GRAPHQL",
      });
    }
    if (body.errors?.length) throw errorOfGraphQL(body.errors);
    if (body.data == null) throw new CliError(`the server at ${url} answered HTTP ${response.status} without data`, exitCodes.failure);
    return body.data;
  }
}

/** The fields of every typed error of a mutation's union result (operations/errors.ts). */
export interface TypedError {
  __typename: string;
  message: string;
  fieldErrors?: FieldProblem[];
  field?: string;
  id?: string;
  usedBy?: string[];
  taskNames?: string[];
}

type Success<T> = Extract<T, { __typename: `${string}Success` }>;

/** The success member of a mutation's result, or its typed error thrown as a CliError. */
export function unwrapResult<T extends { __typename: string }>(result: T): Success<T> {
  if (result.__typename.endsWith("Success")) return result as Success<T>;
  throw errorOfResult(result as unknown as TypedError);
}

function errorOfResult(error: TypedError): CliError {
  const details = { code: error.__typename, ...(error.field !== undefined && { field: error.field }) };
  switch (error.__typename) {
    case "ValidationError":
      return new CliError(error.message, exitCodes.usage, { ...details, fieldErrors: error.fieldErrors ?? [], summary: "the server refused the input" });
    case "NotFoundError":
      return new CliError(error.message, exitCodes.notFound, { ...details, id: error.id });
    case "InUseError":
      return new CliError(error.message, exitCodes.failure, { ...details, usedBy: error.usedBy });
    case "ConfirmationRequiredError":
      return new CliError(`${error.message}; repeat with --confirm`, exitCodes.failure, { ...details, taskNames: error.taskNames });
    default:
      return new CliError(error.message, exitCodes.failure, details);
  }
}
