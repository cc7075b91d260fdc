import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createTestDatabase, engines, type TestDatabase } from '../helpers/database.js';

describe.each(engines)('migrations on %s', (engine) => {
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await database?.cleanup();
    database = undefined;
  });

  it('apply every migration once, then find nothing pending', async () => {
    database = await createTestDatabase(engine, { migrate: false });
    const applied = await migrateToLatest(database.handle.db);
    expect(applied).toEqual(Object.keys(migrations));
    expect(await migrateToLatest(database.handle.db)).toEqual([]);
    const meta = await database.handle.db.selectFrom('app_meta').selectAll().execute();
    expect(meta.map((row) => [row.key, row.value])).toEqual([['pricing_method_version', '2']]);
  });

  it('returns numeric, bigint and date as exact strings on both drivers', async () => {
    database = await createTestDatabase(engine);
    const { rows } = await sql<{ money: unknown; big: unknown; day: unknown; count: unknown }>`
      select 12345678901234.5678::numeric(19, 4) as money,
             9007199254740993::int8 as big,
             '2028-02-29'::date as day,
             count(*) as count
    `.execute(database.handle.db);
    expect(rows[0]).toEqual({
      money: '12345678901234.5678',
      big: '9007199254740993',
      day: '2028-02-29',
      count: '1',
    });
  });
});
