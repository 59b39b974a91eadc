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
    "scheduledRunCount" INTEGER NOT NULL DEFAULT 0,
    "nextRunAt" DATETIME,
    "lastRunAt" DATETIME,
    "lastRunStatus" TEXT,
    "version" INTEGER NOT NULL DEFAULT 0,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "createdBy" TEXT,
    "updatedBy" TEXT,
    CONSTRAINT "Task_serviceId_fkey" FOREIGN KEY ("serviceId") REFERENCES "Service" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_Task" ("createdAt", "createdBy", "deadlineSeconds", "description", "id", "jitterSeconds", "lastRunAt", "lastRunStatus", "maxAttempts", "maxRuns", "misfireGraceSeconds", "misfirePolicy", "name", "nextRunAt", "overlapPolicy", "pauseNote", "pausedAt", "pausedBy", "payload", "requiresConfirmation", "retryBackoffSeconds", "schedule", "scheduledRunCount", "serviceId", "state", "timezone", "updatedAt", "updatedBy", "version") SELECT "createdAt", "createdBy", "deadlineSeconds", "description", "id", "jitterSeconds", "lastRunAt", "lastRunStatus", "maxAttempts", "maxRuns", "misfireGraceSeconds", "misfirePolicy", "name", "nextRunAt", "overlapPolicy", "pauseNote", "pausedAt", "pausedBy", "payload", "requiresConfirmation", "retryBackoffSeconds", "schedule", "scheduledRunCount", "serviceId", "state", "timezone", "updatedAt", "updatedBy", "version" FROM "Task";
DROP TABLE "Task";
ALTER TABLE "new_Task" RENAME TO "Task";
CREATE UNIQUE INDEX "Task_name_key" ON "Task"("name");
CREATE INDEX "Task_state_nextRunAt_idx" ON "Task"("state", "nextRunAt");
CREATE INDEX "Task_serviceId_idx" ON "Task"("serviceId");
CREATE INDEX "Task_createdAt_idx" ON "Task"("createdAt");
CREATE INDEX "Task_updatedAt_idx" ON "Task"("updatedAt");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
