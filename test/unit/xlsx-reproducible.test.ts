import { createHash } from 'node:crypto';
import { PassThrough, type Transform } from 'node:stream';
import { crc32 } from 'node:zlib';
import ExcelJS from 'exceljs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { OrganisationReturn } from '../../src/domain/returns/index.js';
import {
  dosDateTime,
  fixZipTimestamps,
  fixZipTimestampsInBuffer,
  ZipTimestampRewriter,
} from '../../src/formats/zip-timestamps.js';
import { type ReturnScope, xlsxPieces } from '../../src/modules/returns/service.js';

/** 1980-01-01 00:00:00, the earliest DOS time: time 0, date (0 << 9) | (1 << 5) | 1. */
const EPOCH = { time: 0x0000, date: 0x0021 };

interface ZipEntry {
  name: string;
  centralAt: number;
  localAt: number;
  central: { time: number; date: number };
  local: { time: number; date: number };
}

/** The entries of a zip, read from its central directory (not the way the rewriter reads it). */
function zipEntries(zip: Buffer): ZipEntry[] {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  expect(end).toBeGreaterThanOrEqual(0);
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    expect(zip.readUInt32LE(at)).toBe(0x02014b50);
    const nameLength = zip.readUInt16LE(at + 28);
    const localAt = zip.readUInt32LE(at + 42);
    expect(zip.readUInt32LE(localAt)).toBe(0x04034b50);
    entries.push({
      name: zip.toString('utf8', at + 46, at + 46 + nameLength),
      centralAt: at,
      localAt,
      central: { time: zip.readUInt16LE(at + 12), date: zip.readUInt16LE(at + 14) },
      local: { time: zip.readUInt16LE(localAt + 10), date: zip.readUInt16LE(localAt + 12) },
    });
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return entries;
}

/** Every byte where `after` differs from `before` is in a DOS time or date field. */
function expectOnlyTimesChanged(before: Buffer, after: Buffer) {
  expect(after.length).toBe(before.length);
  const fields = zipEntries(before).flatMap((entry) => [
    [entry.localAt + 10, entry.localAt + 14],
    [entry.centralAt + 12, entry.centralAt + 16],
  ]);
  for (let i = 0; i < before.length; i++) {
    if (before[i] !== after[i])
      expect(
        fields.some(([from, to]) => i >= from! && i < to!),
        `byte ${i}`,
      ).toBe(true);
  }
}

async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

/** The annual return of no organisations as exceljs's streaming writer writes it (zip times fixed). */
async function emptyReturn(): Promise<Buffer> {
  const scope: ReturnScope = {
    financialYear: '2026-27',
    period: { start: '2026-04-01', end: '2027-03-31' } as ReturnScope['period'],
    asOf: '2027-06-01',
    organisationId: null,
  };
  async function* none(): AsyncGenerator<OrganisationReturn> {}
  const pieces: Buffer[] = [];
  for await (const piece of xlsxPieces(scope, none())) pieces.push(Buffer.from(piece.data));
  return Buffer.concat(pieces);
}

/** A workbook from exceljs's streaming writer, into `stream`: many rows, part of each hard to compress. */
async function streamedWorkbook(stream: PassThrough | Transform, rows = 3_000): Promise<Buffer> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream, useSharedStrings: false });
  // docProps/core.xml holds these, "now" unless set
  workbook.created = workbook.modified = new Date('2027-03-31T00:00:00Z');
  const sheet = workbook.addWorksheet('rows');
  for (let i = 0; i < rows; i++)
    sheet.addRow([i, `row ${i}`, createHash('sha256').update(String(i)).digest('base64')]).commit();
  sheet.commit();
  const [bytes] = await Promise.all([collect(stream), workbook.commit()]);
  return bytes;
}

/** Writes `bytes` through the rewriter in pieces of the given sizes, in turn. */
function inPieces(bytes: Buffer, sizes: number[]): Buffer {
  const rewriter = new ZipTimestampRewriter(new Date('1980-01-01T00:00:00Z'));
  const out: Buffer[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = sizes[i % sizes.length]!;
    out.push(...rewriter.push(bytes.subarray(at, at + size)));
    at += size;
  }
  rewriter.end();
  return Buffer.concat(out);
}

interface HandEntry {
  name: string;
  data: Buffer;
  extra?: Buffer;
  /** Sizes after the data (general-purpose bit 3) rather than in the local header. */
  descriptor?: boolean;
}

