// API tokens: random secrets shown once, stored only as a hash, each with a name, a role,
// an optional expiry; revocable; the last use is recorded (at most once a minute per token).
import { createHash, randomBytes } from "node:crypto";
import type { DbClient } from "../db/database.js";
import { isRecordMissing } from "../db/prisma-errors.js";
import { ConflictError, NotFoundError, ValidationError } from "../domain/errors.js";
import { withUniqueName } from "../domain/names.js";

export const roles = ["VIEWER", "OPERATOR", "ADMIN"] as const;
export type Role = (typeof roles)[number];

/** Every token starts with this, so a leaked one is recognizable (e.g. by secret scanners). */
export const tokenPrefix = "cl_";

/** Who is calling: the token's identity, or the local developer when AUTH_DISABLED=true. */
export interface Principal {
  /** The token's name, recorded as createdBy/updatedBy/pausedBy. */
  name: string;
  role: Role;
}

export function isRole(value: string): value is Role {
  return (roles as readonly string[]).includes(value);
}

/** Roles include the ones below them: ADMIN can do what OPERATOR can, OPERATOR what VIEWER can. */
export function roleAllows(role: Role, needed: Role): boolean {
  return roles.indexOf(role) >= roles.indexOf(needed);
}

export function generateTokenSecret(): string {
  return tokenPrefix + randomBytes(32).toString("base64url");
}

/**
 * SHA-256 of the secret. Tokens carry 256 random bits, so nothing can be guessed from the
 * hash and a slow password hash (bcrypt, scrypt) would only slow down every request; a fast
 * hash also lets the token be found by looking its hash up.
 */
