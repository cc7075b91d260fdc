import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'kysely';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import {
  type DatabaseHandle,
  type DatabaseNotice,
  makePgliteTemplate,
  openDatabase,
  PGLITE_SETTINGS,
  pgliteTemplateStamp,
  usableTemplate,
} from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { collectStartupGarbage } from '../../src/db/startup.js';

/**
 * PGlite's memory: the PostgreSQL settings it runs with (a new folder, a folder made before them, in
 * memory); a new folder's database made by initdb in the folder itself, not in memory and unpacked
 * from a tarball; a first start interrupted part-way taken up again; and the garbage collection that
 * ends start-up.
 */
const temporary: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  temporary.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

const setting = async (database: DatabaseHandle, name: string) =>
  (await sql<{ setting: string }>`select current_setting(${name}) as setting`.execute(database.db)).rows[0]!
    .setting;

const confLine = (dataDir: string, name: string) =>
  new RegExp(`^${name} = (\\S+)`, 'm').exec(readFileSync(path.join(dataDir, 'postgresql.conf'), 'utf8'))?.[1];

describe('PGlite in a data folder', () => {
  it('makes a new folder’s database in the folder, with the settings in postgresql.conf and in force', async () => {
    expect(PGLITE_SETTINGS.shared_buffers).toBe('16MB');
    const dataDir = tempDir('care-pglite-new-');
    const dumps = vi.spyOn(PGlite.prototype, 'dumpDataDir');
    const database = await openDatabase({ dataDir });
    try {
      // initdb wrote to the folder: no database was made in memory and copied out as a tarball
      expect(dumps).not.toHaveBeenCalled();
      expect(existsSync(path.join(dataDir, 'PG_VERSION'))).toBe(true);
      expect(existsSync(path.join(dataDir, 'initdb.tmp'))).toBe(false);
      expect(await setting(database, 'shared_buffers')).toBe('16MB');
      expect(confLine(dataDir, 'shared_buffers')).toBe('16MB');
      await migrateToLatest(database.db);
      await sql`create table kept (note text)`.execute(database.db);
      await sql`insert into kept values ('written before closing')`.execute(database.db);
    } finally {
      await database.close();
    }
    // and it opens again as it was left
    const again = await openDatabase({ dataDir });
    try {
      const rows = await sql<{ note: string }>`select note from kept`.execute(again.db);
      expect(rows.rows.map((row) => row.note)).toEqual(['written before closing']);
    } finally {
      await again.close();
    }
  }, 180_000);

  it('takes up a first start that stopped part-way, and runs a folder made before with the settings', async () => {
    const dataDir = tempDir('care-pglite-interrupted-');
    // what a first start killed while it moved initdb's files into place leaves: the initdb folder
    // with what was not moved yet, some entries moved already, no PG_VERSION; and the service's own files
    mkdirSync(path.join(dataDir, 'initdb.tmp', 'base'), { recursive: true });
    writeFileSync(path.join(dataDir, 'initdb.tmp', 'PG_VERSION'), '18\n');
    mkdirSync(path.join(dataDir, 'global'));
    writeFileSync(path.join(dataDir, 'global', 'half-written'), 'x');
    writeFileSync(path.join(dataDir, 'signing-key.pem'), 'kept');
    const first = await openDatabase({ dataDir });
    try {
      await migrateToLatest(first.db);
      expect(existsSync(path.join(dataDir, 'initdb.tmp'))).toBe(false);
      expect(existsSync(path.join(dataDir, 'global', 'half-written'))).toBe(false);
      expect(readFileSync(path.join(dataDir, 'signing-key.pem'), 'utf8')).toBe('kept');
    } finally {
      await first.close();
    }

    // a folder made by an earlier version has PostgreSQL's default in its postgresql.conf
    const conf = path.join(dataDir, 'postgresql.conf');
    writeFileSync(
      conf,
      readFileSync(conf, 'utf8').replace(/^shared_buffers = .*$/m, 'shared_buffers = 128MB'),
    );
    const older = await openDatabase({ dataDir });
    try {
      expect(await setting(older, 'shared_buffers')).toBe('16MB');
      expect(confLine(dataDir, 'shared_buffers')).toBe('128MB'); // left as it was
    } finally {
      await older.close();
    }
  }, 180_000);
});

