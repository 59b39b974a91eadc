// Refuses an operation from a caller without a usable token before anything is done with it:
// its lists are not measured, its cost not computed, no resolver runs. What an anonymous
// caller sends costs no more than parsing and validating a document within GraphQL Armor's
// limits. Every field of the schema needs a role; only introspection needs no token (the
// schema is public anyway, as schema.graphql, and GraphiQL reads it before a token is set).
import { getOperationAST, Kind, type DocumentNode, type ExecutionArgs, type FragmentDefinitionNode, type SelectionSetNode } from "graphql";
import type { Plugin } from "graphql-yoga";
import { refuseBeforeExecution } from "./refuse-before-execution.js";
import type { Context } from "../context.js";
import { unauthenticatedError } from "../schema/unauthenticated.js";

export function requireAuthentication(): Plugin {
  const check = (args: ExecutionArgs) => {
    const { principal, authProblem } = args.contextValue as Pick<Context, "principal" | "authProblem">;
    if (principal) return null;
    const operation = getOperationAST(args.document, args.operationName);
    // No such operation: execution refuses it with the proper error.
    if (!operation || onlyIntrospection(operation.selectionSet, fragmentsOf(args.document))) return null;
    return { errors: [unauthenticatedError(authProblem)] };
  };
  return refuseBeforeExecution(check);
}

const fragmentsOf = (document: DocumentNode): Map<string, FragmentDefinitionNode> =>
  new Map(document.definitions.flatMap((definition) => (definition.kind === Kind.FRAGMENT_DEFINITION ? [[definition.name.value, definition]] : [])));

/** Whether every root field selected is __schema, __type or __typename (fragments are acyclic: validation saw to that). */
function onlyIntrospection(selectionSet: SelectionSetNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>): boolean {
  return selectionSet.selections.every((selection) => {
    if (selection.kind === Kind.FIELD) return selection.name.value.startsWith("__");
    const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
    return fragment === undefined || onlyIntrospection(fragment.selectionSet, fragments);
  });
}
