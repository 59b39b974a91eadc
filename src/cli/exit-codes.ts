// What the `cronline` command's exit code says, so that a script can tell failures apart, and
// the error that carries one from wherever it is found to the command's end.

export const exitCodes = {
  ok: 0,
  /** Anything else: the server refused for another reason (a conflict, a state), the run failed, the server is unreachable. */
  failure: 1,
  /** A mistake in the command line, or input the API (or the file's own checks) found invalid. */
  usage: 2,
  notFound: 3,
  /** No usable token, or a role too weak for the operation. */
  forbidden: 4,
} as const;

export type ExitCode = (typeof exitCodes)[keyof typeof exitCodes];

export interface FieldProblem {
  /** Dotted path, as the API names it (`input.tags.1`) or as the file does (`tasks.2.schedule`). */
  field: string;
  message: string;
}

/** A failure to report to the user: its message, the API's code and field paths, and the exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    /** `summary`: the message without the fields, said before them on a terminal. */
    readonly details: { code?: string; fieldErrors?: FieldProblem[]; summary?: string; [key: string]: unknown } = {},
  ) {
    super(message);
    this.name = "CliError";
  }
}
