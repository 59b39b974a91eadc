// Refuses an operation whose input is too large before it runs, over HTTP and websocket: a
// list longer than its maximum (list-limits.ts), or a JSON value nested deeper or larger than
// jsonInputLimits, written in the document or passed as a variable, however deep in an input.
// One BAD_USER_INPUT error per value names it and its limit. An oversized list is refused on
// its length alone: none of its items is looked at.
import {
  getOperationAST,
  GraphQLError,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  Kind,
  separateOperations,
  TypeInfo,
  valueFromASTUntyped,
  visit,
  visitWithTypeInfo,
  type ExecutionArgs,
  type GraphQLInputType,
  type ValueNode,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import { jsonShapeProblem } from "../domain/json-shape.js";
import { refuseBeforeExecution } from "../http/refuse-before-execution.js";
import { maxItemsOf } from "./list-limits.js";

/** Marks a scalar whose values are JSON (JSONObject): its values are held to jsonInputLimits. */
export const jsonScalarExtensions = { jsonValue: true } as const;

/** An input value over its limit: where it is (`input.tags`), and what is wrong with it. */
type Oversize = { path: string[]; issue: string } & ({ kind: "list"; length: number; maxItems: number } | { kind: "json" });

/** The error's message: `where` is the value's path, `fieldName` the field it is an argument of. */
function headline(oversize: Oversize, where: string, fieldName: string): string {
  return oversize.kind === "list"
    ? `Too many items in "${where}" of ${fieldName}: ${oversize.length}, at most ${oversize.maxItems}.`
    : `Too large a JSON value in "${where}" of ${fieldName}: ${oversize.issue}.`;
}

export function inputSizeLimits(): Plugin {
  return refuseBeforeExecution((args) => {
    const errors = oversizeErrors(args);
    return errors.length > 0 ? { errors } : null;
  });
}

function oversizeErrors(args: ExecutionArgs): GraphQLError[] {
  const operation = getOperationAST(args.document, args.operationName);
  // No such operation: execution refuses it with the proper error.
  if (!operation) return [];
  // The operation with the fragments it uses, and nothing else.
  const document = separateOperations(args.document)[operation.name?.value ?? ""];
  if (!document) return [];
  const variables: Variables = {
    given: args.variableValues ?? {},
    defaults: new Map(operation.variableDefinitions?.map((definition) => [definition.variable.name.value, definition.defaultValue])),
  };
  const typeInfo = new TypeInfo(args.schema);
  const errors: GraphQLError[] = [];
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Argument(node) {
        const argument = typeInfo.getArgument();
        const field = typeInfo.getFieldDef();
        // Directives' arguments (@skip, @include) hold no lists and no JSON.
        if (!argument || !field || typeInfo.getDirective()) return false;
        for (const oversize of oversized(rawValue(node.value, variables), argument.type, maxItemsOf(argument), [argument.name])) {
          const where = oversize.path.join(".");
          errors.push(
            new GraphQLError(headline(oversize, where, field.name), {
              nodes: [node],
              extensions: {
                code: "BAD_USER_INPUT",
                fieldErrors: [{ field: where, message: oversize.issue }],
                ...(oversize.kind === "list" && { maxItems: oversize.maxItems }),
                // A request error like the other limits' (refused before anything runs): HTTP 400.
                http: { status: 400 },
              },
            }),
          );
        }
        return false;
      },
    }),
  );
  return errors;
}

/** The operation's variables as sent, and the defaults of its variable definitions. */
interface Variables {
  given: Readonly<Record<string, unknown>>;
  defaults: ReadonlyMap<string, ValueNode | undefined>;
}

/**
 * A value written in the document as the JSON a client would send for it, with the variables
 * it uses as they were sent (not copied, not coerced). Document values are small (GraphQL
 * Armor's token limit) and shallow (the document nesting limit).
 */
function rawValue(node: ValueNode, variables: Variables): unknown {
  if (node.kind === Kind.VARIABLE) {
    const name = node.name.value;
    if (Object.hasOwn(variables.given, name)) return variables.given[name];
    const fallback = variables.defaults.get(name);
    return fallback ? rawValue(fallback, variables) : undefined;
  }
  if (node.kind === Kind.LIST) return node.values.map((item) => rawValue(item, variables));
  if (node.kind === Kind.OBJECT) return Object.fromEntries(node.fields.map((field) => [field.name.value, rawValue(field.value, variables)]));
  return valueFromASTUntyped(node);
}

/**
 * The values over their limit in `value`, given for `type`. `max` is the maximum of the argument
 * or input field the value is given for (and of the lists nested in it, if any).
 */
function oversized(value: unknown, type: GraphQLInputType, max: number | undefined, path: string[]): Oversize[] {
  const nullable = isNonNullType(type) ? type.ofType : type;
  if (isListType(nullable)) {
    // A single value where a list goes is a list of one.
    if (!Array.isArray(value)) return oversized(value, nullable.ofType, max, path);
    if (max !== undefined && value.length > max) return [{ kind: "list", path, issue: `must have at most ${max} items`, length: value.length, maxItems: max }];
    return value.flatMap((item, index) => oversized(item, nullable.ofType, max, [...path, String(index)]));
  }
  if (isInputObjectType(nullable) && typeof value === "object" && value !== null && !Array.isArray(value)) {
    const fields = nullable.getFields();
    return Object.entries(value).flatMap(([name, item]) => {
      const definition = fields[name];
      return definition ? oversized(item, definition.type, maxItemsOf(definition), [...path, name]) : [];
    });
  }
  if (isScalarType(nullable) && nullable.extensions.jsonValue === true) {
    const issue = jsonShapeProblem(value);
    return issue ? [{ kind: "json", path, issue }] : [];
  }
  return [];
}
