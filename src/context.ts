import type { DbClient } from "./db/database.js";
import type { DatabaseProvider } from "./db/prisma-schema.js";
import type { Logger } from "./logger.js";
import { createLoaders, type Loaders } from "./schema/loaders.js";

/** What every resolver receives: one per GraphQL operation. */
export interface Context {
  db: DbClient;
  provider: DatabaseProvider;
  logger: Logger;
  loaders: Loaders;
}

export interface ContextServices {
  db: DbClient;
  provider: DatabaseProvider;
  logger: Logger;
}

export function createContext(services: ContextServices): Context {
  return { ...services, loaders: createLoaders(services.db) };
}
