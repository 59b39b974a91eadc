-- AlterTable
ALTER TABLE "Service" ADD COLUMN     "requiresConfirmation" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "Task" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "serviceId" TEXT NOT NULL,
    "schedule" JSONB NOT NULL,
    "timezone" TEXT NOT NULL DEFAULT 'UTC',
    "payload" JSONB NOT NULL,
    "requiresConfirmation" BOOLEAN NOT NULL DEFAULT false,
    "state" TEXT NOT NULL,
    "pauseNote" TEXT,
    "pausedAt" TIMESTAMP(3),
    "misfirePolicy" TEXT NOT NULL,
    "misfireGraceSeconds" INTEGER NOT NULL,
    "overlapPolicy" TEXT NOT NULL,
    "jitterSeconds" INTEGER NOT NULL DEFAULT 0,
    "maxRuns" INTEGER,
    "scheduledRunCount" INTEGER NOT NULL DEFAULT 0,
    "nextRunAt" TIMESTAMP(3),
    "lastRunAt" TIMESTAMP(3),
    "lastRunStatus" TEXT,
    "version" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Task_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TaskTag" (
    "taskId" TEXT NOT NULL,
    "name" TEXT NOT NULL,

    CONSTRAINT "TaskTag_pkey" PRIMARY KEY ("taskId","name")
);

-- CreateTable
CREATE TABLE "TaskDeviceTarget" (
    "taskId" TEXT NOT NULL,
    "deviceId" TEXT NOT NULL,

    CONSTRAINT "TaskDeviceTarget_pkey" PRIMARY KEY ("taskId","deviceId")
);

-- CreateTable
CREATE TABLE "TaskPoolTarget" (
    "taskId" TEXT NOT NULL,
    "poolId" TEXT NOT NULL,

    CONSTRAINT "TaskPoolTarget_pkey" PRIMARY KEY ("taskId","poolId")
);

-- CreateTable
CREATE TABLE "Run" (
    "id" TEXT NOT NULL,
    "taskId" TEXT NOT NULL,
    "trigger" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "scheduledFor" TIMESTAMP(3) NOT NULL,
    "occurrence" TIMESTAMP(3),
    "jitterMs" INTEGER NOT NULL DEFAULT 0,
    "reason" TEXT,
    "payload" JSONB NOT NULL,
    "claimedAt" TIMESTAMP(3) NOT NULL,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "Run_pkey" PRIMARY KEY ("id")
);

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

-- AddForeignKey
ALTER TABLE "Task" ADD CONSTRAINT "Task_serviceId_fkey" FOREIGN KEY ("serviceId") REFERENCES "Service"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TaskTag" ADD CONSTRAINT "TaskTag_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TaskDeviceTarget" ADD CONSTRAINT "TaskDeviceTarget_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TaskDeviceTarget" ADD CONSTRAINT "TaskDeviceTarget_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "Device"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TaskPoolTarget" ADD CONSTRAINT "TaskPoolTarget_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TaskPoolTarget" ADD CONSTRAINT "TaskPoolTarget_poolId_fkey" FOREIGN KEY ("poolId") REFERENCES "Pool"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Run" ADD CONSTRAINT "Run_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task"("id") ON DELETE CASCADE ON UPDATE CASCADE;
