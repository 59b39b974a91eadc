-- AlterTable
ALTER TABLE "Service" ADD COLUMN     "notify" JSONB;

-- AlterTable
ALTER TABLE "Task" ADD COLUMN     "dstPolicy" TEXT NOT NULL DEFAULT 'VIXIE',
ADD COLUMN     "notify" JSONB;

-- AlterTable
ALTER TABLE "Run" ADD COLUMN     "serviceId" TEXT;

-- CreateIndex
CREATE INDEX "Run_serviceId_idx" ON "Run"("serviceId");

-- AddForeignKey
ALTER TABLE "Run" ADD CONSTRAINT "Run_serviceId_fkey" FOREIGN KEY ("serviceId") REFERENCES "Service"("id") ON DELETE CASCADE ON UPDATE CASCADE;
