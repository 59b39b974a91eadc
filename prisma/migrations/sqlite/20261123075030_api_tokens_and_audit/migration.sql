-- AlterTable
ALTER TABLE "Service" ADD COLUMN "createdBy" TEXT;
ALTER TABLE "Service" ADD COLUMN "updatedBy" TEXT;

-- AlterTable
ALTER TABLE "Task" ADD COLUMN "createdBy" TEXT;
ALTER TABLE "Task" ADD COLUMN "pausedBy" TEXT;
ALTER TABLE "Task" ADD COLUMN "updatedBy" TEXT;

-- CreateTable
CREATE TABLE "ApiToken" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" DATETIME,
    "revokedAt" DATETIME,
    "lastUsedAt" DATETIME,
    "createdBy" TEXT
);

-- CreateIndex
CREATE UNIQUE INDEX "ApiToken_name_key" ON "ApiToken"("name");

-- CreateIndex
CREATE UNIQUE INDEX "ApiToken_tokenHash_key" ON "ApiToken"("tokenHash");

-- CreateIndex
CREATE INDEX "ApiToken_role_idx" ON "ApiToken"("role");
