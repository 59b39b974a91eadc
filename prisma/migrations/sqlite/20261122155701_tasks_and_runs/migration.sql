-- CreateTable
CREATE TABLE "Task" (
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
    "scheduledRunCount" INTEGER NOT NULL DEFAULT 0,
    "nextRunAt" DATETIME,
    "lastRunAt" DATETIME,
    "lastRunStatus" TEXT,
    "version" INTEGER NOT NULL DEFAULT 0,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Task_serviceId_fkey" FOREIGN KEY ("serviceId") REFERENCES "Service" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "TaskTag" (
    "taskId" TEXT NOT NULL,
    "name" TEXT NOT NULL,

    PRIMARY KEY ("taskId", "name"),
    CONSTRAINT "TaskTag_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "TaskDeviceTarget" (
    "taskId" TEXT NOT NULL,
    "deviceId" TEXT NOT NULL,

    PRIMARY KEY ("taskId", "deviceId"),
    CONSTRAINT "TaskDeviceTarget_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "TaskDeviceTarget_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "Device" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "TaskPoolTarget" (
    "taskId" TEXT NOT NULL,
    "poolId" TEXT NOT NULL,

    PRIMARY KEY ("taskId", "poolId"),
    CONSTRAINT "TaskPoolTarget_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "TaskPoolTarget_poolId_fkey" FOREIGN KEY ("poolId") REFERENCES "Pool" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Run" (
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
    CONSTRAINT "Run_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task" ("id") ON DELETE CASCADE ON UPDATE CASCADE
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
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);
INSERT INTO "new_Service" ("config", "createdAt", "defaultPayload", "description", "id", "kind", "name", "updatedAt") SELECT "config", "createdAt", "defaultPayload", "description", "id", "kind", "name", "updatedAt" FROM "Service";
DROP TABLE "Service";
ALTER TABLE "new_Service" RENAME TO "Service";
CREATE UNIQUE INDEX "Service_name_key" ON "Service"("name");
CREATE INDEX "Service_createdAt_idx" ON "Service"("createdAt");
CREATE INDEX "Service_updatedAt_idx" ON "Service"("updatedAt");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE UNIQUE INDEX "Task_name_key" ON "Task"("name");

-- CreateIndex
CREATE INDEX "Task_state_nextRunAt_idx" ON "Task"("state", "nextRunAt");

-- CreateIndex
CREATE INDEX "Task_serviceId_idx" ON "Task"("serviceId");

-- CreateIndex
CREATE INDEX "Task_createdAt_idx" ON "Task"("createdAt");

-- CreateIndex
CREATE INDEX "Task_updatedAt_idx" ON "Task"("updatedAt");

-- CreateIndex
CREATE INDEX "TaskTag_name_idx" ON "TaskTag"("name");

-- CreateIndex
CREATE INDEX "TaskDeviceTarget_deviceId_idx" ON "TaskDeviceTarget"("deviceId");

-- CreateIndex
CREATE INDEX "TaskPoolTarget_poolId_idx" ON "TaskPoolTarget"("poolId");

-- CreateIndex
CREATE INDEX "Run_taskId_claimedAt_idx" ON "Run"("taskId", "claimedAt");

-- CreateIndex
CREATE INDEX "Run_status_idx" ON "Run"("status");

-- CreateIndex
CREATE INDEX "Run_claimedAt_idx" ON "Run"("claimedAt");

-- CreateIndex
CREATE UNIQUE INDEX "Run_taskId_occurrence_key" ON "Run"("taskId", "occurrence");