/** A zip of stored entries, written by hand, each stamped 2019-06-15 10:20:30 (DOS). */
function handZip(entries: HandEntry[], { zip64 = false } = {}): Buffer {
  const stamp = dosDateTime(new Date('2019-06-15T10:20:30Z'));
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  const add = (part: Buffer) => {
    parts.push(part);
    offset += part.length;
  };
  for (const entry of entries) {
    const name = Buffer.from(entry.name);
    const extra = entry.extra ?? Buffer.alloc(0);
    const crc = crc32(entry.data);
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(entry.descriptor ? 0x08 : 0, 6);
    header.writeUInt16LE(0, 8); // stored
    header.writeUInt16LE(stamp.time, 10);
    header.writeUInt16LE(stamp.date, 12);
    if (!entry.descriptor) {
      header.writeUInt32LE(crc, 14);
      header.writeUInt32LE(zip64 ? 0xffffffff : entry.data.length, 18);
      header.writeUInt32LE(zip64 ? 0xffffffff : entry.data.length, 22);
    }
    header.writeUInt16LE(name.length, 26);
    header.writeUInt16LE(extra.length, 28);
    const localAt = offset;
    add(Buffer.concat([header, name, extra, entry.data]));
    if (entry.descriptor) {
      const descriptor = Buffer.alloc(16);
      descriptor.writeUInt32LE(0x08074b50, 0);
      descriptor.writeUInt32LE(crc, 4);
      descriptor.writeUInt32LE(entry.data.length, 8);
      descriptor.writeUInt32LE(entry.data.length, 12);
      add(descriptor);
    }
    const record = Buffer.alloc(46);
    record.writeUInt32LE(0x02014b50, 0);
    record.writeUInt16LE(20, 4);
    record.writeUInt16LE(20, 6);
    record.writeUInt16LE(entry.descriptor ? 0x08 : 0, 8);
    record.writeUInt16LE(stamp.time, 12);
    record.writeUInt16LE(stamp.date, 14);
    record.writeUInt32LE(crc, 16);
    record.writeUInt32LE(entry.data.length, 20);
    record.writeUInt32LE(entry.data.length, 24);
    record.writeUInt16LE(name.length, 28);
    record.writeUInt16LE(extra.length, 30);
    record.writeUInt32LE(localAt, 42);
    central.push(Buffer.concat([record, name, extra]));
  }
  const directoryAt = offset;
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(directoryAt, 16);
  return Buffer.concat([...parts, directory, end]);
}

afterEach(() => {
  vi.useRealTimers();
});

