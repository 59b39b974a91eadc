-- AlterTable
ALTER TABLE "Service" ADD COLUMN     "secrets" TEXT,
ADD COLUMN     "secretsKeyId" TEXT;
