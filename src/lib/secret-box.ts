import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from "node:crypto";

/**
 * Encryption at rest for what Okro must read back (webhook signing secrets, bank credentials):
 * AES-256-GCM with a 12-byte random IV and the row's identity as additional authenticated data,
 * so a ciphertext copied into another row (or another tenant's) fails to decrypt.
 *
 * Stored form: `v1.<key id>.<base64url(iv | tag | ciphertext)>`. The key id (first 8 hex chars of
 * SHA-256 of the key) says which key sealed a value, so a wrong OKRO_ENCRYPTION_KEY is reported
 * as such instead of as corrupt data, and keys can be rotated later by keeping old ones by id.
 */
export class SecretBox {
  readonly #key: Buffer;
  readonly keyId: string;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new RangeError("the encryption key must be 32 bytes");
    this.#key = key;
    this.keyId = createHash("sha256").update(key).digest("hex").slice(0, 8);
  }

  /** Seals `plain` for the row named by `aad` (e.g. `webhook_endpoints:<id>:secret`). */
  seal(plain: string, aad: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.#key, iv);
    cipher.setAAD(Buffer.from(aad, "utf8"));
    const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
    return `v1.${this.keyId}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url")}`;
  }

  /** Opens a sealed value; throws when it was sealed with another key, for another row, or tampered with. */
  open(sealed: string, aad: string): string {
    const [version, keyId, data] = sealed.split(".");
    if (version !== "v1" || !keyId || data === undefined) throw new Error("not a sealed value");
    if (keyId !== this.keyId) throw new Error(`sealed with another encryption key (${keyId}); is OKRO_ENCRYPTION_KEY the one this database was written with?`);
    const raw = Buffer.from(data, "base64url");
    if (raw.length < 28) throw new Error("sealed value is truncated");
    const decipher = createDecipheriv("aes-256-gcm", this.#key, raw.subarray(0, 12), { authTagLength: 16 });
    decipher.setAAD(Buffer.from(aad, "utf8"));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
  }

  /**
   * A stable keyed fingerprint (HMAC-SHA256, hex) of `plain` for `purpose`: for looking up by a
   * value that must not be stored in clear (a bank login's identifier). Without the key it cannot
   * be reversed by trying candidates (phone numbers, NUBANs); it changes if the key does.
   */
  fingerprint(plain: string, purpose: string): string {
    return createHmac("sha256", this.#key).update(`fingerprint\0${purpose}\0${plain}`, "utf8").digest("hex");
  }

  /** A fresh random key, base64 (what `OKRO_ENCRYPTION_KEY` holds). */
  static generateKey(): string {
    return randomBytes(32).toString("base64");
  }

  /** Parses `OKRO_ENCRYPTION_KEY`: 32 bytes as base64 (44 chars) or hex (64 chars). */
  static parseKey(text: string): Buffer {
    const trimmed = text.trim();
    const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, "hex") : Buffer.from(trimmed, "base64");
    if (key.length !== 32) throw new RangeError("must be 32 bytes, as base64 (openssl rand -base64 32) or 64 hex characters");
    return key;
  }
}
