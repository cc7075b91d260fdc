import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { MemoryFS, PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import type { Database } from './schema.js';

export type Engine = 'pglite' | 'postgres';

export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly engine: Engine;
  /** Resolves when the database answers a trivial query, rejects otherwise. */
  ping(timeoutMs?: number): Promise<void>;
  /** Closes the pool or the embedded database; safe to call twice. */
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** A PostgreSQL server; without it the embedded PGlite is used. */
  databaseUrl?: string | undefined;
  /** PGlite data folder; `memory://` (or undefined) keeps it in memory. */
  dataDir?: string | undefined;
  /** PGlite only: the folder's lock, already taken with lockDataDir (server.ts times the two steps apart). */
  dataDirLock?: DataDirLock | undefined;
  /** PostgreSQL only: the schema to work in (tests give each file its own). */
  searchPath?: string | undefined;
  /** PostgreSQL only: how the connections are named in pg_stat_activity. */
  applicationName?: string | undefined;
  poolMax?: number;
  statementTimeoutMs?: number;
  /** PostgreSQL only: a transaction left idle this long is ended by the server (its session too). */
  idleInTransactionTimeoutMs?: number;
  connectTimeoutMs?: number;
  onPoolError?: (error: Error) => void;
  /** What opening noticed that an operator should know (a lock taken over, files made private). */
  onNotice?: (notice: DatabaseNotice) => void;
  /**
   * PGlite only: a template folder made by makePgliteTemplate (`npm run build` makes one in
   * dist/pglite-template). A new data folder starts as a copy of its database instead of running
   * initdb, when the template was made by this PGlite with these settings; otherwise initdb runs.
   */
  pgliteTemplate?: string | undefined;
}

export interface DatabaseNotice {
  level: 'info' | 'warn';
  message: string;
  [detail: string]: unknown;
}

export const DEFAULT_APPLICATION_NAME = 'cost-plus-care-pricing';
export const DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;

// Type parity between the drivers: numeric (money), int8 and date come back as strings on both,
// so that no amount ever passes through a JavaScript number and no date through a time zone.
const INT8 = 20;
const NUMERIC = 1700;
const DATE = 1082;
const asString = (value: string) => value;

export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
}

export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<DatabaseHandle> {
  return options.databaseUrl ? openPostgres(options.databaseUrl, options) : openPglite(options);
}

/** True for a dataDir that keeps PGlite in memory (no folder, no lock). */
export function isInMemory(dataDir: string | undefined): boolean {
  return dataDir === undefined || dataDir.startsWith('memory://');
}

// ---------------------------------------------------------------------------------------------------
// The PGlite data folder: private to the service's OS user, and locked to one process.

/** The lock on a PGlite data folder, held from lockDataDir until release (which close() calls). */
export interface DataDirLock {
  readonly dataDir: string;
  /** Removes the lock file, if it is still this holder's; safe to call twice. */
  release(): void;
}

/** Who holds a lock: written next to the lock file (whose content stays the bare pid, as before). */
interface LockOwner {
  pid: number;
  /** /proc/<pid>/stat field 22: clock ticks from boot to the process's start (Linux only). */
  startTicks?: string;
  /** /proc/sys/kernel/random/boot_id: which boot of the machine the start time counts from. */
  bootId?: string;
  /** Random, per holder: tells this holder's lock from an earlier one of the same pid. */
  token: string;
}

export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
}

/** Tokens of the locks this process holds: a second opener in the same process is refused. */
const heldLocks = new Set<string>();

const LOCK_FILE = 'service.lock';
const OWNER_FILE = 'service.lock.owner';

/**
 * PGlite is a database in this process: a second process opening the same folder would corrupt it.
 * The folder is made private to this OS user (0700) first, then locked: `service.lock` holds the
 * owner's pid (made with O_EXCL), and `service.lock.owner` who that process is (its start time since
 * boot and the boot's id, from /proc). A lock is taken over when its process has gone (or is a
 * zombie), when the machine has rebooted since, or when the pid now belongs to a process that started
 * at another time (the pid was reused after a crash). A lock whose process is alive and cannot be told
 * apart (no /proc, or a lock written by an older version) is refused at once with a message naming
 * the pid and the file to delete. Synchronous, and never waits.
 */