describe('a new data folder from the build’s template', () => {
  it('starts as a copy of a template made by this PGlite, and runs initdb when the template is another’s', async () => {
    const template = path.join(tempDir('care-pglite-template-'), 'template');
    expect(await makePgliteTemplate(template)).toBe('made');
    // made beside, then renamed into place: nothing else is left
    expect(readdirSync(path.dirname(template))).toEqual(['template']);
    expect(await makePgliteTemplate(template)).toBe('up to date');
    expect(usableTemplate(template)).toBe(path.join(template, 'pgdata'));
    expect(readFileSync(path.join(template, 'stamp.json'), 'utf8')).toBe(pgliteTemplateStamp());

    const dataDir = tempDir('care-pglite-from-template-');
    const notices: DatabaseNotice[] = [];
    const dumps = vi.spyOn(PGlite.prototype, 'dumpDataDir');
    const first = await openDatabase({ dataDir, pgliteTemplate: template, onNotice: (n) => notices.push(n) });
    try {
      expect(notices.map((n) => n.message)).toContain(
        'made a new database in the data folder from the build’s template',
      );
      expect(dumps).not.toHaveBeenCalled();
      expect(existsSync(path.join(dataDir, 'initdb.tmp'))).toBe(false);
      expect(await setting(first, 'shared_buffers')).toBe('16MB');
      // the copy is the folder's own, private like any other
      expect(statSync(path.join(dataDir, 'PG_VERSION')).mode & 0o077).toBe(0);
      expect(statSync(path.join(dataDir, 'base')).mode & 0o777).toBe(0o700);
      await migrateToLatest(first.db);
      await sql`create table kept (note text)`.execute(first.db);
      await sql`insert into kept values ('in the copy')`.execute(first.db);
    } finally {
      await first.close();
    }
    // the template is untouched by what the folder made from it did
    const again = await openDatabase({ dataDir, pgliteTemplate: template });
    try {
      expect((await sql<{ note: string }>`select note from kept`.execute(again.db)).rows).toEqual([
        { note: 'in the copy' },
      ]);
    } finally {
      await again.close();
    }
    const fromTemplateAgain = tempDir('care-pglite-from-template-again-');
    const second = await openDatabase({ dataDir: fromTemplateAgain, pgliteTemplate: template });
    try {
      const tables = await sql<{
        n: number;
      }>`select count(*)::int as n from pg_tables where tablename = 'kept'`.execute(second.db);
      expect(tables.rows[0]!.n).toBe(0);
    } finally {
      await second.close();
    }

    // a template made by another PGlite (or with other settings) is not used: initdb runs
    writeFileSync(path.join(template, 'stamp.json'), '{"format":1,"pglite":"0.0.0","settings":{}}\n');
    expect(usableTemplate(template)).toBeUndefined();
    const otherNotices: DatabaseNotice[] = [];
    const other = tempDir('care-pglite-stale-template-');
    const third = await openDatabase({
      dataDir: other,
      pgliteTemplate: template,
      onNotice: (n) => otherNotices.push(n),
    });
    try {
      expect(otherNotices.map((n) => n.message)).toContain('made a new database in the data folder (initdb)');
      expect(await setting(third, 'shared_buffers')).toBe('16MB');
    } finally {
      await third.close();
    }
    // and making it again replaces it; so it does one whose making stopped before its stamp
    expect(await makePgliteTemplate(template)).toBe('made');
    expect(usableTemplate(template)).toBe(path.join(template, 'pgdata'));
    rmSync(path.join(template, 'stamp.json'));
    expect(usableTemplate(template)).toBeUndefined();
    expect(await makePgliteTemplate(template)).toBe('made');
    expect(readdirSync(path.dirname(template))).toEqual(['template']);
  }, 240_000);
});

describe('PGlite in memory', () => {
  it('runs with the same settings', async () => {
    const database = await openDatabase({ dataDir: 'memory://' });
    try {
      expect(await setting(database, 'shared_buffers')).toBe('16MB');
    } finally {
      await database.close();
    }
  }, 60_000);
});

describe('the end of start-up', () => {
  it('collects the garbage start-up left', async () => {
    expect(await collectStartupGarbage()).toBe(true);
  });
});
