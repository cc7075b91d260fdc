import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, FeeScheduleProofsTable } from '../../db/schema.js';
import { type Proof, type PublicKeyEntry, scheduleHash, signHash } from '../../domain/proofs.js';
import type { FeeSchedule } from './schemas.js';
import type { SigningKey } from './signing.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface ScheduleProof extends Proof {
  algorithm: 'Ed25519';
  hashAlgorithm: 'SHA-256';
  canonicalization: 'RFC 8785 (JCS)';
}

function toProof(row: Selectable<FeeScheduleProofsTable>): ScheduleProof {
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
  const row = await db
    .selectFrom('fee_schedule_proofs')
    .selectAll()
    .where('schedule_id', '=', scheduleId)
    .executeTakeFirst();
  return row ? toProof(row) : undefined;
}

export async function organisationProofs(db: Db, organisationId: string) {
  const rows = await db
    .selectFrom('fee_schedule_proofs')
    .selectAll()
    .where('organisation_id', '=', organisationId)
    .orderBy('sequence')
    .execute();
  return rows.map(toProof);
}

/** Lists a signing key's public half (once); keys are never removed, so old signatures stay checkable. */
export async function registerSigningKey(db: Db, key: SigningKey): Promise<void> {
  await db
    .insertInto('signing_keys')
    .values({ key_id: key.keyId, public_key: key.publicKeyPem })
    .onConflict((oc) => oc.column('key_id').doNothing())
    .execute();
}

export async function publishedKeys(
  db: Db,
): Promise<Array<PublicKeyEntry & { algorithm: string; createdAt: string }>> {
  const rows = await db.selectFrom('signing_keys').selectAll().orderBy('created_at').execute();
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
  const head = await trx
    .selectFrom('fee_schedule_proofs')
    .select(['sequence', 'hash'])
    .where('organisation_id', '=', schedule.organisationId)
    .orderBy('sequence', 'desc')
    .limit(1)
    .executeTakeFirst();
  const link = {
    organisationId: schedule.organisationId,
    sequence: (head?.sequence ?? 0) + 1,
    previousHash: head?.hash ?? null,
  };
  const hash = scheduleHash(link, schedule);
  const row = await trx
    .insertInto('fee_schedule_proofs')
    .values({
      schedule_id: schedule.id,
      organisation_id: link.organisationId,
      sequence: link.sequence,
      hash,
      previous_hash: link.previousHash,
      signature: signHash(hash, key.privateKey),
      key_id: key.keyId,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toProof(row);
}
