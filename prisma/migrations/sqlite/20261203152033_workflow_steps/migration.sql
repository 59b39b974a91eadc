-- AlterTable
ALTER TABLE "RunResult" ADD COLUMN "stepName" TEXT;

-- CreateTable
CREATE TABLE "RunStep" (
    "runId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "serviceName" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "reason" TEXT,
    "startedAt" DATETIME,
    "finishedAt" DATETIME,
    "targetCount" INTEGER NOT NULL DEFAULT 0,
    "succeededCount" INTEGER NOT NULL DEFAULT 0,
    "failedCount" INTEGER NOT NULL DEFAULT 0,

    PRIMARY KEY ("runId", "name"),
    CONSTRAINT "RunStep_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
