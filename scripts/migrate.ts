// Applies pending migrations to DATABASE_URL (the same step the server runs at start).
import { ConfigError, loadConfig } from "../src/config.js";
import { locateDatabase } from "../src/db/driver-adapter.js";
import { applyMigrations } from "../src/db/migrations.js";

try {
  const location = locateDatabase(loadConfig().databaseUrl);
  const applied = await applyMigrations(location);
  console.log(applied.length ? `applied: ${applied.join(", ")}` : `${location.provider}: already up to date`);
} catch (error) {
  // Exit codes as the server's: 2 for bad configuration, 1 when the database refuses.
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  console.error(`could not migrate: ${(error as Error).message}`);
  process.exit(1);
}
