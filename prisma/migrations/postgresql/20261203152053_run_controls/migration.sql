-- AlterTable
ALTER TABLE "Task" ADD COLUMN     "maxConcurrentRuns" INTEGER;

-- AlterTable
ALTER TABLE "Run" ADD COLUMN     "overlapPolicy" TEXT,
ADD COLUMN     "requestedBy" TEXT,
ADD COLUMN     "targets" JSONB;
