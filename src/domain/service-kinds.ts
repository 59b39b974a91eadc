// What each kind of Service needs in its configuration. A kind is a string column plus a
// JSON config validated here, so new kinds add a schema, not a migration.
import { z } from "zod";

const positiveSeconds = z.number().int().positive().max(86_400);
const stringMap = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, "must be a valid name"), z.string());

const commandConfigSchema = z.strictObject({
  command: z.string().trim().min(1, "must not be empty").max(8_192),
  workingDirectory: z.string().min(1).optional(),
  environment: stringMap.optional(),
  timeoutSeconds: positiveSeconds.optional(),
});

const httpConfigSchema = z.strictObject({
  url: z.string().refine((value) => {
    try {
      return ["http:", "https:"].includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, "must be an absolute http:// or https:// URL"),
  method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]).default("POST"),
  headers: z.record(z.string().min(1), z.string()).optional(),
  body: z.string().optional(),
  timeoutSeconds: positiveSeconds.optional(),
  expectedStatusCodes: z.array(z.number().int().min(100).max(599)).min(1).optional(),
});

export const serviceKinds = {
  COMMAND: commandConfigSchema,
  HTTP: httpConfigSchema,
} as const;

export type ServiceKind = keyof typeof serviceKinds;
export const serviceKindNames = Object.keys(serviceKinds) as ServiceKind[];
