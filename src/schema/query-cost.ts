// The cost of an operation (GRAPHQL_MAX_COST): @pothos/plugin-complexity's calculation, with
// pages counted at the size the request really asks for, variables and defaults included.
import { complexityFromQuery, type FieldComplexityValue } from "@pothos/plugin-complexity";
import { getNamedType, getNullableType, getOperationAST, GraphQLError, isListType, Kind, type DocumentNode, type GraphQLField } from "graphql";
import type { Plugin } from "graphql-yoga";
import { refuseBeforeExecution } from "../http/refuse-before-execution.js";

/** Rows of a connection page when neither first nor last is given, and the most a page holds. */
export const defaultPageSize = 20;
export const maxPageSize = 100;
/** What a list that is not a page (targetDevices, members) is assumed to hold. */
const otherListSize = 10;
/**
 * What each instant previewSchedule computes costs: a search through the schedule (about
 * 0.15 ms for a cron or calendar schedule, the time of reading some hundred fields), so that
 * an operation of many large previews is refused like any other too costly one.
 */
export const previewInstantCost = 100;

/**
 * Every field costs 1; a field's selections count once per row it can return: the page size
 * of a connection (first or last, else the default, at most maxPageSize), one per id of
 * `nodes`, otherListSize for other lists. previewSchedule prices itself (previewInstantCost).
 */
export function fieldCost<Context>(args: Record<string, unknown>, _context: Context, field: GraphQLField<unknown, Context>): FieldComplexityValue {
  if (field.args.some((arg) => arg.name === "first")) {
    const requested = typeof args.first === "number" ? args.first : typeof args.last === "number" ? args.last : defaultPageSize;
    return { field: 1, multiplier: Math.min(Math.max(requested, 0), maxPageSize) };
  }
  if (Array.isArray(args.ids)) return { field: 1, multiplier: args.ids.length };
  if (isListType(getNullableType(field.type))) {
    // A connection's edges are its page, already counted by the connection.
    return { field: 1, multiplier: getNamedType(field.type).name.endsWith("Edge") ? 1 : otherListSize };
  }
  return 1;
}

/** The cost computed for each execution, for those that meter it (execution-admission.ts). */
const costsComputed = new WeakMap<object, number>();

/** What queryCostLimit computed for this execution's arguments, if it did. */
export function computedCost(args: object): number | undefined {
  return costsComputed.get(args);
}

/**
 * Refuses an operation costing more than maxCost before it runs, over HTTP and websocket.
 * Checked when execution starts, not during validation: the cost depends on the variables,
 * and validation results are cached per document.
 */
export function queryCostLimit(maxCost: number): Plugin {
  const check = (args: { schema: Parameters<typeof complexityFromQuery>[1]["schema"]; document: DocumentNode; operationName?: string | null; variableValues?: unknown; contextValue?: unknown }) => {
    const operation = getOperationAST(args.document, args.operationName);
    // No such operation: execution refuses it with the proper error.
    if (!operation) return null;
    const onlyThisOperation: DocumentNode = {
      ...args.document,
      definitions: args.document.definitions.filter((definition) => definition.kind !== Kind.OPERATION_DEFINITION || definition === operation),
    };
    let cost: number;
    try {
      cost = complexityFromQuery(onlyThisOperation, {
        schema: args.schema,
        ctx: (args.contextValue ?? {}) as object,
        variables: (args.variableValues ?? {}) as Record<string, unknown>,
      }).complexity;
    } catch (error) {
      // Variables that do not fit the operation: execution refuses them before anything runs.
      if (error instanceof GraphQLError) return null;
      throw error;
    }
    costsComputed.set(args, cost);
    if (cost <= maxCost) return null;
    return {
      // A request error like the other limits' (refused before anything runs): HTTP 400.
      errors: [new GraphQLError(`Query cost limit of ${maxCost} exceeded, found ${cost}.`, { extensions: { code: "QUERY_TOO_COMPLEX", cost, maxCost, http: { status: 400 } } })],
    };
  };
  return refuseBeforeExecution(check);
}