describe('reproducible XLSX', () => {
  it('the clock reaches the zip writer: without the fix, entries carry the time of writing', async () => {
    // the control for the test below: were the rewrite left out, its workbooks would differ
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2031-05-05T13:37:42Z'));
    const entries = zipEntries(await streamedWorkbook(new PassThrough(), 10));
    expect(entries.length).toBeGreaterThan(5);
    for (const entry of entries) {
      expect(entry.local).toEqual(dosDateTime(new Date('2031-05-05T13:37:42Z')));
      expect(entry.central).toEqual(entry.local);
    }
  });

  it('gives the annual-return workbook the same bytes whatever the clock, every entry at 1980-01-01 00:00', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2031-05-05T13:37:42Z'));
    const first = await emptyReturn();
    vi.setSystemTime(new Date('2040-11-11T01:02:03Z'));
    const second = await emptyReturn();
    vi.useRealTimers();
    expect(second.equals(first)).toBe(true);
    const entries = zipEntries(first);
    expect(entries.map((entry) => entry.name)).toContain('xl/workbook.xml');
    for (const entry of entries) {
      expect(entry.local, entry.name).toEqual(EPOCH);
      expect(entry.central, entry.name).toEqual(EPOCH);
    }
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(first as unknown as ArrayBuffer);
    expect(workbook.worksheets.map((sheet) => sheet.name)).toEqual([
      'summary',
      'homes',
      'fees',
      'councils',
      'rebates',
      'related-parties',
      'costs',
    ]);
  });

  it('changes nothing but the times of a large streamed workbook, however it is cut into pieces', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2031-05-05T13:37:42Z'));
    const written = await streamedWorkbook(new PassThrough());
    expect(written.length).toBeGreaterThan(100_000);
    vi.setSystemTime(new Date('2040-11-11T01:02:03Z'));
    const fixed = await streamedWorkbook(fixZipTimestamps(new Date('1980-01-01T00:00:00Z')));
    vi.useRealTimers();
    expectOnlyTimesChanged(written, fixed);
    // the same input, as a buffer, whole and in awkward pieces
    const rewritten = fixZipTimestampsInBuffer(written, new Date('1980-01-01T00:00:00Z'));
    expect(rewritten.equals(fixed)).toBe(true);
    for (const entry of zipEntries(rewritten)) {
      expect([entry.local, entry.central]).toEqual([EPOCH, EPOCH]);
    }
    expect(inPieces(written, [1]).equals(rewritten)).toBe(true);
    expect(inPieces(written, [3, 7, 1, 4096, 2]).equals(rewritten)).toBe(true);
    const read = new ExcelJS.Workbook();
    await read.xlsx.load(fixed as unknown as ArrayBuffer);
    expect(read.getWorksheet('rows')!.rowCount).toBe(3_000);
  });

  it('fixes a workbook from exceljs’s buffer writer (JSZip, sizes in the local headers) the same way', async () => {
    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet('Summary').addRow(['a', 1]);
    const written = Buffer.from(await workbook.xlsx.writeBuffer());
    const rewritten = fixZipTimestampsInBuffer(written, new Date('1980-01-01T00:00:00Z'));
    expectOnlyTimesChanged(written, rewritten);
    for (const entry of zipEntries(rewritten)) expect([entry.local, entry.central]).toEqual([EPOCH, EPOCH]);
  });

  it('sets the times of extended-timestamp and NTFS extra fields', () => {
    const at = new Date('2001-02-03T04:05:06Z');
    const unix = Buffer.alloc(4 + 1 + 12);
    unix.writeUInt16LE(0x5455, 0);
    unix.writeUInt16LE(13, 2);
    unix.writeUInt8(0b111, 4); // mtime, atime, ctime
    unix.writeUInt32LE(1_560_594_030, 5);
    unix.writeUInt32LE(1_560_594_031, 9);
    unix.writeUInt32LE(1_560_594_032, 13);
    const ntfs = Buffer.alloc(4 + 4 + 4 + 24);
    ntfs.writeUInt16LE(0x000a, 0);
    ntfs.writeUInt16LE(32, 2);
    ntfs.writeUInt16LE(1, 8); // tag 1: times
    ntfs.writeUInt16LE(24, 10);
    ntfs.fill(0x77, 12);
    const other = Buffer.from([0x34, 0x12, 0x02, 0x00, 0xab, 0xcd]);
    const zip = handZip([
      { name: 'a.txt', data: Buffer.from('hello'), extra: Buffer.concat([unix, ntfs, other]) },
    ]);
    const fixed = fixZipTimestampsInBuffer(zip, at);
    const [entry] = zipEntries(fixed);
    expect(entry!.local).toEqual(dosDateTime(at));
    expect(entry!.central).toEqual(dosDateTime(at));
    const seconds = at.getTime() / 1000;
    const filetime = BigInt(at.getTime()) * 10_000n + 116_444_736_000_000_000n;
    for (const headerExtra of [entry!.localAt + 30 + 5, entry!.centralAt + 46 + 5]) {
      expect([0, 1, 2].map((i) => fixed.readUInt32LE(headerExtra + 5 + 4 * i))).toEqual([
        seconds,
        seconds,
        seconds,
      ]);
      expect(fixed.readUInt8(headerExtra + 4)).toBe(0b111);
      const ntfsAt = headerExtra + unix.length;
      expect([0, 1, 2].map((i) => fixed.readBigUInt64LE(ntfsAt + 12 + 8 * i))).toEqual([
        filetime,
        filetime,
        filetime,
      ]);
      const otherAt = ntfsAt + ntfs.length;
      expect(fixed.subarray(otherAt, otherAt + other.length).equals(other)).toBe(true);
    }
    expect(zip.readUInt32LE(zipEntries(zip)[0]!.localAt + 30 + 5 + 5)).toBe(1_560_594_030); // input untouched
  });

  it('passes over data-descriptor signatures in an entry’s data that do not end it', () => {
    const signature = [0x50, 0x4b, 0x07, 0x08];
    const lures = Buffer.concat([
      Buffer.from('before'),
      // the right signature, the wrong size
      Buffer.from([...signature, 1, 2, 3, 4, 99, 0, 0, 0, 6, 0, 0, 0]),
      Buffer.from('between'),
      // the right size (29 bytes precede it), but no header after it
      Buffer.from([...signature, 1, 2, 3, 4, 29, 0, 0, 0, 29, 0, 0, 0]),
      Buffer.from('after'),
      Buffer.from(signature.slice(0, 3)), // a signature cut short, at the end of the data
    ]);
    const zip = handZip([
      { name: 'lures.bin', data: lures, descriptor: true },
      { name: 'next.txt', data: Buffer.from('next'), descriptor: true },
      { name: 'empty.txt', data: Buffer.alloc(0) },
    ]);
    const fixed = fixZipTimestampsInBuffer(zip, new Date('1980-01-01T00:00:00Z'));
    expectOnlyTimesChanged(zip, fixed);
    const entries = zipEntries(fixed);
    expect(entries.map((entry) => entry.name)).toEqual(['lures.bin', 'next.txt', 'empty.txt']);
    for (const entry of entries) expect([entry.local, entry.central]).toEqual([EPOCH, EPOCH]);
    for (const sizes of [[1], [2], [3], [5, 17]]) expect(inPieces(zip, sizes).equals(fixed)).toBe(true);
  });

  it('refuses, rather than alter, a zip whose data forges the end of an entry', () => {
    // a forged descriptor that fits (size and a header after it): the directory check catches it
    const forgery = Buffer.concat([
      Buffer.from('before'),
      Buffer.from([0x50, 0x4b, 0x07, 0x08, 1, 2, 3, 4, 6, 0, 0, 0, 6, 0, 0, 0]),
      Buffer.from([0x50, 0x4b, 0x03, 0x04]),
      Buffer.alloc(40),
    ]);
    const zip = handZip([{ name: 'forged.bin', data: forgery, descriptor: true }]);
    expect(() => fixZipTimestampsInBuffer(zip, new Date('1980-01-01T00:00:00Z'))).toThrow(
      /Cannot fix the zip's timestamps/,
    );
  });

  it('refuses what is not a whole, consistent zip rather than pass it on altered', async () => {
    const zip = handZip([{ name: 'a.txt', data: Buffer.from('hello'), descriptor: true }]);
    const at = new Date('1980-01-01T00:00:00Z');
    expect(() => fixZipTimestampsInBuffer(zip.subarray(0, zip.length - 1), at)).toThrow(/ends early/);
    expect(() => fixZipTimestampsInBuffer(Buffer.concat([zip, Buffer.from('x')]), at)).toThrow(
      /follow the end record/,
    );
    expect(() => fixZipTimestampsInBuffer(Buffer.from('not a zip at all'), at)).toThrow(/no zip record/);
    const wrongOffset = Buffer.from(zip);
    wrongOffset.writeUInt32LE(7, zipEntries(zip)[0]!.centralAt + 42);
    expect(() => fixZipTimestampsInBuffer(wrongOffset, at)).toThrow(/central directory/);
    const wrongCrc = Buffer.from(zip);
    wrongCrc.writeUInt32LE(0, zipEntries(zip)[0]!.centralAt + 16);
    expect(() => fixZipTimestampsInBuffer(wrongCrc, at)).toThrow(/central directory/);
    expect(() =>
      fixZipTimestampsInBuffer(handZip([{ name: 'big', data: Buffer.from('x') }], { zip64: true }), at),
    ).toThrow(/Zip64/);
    // a stream fails instead of ending
    const stream = fixZipTimestamps(at);
    stream.end(zip.subarray(0, 40));
    await expect(collect(stream)).rejects.toThrow(/ends early/);
  });

  it('gives DOS times from the UTC fields, within DOS’s range only', () => {
    expect(dosDateTime(new Date('1980-01-01T00:00:00Z'))).toEqual(EPOCH);
    expect(dosDateTime(new Date('2027-03-31T23:59:59Z'))).toEqual({
      time: (23 << 11) | (59 << 5) | 29,
      date: (47 << 9) | (3 << 5) | 31,
    });
    expect(() => dosDateTime(new Date('1979-12-31T23:59:59Z'))).toThrow(RangeError);
    expect(() => dosDateTime(new Date('2108-01-01T00:00:00Z'))).toThrow(RangeError);
    expect(() => dosDateTime(new Date(Number.NaN))).toThrow(RangeError);
  });
});
