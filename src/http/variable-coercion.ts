// An operation's variables are coerced to their types before it runs, over HTTP and websocket,
// and one that does not fit is refused with BAD_USER_INPUT and HTTP 400 (graphql-js's own
// refusal has no code). With introspection off, the errors suggest no names (graphql-js's
// hideSuggestions switch): coercing variables is the only place execution makes suggestions,
// and here is before any executor or subscribe function (Yoga's, or the shared subscription
// results') sees them, so none of those needs the switch.
import { getOperationAST, getVariableValues, GraphQLError, type ExecutionArgs } from "graphql";
import type { Plugin } from "graphql-yoga";
import { refuseBeforeExecution } from "./refuse-before-execution.js";

export function variableCoercion(options: { hideSuggestions: boolean }): Plugin {
  return refuseBeforeExecution((args) => {
    const errors = variableErrors(args, options.hideSuggestions);
    return errors ? { errors } : null;
  });
}

function variableErrors(args: ExecutionArgs, hideSuggestions: boolean): GraphQLError[] | undefined {
  const operation = getOperationAST(args.document, args.operationName);
  // No such operation: execution refuses it with the proper error.
  if (!operation) return undefined;
  const coerced = getVariableValues(args.schema, operation.variableDefinitions ?? [], args.variableValues ?? {}, { hideSuggestions });
  return coerced.errors?.map((error) => new GraphQLError(error.message, { nodes: error.nodes, extensions: { code: "BAD_USER_INPUT", http: { status: 400 } } }));
}
