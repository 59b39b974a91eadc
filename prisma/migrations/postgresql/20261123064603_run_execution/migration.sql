-- AlterTable
ALTER TABLE "Service" ADD COLUMN     "concurrency" INTEGER NOT NULL DEFAULT 10;

-- AlterTable
ALTER TABLE "Task" ADD COLUMN     "deadlineSeconds" INTEGER,
ADD COLUMN     "maxAttempts" INTEGER NOT NULL DEFAULT 1,
ADD COLUMN     "retryBackoffSeconds" INTEGER NOT NULL DEFAULT 10;

-- AlterTable
ALTER TABLE "Run" ADD COLUMN     "failedCount" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "leaseExpiresAt" TIMESTAMP(3),
ADD COLUMN     "ownerId" TEXT,
ADD COLUMN     "succeededCount" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "targetCount" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "RunResult" (
    "id" TEXT NOT NULL,
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
    "startedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3) NOT NULL,
    "durationMs" INTEGER NOT NULL,

    CONSTRAINT "RunResult_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "RunResult_runId_startedAt_idx" ON "RunResult"("runId", "startedAt");

-- CreateIndex
CREATE INDEX "RunResult_deviceId_idx" ON "RunResult"("deviceId");

-- AddForeignKey
ALTER TABLE "RunResult" ADD CONSTRAINT "RunResult_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RunResult" ADD CONSTRAINT "RunResult_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "Device"("id") ON DELETE SET NULL ON UPDATE CASCADE;
