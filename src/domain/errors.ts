// Errors a caller can act on. The GraphQL layer turns each into a typed error object that
// names the offending field; anything else is an internal fault and is masked.

export interface FieldIssue {
  /** Dotted path of the argument field, e.g. `input.properties` or `input.tags.2`. */
  field: string;
  message: string;
}

export class ValidationError extends Error {
  constructor(readonly issues: FieldIssue[]) {
    super(issues.map((issue) => `${issue.field}: ${issue.message}`).join("; "));
    this.name = "ValidationError";
  }

  static of(field: string, message: string): ValidationError {
    return new ValidationError([{ field, message }]);
  }
}

export class NotFoundError extends Error {
  constructor(
    readonly field: string,
    readonly id: string,
    readonly typeName: string,
  ) {
    super(`${field}: no ${typeName} with id ${id}`);
    this.name = "NotFoundError";
  }
}

export class ConflictError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = "ConflictError";
  }
}

export class InUseError extends Error {
  constructor(
    readonly field: string,
    readonly usedBy: string[],
    what: string,
  ) {
    super(`${field}: ${what} is still used by ${usedBy.join(", ")}`);
    this.name = "InUseError";
  }
}

export class ConfirmationRequiredError extends Error {
  constructor(readonly taskNames: string[]) {
    super(`confirm: running ${taskNames.map((n) => JSON.stringify(n)).join(", ")} needs confirm: true`);
    this.name = "ConfirmationRequiredError";
  }
}

/** The object is in a state the operation does not apply to (e.g. pausing a completed task). */
export class StateError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = "StateError";
  }
}
