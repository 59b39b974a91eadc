-- CreateTable
CREATE TABLE "Instance" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "host" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "version" TEXT NOT NULL,
    "roles" TEXT NOT NULL,
    "startedAt" DATETIME NOT NULL,
    "heartbeatAt" DATETIME NOT NULL,
    "leaseExpiresAt" DATETIME NOT NULL,
    "runsExecuting" INTEGER NOT NULL DEFAULT 0,
    "claimsMade" INTEGER NOT NULL DEFAULT 0,
    "lastClaimAt" DATETIME,
    "clockOffsetMs" INTEGER NOT NULL DEFAULT 0,
    "missedChanges" INTEGER NOT NULL DEFAULT 0,
    "draining" BOOLEAN NOT NULL DEFAULT false
);

-- CreateIndex
CREATE INDEX "Instance_leaseExpiresAt_idx" ON "Instance"("leaseExpiresAt");
