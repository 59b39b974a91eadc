import { builder } from "../builder.js";
import { ConfirmationRequiredError, ConflictError, InUseError, NotFoundError, StateError, ValidationError, type FieldIssue } from "../domain/errors.js";

const ErrorInterface = builder.interfaceRef<Error>("Error").implement({
  description: "A problem with the request that the caller can fix.",
  fields: (t) => ({ message: t.exposeString("message") }),
});

const FieldErrorRef = builder.objectRef<FieldIssue>("FieldError").implement({
  fields: (t) => ({
    field: t.exposeString("field", { description: "Dotted path of the input field, e.g. `input.tags.2`." }),
    message: t.exposeString("message"),
  }),
});

builder.objectType(ValidationError, {
  name: "ValidationError",
  description: "One or more input fields are invalid; nothing was written.",
  interfaces: [ErrorInterface],
  fields: (t) => ({ fieldErrors: t.field({ type: [FieldErrorRef], resolve: (error) => error.issues }) }),
});

builder.objectType(NotFoundError, {
  name: "NotFoundError",
  description: "An id in the input names nothing; nothing was written.",
  interfaces: [ErrorInterface],
  fields: (t) => ({ field: t.exposeString("field"), id: t.exposeString("id") }),
});

builder.objectType(ConflictError, {
  name: "ConflictError",
  description: "The input clashes with existing data, e.g. a name already taken; nothing was written.",
  interfaces: [ErrorInterface],
  fields: (t) => ({ field: t.exposeString("field") }),
});

builder.objectType(InUseError, {
  name: "InUseError",
  description: "The object is still referred to by others and cannot be deleted.",
  interfaces: [ErrorInterface],
  fields: (t) => ({ field: t.exposeString("field"), usedBy: t.exposeStringList("usedBy") }),
});

builder.objectType(StateError, {
  name: "StateError",
  description: "The object is in a state the operation does not apply to; nothing was changed.",
  interfaces: [ErrorInterface],
  fields: (t) => ({ field: t.exposeString("field") }),
});

builder.objectType(ConfirmationRequiredError, {
  name: "ConfirmationRequiredError",
  description: "A task (or its service) is marked dangerous: repeat with confirm: true. Nothing ran.",
  interfaces: [ErrorInterface],
  fields: (t) => ({ taskNames: t.exposeStringList("taskNames") }),
});

/** The typed errors of a mutation that writes an entity with references. */
export const writeErrors = [ValidationError, NotFoundError, ConflictError];
export const deleteErrors = [ValidationError, NotFoundError, InUseError];
