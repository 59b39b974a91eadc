// Limits against abusive queries, applied to HTTP and websocket operations alike (both go
// through Yoga's envelop pipeline).
import { maxAliasesPlugin } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthPlugin } from "@escape.tech/graphql-armor-max-depth";
import { maxDirectivesPlugin } from "@escape.tech/graphql-armor-max-directives";
import { maxTokensPlugin } from "@escape.tech/graphql-armor-max-tokens";
import { GraphQLError, NoSchemaIntrospectionCustomRule } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Config } from "../config.js";
import { jsonInputLimits } from "../domain/json-shape.js";
import { inputSizeLimits } from "../schema/input-limits.js";
import { pageArgumentsCheck } from "../schema/page-arguments.js";
import { queryCostLimit } from "../schema/query-cost.js";
import { documentNestingLimit } from "./document-nesting.js";
import { csrfPrevention } from "./request-parsing.js";
import { variableCoercion } from "./variable-coercion.js";

/**
 * How deep a document's brackets may nest: the deepest selection the depth limit allows, with
 * room for arguments, input objects and a JSON value as deep as it may be.
 */
export const documentNesting = (maxDepth: number) => maxDepth + jsonInputLimits.depth + 32;

export function graphqlLimits(limits: Config["graphql"]): Plugin[] {
  return [
    csrfPrevention(["x-cronline-csrf", "x-graphql-yoga-csrf"]),
    maxTokensPlugin({ n: limits.maxTokens, ...rejectWithCode("TOO_MANY_TOKENS") }),
    documentNestingLimit(documentNesting(limits.maxDepth), limits.maxTokens),
    maxDepthPlugin({ n: limits.maxDepth, flattenFragments: true, ...rejectWithCode("QUERY_TOO_DEEP") }),
    maxAliasesPlugin({ n: limits.maxAliases, ...rejectWithCode("TOO_MANY_ALIASES") }),
    maxDirectivesPlugin({ n: 50, ...rejectWithCode("TOO_MANY_DIRECTIVES") }),
    // Sizes first, on the values as sent: coercing the variables, and the cost computation,
    // go through every item of the lists and every level of the JSON values they are given.
    inputSizeLimits(),
    // Suggestions name parts of the schema: helpful while the schema is public, a leak once it is not.
    variableCoercion({ hideSuggestions: !limits.introspection }),
    pageArgumentsCheck(),
    queryCostLimit(limits.maxCost),
    ...(limits.introspection ? [] : [noIntrospection]),
  ];
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
 * With introspection off, no introspection, and no "Did you mean ...?" in validation errors
 * (fields, enum values, arguments, input fields in the document): graphql-js's own switch.
 * Variables are coerced with the same switch (variable-coercion.ts).
 */
const noIntrospection: Plugin = {
  onValidate: ({ addValidationRule, validateFn, setValidationFn }) => {
    addValidationRule(NoSchemaIntrospectionCustomRule);
    setValidationFn((schema, document, rules) => validateFn(schema, document, rules, { hideSuggestions: true }));
  },
};
