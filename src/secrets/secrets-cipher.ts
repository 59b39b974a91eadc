// Seals values with AES-256-GCM (node:crypto): a random 96-bit IV per value, and the place the
// value belongs to (e.g. the service's id) as additional data, so a sealed value copied into
// another row does not open there. A sealed value is `v1:<iv>:<tag>:<ciphertext>` (base64url);
// the id of the key that sealed it is stored beside it, so that a previous key (rotation) still
// opens what it sealed.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { SecretsKey, SecretsKeys } from "./secrets-key.js";

export interface Sealed {
  sealed: string;
  keyId: string;
}

/** A sealed value that cannot be opened: another key sealed it, or it was altered. */
export class SecretsUnreadableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SecretsUnreadableError";
  }
}

const algorithm = "aes-256-gcm";
const version = "v1";

export class SecretsCipher {
  /** The key that seals. */
  readonly key: SecretsKey;
  readonly #openers: Map<string, SecretsKey>;

  constructor(keys: SecretsKeys) {
    this.key = keys.current;
    this.#openers = new Map([keys.current, ...keys.previous].map((key) => [key.id, key]));
  }

  /** The ids of the keys used before the one in use, which still open what they sealed. */
  get previousKeyIds(): string[] {
    return [...this.#openers.keys()].filter((id) => id !== this.key.id);
  }

  seal(plaintext: string, context: string): Sealed {
    const iv = randomBytes(12);
    const cipher = createCipheriv(algorithm, this.key.bytes, iv);
    cipher.setAAD(Buffer.from(context, "utf8"));
    const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    const parts = [iv, cipher.getAuthTag(), ciphertext].map((part) => part.toString("base64url"));
    return { sealed: [version, ...parts].join(":"), keyId: this.key.id };
  }

  open({ sealed, keyId }: Sealed, context: string): string {
    const key = this.#openers.get(keyId);
    if (!key) {
      throw new SecretsUnreadableError(
        `they were sealed with the secrets key ${keyId}, and the key in use is ${this.key.id} (SECRETS_KEY, SECRETS_KEY_FILE; earlier keys in SECRETS_PREVIOUS_KEYS)`,
      );
    }
    const [format, iv, tag, ciphertext] = sealed.split(":");
    if (format !== version || iv === undefined || tag === undefined || ciphertext === undefined) throw new SecretsUnreadableError("they are not sealed in a known format");
    try {
      const decipher = createDecipheriv(algorithm, key.bytes, Buffer.from(iv, "base64url"));
      decipher.setAAD(Buffer.from(context, "utf8"));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString("utf8");
    } catch {
      throw new SecretsUnreadableError("they do not open with the secrets key in use: they were altered, or belong to another service");
    }
  }
}
