-- AlterTable
ALTER TABLE "Task" ADD COLUMN "maxConcurrentRuns" INTEGER;

-- AlterTable
ALTER TABLE "Run" ADD COLUMN "overlapPolicy" TEXT;
ALTER TABLE "Run" ADD COLUMN "requestedBy" TEXT;
ALTER TABLE "Run" ADD COLUMN "targets" JSONB;
