// How a secrets key is written, in SECRETS_KEY and in a key file: 32 bytes as base64 or hex.

export const secretsKeyBytes = 32;
export const secretsKeyFormat = "must be 32 bytes written as base64 (44 characters) or hex (64 characters), e.g. the output of `openssl rand -base64 32`";

/** The key's bytes, or null when `text` is not 32 bytes in base64 or hex. */
export function parseSecretsKey(text: string): Buffer | null {
  const trimmed = text.trim();
  if (/^[0-9a-f]{64}$/i.test(trimmed)) return Buffer.from(trimmed, "hex");
  if (!/^[A-Za-z0-9+/]{43}=?$/.test(trimmed)) return null;
  const bytes = Buffer.from(trimmed, "base64");
  return bytes.length === secretsKeyBytes ? bytes : null;
}
