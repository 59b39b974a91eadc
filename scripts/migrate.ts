// Applies pending migrations to DATABASE_URL (the same step the server runs at start).
import { loadConfig } from "../src/config.js";
import { locateDatabase } from "../src/db/driver-adapter.js";
import { applyMigrations } from "../src/db/migrations.js";

const location = locateDatabase(loadConfig().databaseUrl);
const applied = await applyMigrations(location);
console.log(applied.length ? `applied: ${applied.join(", ")}` : `${location.provider}: already up to date`);
