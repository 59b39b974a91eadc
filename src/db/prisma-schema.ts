import { readFileSync } from "node:fs";
import path from "node:path";
import { projectRoot } from "../project-root.js";

export const databaseProviders = ["sqlite", "postgresql"] as const;
export type DatabaseProvider = (typeof databaseProviders)[number];

export const prismaDirectory = path.join(projectRoot, "prisma");

export function migrationsDirectory(provider: DatabaseProvider, prismaDir = prismaDirectory): string {
  return path.join(prismaDir, "migrations", provider);
}

/** Where the joined schema of a provider is written for the Prisma CLI (git-ignored). */
export function joinedSchemaPath(provider: DatabaseProvider): string {
  return path.join(prismaDirectory, ".schema", provider, "schema.prisma");
}

export const readModels = (prismaDir = prismaDirectory): string => readFileSync(path.join(prismaDir, "models.prisma"), "utf8");

/** The full Prisma schema of one provider: its datasource/generator header and the models. */
export function prismaSchemaText(provider: DatabaseProvider, models = readModels(), prismaDir = prismaDirectory): string {
  const header = readFileSync(path.join(prismaDir, "providers", `${provider}.prisma`), "utf8");
  return `${header}\n${models}`;
}
