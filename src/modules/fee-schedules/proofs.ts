import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';

export interface ScheduleProof {
  scheduleId: string;
  organisationId: string;
  sequence: number;
  hash: string;
  previousHash: string | null;
  signature: string;
  keyId: string;
  algorithm: 'Ed25519';
  hashAlgorithm: 'SHA-256';
  canonicalization: 'RFC 8785 (JCS)';
}

/** The tamper-evidence proof of a published schedule (filled in by the proofs work in progress). */
export async function getProof(_db: Kysely<Database> | Transaction<Database>, _scheduleId: string): Promise<ScheduleProof | undefined> {
  return undefined;
}