export function lockDataDir(dataDir: string, onNotice?: (notice: DatabaseNotice) => void): DataDirLock {
  prepareFolder(dataDir, onNotice);
  const lockFile = path.join(dataDir, LOCK_FILE);
  const ownerFile = path.join(dataDir, OWNER_FILE);
  const me: LockOwner = { pid: process.pid, ...processIdentity(process.pid), token: randomToken() };
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx', mode: 0o600 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      takeOverIfStale(dataDir, lockFile, ownerFile, onNotice);
      continue;
    }
    try {
      writeOwner(ownerFile, me);
    } catch (error) {
      rmSync(lockFile, { force: true });
      throw error;
    }
    heldLocks.add(me.token);
    let released = false;
    return {
      dataDir,
      release() {
        if (released) return;
        released = true;
        heldLocks.delete(me.token);
        // Only a lock that is still ours is removed (one taken over meanwhile belongs to its taker).
        const owner = readOwner(ownerFile);
        if (owner && owner.token !== me.token) return;
        rmSync(ownerFile, { force: true });
        if (readText(lockFile)?.trim() === String(process.pid)) rmSync(lockFile, { force: true });
      },
    };
  }
  throw new DataDirLockedError(`Could not lock ${dataDir}: its lock file kept changing (another process?)`);
}

