import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { recordAudit } from '../../src/modules/audit/repository.js';
import { createTestDatabase, engines, type TestDatabase } from '../helpers/database.js';

describe.each(engines)('the audit trail on %s', (engine) => {
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await database?.cleanup();
    database = undefined;
  });

  it('is append-only: the database refuses UPDATE, DELETE and TRUNCATE', async () => {
    database = await createTestDatabase(engine);
    const { db } = database.handle;
    await recordAudit(db, {
      principal: { actor: 'cli', keyId: null, role: 'admin' },
      action: 'create',
      resourceType: 'organisation',
      resourceId: 'x',
      after: { name: 'Before' },
    });
    await expect(db.updateTable('audit_events').set({ action: 'tampered' }).execute()).rejects.toThrow(
      /append-only/,
    );
    await expect(db.deleteFrom('audit_events').execute()).rejects.toThrow(/append-only/);
    await expect(sql`truncate audit_events`.execute(db)).rejects.toThrow(/append-only/);
    const rows = await db.selectFrom('audit_events').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'create', after: { name: 'Before' } });
  });
});
