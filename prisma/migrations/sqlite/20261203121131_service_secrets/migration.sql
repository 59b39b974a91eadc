-- AlterTable
ALTER TABLE "Service" ADD COLUMN "secrets" TEXT;
ALTER TABLE "Service" ADD COLUMN "secretsKeyId" TEXT;
