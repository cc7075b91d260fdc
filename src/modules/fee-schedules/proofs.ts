import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';
import { type Proof, type PublicKeyEntry, scheduleHash, signHash } from '../../domain/proofs.js';
import {
  chainHead,
  findProof,
  insertProof,
  insertSigningKey,
  type ProofRow,
  proofsOf,
  signingKeyRows,
} from './repository.js';
import type { FeeSchedule } from './schemas.js';
import type { SigningKey } from './signing.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface ScheduleProof extends Proof {
  algorithm: 'Ed25519';
  hashAlgorithm: 'SHA-256';
  canonicalization: 'RFC 8785 (JCS)';
}

function toProof(row: ProofRow): ScheduleProof {
  return {
    scheduleId: row.schedule_id,
    organisationId: row.organisation_id,
    sequence: row.sequence,
    hash: row.hash,
    previousHash: row.previous_hash,
    signature: row.signature,
    keyId: row.key_id,
    algorithm: 'Ed25519',
    hashAlgorithm: 'SHA-256',
    canonicalization: 'RFC 8785 (JCS)',
  };
}

export async function getProof(db: Db, scheduleId: string): Promise<ScheduleProof | undefined> {
  const row = await findProof(db, scheduleId);
  return row ? toProof(row) : undefined;
}

export async function organisationProofs(db: Db, organisationId: string) {
  return (await proofsOf(db, organisationId)).map(toProof);
}

/** Lists a signing key's public half (once); keys are never removed, so old signatures stay checkable. */
export async function registerSigningKey(db: Db, key: SigningKey): Promise<void> {
  await insertSigningKey(db, key);
}

export async function publishedKeys(
  db: Db,
): Promise<Array<PublicKeyEntry & { algorithm: string; createdAt: string }>> {
  const rows = await signingKeyRows(db);
  return rows.map((row) => ({
    keyId: row.key_id,
    publicKey: row.public_key,
    algorithm: row.algorithm,
    createdAt: row.created_at.toISOString(),
  }));
}

/**
 * Appends the schedule to its organisation's chain, inside the publishing transaction (which holds the
 * organisation's row lock, so the chain has one head at a time).
 */
export async function chainSchedule(
  trx: Transaction<Database>,
  schedule: FeeSchedule,
  key: SigningKey,
): Promise<ScheduleProof> {
  const head = await chainHead(trx, schedule.organisationId);
  const link = {
    organisationId: schedule.organisationId,
    sequence: (head?.sequence ?? 0) + 1,
    previousHash: head?.hash ?? null,
  };
  const hash = scheduleHash(link, schedule);
  const row = await insertProof(trx, {
    scheduleId: schedule.id,
    ...link,
    hash,
    signature: signHash(hash, key.privateKey),
    keyId: key.keyId,
  });
  return toProof(row);
}
