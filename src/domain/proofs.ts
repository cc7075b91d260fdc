import { createHash, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import canonicalize from 'canonicalize';

/**
 * Tamper evidence for published fee schedules (docs/verifying.md).
 *
 * Each schedule's proof is the SHA-256 of the RFC 8785 canonical JSON of
 * `{ chain: { organisationId, sequence, previousHash }, schedule }`, where `schedule` is the schedule
 * exactly as the API serves it (frozen model and breakdown included) and `previousHash` is the hash of
 * the organisation's previous schedule (null for its first). The hash, as lower-case hex text, is
 * signed with Ed25519. Altering any published figure changes its hash; the next schedule still names
 * the old hash, so the chain shows where it was altered. Pure: no clock, no randomness.
 */
export interface ChainLink {
  organisationId: string;
  sequence: number;
  previousHash: string | null;
}

export interface Proof extends ChainLink {
  scheduleId: string;
  hash: string;
  signature: string;
  keyId: string;
}

export interface PublicKeyEntry {
  keyId: string;
  publicKey: string;
}

export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new Error('cannot canonicalise an undefined value');
  return text;
}

/** SHA-256 (lower-case hex) of a document's RFC 8785 canonical JSON: what every signed document signs. */
export function documentHash(document: unknown): string {
  return createHash('sha256').update(canonicalJson(document)).digest('hex');
}

export function scheduleHash(link: ChainLink, schedule: unknown): string {
  return documentHash({ chain: link, schedule });
}

export function signHash(hash: string, privateKey: KeyObject): string {
  return sign(null, Buffer.from(hash, 'utf8'), privateKey).toString('base64');
}

export function keyIdOf(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}

export function signatureValid(hash: string, signature: string, publicKeyPem: string): boolean {
  try {
    return verify(
      null,
      Buffer.from(hash, 'utf8'),
      createPublicKey(publicKeyPem),
      Buffer.from(signature, 'base64'),
    );
  } catch {
    return false;
  }
}

export interface EntryCheck {
  scheduleId: string;
  sequence: number;
  ok: boolean;
  problems: string[];
}

/**
 * Checks schedules with their proofs, in chain order: each hash recomputed from the schedule, each
 * signature against the listed keys, each link to the previous entry's hash. Says exactly which
 * schedule fails and why.
 */
export function verifyEntries(
  entries: readonly { schedule: { id: string; organisationId: string }; proof: Proof }[],
  keys: readonly PublicKeyEntry[],
  options: { checkLinks?: boolean } = {},
): EntryCheck[] {
  const byId = new Map(keys.map((key) => [key.keyId, key.publicKey]));
  const checks: EntryCheck[] = [];
  let previous: Proof | undefined;
  for (const { schedule, proof } of entries) {
    const problems: string[] = [];
    if (proof.scheduleId !== schedule.id)
      problems.push(`the proof is for schedule ${proof.scheduleId}, not ${schedule.id}`);
    const recomputed = scheduleHash(
      { organisationId: proof.organisationId, sequence: proof.sequence, previousHash: proof.previousHash },
      schedule,
    );
    if (recomputed !== proof.hash) {
      problems.push(
        `its content does not match its published hash (published ${proof.hash}, content hashes to ${recomputed}): it was altered`,
      );
    }
    const publicKey = byId.get(proof.keyId);
    if (!publicKey)
      problems.push(`it is signed with key ${proof.keyId}, which is not among the published keys`);
    else if (!signatureValid(proof.hash, proof.signature, publicKey))
      problems.push('its signature does not match its hash');
    if (options.checkLinks !== false && previous) {
      if (proof.sequence !== previous.sequence + 1)
        problems.push(`it follows sequence ${previous.sequence}, not ${proof.sequence - 1}`);
      if (proof.previousHash !== previous.hash) {
        problems.push(
          `it links to ${proof.previousHash}, but the schedule before it hashes to ${previous.hash}`,
        );
      }
    }
    checks.push({ scheduleId: schedule.id, sequence: proof.sequence, ok: problems.length === 0, problems });
    previous = proof;
  }
  return checks;
}
