-- AlterTable
ALTER TABLE "Service" ADD COLUMN "notify" JSONB;

-- AlterTable
ALTER TABLE "Task" ADD COLUMN "notify" JSONB;

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Run" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "taskId" TEXT NOT NULL,
    "trigger" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "scheduledFor" DATETIME NOT NULL,
    "occurrence" DATETIME,
    "jitterMs" INTEGER NOT NULL DEFAULT 0,
    "reason" TEXT,
    "payload" JSONB NOT NULL,
    "overlapPolicy" TEXT,
    "targets" JSONB,
    "requestedBy" TEXT,
    "serviceId" TEXT,
    "claimedAt" DATETIME NOT NULL,
    "startedAt" DATETIME,
    "finishedAt" DATETIME,
    "ownerId" TEXT,
    "leaseExpiresAt" DATETIME,
    "targetCount" INTEGER NOT NULL DEFAULT 0,
    "succeededCount" INTEGER NOT NULL DEFAULT 0,
    "failedCount" INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT "Run_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Run_serviceId_fkey" FOREIGN KEY ("serviceId") REFERENCES "Service" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_Run" ("claimedAt", "failedCount", "finishedAt", "id", "jitterMs", "leaseExpiresAt", "occurrence", "overlapPolicy", "ownerId", "payload", "reason", "requestedBy", "scheduledFor", "startedAt", "status", "succeededCount", "targetCount", "targets", "taskId", "trigger") SELECT "claimedAt", "failedCount", "finishedAt", "id", "jitterMs", "leaseExpiresAt", "occurrence", "overlapPolicy", "ownerId", "payload", "reason", "requestedBy", "scheduledFor", "startedAt", "status", "succeededCount", "targetCount", "targets", "taskId", "trigger" FROM "Run";
DROP TABLE "Run";
ALTER TABLE "new_Run" RENAME TO "Run";
CREATE INDEX "Run_taskId_claimedAt_idx" ON "Run"("taskId", "claimedAt");
CREATE INDEX "Run_serviceId_idx" ON "Run"("serviceId");
CREATE INDEX "Run_status_idx" ON "Run"("status");
CREATE INDEX "Run_claimedAt_idx" ON "Run"("claimedAt");
CREATE UNIQUE INDEX "Run_taskId_occurrence_key" ON "Run"("taskId", "occurrence");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
