import type { Principal } from "../auth/tokens.js";
import { builder } from "../builder.js";
import { ApiTokenRole } from "./api-token.js";

const Viewer = builder.objectRef<Principal>("Viewer").implement({
  description: "Who is calling. With AUTH_DISABLED=true: local-development, ADMIN.",
  fields: (t) => ({
    name: t.exposeString("name", { description: "The API token's name." }),
    role: t.field({ type: ApiTokenRole, description: "What the caller may do (see ApiTokenRole).", resolve: (principal) => principal.role }),
  }),
});

builder.queryField("viewer", (t) =>
  t.field({
    type: Viewer,
    description: "The caller's token name and role, e.g. for a page to show only the actions the caller may take.",
    // Queries need a principal (VIEWER and above), so there is one here.
    resolve: (_parent, _args, ctx) => ctx.principal!,
  }),
);
