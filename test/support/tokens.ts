// API tokens for tests, created directly in the server's database.
import type { RunningApp } from "../../src/app.js";
import { createApiToken, type Role } from "../../src/auth/tokens.js";

let counter = 0;

/** Creates a token of the role and returns its secret. */
export async function createTestToken(
  app: RunningApp,
  role: Role,
  name = `test-${role.toLowerCase()}-${process.pid}-${++counter}`,
  options: { expiresAt?: Date } = {},
): Promise<string> {
  const token = await createApiToken(app.database.client, { name, role }, new Date());
  if (options.expiresAt) await app.database.client.apiToken.update({ where: { id: token.id }, data: { expiresAt: options.expiresAt } });
  return token.secret;
}
