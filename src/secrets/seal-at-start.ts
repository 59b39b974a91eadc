// At start: services saved before secrets were sealed still hold them in their config, and are
// sealed now, before anything runs; those sealed with a previous key (SECRETS_PREVIOUS_KEYS) are
// sealed again with the key in use, which completes a rotation; those sealed with a key that is
// neither are reported, as their runs fail until that key is back.
import type { DbClient, Prisma } from "../db/database.js";
import { serviceKindNames, type ServiceKind } from "../domain/service-kinds.js";
import { openSecrets, sealSecrets, splitSecrets } from "../domain/service-secrets.js";
import type { Logger } from "../logger.js";
import type { SecretsCipher } from "./secrets-cipher.js";

export async function sealServiceSecretsAtStart(db: DbClient, cipher: SecretsCipher, logger: Logger): Promise<void> {
  const unsealed = await db.service.findMany({ where: { secrets: null }, select: { id: true, kind: true, config: true } });
  let sealed = 0;
  for (const service of unsealed) {
    const kind = service.kind as ServiceKind;
    if (!serviceKindNames.includes(kind)) continue;
    const split = splitSecrets(kind, service.config as Record<string, unknown>);
    // Unless another process sealed it meanwhile (or an edit did).
    const { count } = await db.service.updateMany({
      where: { id: service.id, secrets: null },
      data: { config: split.config as Prisma.InputJsonObject, ...sealSecrets(cipher, service.id, split.secrets) },
    });
    sealed += count;
  }
  if (sealed > 0) logger.info({ services: sealed }, "sealed the secrets of services saved before secrets were sealed");
  await sealAgainWithTheKeyInUse(db, cipher, logger);
  const otherKey = await db.service.count({ where: { secretsKeyId: { notIn: [cipher.key.id, ...cipher.previousKeyIds] } } });
  if (otherKey > 0) {
    logger.warn(
      { services: otherKey, keyId: cipher.key.id },
      "services have secrets sealed with another key than the one in use (SECRETS_KEY, SECRETS_KEY_FILE): their runs fail until that key is given again, or their secrets are sent again",
    );
  }
}

async function sealAgainWithTheKeyInUse(db: DbClient, cipher: SecretsCipher, logger: Logger): Promise<void> {
  if (cipher.previousKeyIds.length === 0) return;
  const services = await db.service.findMany({ where: { secretsKeyId: { in: cipher.previousKeyIds } }, select: { id: true, secrets: true, secretsKeyId: true } });
  let resealed = 0;
  for (const service of services) {
    const values = openSecrets(cipher, service.id, service);
    // Unless another process sealed it again meanwhile (or an edit did).
    const { count } = await db.service.updateMany({ where: { id: service.id, secretsKeyId: service.secretsKeyId }, data: sealSecrets(cipher, service.id, values) });
    resealed += count;
  }
  if (resealed > 0) {
    logger.info(
      { services: resealed, keyId: cipher.key.id },
      "sealed again with the key in use the secrets of services sealed with a previous key; once every process uses the new key, SECRETS_PREVIOUS_KEYS may go",
    );
  }
}
