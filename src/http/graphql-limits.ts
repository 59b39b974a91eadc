// Limits against abusive queries, applied to HTTP and websocket operations alike (both go
// through Yoga's envelop pipeline).
import { maxAliasesPlugin } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthPlugin } from "@escape.tech/graphql-armor-max-depth";
import { maxDirectivesPlugin } from "@escape.tech/graphql-armor-max-directives";
import { maxTokensPlugin } from "@escape.tech/graphql-armor-max-tokens";
import { useCSRFPrevention } from "@graphql-yoga/plugin-csrf-prevention";
import { getOperationAST, getVariableValues, NoSchemaIntrospectionCustomRule, type ExecutionArgs, GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Config } from "../config.js";
import { listLengthLimit } from "../schema/list-limits.js";
import { queryCostLimit } from "../schema/query-cost.js";

export function graphqlLimits(limits: Config["graphql"]): Plugin[] {
  const plugins: Plugin[] = [
    // Browsers send JSON POSTs only after a CORS preflight; anything a form or an <img> could send needs this header.
    useCSRFPrevention({ requestHeaders: ["x-cronline-csrf", "x-graphql-yoga-csrf"] }),
    maxTokensPlugin({ n: limits.maxTokens, ...rejectWithCode("TOO_MANY_TOKENS") }),
    maxDepthPlugin({ n: limits.maxDepth, flattenFragments: true, ...rejectWithCode("QUERY_TOO_DEEP") }),
    maxAliasesPlugin({ n: limits.maxAliases, ...rejectWithCode("TOO_MANY_ALIASES") }),
    maxDirectivesPlugin({ n: 50, ...rejectWithCode("TOO_MANY_DIRECTIVES") }),
    // Lists first: the cost computation coerces (and decodes) every item of the lists it is given.
    listLengthLimit(),
    queryCostLimit(limits.maxCost),
  ];
  // Suggestions name parts of the schema: helpful while the schema is public, a leak once it is not.
  if (!limits.introspection) {
    plugins.push({ onValidate: ({ addValidationRule }) => addValidationRule(NoSchemaIntrospectionCustomRule) }, hideSuggestions);
  }
  return plugins;
}

/**
 * GraphQL Armor's refusals carry no code; its onReject hook runs before it throws its own
 * error, so throwing there hands the client the same message with extensions.code.
 */
function rejectWithCode(code: string) {
  return {
    onReject: [
      (_context: unknown, error: GraphQLError) => {
        throw new GraphQLError(error.message, { extensions: { code } });
      },
    ],
  };
}

/**
 * With introspection off, no "Did you mean ...?" in any error: graphql-js's own switch, for validation (fields, enum
 * values, arguments, input fields in the document) and for the coercion of variables, the only
 * place execution makes suggestions. Variables are coerced here, before any executor or
 * subscribe function (Yoga's, or the shared subscription results') sees them, so none of those
 * needs the switch: with variables that fit, their own coercion has nothing to suggest.
 */
const hideSuggestions: Plugin = {
  onValidate: ({ validateFn, setValidationFn }) => {
    setValidationFn((schema, document, rules) => validateFn(schema, document, rules, { hideSuggestions: true }));
  },
  onExecute: ({ args, setResultAndStopExecution }) => {
    const errors = variableErrors(args);
    if (errors) setResultAndStopExecution({ errors });
  },
  onSubscribe: ({ args, setResultAndStopExecution }) => {
    const errors = variableErrors(args);
    if (errors) setResultAndStopExecution({ errors });
  },
};

/** Variables coerced by graphql-js with its hideSuggestions switch; their errors, if any. */
function variableErrors(args: ExecutionArgs): readonly GraphQLError[] | undefined {
  const operation = getOperationAST(args.document, args.operationName);
  if (!operation) return undefined;
  const coerced = getVariableValues(args.schema, operation.variableDefinitions ?? [], args.variableValues ?? {}, { hideSuggestions: true });
  // A request error, answered with HTTP 400 as Yoga's executor answers it.
  return coerced.errors?.map((error) => new GraphQLError(error.message, { nodes: error.nodes, extensions: { ...error.extensions, http: { status: 400 } } }));
}