/** Throws when the lock is live; otherwise moves the stale lock out of the way (atomically). */
function takeOverIfStale(
  dataDir: string,
  lockFile: string,
  ownerFile: string,
  onNotice?: (notice: DatabaseNotice) => void,
): void {
  const content = readText(lockFile);
  if (content === undefined) return; // gone meanwhile: try again
  const verdict = judgeLock(content, readOwner(ownerFile));
  if (verdict.live) {
    throw new DataDirLockedError(verdict.message(dataDir, lockFile));
  }
  // Rename, then check that what was renamed is what was judged: of two processes taking over one
  // stale lock at once, one renames it and the other finds nothing (ENOENT) or the winner's new lock,
  // which it puts back.
  const aside = `${lockFile}.stale-${randomToken()}`;
  try {
    renameSync(lockFile, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = readText(aside);
  if (moved !== content) {
    try {
      linkSync(aside, lockFile);
    } catch {
      // a newer lock is there already
    }
    rmSync(aside, { force: true });
    return;
  }
  rmSync(aside, { force: true });
  onNotice?.({
    level: 'warn',
    message: `took over a stale lock on the data folder: ${verdict.reason}`,
    dataDir,
  });
}

interface Verdict {
  live: boolean;
  reason: string;
  message(dataDir: string, lockFile: string): string;
}

function judgeLock(content: string, owner: LockOwner | undefined): Verdict {
  const pid = Number(content.trim());
  const stale = (reason: string): Verdict => ({ live: false, reason, message: () => reason });
  if (!Number.isInteger(pid) || pid <= 0) return stale(`the lock file held no process id ("${content}")`);
  if (pid === process.pid) {
    if (owner?.pid === pid && heldLocks.has(owner.token)) {
      return {
        live: true,
        reason: 'held by this process',
        message: (dataDir) => `The database in ${dataDir} is already open in this process (${pid})`,
      };
    }
    return stale(`the lock names this process's own pid ${pid}: left by an earlier process of that number`);
  }
  if (!isAlive(pid)) return stale(`process ${pid} has gone`);
  const identity = procStat(pid);
  if (identity?.state === 'Z' || identity?.state === 'X') return stale(`process ${pid} has ended (zombie)`);
  const known = owner !== undefined && owner.pid === pid && owner.startTicks !== undefined;
  if (known && identity) {
    const bootId = readBootId();
    if (owner.bootId && bootId && owner.bootId !== bootId)
      return stale(`the machine has restarted since process ${pid} took the lock`);
    if (identity.startTicks !== owner.startTicks) {
      return stale(`process ${pid} is not the one that took the lock (its number was reused after a crash)`);
    }
    return {
      live: true,
      reason: `process ${pid} holds it`,
      message: (dataDir) =>
        `The database in ${dataDir} is in use by process ${pid}: stop it first (or use the API / DATABASE_URL)`,
    };
  }
  // Alive, and nothing tells whether it is the process that took the lock: refuse, and say how to resolve.
  return {
    live: true,
    reason: `process ${pid} is alive`,
    message: (dataDir, lockFile) =>
      `The database in ${dataDir} is in use by process ${pid}: stop it first (or use the API / DATABASE_URL). ` +
      `If process ${pid} is not this service (its number was reused after a crash), delete ${lockFile} and start again`,
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The state and start time of a process from /proc/<pid>/stat; undefined where there is no /proc. */
function procStat(pid: number): { state: string; startTicks: string } | undefined {
  const text = readText(`/proc/${pid}/stat`);
  if (!text) return undefined;
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so count from the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTicks = fields[19]; // field 22 of the whole line
  if (!state || !startTicks || !/^\d+$/.test(startTicks)) return undefined;
  return { state, startTicks };
}

function processIdentity(pid: number): Pick<LockOwner, 'startTicks' | 'bootId'> {
  const stat = procStat(pid);
  const bootId = readBootId();
  return { ...(stat ? { startTicks: stat.startTicks } : {}), ...(bootId ? { bootId } : {}) };
}

function readBootId(): string | undefined {
  return readText('/proc/sys/kernel/random/boot_id')?.trim() || undefined;
}

function readOwner(file: string): LockOwner | undefined {
  const text = readText(file);
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<LockOwner>;
    if (!Number.isInteger(parsed.pid) || typeof parsed.token !== 'string') return undefined;
    return parsed as LockOwner;
  } catch {
    return undefined;
  }
}

function writeOwner(file: string, owner: LockOwner): void {
  const temporary = `${file}.${owner.token}`;
  writeFileSync(temporary, `${JSON.stringify(owner)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function randomToken(): string {
  return randomBytes(12).toString('hex');
}

/** Makes the folder (0700) or narrows an existing one to 0700. */
function prepareFolder(dataDir: string, onNotice?: (notice: DatabaseNotice) => void): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const mode = statSync(dataDir).mode & 0o777; // the folder itself, even through a symbolic link
  if (mode === 0o700) return;
  try {
    chmodSync(dataDir, 0o700);
  } catch (error) {
    onNotice?.({
      level: 'warn',
      message: 'could not make the data folder private (0700): other local users may read the database',
      dataDir,
      mode: mode.toString(8),
      err: error,
    });
  }
}

/**
 * Takes group and other permissions off everything in the folder: directories 0700, files 0600 (an
 * owner's execute bit is kept). PGlite writes the files made by initdb 0666 whatever the umask, and
 * those of a folder made by an older version are that way too. Cheap: about 20 ms for 1,000 files.
 */
export function makeFolderPrivate(dataDir: string): { changed: number; failed: string[] } {
  let changed = 0;
  const failed: string[] = [];
  const visit = (entry: string) => {
    let stat: ReturnType<typeof lstatSync>;
    try {
      stat = lstatSync(entry);
    } catch {
      return; // gone meanwhile
    }
    if (stat.isSymbolicLink()) return;
    const mode = stat.mode & 0o777;
    if (mode & 0o077) {
      try {
        chmodSync(entry, stat.isDirectory() ? 0o700 : mode & 0o700);
        changed++;
      } catch {
        failed.push(entry);
      }
    }
    if (stat.isDirectory()) {
      let names: string[] = [];
      try {
        names = readdirSync(entry);
      } catch {
        failed.push(entry);
      }
      for (const name of names) visit(path.join(entry, name));
    }
  };
  visit(dataDir);
  return { changed, failed };
}

function reportPrivacy(
  dataDir: string,
  result: { changed: number; failed: string[] },
  onNotice?: (notice: DatabaseNotice) => void,
): void {
  if (result.failed.length > 0) {
    onNotice?.({
      level: 'warn',
      message: 'could not make some files of the data folder private (not owned by this user?)',
      dataDir,
      failed: result.failed.slice(0, 10),
      failedCount: result.failed.length,
    });
  } else if (result.changed > 0) {
    onNotice?.({
      level: 'info',
      message: 'made the data folder private: group and other permissions removed',
      dataDir,
      files: result.changed,
    });
  }
}

// ---------------------------------------------------------------------------------------------------
// PGlite's memory: PostgreSQL runs in this process, its memory a WebAssembly heap of this process's.

/**
 * PostgreSQL settings of the embedded database. PostgreSQL's defaults are a server's: shared_buffers
 * of 128 MB, in PGlite's WebAssembly heap and touched at start, kept about 130 MB resident for a
 * database of a few MB that the operating system caches anyway (PGlite reads and writes the data
 * folder through it). Given on the command line at every start, so that they win over the
 * postgresql.conf of a folder made before, and to initdb, so that a new folder's postgresql.conf
 * has them too.
 */
export const PGLITE_SETTINGS: Readonly<Record<string, string>> = {
  shared_buffers: '16MB',
};

/**
 * For the PGlite that only hosts initdb (createPgliteDatabase), which PGlite starts once initdb is done
 * and which is closed at once: the least shared memory PostgreSQL starts with, so that its start adds
 * little to the peak of a first start. Not written to postgresql.conf.
 */
const INITDB_HOST_SETTINGS: Readonly<Record<string, string>> = { shared_buffers: '128kB' };

const startParams = (settings: Readonly<Record<string, string>>) => [
  ...PGlite.defaultStartParams,
  ...settingArgs(settings),
];

function settingArgs(settings: Readonly<Record<string, string>>): string[] {
  return Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
}

/** The folder a new database is made in, inside the data folder, before it is moved into place. */
const INITDB_FOLDER = 'initdb.tmp';

type EmscriptenOptions = Parameters<MemoryFS['init']>[1];

/**
 * A folder on disk mounted as PGDATA, as PGlite's NodeFS mounts the data folder, but a MemoryFS to
 * PGlite. initdb runs in a second PGlite: for a MemoryFS, PGlite points that one's PGDATA at this
 * file system, so initdb writes the new database straight to the folder; for any other, initdb
 * writes it into the second PGlite's memory, which PGlite then copies out as a tarball and unpacks:
 * about 40 MB of files held several times over, some 175 MB more at the peak of a first start, on top
 * of the 256 MB that initdb itself takes (the second PGlite's heap and PGlite's copy of it).
 */
class InitdbFolderFS extends MemoryFS {
  constructor(private readonly folder: string) {
    super();
  }

  override async init(pg: PGlite, emscriptenOptions: EmscriptenOptions) {
    this.pg = pg;
    const mountFolder: NonNullable<EmscriptenOptions['preRun']>[number] = (mod) => {
      mod.FS.mkdirTree(PGlite.paths.PGDATA);
      mod.FS.mount(mod.NODEFS, { root: this.folder }, PGlite.paths.PGDATA);
    };
    return {
      emscriptenOpts: { ...emscriptenOptions, preRun: [...(emscriptenOptions.preRun ?? []), mountFolder] },
    };
  }
}

/**
 * A new data folder's database: initdb (or a copy of a usable template's database) in a folder of its
 * own inside the data folder (initdb wants an empty folder, and the data folder holds the lock), then
 * each entry moved into the data folder, PG_VERSION last, since PGlite takes a folder with PG_VERSION
 * for a database. What an interrupted first start left (the initdb folder, entries moved before
 * PG_VERSION) is replaced. The caller holds the lock. Returns how the database was made.
 */
async function createPgliteDatabase(dataDir: string, template?: string): Promise<'initdb' | 'template'> {
  const staging = path.join(dataDir, INITDB_FOLDER);
  rmSync(staging, { recursive: true, force: true });
  const templateDatabase = template === undefined ? undefined : usableTemplate(template);
  if (templateDatabase) {
    cpSync(templateDatabase, staging, { recursive: true });
  } else {
    mkdirSync(staging, { mode: 0o700 });
    await initdb(staging);
  }
  const entries = readdirSync(staging);
  if (!entries.includes('PG_VERSION')) throw new Error(`initdb made no database in ${staging}`);
  entries.sort((a, b) => Number(a === 'PG_VERSION') - Number(b === 'PG_VERSION'));
  for (const name of entries) {
    const target = path.join(dataDir, name);
    rmSync(target, { recursive: true, force: true });
    renameSync(path.join(staging, name), target);
  }
  rmSync(staging, { recursive: true, force: true });
  return templateDatabase ? 'template' : 'initdb';
}

/** initdb, by a PGlite of its own, into an empty folder. */
async function initdb(folder: string): Promise<void> {
  const host = new PGlite({
    fs: new InitdbFolderFS(folder),
    initDbStartParams: settingArgs(PGLITE_SETTINGS),
    startParams: startParams(INITDB_HOST_SETTINGS),
  });
  try {
    await host.waitReady;
  } finally {
    // also when initdb failed: that error is the one to report, not a failure to close after it
    await host.close().catch(() => {});
  }
}

// A template: a database made by initdb once, at build time, that a new data folder starts as a copy
// of. initdb is the peak of a first start's memory (its own PGlite's 128 MB heap and PGlite's copy
// of it); copying some 40 MB of files is not, and takes a fraction of the time.

/** The template's database, inside its folder. */
const TEMPLATE_DATABASE = 'pgdata';
/** What made the template, beside its database: a template is used only by the same PGlite and settings. */
const TEMPLATE_STAMP = 'stamp.json';

/** The stamp a usable template carries: this PGlite's version and the settings initdb wrote. */
export function pgliteTemplateStamp(): string {
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  let version = 'unknown';
  for (let folder = path.dirname(entry); path.dirname(folder) !== folder; folder = path.dirname(folder)) {
    const manifest = path.join(folder, 'package.json');
    if (!existsSync(manifest)) continue;
    const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
    if (parsed.name === '@electric-sql/pglite') {
      version = parsed.version ?? version;
      break;
    }
  }
  return `${JSON.stringify({ format: 1, pglite: version, settings: PGLITE_SETTINGS })}\n`;
}

function makeReadable(entry: string): void {
  const stat = lstatSync(entry);
  if (stat.isSymbolicLink()) return;
  chmodSync(entry, stat.isDirectory() ? 0o755 : 0o644);
  if (stat.isDirectory()) for (const name of readdirSync(entry)) makeReadable(path.join(entry, name));
}

/** The template's database when its stamp is this PGlite's and these settings', otherwise undefined. */
export function usableTemplate(template: string): string | undefined {
  const database = path.join(template, TEMPLATE_DATABASE);
  try {
    const stamp = readFileSync(path.join(template, TEMPLATE_STAMP), 'utf8');
    return stamp === pgliteTemplateStamp() && existsSync(path.join(database, 'PG_VERSION'))
      ? database
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Makes a template folder (`npm run build` runs it for dist/pglite-template): initdb with the
 * settings, and the stamp, in a folder beside it that is then renamed into place, so that a build
 * stopped part-way, or two at once, never leaves a half-made template where a start would copy it.
 * Nothing to do when the folder is a usable template already.
 */
export async function makePgliteTemplate(template: string): Promise<'made' | 'up to date'> {
  if (usableTemplate(template)) return 'up to date';
  const making = `${template}.making-${process.pid}`;
  rmSync(making, { recursive: true, force: true });
  try {
    const database = path.join(making, TEMPLATE_DATABASE);
    mkdirSync(database, { recursive: true, mode: 0o700 });
    await createPgliteDatabase(database);
    // readable by the user the service runs as, which need not be the one that built it (the
    // Dockerfile builds as root and runs as node): an empty database holds nothing private, and each
    // data folder made from it is made private (makeFolderPrivate)
    makeReadable(making);
    writeFileSync(path.join(making, TEMPLATE_STAMP), pgliteTemplateStamp());
    rmSync(template, { recursive: true, force: true });
    try {
      renameSync(making, template);
    } catch (error) {
      // another build put its own in place meanwhile: as good as this one
      if (!usableTemplate(template)) throw error;
    }
    return 'made';
  } finally {
    rmSync(making, { recursive: true, force: true });
  }
}

async function openPglite(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  const { dataDir, onNotice } = options;
  const inMemory = isInMemory(dataDir);
  const lock = inMemory ? undefined : (options.dataDirLock ?? lockDataDir(dataDir!, onNotice));
  // One options object: PGlite ignores the options of `new PGlite(undefined, options)`.
  let pglite: PGlite;
  try {
    // A new folder's database is made first, in the folder, rather than by this PGlite (which would
    // make it in memory and unpack it here); in memory, PGlite's own initdb already works in place.
    if (!inMemory && !existsSync(path.join(dataDir!, 'PG_VERSION'))) {
      const made = await createPgliteDatabase(dataDir!, options.pgliteTemplate);
      onNotice?.({
        level: 'info',
        message:
          made === 'template'
            ? 'made a new database in the data folder from the build’s template'
            : 'made a new database in the data folder (initdb)',
        dataDir,
        template: options.pgliteTemplate ?? null,
      });
    }
    pglite = new PGlite({
      ...(inMemory ? {} : { dataDir }),
      startParams: startParams(PGLITE_SETTINGS),
      initDbStartParams: settingArgs(PGLITE_SETTINGS),
      parsers: {
        [pgliteTypes.INT8]: asString,
        [pgliteTypes.NUMERIC]: asString,
        [pgliteTypes.DATE]: asString,
      },
    });
    await pglite.waitReady;
    // initdb's files (and an older folder's) are 0666; the files PGlite makes later follow the umask
    // (server.ts sets 077), and are checked again at close.
    if (!inMemory) reportPrivacy(dataDir!, makeFolderPrivate(dataDir!), onNotice);
  } catch (error) {
    lock?.release();
    throw error;
  }
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  let closed = false;
  return {
    db,
    engine: 'pglite',
    async ping(timeoutMs = 2000) {
      if (closed || pglite.closed) throw new DatabaseUnavailableError('The embedded database is closed');
      await withTimeout(sql`select 1`.execute(db), timeoutMs);
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        // Kysely's destroy does not close PGlite; closing it releases the data folder cleanly.
        await db.destroy();
        if (!pglite.closed) await pglite.close();
        if (!inMemory) makeFolderPrivate(dataDir!);
      } finally {
        lock?.release();
      }
    },
  };
}

async function openPostgres(url: string, options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  const statementTimeoutMs = options.statementTimeoutMs ?? 15_000;
  const idleInTransactionTimeoutMs =
    options.idleInTransactionTimeoutMs ?? DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS;
  // Set at connection start on every connection: a statement may not run longer than the statement
  // timeout, and a transaction left idle (a client that stopped mid-transaction, a process frozen or
  // cut off from the server) is ended by the server after the idle timeout, releasing its locks.
  const runtimeParams = [
    `-c statement_timeout=${statementTimeoutMs}`,
    `-c idle_in_transaction_session_timeout=${idleInTransactionTimeoutMs}`,
  ];
  if (options.searchPath) runtimeParams.push(`-c search_path=${options.searchPath}`);
  const pool = new pg.Pool({
    connectionString: url,
    application_name: options.applicationName ?? DEFAULT_APPLICATION_NAME,
    max: options.poolMax ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    idleTimeoutMillis: 30_000,
    options: runtimeParams.join(' '),
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
        if (oid === INT8 || oid === NUMERIC || oid === DATE) return asString;
        return pg.types.getTypeParser(oid, format ?? 'text');
      }) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its connection (server restart) must not kill the process.
  pool.on('error', (error) => options.onPoolError?.(error));
  // The pool listens for errors on idle clients only. A client that is checked out but between
  // queries (inside a transaction, or while a streamed export holds it) emits 'error' when the server
  // goes away; with no listener that would end the process. The error also reaches the query that
  // next uses the client, and pg releases a broken client from the pool.
  pool.on('connect', (client) => {
    client.on('error', (error) => options.onPoolError?.(error));
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  let closed = false;
  return {
    db,
    engine: 'postgres',
    async ping(timeoutMs = 2000) {
      if (closed) throw new DatabaseUnavailableError('The database pool is closed');
      await withTimeout(sql`select 1`.execute(db), timeoutMs);
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy(); // ends the pool
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DatabaseUnavailableError(`No answer from the database in ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
