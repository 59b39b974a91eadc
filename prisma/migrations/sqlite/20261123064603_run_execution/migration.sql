-- CreateTable
CREATE TABLE "RunResult" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "runId" TEXT NOT NULL,
    "deviceId" TEXT,
    "deviceName" TEXT,
    "attempt" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "exitCode" INTEGER,
    "httpStatus" INTEGER,
    "output" TEXT NOT NULL,
    "outputTruncated" BOOLEAN NOT NULL DEFAULT false,
    "errorOutput" TEXT NOT NULL DEFAULT '',
    "errorOutputTruncated" BOOLEAN NOT NULL DEFAULT false,
    "error" TEXT,
    "startedAt" DATETIME NOT NULL,
    "finishedAt" DATETIME NOT NULL,
    "durationMs" INTEGER NOT NULL,
    CONSTRAINT "RunResult_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "RunResult_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "Device" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Service" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "kind" TEXT NOT NULL,
    "config" JSONB NOT NULL,
    "defaultPayload" JSONB NOT NULL,
    "requiresConfirmation" BOOLEAN NOT NULL DEFAULT false,
    "concurrency" INTEGER NOT NULL DEFAULT 10,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);
INSERT INTO "new_Service" ("config", "createdAt", "defaultPayload", "description", "id", "kind", "name", "requiresConfirmation", "updatedAt") SELECT "config", "createdAt", "defaultPayload", "description", "id", "kind", "name", "requiresConfirmation", "updatedAt" FROM "Service";
DROP TABLE "Service";
ALTER TABLE "new_Service" RENAME TO "Service";
CREATE UNIQUE INDEX "Service_name_key" ON "Service"("name");
CREATE INDEX "Service_createdAt_idx" ON "Service"("createdAt");
CREATE INDEX "Service_updatedAt_idx" ON "Service"("updatedAt");
CREATE TABLE "new_Task" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "serviceId" TEXT NOT NULL,
    "schedule" JSONB NOT NULL,
    "timezone" TEXT NOT NULL DEFAULT 'UTC',
    "payload" JSONB NOT NULL,
    "requiresConfirmation" BOOLEAN NOT NULL DEFAULT false,
    "state" TEXT NOT NULL,
    "pauseNote" TEXT,
    "pausedAt" DATETIME,
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
    CONSTRAINT "Task_serviceId_fkey" FOREIGN KEY ("serviceId") REFERENCES "Service" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_Task" ("createdAt", "description", "id", "jitterSeconds", "lastRunAt", "lastRunStatus", "maxRuns", "misfireGraceSeconds", "misfirePolicy", "name", "nextRunAt", "overlapPolicy", "pauseNote", "pausedAt", "payload", "requiresConfirmation", "schedule", "scheduledRunCount", "serviceId", "state", "timezone", "updatedAt", "version") SELECT "createdAt", "description", "id", "jitterSeconds", "lastRunAt", "lastRunStatus", "maxRuns", "misfireGraceSeconds", "misfirePolicy", "name", "nextRunAt", "overlapPolicy", "pauseNote", "pausedAt", "payload", "requiresConfirmation", "schedule", "scheduledRunCount", "serviceId", "state", "timezone", "updatedAt", "version" FROM "Task";
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
    "claimedAt" DATETIME NOT NULL,
    "startedAt" DATETIME,
    "finishedAt" DATETIME,
    "ownerId" TEXT,
    "leaseExpiresAt" DATETIME,
    "targetCount" INTEGER NOT NULL DEFAULT 0,
    "succeededCount" INTEGER NOT NULL DEFAULT 0,
    "failedCount" INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT "Run_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_Run" ("claimedAt", "finishedAt", "id", "jitterMs", "occurrence", "payload", "reason", "scheduledFor", "startedAt", "status", "taskId", "trigger") SELECT "claimedAt", "finishedAt", "id", "jitterMs", "occurrence", "payload", "reason", "scheduledFor", "startedAt", "status", "taskId", "trigger" FROM "Run";
DROP TABLE "Run";
ALTER TABLE "new_Run" RENAME TO "Run";
CREATE INDEX "Run_taskId_claimedAt_idx" ON "Run"("taskId", "claimedAt");
CREATE INDEX "Run_status_idx" ON "Run"("status");
CREATE INDEX "Run_claimedAt_idx" ON "Run"("claimedAt");
CREATE UNIQUE INDEX "Run_taskId_occurrence_key" ON "Run"("taskId", "occurrence");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "RunResult_runId_startedAt_idx" ON "RunResult"("runId", "startedAt");

-- CreateIndex
CREATE INDEX "RunResult_deviceId_idx" ON "RunResult"("deviceId");
