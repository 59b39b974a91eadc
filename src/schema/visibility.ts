// Fields some roles may not read: they answer null to them (each field's description says
// so), while the rest of the object is answered as usual.
import type { Role } from "../auth/tokens.js";
import type { Context } from "../context.js";

const scopeOf = { VIEWER: { viewer: true }, OPERATOR: { operator: true }, ADMIN: { admin: true } } as const satisfies Record<Role, Record<string, true>>;

/** Service configurations and their secrets: ADMIN only. */
export const adminOnly = { authScopes: scopeOf.ADMIN, unauthorizedResolver: () => null };

/** What runs printed: RUN_OUTPUT_VISIBLE_TO and the roles above it. */
export const runOutputVisibility = {
  authScopes: (_parent: unknown, _args: unknown, ctx: Context) => scopeOf[ctx.runOutputVisibleTo],
  unauthorizedResolver: () => null,
};

export const runOutputNote = "Null below the role RUN_OUTPUT_VISIBLE_TO names (default OPERATOR); secret values of the service show as \"••••\".";
