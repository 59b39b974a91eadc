import { builder } from "../builder.js";
import { createApiToken, revokeApiToken, roles, type CreatedToken } from "../auth/tokens.js";
import { ConflictError, NotFoundError, ValidationError } from "../domain/errors.js";
import { withSelection } from "./prisma-query.js";

export const ApiTokenRole = builder.enumType("ApiTokenRole", {
  description: "VIEWER: queries and subscriptions. OPERATOR: also pause, resume, run and cancel. ADMIN: everything, tokens included.",
  values: roles,
});

export const ApiToken = builder.prismaObject("ApiToken", {
  description: "A bearer token for the API. Its secret was shown once, when it was created; only its hash is stored.",
  // Only ADMIN tokens see tokens, however they are reached.
  authScopes: { admin: true },
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    role: t.field({ type: ApiTokenRole, select: { role: true }, resolve: (token) => token.role as (typeof roles)[number] }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    createdBy: t.exposeString("createdBy", { nullable: true, description: "Name of the token that created it; null from the command line or the bootstrap." }),
    expiresAt: t.expose("expiresAt", { type: "DateTime", nullable: true }),
    revokedAt: t.expose("revokedAt", { type: "DateTime", nullable: true }),
    lastUsedAt: t.expose("lastUsedAt", { type: "DateTime", nullable: true, description: "Updated at most once a minute." }),
  }),
});

const NewApiToken = builder.objectRef<CreatedToken>("NewApiToken").implement({
  description: "A token just created. `secret` is shown only here, once: keep it.",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    role: t.field({ type: ApiTokenRole, resolve: (token) => token.role }),
    expiresAt: t.expose("expiresAt", { type: "DateTime", nullable: true }),
    secret: t.exposeString("secret", { description: "Send as `Authorization: Bearer <secret>`, or as `authorization` in graphql-ws connectionParams." }),
  }),
});

const CreateApiTokenInput = builder.inputType("CreateApiTokenInput", {
  fields: (t) => ({
    name: t.string({ required: true, description: "Unique; recorded as createdBy/updatedBy/pausedBy on what the token changes." }),
    role: t.field({ type: ApiTokenRole, required: true }),
    expiresAt: t.field({ type: "DateTime", description: "After this the token is refused; none: it never expires." }),
  }),
});

const RevokeApiTokenInput = builder.inputType("RevokeApiTokenInput", { fields: (t) => ({ id: t.id({ required: true }) }) });

builder.queryField("apiTokens", (t) =>
  t.prismaField({
    type: ["ApiToken"],
    description: "Every API token, revoked and expired ones included, oldest first (ADMIN).",
    authScopes: { admin: true },
    resolve: (query, _parent, _args, ctx) => ctx.db.apiToken.findMany({ ...withSelection(query), orderBy: [{ createdAt: "asc" }, { id: "asc" }] }),
  }),
);

builder.mutationFields((t) => ({
  createApiToken: t.field({
    type: NewApiToken,
    description: "Creates a token and returns its secret, once.",
    args: { input: t.arg({ type: CreateApiTokenInput, required: true }) },
    errors: { types: [ValidationError, ConflictError], dataField: { name: "apiToken" } },
    resolve: (_parent, { input }, ctx) =>
      createApiToken(ctx.db, { name: input.name, role: input.role, expiresAt: input.expiresAt ?? null, createdBy: ctx.principal?.name ?? null }, ctx.now),
  }),
  revokeApiToken: t.prismaField({
    type: "ApiToken",
    description: "Refuses the token from now on: new requests and new subscriptions. Revoking a revoked token changes nothing.",
    args: { input: t.arg({ type: RevokeApiTokenInput, required: true }) },
    errors: { types: [ValidationError, NotFoundError], dataField: { name: "apiToken" } },
    resolve: async (query, _parent, { input }, ctx) => {
      const id = String(input.id);
      await revokeApiToken(ctx.db, { id }, ctx.now);
      return ctx.db.apiToken.findUniqueOrThrow({ ...withSelection(query), where: { id } });
    },
  }),
}));
