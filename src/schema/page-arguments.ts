// Refuses, before an operation runs, a connection asked for a page it cannot give: a negative
// `first` or `last`, `first` with `last` (Relay advises against it, and the page would be the
// `last` of it), `before` with `after`, `before` with `first`, `after` with `last` (pages go one
// way from one cursor). One BAD_USER_INPUT error per connection names its arguments; over HTTP
// the answer is a 400. (A cursor the connection never handed out is found when it is decoded.)
import {
  getArgumentValues,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  separateOperations,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type ExecutionArgs,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import type { FieldIssue } from "../domain/errors.js";
import { refuseBeforeExecution } from "../http/refuse-before-execution.js";

const pageArgumentNames = ["first", "last", "after", "before"];
/** Arguments that cannot go together, the second named as the wrong one. */
const exclusive = [
  ["first", "last"],
  ["after", "before"],
  ["before", "first"],
  ["after", "last"],
] as const;

export function pageArgumentsCheck(): Plugin {
  return refuseBeforeExecution((args) => {
    const errors = pageArgumentErrors(args);
    return errors.length > 0 ? { errors } : null;
  });
}

function pageArgumentErrors(args: ExecutionArgs): GraphQLError[] {
  const operation = getOperationAST(args.document, args.operationName);
  if (!operation) return [];
  const document = separateOperations(args.document)[operation.name?.value ?? ""];
  const variables = getVariableValues(args.schema, operation.variableDefinitions ?? [], args.variableValues ?? {});
  // Variables that do not fit: refused before this (variable-coercion.ts).
  if (!document || variables.errors) return [];
  const typeInfo = new TypeInfo(args.schema);
  const errors: GraphQLError[] = [];
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const field = typeInfo.getFieldDef();
        if (!field || !pageArgumentNames.every((name) => field.args.some((argument) => argument.name === name))) return;
        const values = getArgumentValues(field, node, variables.coerced);
        const issues = pageIssues(values);
        if (issues.length === 0) return;
        errors.push(
          new GraphQLError(`Invalid page of ${field.name}: ${issues.map((issue) => `${issue.field} ${issue.message}`).join("; ")}.`, {
            nodes: [node],
            extensions: { code: "BAD_USER_INPUT", fieldErrors: issues, http: { status: 400 } },
          }),
        );
      },
    }),
  );
  return errors;
}

function pageIssues(values: Record<string, unknown>): FieldIssue[] {
  const given = (name: string) => values[name] !== undefined && values[name] !== null;
  const issues: FieldIssue[] = [];
  for (const name of ["first", "last"]) {
    if (typeof values[name] === "number" && values[name] < 0) issues.push({ field: name, message: "must not be negative" });
  }
  for (const [one, other] of exclusive) {
    if (given(one) && given(other)) issues.push({ field: other, message: `cannot be given with ${one}` });
  }
  return issues;
}
