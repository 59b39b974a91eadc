// API tokens from the command line, on DATABASE_URL (migrated first, as the server does):
//   npm run token -- create --role admin --name ops [--expires 2027-01-01T00:00:00Z]
//   npm run token -- list
//   npm run token -- revoke --name ops
// `create` prints the secret once, on stdout; only its hash is stored.
import { parseArgs } from "node:util";
import { DateTimeResolver } from "graphql-scalars";
import { createApiToken, isRole, revokeApiToken } from "../src/auth/tokens.js";
import { ConfigError, loadConfig } from "../src/config.js";
import { openDatabase } from "../src/db/database.js";
import { locateDatabase } from "../src/db/driver-adapter.js";
import { applyMigrations } from "../src/db/migrations.js";
import { ConflictError, NotFoundError, ValidationError } from "../src/domain/errors.js";

const usage = `usage:
  npm run token -- create --role viewer|operator|admin --name <name> [--expires <ISO-8601 instant>]
  npm run token -- list
  npm run token -- revoke --name <name>`;

/** The instant, read as the API's DateTime reads `expiresAt` (RFC 3339: date, time and offset), or undefined. */
function instant(text: string): Date | undefined {
  try {
    return DateTimeResolver.parseValue(text) as Date;
  } catch {
    return undefined;
  }
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: { role: { type: "string" }, name: { type: "string" }, expires: { type: "string" } },
  });
} catch (error) {
  fail(`${(error as Error).message}\n${usage}`);
}
const { positionals, values } = parsed;
const command = positionals[0];
if (positionals.length !== 1 || !["create", "list", "revoke"].includes(command ?? "")) fail(usage);
const expiresAt = values.expires === undefined ? null : instant(values.expires);
if (expiresAt === undefined) fail(`--expires must be an ISO-8601 instant with a time zone, e.g. 2027-01-01T00:00:00Z\n${usage}`);

let databaseUrl: string;
try {
  databaseUrl = loadConfig().databaseUrl;
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
  throw error;
}
const location = locateDatabase(databaseUrl);
await applyMigrations(location);
const database = await openDatabase(location);
const now = new Date();
try {
  if (command === "create") {
    const role = values.role?.toUpperCase() ?? "";
    if (!isRole(role)) fail(`--role must be viewer, operator or admin\n${usage}`);
    if (!values.name) fail(`--name is required\n${usage}`);
    const token = await createApiToken(database.client, { name: values.name, role, expiresAt }, now);
    process.stderr.write(`created ${role} token "${token.name}"; the secret below is shown only this once:\n`);
    process.stdout.write(`${token.secret}\n`);
  } else if (command === "list") {
    const tokens = await database.client.apiToken.findMany({ orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
    for (const token of tokens) {
      const status = token.revokedAt ? `revoked ${token.revokedAt.toISOString()}` : token.expiresAt && token.expiresAt <= now ? "expired" : "active";
      const fields = [
        token.name,
        token.role,
        status,
        `created ${token.createdAt.toISOString()}`,
        `expires ${token.expiresAt?.toISOString() ?? "never"}`,
        `last used ${token.lastUsedAt?.toISOString() ?? "never"}`,
      ];
      process.stdout.write(`${fields.join("\t")}\n`);
    }
  } else {
    if (!values.name) fail(`--name is required\n${usage}`);
    await revokeApiToken(database.client, { name: values.name }, now);
    process.stderr.write(`revoked token "${values.name}"\n`);
  }
} catch (error) {
  if (error instanceof ValidationError || error instanceof ConflictError || error instanceof NotFoundError) fail(error.message);
  throw error;
} finally {
  await database.close();
}
