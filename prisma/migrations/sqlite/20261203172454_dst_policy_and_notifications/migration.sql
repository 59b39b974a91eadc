-- AlterTable
ALTER TABLE "Service" ADD COLUMN "notify" JSONB;

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Task" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "serviceId" TEXT NOT NULL,
    "schedule" JSONB NOT NULL,
    "timezone" TEXT NOT NULL DEFAULT 'UTC',
    "dstPolicy" TEXT NOT NULL DEFAULT 'VIXIE',
    "payload" JSONB NOT NULL,
    "requiresConfirmation" BOOLEAN NOT NULL DEFAULT false,
    "state" TEXT NOT NULL,
    "pauseNote" TEXT,
    "pausedAt" DATETIME,
    "pausedBy" TEXT,
    "misfirePolicy" TEXT NOT NULL,
    "misfireGraceSeconds" INTEGER NOT NULL,
    "overlapPolicy" TEXT NOT NULL,
    "jitterSeconds" INTEGER NOT NULL DEFAULT 0,
    "maxRuns" INTEGER,
    "maxAttempts" INTEGER NOT NULL DEFAULT 1,
    "retryBackoffSeconds" INTEGER NOT NULL DEFAULT 10,
    "deadlineSeconds" INTEGER,
    "maxConcurrentRuns" INTEGER,
    "scheduledRunCount" INTEGER NOT NULL DEFAULT 0,
    "nextRunAt" DATETIME,
    "lastRunAt" DATETIME,
    "lastRunStatus" TEXT,
    "notify" JSONB,
    "version" INTEGER NOT NULL DEFAULT 0,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "createdBy" TEXT,
    "updatedBy" TEXT,
    CONSTRAINT "Task_serviceId_fkey" FOREIGN KEY ("serviceId") REFERENCES "Service" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_Task" ("createdAt", "createdBy", "deadlineSeconds", "description", "id", "jitterSeconds", "lastRunAt", "lastRunStatus", "maxAttempts", "maxConcurrentRuns", "maxRuns", "misfireGraceSeconds", "misfirePolicy", "name", "nextRunAt", "overlapPolicy", "pauseNote", "pausedAt", "pausedBy", "payload", "requiresConfirmation", "retryBackoffSeconds", "schedule", "scheduledRunCount", "serviceId", "state", "timezone", "updatedAt", "updatedBy", "version") SELECT "createdAt", "createdBy", "deadlineSeconds", "description", "id", "jitterSeconds", "lastRunAt", "lastRunStatus", "maxAttempts", "maxConcurrentRuns", "maxRuns", "misfireGraceSeconds", "misfirePolicy", "name", "nextRunAt", "overlapPolicy", "pauseNote", "pausedAt", "pausedBy", "payload", "requiresConfirmation", "retryBackoffSeconds", "schedule", "scheduledRunCount", "serviceId", "state", "timezone", "updatedAt", "updatedBy", "version" FROM "Task";
DROP TABLE "Task";
ALTER TABLE "new_Task" RENAME TO "Task";
CREATE UNIQUE INDEX "Task_name_key" ON "Task"("name");
CREATE INDEX "Task_state_nextRunAt_idx" ON "Task"("state", "nextRunAt");
CREATE INDEX "Task_serviceId_idx" ON "Task"("serviceId");
CREATE INDEX "Task_createdAt_idx" ON "Task"("createdAt");
CREATE INDEX "Task_updatedAt_idx" ON "Task"("updatedAt");
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
