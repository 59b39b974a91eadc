// Storing notification rules: the services they name exist when saved, and a service that
// rules name cannot be deleted from under them.
import { Prisma, type DbClient } from "../db/database.js";
import { ValidationError } from "./errors.js";
import type { NotifyRule } from "./notifications.js";

/** The column value for rules given (null: none of its own), or undefined when not given. */
export function notifyColumn(rules: NotifyRule[] | null | undefined): Prisma.InputJsonValue | typeof Prisma.DbNull | undefined {
  if (rules === undefined) return undefined;
  return rules === null ? Prisma.DbNull : (rules as unknown as Prisma.InputJsonValue);
}

/** A ValidationError naming `<field>.<i>.serviceId` for each rule whose service does not exist. */
export async function assertNotifyServicesExist(db: DbClient | Prisma.TransactionClient, rules: NotifyRule[] | null | undefined, field = "input.notify"): Promise<void> {
  if (!rules || rules.length === 0) return;
  const found = await db.service.findMany({ where: { id: { in: rules.map((rule) => rule.serviceId) } }, select: { id: true } });
  const known = new Set(found.map((service) => service.id));
  const issues = rules.flatMap((rule, i) => (known.has(rule.serviceId) ? [] : [{ field: `${field}.${i}.serviceId`, message: "no Service with this id" }]));
  if (issues.length > 0) throw new ValidationError(issues);
}

/** Tasks and services whose notification rules name the service, as "task \"x\"" / "service \"y\"". */
export async function notifyRulesUsing(db: DbClient, serviceId: string): Promise<string[]> {
  // Ids are uuids: a match inside the JSON text is a rule naming it.
  const pattern = `%${serviceId}%`;
  const tasks = await db.$queryRaw<{ name: string }[]>(Prisma.sql`SELECT "name" FROM "Task" WHERE CAST("notify" AS TEXT) LIKE ${pattern} ORDER BY "name"`);
  const services = await db.$queryRaw<{ name: string }[]>(Prisma.sql`SELECT "name" FROM "Service" WHERE CAST("notify" AS TEXT) LIKE ${pattern} ORDER BY "name"`);
  return [...tasks.map((row) => `task ${JSON.stringify(row.name)} (notify)`), ...services.map((row) => `service ${JSON.stringify(row.name)} (notify)`)];
}
