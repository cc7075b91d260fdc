import { randomBytes, timingSafeEqual } from 'node:crypto';
import { sha256 } from '../../core/principal.js';

/**
 * An API key is `cpk_<prefix>_<secret>`: a 12-hex-digit prefix that finds the row and may be shown,
 * and 32 random bytes (base64url). Only the prefix and the SHA-256 of the whole key are stored.
 */
const KEY_PATTERN = /^cpk_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/;

export interface NewKey {
  key: string;
  prefix: string;
  secretHash: string;
}

export function generateKey(): NewKey {
  const prefix = randomBytes(6).toString('hex');
  const key = `cpk_${prefix}_${randomBytes(32).toString('base64url')}`;
  return { key, prefix, secretHash: sha256(key).toString('hex') };
}

export function prefixOf(presented: string): string | undefined {
  return KEY_PATTERN.exec(presented)?.[1];
}

/** Compares a presented key with a stored hash in constant time. */
export function matchesHash(presented: string, storedHashHex: string): boolean {
  const stored = Buffer.from(storedHashHex, 'hex');
  const given = sha256(presented);
  return stored.length === given.length && timingSafeEqual(stored, given);
}
