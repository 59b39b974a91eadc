// API tokens from the command line, on DATABASE_URL (migrated first, as the server does):
//   npm run token -- create --role admin --name ops [--expires 2027-01-01T00:00:00Z] [--json]
//   npm run token -- list [--json]
//   npm run token -- revoke --name ops [--json]
// `create` prints the secret once, on stdout; only its hash is stored. With --json each prints
// one JSON document on stdout, and a mistake `{"error": {"message": ...}}` on stderr.
import { parseArgs } from "node:util";
import { DateTimeResolver } from "graphql-scalars";
import { createApiToken, isRole, revokeApiToken } from "../src/auth/tokens.js";
import { ConfigError, loadConfig } from "../src/config.js";
import { openDatabase } from "../src/db/database.js";
import { locateDatabase } from "../src/db/driver-adapter.js";
import { applyMigrations } from "../src/db/migrations.js";
import { ConflictError, NotFoundError, ValidationError } from "../src/domain/errors.js";

const usage = `usage:
  npm run token -- create --role viewer|operator|admin --name <name> [--expires <ISO-8601 instant>] [--json]
  npm run token -- list [--json]
  npm run token -- revoke --name <name> [--json]`;

const json = process.argv.includes("--json");

/** The instant, read as the API's DateTime reads `expiresAt` (RFC 3339: date, time and offset), or undefined. */
function instant(text: string): Date | undefined {
  try {
    return DateTimeResolver.parseValue(text) as Date;
  } catch {
    return undefined;
  }
}

/** Exits 2 with the message on stderr (as JSON with --json), the usage after it when `withUsage`. */
function fail(message: string, withUsage = false): never {
  process.stderr.write(json ? `${JSON.stringify({ error: { message } })}\n` : `${message}${withUsage ? `\n${usage}` : ""}\n`);
  process.exit(2);
}

const printJson = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: { role: { type: "string" }, name: { type: "string" }, expires: { type: "string" }, json: { type: "boolean" } },
  });
} catch (error) {
  fail((error as Error).message, true);
}
const { positionals, values } = parsed;
const command = positionals[0];
if (positionals.length !== 1 || !["create", "list", "revoke"].includes(command ?? "")) fail("a command is needed: create, list or revoke", true);
const expiresAt = values.expires === undefined ? null : instant(values.expires);
if (expiresAt === undefined) fail("--expires must be an ISO-8601 instant with a time zone, e.g. 2027-01-01T00:00:00Z", true);

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
    if (!isRole(role)) fail("--role must be viewer, operator or admin", true);
    if (!values.name) fail("--name is required", true);
    const token = await createApiToken(database.client, { name: values.name, role, expiresAt }, now);
    process.stderr.write(`created ${role} token "${token.name}"; the secret ${json ? "in it" : "below"} is shown only this once:\n`);
    if (json) printJson({ name: token.name, role, expiresAt: expiresAt?.toISOString() ?? null, secret: token.secret });
    else process.stdout.write(`${token.secret}\n`);
  } else if (command === "list") {
    const tokens = await database.client.apiToken.findMany({ orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
    const state = (token: (typeof tokens)[number]) => (token.revokedAt ? "revoked" : token.expiresAt && token.expiresAt <= now ? "expired" : "active");
    if (json) {
      printJson(
        tokens.map((token) => ({
          name: token.name,
          role: token.role,
          state: state(token),
          createdAt: token.createdAt.toISOString(),
          expiresAt: token.expiresAt?.toISOString() ?? null,
          revokedAt: token.revokedAt?.toISOString() ?? null,
          lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
        })),
      );
    }
    for (const token of json ? [] : tokens) {
      const status = token.revokedAt ? `revoked ${token.revokedAt.toISOString()}` : state(token);
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
    if (!values.name) fail("--name is required", true);
    await revokeApiToken(database.client, { name: values.name }, now);
    if (json) printJson({ name: values.name, revoked: true });
    else process.stderr.write(`revoked token "${values.name}"\n`);
  }
} catch (error) {
  if (error instanceof ValidationError || error instanceof ConflictError || error instanceof NotFoundError) fail(error.message);
  throw error;
} finally {
  await database.close();
}