export function hashToken(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

const nameRule = /^[\w.@:-]{1,100}$/;

export interface CreatedToken {
  id: string;
  name: string;
  role: Role;
  /** Shown once; only its hash is stored. */
  secret: string;
  expiresAt: Date | null;
}

export async function createApiToken(
  db: DbClient,
  input: { name: string; role: Role; expiresAt?: Date | null; createdBy?: string | null; secret?: string },
  now: Date,
): Promise<CreatedToken> {
  if (!nameRule.test(input.name)) {
    throw ValidationError.of("input.name", "must be 1 to 100 letters, digits, or . _ @ : -");
  }
  if (input.expiresAt && input.expiresAt.getTime() <= now.getTime()) throw ValidationError.of("input.expiresAt", "must be in the future");
  const secret = input.secret ?? generateTokenSecret();
  const token = await withUniqueName("token", input.name, () =>
    db.apiToken.create({
      data: { name: input.name, role: input.role, tokenHash: hashToken(secret), expiresAt: input.expiresAt ?? null, createdBy: input.createdBy ?? null },
      select: { id: true },
    }),
  );
  return { id: token.id, name: input.name, role: input.role, secret, expiresAt: input.expiresAt ?? null };
}

/**
 * Revocations made through each database client, so that the verifiers on that client drop
 * what they remember at once (revocations by other processes are seen within verifiedTokenTtlMs).
 */
const revocations = new WeakMap<DbClient, number>();
/** Who wants to hear of each revocation made through a database client (the websockets, to close the token's sockets). */
const revocationListeners = new WeakMap<DbClient, Set<() => void>>();

/** Calls `listener` after each revocation made through `db` in this process; returns what stops it. */
export function onTokenRevoked(db: DbClient, listener: () => void): () => void {
  let listeners = revocationListeners.get(db);
  if (!listeners) revocationListeners.set(db, (listeners = new Set()));
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Revokes a token by id (idempotent: revoking a revoked token keeps its first revocation time). */
export async function revokeApiToken(db: DbClient, where: { id: string } | { name: string }, now: Date): Promise<void> {
  const token = await db.apiToken.findUnique({ where, select: { id: true, revokedAt: true } });
  if (!token) throw new NotFoundError("id" in where ? "input.id" : "name", "id" in where ? where.id : where.name, "ApiToken");
  if (token.revokedAt) return;
  try {
    await db.apiToken.update({ where: { id: token.id }, data: { revokedAt: now } });
  } catch (error) {
    if (isRecordMissing(error)) throw new NotFoundError("input.id", token.id, "ApiToken");
    throw error;
  } finally {
    revocations.set(db, (revocations.get(db) ?? 0) + 1);
    for (const listener of revocationListeners.get(db) ?? []) listener();
  }
}

/** Why a caller is not authenticated; "malformed": credentials sent in a form Cronline does not read. */
export type TokenProblem = "missing" | "malformed" | "invalid" | "revoked" | "expired";

/** What a request presents: a token's secret, or why it presents none. */
export type PresentedToken = { secret: string } | { secret: null; problem: "missing" | "malformed" };

export const noTokenPresented: PresentedToken = { secret: null, problem: "missing" };
const malformedToken: PresentedToken = { secret: null, problem: "malformed" };

export type Authentication = { ok: true; principal: Principal } | { ok: false; problem: TokenProblem };

/** At most one lastUsedAt write per token per this many ms. */
const lastUsedWriteIntervalMs = 60_000;

/**
 * How long a token read from the database is used without reading it again. Revocations
 * through this process take effect at once; through another (the command line, another
 * instance on the same database), within this time. Expiry is checked at every request.
 */
export const verifiedTokenTtlMs = 5_000;

type StoredToken = { id: string; name: string; role: string; expiresAt: Date | null; revokedAt: Date | null; lastUsedAt: Date | null };

/**
 * Looks tokens up by hash, remembering each for verifiedTokenTtlMs so that a client's every
 * request does not cost a database read; remembers when it last wrote each token's lastUsedAt.
 */
export class TokenVerifier {
  private readonly lastWritten = new Map<string, number>();
  private readonly remembered = new Map<string, { token: StoredToken; readAt: number; revocations: number }>();

  constructor(
    private readonly db: DbClient,
    private readonly clock: () => number,
  ) {}

  /** `fresh`: read the token from the database even if a copy is remembered (open websockets' periodic check). */
  async verify(presented: PresentedToken, { fresh = false } = {}): Promise<Authentication> {
    if (presented.secret === null) return { ok: false, problem: presented.problem };
    const secret = presented.secret;
    if (!secret.startsWith(tokenPrefix)) return { ok: false, problem: "invalid" };
    const token = await this.lookUp(hashToken(secret), fresh);
    if (!token || !isRole(token.role)) return { ok: false, problem: "invalid" };
    const now = this.clock();
    if (token.revokedAt) return { ok: false, problem: "revoked" };
    if (token.expiresAt && token.expiresAt.getTime() <= now) return { ok: false, problem: "expired" };
    const last = Math.max(this.lastWritten.get(token.id) ?? 0, token.lastUsedAt?.getTime() ?? 0);
    if (now - last >= lastUsedWriteIntervalMs) {
      this.lastWritten.set(token.id, now);
      // Not awaited by the request: a failed bookkeeping write must not fail the request.
      this.db.apiToken.update({ where: { id: token.id }, data: { lastUsedAt: new Date(now) } }).catch(() => this.lastWritten.delete(token.id));
    }
    return { ok: true, principal: { name: token.name, role: token.role } };
  }

  private async lookUp(tokenHash: string, fresh: boolean): Promise<StoredToken | null> {
    // Real time, not the application clock (which tests move): this is about how stale a copy may be.
    const now = performance.now();
    const revocationCount = revocations.get(this.db) ?? 0;
    const known = this.remembered.get(tokenHash);
    if (!fresh && known && now - known.readAt < verifiedTokenTtlMs && known.revocations === revocationCount) return known.token;
    const token = await this.db.apiToken.findUnique({
      where: { tokenHash },
      select: { id: true, name: true, role: true, expiresAt: true, revokedAt: true, lastUsedAt: true },
    });
    // Unknown hashes are not remembered: a token created meanwhile (by the command line, say) works at once.
    if (token) {
      // Entries past their time go when they are met again, or all at once when the map grows.
      if (this.remembered.size >= maxRememberedTokens) this.remembered.clear();
      this.remembered.set(tokenHash, { token, readAt: now, revocations: revocationCount });
    }
    return token;
  }
}

/** Bounds the memory of remembered tokens. */
const maxRememberedTokens = 10_000;

/**
 * The secret of an `Authorization: Bearer <token>` header value. Any other form (a bare token,
 * `Basic ...`) is malformed rather than missing, so the caller learns what to fix.
 */
export function bearerToken(header: string | null | undefined): PresentedToken {
  if (!header?.trim()) return noTokenPresented;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? { secret: match[1]! } : malformedToken;
}

/**
 * The token in graphql-ws connectionParams: `authorization` ("Bearer <token>" or the bare
 * token) or `token`. A value of another form or type is malformed.
 */
export function connectionParamsToken(params: Readonly<Record<string, unknown>> | undefined): PresentedToken {
  const authorization = params?.authorization ?? params?.Authorization;
  if (authorization !== undefined && authorization !== null) {
    if (typeof authorization !== "string") return malformedToken;
    if (/^\S+$/.test(authorization.trim())) return { secret: authorization.trim() };
    return bearerToken(authorization);
  }
  const token = params?.token;
  if (token === undefined || token === null || token === "") return noTokenPresented;
  return typeof token === "string" && /^\S+$/.test(token) ? { secret: token } : malformedToken;
}

export const bootstrapTokenName = "bootstrap-admin";

/**
 * CRONLINE_BOOTSTRAP_ADMIN_TOKEN: on a database with no usable ADMIN token, stores the given
 * secret (hashed) as the ADMIN token "bootstrap-admin". Returns whether it created one.
 */
export async function bootstrapAdminToken(db: DbClient, secret: string, now: Date): Promise<boolean> {
  if (await hasUsableAdminToken(db, now)) return false;
  // The same secret stored before (then revoked or expired) is not brought back.
  if (await db.apiToken.findUnique({ where: { tokenHash: hashToken(secret) }, select: { id: true } })) return false;
  const taken = await db.apiToken.findUnique({ where: { name: bootstrapTokenName }, select: { id: true } });
  const name = taken ? `${bootstrapTokenName}-${now.getTime()}` : bootstrapTokenName;
  try {
    await createApiToken(db, { name, role: "ADMIN", secret }, now);
  } catch (error) {
    // Another instance starting on the same database at the same moment stored it first.
    if (error instanceof ConflictError && (await hasUsableAdminToken(db, now))) return false;
    throw error;
  }
  return true;
}

export async function hasUsableAdminToken(db: DbClient, now: Date): Promise<boolean> {
  const count = await db.apiToken.count({
    where: { role: "ADMIN", revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] },
  });
  return count > 0;
}
