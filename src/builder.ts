import SchemaBuilder from "@pothos/core";
import ComplexityPlugin from "@pothos/plugin-complexity";
import ErrorsPlugin from "@pothos/plugin-errors";
import PrismaPlugin from "@pothos/plugin-prisma";
import RelayPlugin from "@pothos/plugin-relay";
import ScopeAuthPlugin, { AuthScopeFailureType, type AuthFailure } from "@pothos/plugin-scope-auth";
import { GraphQLError } from "graphql";
import { roleAllows, roles, type Role } from "./auth/tokens.js";
import { DateTimeResolver, JSONObjectResolver } from "graphql-scalars";
import type { Context } from "./context.js";
import type PrismaTypes from "./generated/pothos-types.js";
import { getDatamodel } from "./generated/pothos-types.js";
import { limits } from "./domain/input-rules.js";
import { jsonInputLimits } from "./domain/json-shape.js";
import { jsonScalarExtensions } from "./schema/input-limits.js";
import { listMaxima, maxItems } from "./schema/list-limits.js";
import { defaultPageSize, fieldCost, maxPageSize } from "./schema/query-cost.js";
import { unauthenticatedError } from "./schema/unauthenticated.js";

const capitalize = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  DefaultFieldNullability: false;
  AuthScopes: { viewer: boolean; operator: boolean; admin: boolean };
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSONObject: { Input: Record<string, unknown>; Output: unknown };
  };
}>({
  // The errors plugin must come before the prisma plugin to wrap its fields.
  // Scope auth first, so no other plugin's wrapper runs before the request is authorized.
  plugins: [ScopeAuthPlugin, ComplexityPlugin, ErrorsPlugin, PrismaPlugin, RelayPlugin],
  scopeAuth: {
    // Subscriptions are checked when they are opened, not only when their events resolve.
    authorizeOnSubscribe: true,
    authScopes: (ctx) => {
      const has = (role: Role) => ctx.principal !== null && roleAllows(ctx.principal.role, role);
      return { viewer: has("VIEWER"), operator: has("OPERATOR"), admin: has("ADMIN") };
    },
    unauthorizedError: (_parent, ctx, info, result) => unauthorized(ctx, info.fieldName, result.failure),
  },
  defaultFieldNullability: false,
  complexity: {
    fieldComplexity: fieldCost,
    // The limit is checked once before execution (queryCostLimit), where the selected operation
    // and its variables are known, not again in every root field's resolver.
    disabled: true,
  },
  prisma: {
    client: (ctx) => ctx.db,
    defaultConnectionSize: defaultPageSize,
    maxConnectionSize: maxPageSize,
    dmmf: getDatamodel(),
    filterConnectionTotalCount: true,
  },
  relay: {
    clientMutationId: "omit",
    cursorType: "String",
    nodesQueryOptions: { args: { ids: maxItems(listMaxima.nodeIds) } },
  },
  errors: {
    defaultResultOptions: { name: ({ fieldName }) => `${capitalize(fieldName)}Success` },
    defaultUnionOptions: { name: ({ fieldName }) => `${capitalize(fieldName)}Result` },
  },
});

function unauthorized(ctx: Context, fieldName: string, failure: AuthFailure): GraphQLError {
  if (ctx.principal === null) return unauthenticatedError(ctx.authProblem);
  // Any one of the scopes that failed would have done: the lowest role granting one is needed.
  const failed = failedScopes(failure);
  const needed = roles.find((role) => failed.includes(role.toLowerCase())) ?? "ADMIN";
  return new GraphQLError(`Forbidden: ${fieldName} needs the ${needed} role; token "${ctx.principal.name}" is ${ctx.principal.role}`, {
    extensions: { code: "FORBIDDEN", requiredRole: needed },
  });
}

function failedScopes(failure: AuthFailure): string[] {
  if (failure.kind === AuthScopeFailureType.AuthScope) return [failure.scope];
  if (failure.kind === AuthScopeFailureType.AnyAuthScopes || failure.kind === AuthScopeFailureType.AllAuthScopes) return failure.failures.flatMap(failedScopes);
  return [];
}

/** Options for a mutation an OPERATOR may call (pause, resume, run, cancel); other mutations need ADMIN. */
export const operatorMutation = { skipTypeScopes: true, authScopes: { operator: true } } as const;

// Every query and subscription needs at least VIEWER; every mutation ADMIN unless it says otherwise.
builder.queryType({ authScopes: { viewer: true } });
builder.mutationType({ authScopes: { admin: true } });
builder.subscriptionType({ authScopes: { viewer: true } });
builder.addScalarType("DateTime", DateTimeResolver);
builder.addScalarType("JSONObject", JSONObjectResolver, {
  description: `A JSON object (ECMA-404). As input, nested at most ${jsonInputLimits.depth} levels deep and at most ${jsonInputLimits.bytes / 1024} KiB as JSON; a device's properties, a service's config and default payload and a task's payload are stored up to ${limits.jsonBytes / 1024} KiB.`,
  extensions: jsonScalarExtensions,
});
