// The most items every list argument and list input field may hold. GraphQL Armor bounds the
// document, not the variables, so each list carries its maximum (the `maxItems` extension, also
// stated in its description) and the lists an operation is given, written in the document or
// passed as variables, are measured before its cost is computed or anything runs.
import {
  getOperationAST,
  GraphQLError,
  isInputObjectType,
  isListType,
  isNonNullType,
  Kind,
  separateOperations,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type ExecutionArgs,
  type GraphQLInputType,
  type ValueNode,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import { refuseBeforeExecution } from "../http/refuse-before-execution.js";
import { limits } from "../domain/input-rules.js";

/** The maximums shared by several lists. */
export const listMaxima = {
  /** `nodes(ids:)`: each id is an object to load. */
  nodeIds: 100,
  /** Ids an object refers to (targets, members) or a filter names. */
  ids: limits.idsPerList,
  /** Tags of a device, pool, service or task, or a pool rule's. */
  tags: limits.tagsPerEntity,
  /** Tags a live view's filter names. */
  filterTags: limits.tagsPerFilter,
  excludedDates: limits.excludedDates,
} as const;

/**
 * Options of a list argument or input field holding at most `max` items: the limit, and the
 * sentence that documents it in schema.graphql.
 */
export function maxItems(max: number, description?: string): { description: string; extensions: { maxItems: number } } {
  return { description: [description, `At most ${max} items.`].filter(Boolean).join(" "), extensions: { maxItems: max } };
}

/** The maximum of an argument or input field, if it is a list that has one. */
export function maxItemsOf(definition: { extensions: Readonly<Record<string, unknown>> }): number | undefined {
  const max = definition.extensions.maxItems;
  return typeof max === "number" ? max : undefined;
}

/** A list longer than its maximum: where it is (`input.tags`), its length and the maximum. */
interface TooLong {
  path: string[];
  length: number;
  max: number;
}

/**
 * Refuses an operation with a list over its maximum before it runs, over HTTP and websocket,
 * with a BAD_USER_INPUT error per list naming it and its maximum. An oversized list is refused
 * on its length alone: none of its items is looked at.
 */
export function listLengthLimit(): Plugin {
  const check = (args: ExecutionArgs) => {
    const errors = listLengthErrors(args);
    return errors.length > 0 ? { errors } : null;
  };
  return refuseBeforeExecution(check);
}

function listLengthErrors(args: ExecutionArgs): GraphQLError[] {
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
        // Directives' arguments (@skip, @include) hold no lists.
        if (!argument || !field || typeInfo.getDirective()) return false;
        for (const { path, length, max } of inLiteral(node.value, argument.type, maxItemsOf(argument), [argument.name], variables)) {
          const where = path.join(".");
          errors.push(
            new GraphQLError(`Too many items in "${where}" of ${field.name}: ${length}, at most ${max}.`, {
              nodes: [node],
              // A request error like the other limits' (refused before anything runs): HTTP 400.
              extensions: { code: "BAD_USER_INPUT", fieldErrors: [{ field: where, message: `must have at most ${max} items` }], maxItems: max, http: { status: 400 } },
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
 * The lists over their maximum in a value written in the document. `max` is the maximum of the
 * argument or input field the value is given for (and of the lists nested in it, if any).
 */
function inLiteral(node: ValueNode, type: GraphQLInputType, max: number | undefined, path: string[], variables: Variables): TooLong[] {
  if (node.kind === Kind.VARIABLE) {
    const name = node.name.value;
    if (Object.hasOwn(variables.given, name)) return inValue(variables.given[name], type, max, path);
    const fallback = variables.defaults.get(name);
    return fallback ? inLiteral(fallback, type, max, path, variables) : [];
  }
  const nullable = isNonNullType(type) ? type.ofType : type;
  if (isListType(nullable)) {
    // A single value where a list goes is a list of one.
    if (node.kind !== Kind.LIST) return inLiteral(node, nullable.ofType, max, path, variables);
    if (max !== undefined && node.values.length > max) return [{ path, length: node.values.length, max }];
    return node.values.flatMap((item, index) => inLiteral(item, nullable.ofType, max, [...path, String(index)], variables));
  }
  if (isInputObjectType(nullable) && node.kind === Kind.OBJECT) {
    const fields = nullable.getFields();
    return node.fields.flatMap((field) => {
      const definition = fields[field.name.value];
      return definition ? inLiteral(field.value, definition.type, maxItemsOf(definition), [...path, field.name.value], variables) : [];
    });
  }
  return [];
}

/** The same for a value passed as a variable (JSON as the client sent it, not yet coerced). */
function inValue(value: unknown, type: GraphQLInputType, max: number | undefined, path: string[]): TooLong[] {
  const nullable = isNonNullType(type) ? type.ofType : type;
  if (isListType(nullable)) {
    if (!Array.isArray(value)) return inValue(value, nullable.ofType, max, path);
    if (max !== undefined && value.length > max) return [{ path, length: value.length, max }];
    return value.flatMap((item, index) => inValue(item, nullable.ofType, max, [...path, String(index)]));
  }
  if (isInputObjectType(nullable) && typeof value === "object" && value !== null && !Array.isArray(value)) {
    const fields = nullable.getFields();
    return Object.entries(value).flatMap(([name, item]) => {
      const definition = fields[name];
      return definition ? inValue(item, definition.type, maxItemsOf(definition), [...path, name]) : [];
    });
  }
  return [];
}
