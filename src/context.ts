import type { Principal, Role, TokenProblem } from "./auth/tokens.js";
import type { DbClient } from "./db/database.js";
import type { DatabaseProvider } from "./db/prisma-schema.js";
import type { HttpEgressPolicy } from "./domain/http-egress.js";
import type { EventSink } from "./events/event-bus.js";
import type { LiveSchedule } from "./live/live-schedule.js";
import type { Logger } from "./logger.js";
import type { SecretsCipher } from "./secrets/secrets-cipher.js";
import { createLoaders, type Loaders } from "./schema/loaders.js";

/** What every resolver receives: one per GraphQL operation. */
export interface Context extends ContextServices {
  loaders: Loaders;
  /** The instant the operation is handled at; one per operation so its answers agree. */
  now: Date;
  /** Who is calling; null when no valid token was sent. */
  principal: Principal | null;
  /** Why principal is null: no token, or a bad, revoked or expired one. */
  authProblem: TokenProblem | null;
}

export interface ContextServices {
  db: DbClient;
  provider: DatabaseProvider;
  logger: Logger;
  /** Where the API tells what it wrote: this process's roles, and the other instances. */
  events: EventSink;
  live: LiveSchedule;
  clock: () => number;
  /** Users COMMAND services may run as (RUN_AS_ALLOWED_USERS), checked when a service is saved. */
  runAsAllowedUsers: readonly string[];
  /** Where HTTP services may send requests (HTTP_ALLOWED_HOSTS, HTTP_DENIED_NETWORKS), checked when a service is saved. */
  httpEgress: HttpEgressPolicy;
  /** Groups they may run as (RUN_AS_ALLOWED_GROUPS), checked when a service is saved. */
  runAsAllowedGroups: readonly string[];
  /** Seals the services' secrets when they are saved. */
  secrets: SecretsCipher;
  /** The lowest role that sees run output (RUN_OUTPUT_VISIBLE_TO). */
  runOutputVisibleTo: Role;
}

export function createContext(
  services: ContextServices,
  auth: { principal: Principal | null; authProblem: TokenProblem | null } = { principal: null, authProblem: "missing" },
): Context {
  return { ...services, ...auth, loaders: createLoaders(services.db), now: new Date(services.clock()) };
}
