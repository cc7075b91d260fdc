import { Transform } from 'node:stream';

/**
 * Fixed modification times for the entries of a zip (an XLSX, say), so that the same content gives the
 * same bytes whenever it is written. Zip writers (archiver, which exceljs streams through; JSZip) stamp
 * each entry with "now"; this rewrites those stamps as the zip goes by, without holding it in memory and
 * without touching the compressed data, so CRCs and sizes stay as written (PKWARE APPNOTE 6.3.10):
 *
 * - local file header (signature 0x04034b50): DOS time at offset 10, DOS date at 12;
 * - central directory header (0x02014b50): DOS time at 12, DOS date at 14;
 * - in either, the extra fields that hold times: extended timestamp (0x5455, Unix seconds) and NTFS
 *   (0x000a, Windows FILETIMEs); other extra fields are left as they are.
 *
 * An entry whose sizes are not in its local header (general-purpose bit 3) ends at the first data
 * descriptor (0x08074b50, which archiver and JSZip always sign) whose compressed size is the number of
 * bytes since the header and which is followed by another header. Once the end record has been read,
 * every entry found is checked against the central directory (offset, CRC and compressed size): a zip
 * that was not read as it was written is an error, never a quietly altered file. Zip64 archives (entries
 * or archives of 4 GiB and more) are refused.
 */

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const DATA_DESCRIPTOR = 0x08074b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const ZIP64_END_OF_CENTRAL_DIRECTORY = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
/** The data descriptor's signature as it is written (little-endian), to search for. */
const DESCRIPTOR_SIGNATURE = Buffer.alloc(4);
DESCRIPTOR_SIGNATURE.writeUInt32LE(DATA_DESCRIPTOR);
/** Signature, CRC-32, compressed size, uncompressed size. */
const DESCRIPTOR_LENGTH = 16;
const LOCAL_HEADER_LENGTH = 30;
const CENTRAL_HEADER_LENGTH = 46;
const END_LENGTH = 22;
const EXTENDED_TIMESTAMP = 0x5455;
const NTFS = 0x000a;
const ZIP64_EXTRA = 0x0001;
const MAX_32 = 0xffffffff;
/** 100 ns intervals from 1601-01-01 (FILETIME) to 1970-01-01. */
const FILETIME_UNIX_EPOCH = 116_444_736_000_000_000n;

/** The DOS time and date of an instant, from its UTC fields (as archiver and JSZip write them). */
export function dosDateTime(at: Date): { time: number; date: number } {
  const year = at.getUTCFullYear();
  if (Number.isNaN(at.getTime()) || year < 1980 || year > 2107) {
    throw new RangeError(`A zip's DOS date runs from 1980 to 2107, not ${String(at)}`);
  }
  return {
    time: (at.getUTCHours() << 11) | (at.getUTCMinutes() << 5) | (at.getUTCSeconds() >> 1),
    date: ((year - 1980) << 9) | ((at.getUTCMonth() + 1) << 5) | at.getUTCDate(),
  };
}

class ZipFormatError extends Error {
  constructor(message: string) {
    super(`Cannot fix the zip's timestamps: ${message}`);
    this.name = 'ZipFormatError';
  }
}

interface EntryFacts {
  /** Where its local header starts. */
  offset: number;
  crc: number;
  compressedSize: number;
}

type State =
  /** At a record's signature. */
  | { kind: 'record' }
  /** In an entry's data, whose length the local header gave. */
  | { kind: 'sized'; left: number }
  /** In an entry's data, which a data descriptor ends; `passed` bytes of it already given out. */
  | { kind: 'described'; passed: number }
  /** After the end record. */
  | { kind: 'done' };

/**
 * Reads a zip a piece at a time and gives it back with every timestamp set to one instant; see above.
 * `push` returns the bytes ready to go (the same bytes but for the timestamps), `end` checks that the
 * zip was complete and consistent.
 */
export class ZipTimestampRewriter {
  private readonly dos: { time: number; date: number };
  private readonly unixSeconds: number;
  private readonly filetime: bigint;
  /** Bytes read but not yet given back, starting at `position` in the zip. */
  private held: Buffer = Buffer.alloc(0);
  private position = 0;
  private state: State = { kind: 'record' };
  private readonly entries: EntryFacts[] = [];
  private readonly directory: EntryFacts[] = [];
  private directoryStart = -1;

  constructor(at: Date) {
    this.dos = dosDateTime(at);
    this.unixSeconds = Math.floor(at.getTime() / 1000);
    if (this.unixSeconds < 0 || this.unixSeconds > 0x7fffffff) {
      throw new RangeError(`An extended timestamp runs from 1970 to 2038, not ${at.toISOString()}`);
    }
    this.filetime = BigInt(at.getTime()) * 10_000n + FILETIME_UNIX_EPOCH;
  }

  /** The next bytes of the zip in; out, the bytes now ready (possibly none). */
  push(chunk: Uint8Array): Buffer[] {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    this.held = this.held.length === 0 ? bytes : Buffer.concat([this.held, bytes]);
    const out: Buffer[] = [];
    while (this.held.length > 0 && this.step(out)) {
      // each step gives out what it can and says whether more can be done with the bytes held
    }
    return out;
  }

  /** After the last piece: throws unless the zip was whole and consistent. */
  end(): void {
    if (this.state.kind !== 'done') {
      throw new ZipFormatError(`the zip ends early, at byte ${this.position + this.held.length}`);
    }
  }

  private give(out: Buffer[], length: number): void {
    out.push(this.held.subarray(0, length));
    this.held = this.held.subarray(length);
    this.position += length;
  }

  /** A copy of the first `length` bytes held, to change (the writer's buffers are left alone). */
  private take(length: number): Buffer {
    const copy = Buffer.from(this.held.subarray(0, length));
    this.held = this.held.subarray(length);
    this.position += length;
    return copy;
  }

  private step(out: Buffer[]): boolean {
    const state = this.state;
    if (state.kind === 'done') {
      throw new ZipFormatError(`bytes follow the end record, at byte ${this.position}`);
    }
    if (state.kind === 'sized') {
      const length = Math.min(state.left, this.held.length);
      this.give(out, length);
      state.left -= length;
      if (state.left === 0) this.state = { kind: 'record' };
      return true;
    }
    if (state.kind === 'described') return this.describedData(out, state);
    if (this.held.length < 4) return false;
    const signature = this.held.readUInt32LE(0);
    if (signature === LOCAL_HEADER) return this.localHeader(out);
    if (signature === CENTRAL_HEADER) return this.centralHeader(out);
    if (signature === END_OF_CENTRAL_DIRECTORY) return this.endRecord(out);
    if (signature === ZIP64_END_OF_CENTRAL_DIRECTORY || signature === ZIP64_LOCATOR) {
      throw new ZipFormatError('Zip64 archives are not supported');
    }
    throw new ZipFormatError(
      `no zip record at byte ${this.position} (signature 0x${signature.toString(16).padStart(8, '0')})`,
    );
  }

  private localHeader(out: Buffer[]): boolean {
    if (this.held.length < LOCAL_HEADER_LENGTH) return false;
    const nameLength = this.held.readUInt16LE(26);
    const extraLength = this.held.readUInt16LE(28);
    const length = LOCAL_HEADER_LENGTH + nameLength + extraLength;
    if (this.held.length < length) return false;
    const offset = this.position;
    const header = this.take(length);
    const flags = header.readUInt16LE(6);
    const crc = header.readUInt32LE(14);
    const compressedSize = header.readUInt32LE(18);
    if (compressedSize === MAX_32 || header.readUInt32LE(22) === MAX_32) {
      throw new ZipFormatError(`the entry at byte ${offset} is Zip64, which is not supported`);
    }
    header.writeUInt16LE(this.dos.time, 10);
    header.writeUInt16LE(this.dos.date, 12);
    this.fixExtra(header, LOCAL_HEADER_LENGTH + nameLength, extraLength, offset);
    out.push(header);
    const entry = { offset, crc, compressedSize };
    this.entries.push(entry);
    if (flags & 0x08) {
      entry.crc = -1;
      entry.compressedSize = -1;
      this.state = { kind: 'described', passed: 0 };
    } else {
      this.state = compressedSize > 0 ? { kind: 'sized', left: compressedSize } : { kind: 'record' };
    }
    return true;
  }

  /**
   * Gives out the data up to a data descriptor that ends it, and the descriptor; or, while none is in
   * sight, all but the bytes that may begin one.
   */
  private describedData(out: Buffer[], state: { passed: number }): boolean {
    const held = this.held;
    for (
      let at = held.indexOf(DESCRIPTOR_SIGNATURE);
      at >= 0;
      at = held.indexOf(DESCRIPTOR_SIGNATURE, at + 1)
    ) {
      if (held.length < at + DESCRIPTOR_LENGTH + 4) {
        // a candidate that cannot be judged yet: give out what comes before it and wait for more
        if (at > 0) {
          this.give(out, at);
          state.passed += at;
        }
        return false;
      }
      const next = held.readUInt32LE(at + DESCRIPTOR_LENGTH);
      if (
        held.readUInt32LE(at + 8) === state.passed + at &&
        (next === LOCAL_HEADER || next === CENTRAL_HEADER)
      ) {
        const entry = this.entries.at(-1)!;
        entry.crc = held.readUInt32LE(at + 4);
        entry.compressedSize = state.passed + at;
        this.give(out, at + DESCRIPTOR_LENGTH);
        this.state = { kind: 'record' };
        return true;
      }
    }
    // no descriptor in sight: keep the last 3 bytes, which may be the start of its signature
    const ready = Math.max(0, held.length - (DESCRIPTOR_SIGNATURE.length - 1));
    if (ready > 0) {
      this.give(out, ready);
      state.passed += ready;
    }
    return false;
  }

  private centralHeader(out: Buffer[]): boolean {
    if (this.held.length < CENTRAL_HEADER_LENGTH) return false;
    const nameLength = this.held.readUInt16LE(28);
    const extraLength = this.held.readUInt16LE(30);
    const commentLength = this.held.readUInt16LE(32);
    const length = CENTRAL_HEADER_LENGTH + nameLength + extraLength + commentLength;
    if (this.held.length < length) return false;
    if (this.directoryStart < 0) this.directoryStart = this.position;
    const at = this.position;
    const header = this.take(length);
    const entry = {
      offset: header.readUInt32LE(42),
      crc: header.readUInt32LE(16),
      compressedSize: header.readUInt32LE(20),
    };
    if (entry.offset === MAX_32 || entry.compressedSize === MAX_32 || header.readUInt32LE(24) === MAX_32) {
      throw new ZipFormatError(`the directory entry at byte ${at} is Zip64, which is not supported`);
    }
    header.writeUInt16LE(this.dos.time, 12);
    header.writeUInt16LE(this.dos.date, 14);
    this.fixExtra(header, CENTRAL_HEADER_LENGTH + nameLength, extraLength, at);
    this.directory.push(entry);
    out.push(header);
    return true;
  }

  private endRecord(out: Buffer[]): boolean {
    if (this.held.length < END_LENGTH) return false;
    const length = END_LENGTH + this.held.readUInt16LE(20);
    if (this.held.length < length) return false;
    const at = this.position;
    const record = this.held;
    const directoryStart = this.directoryStart < 0 ? at : this.directoryStart;
    if (
      record.readUInt16LE(4) !== 0 ||
      record.readUInt16LE(6) !== 0 ||
      record.readUInt16LE(8) !== this.directory.length ||
      record.readUInt16LE(10) !== this.directory.length ||
      record.readUInt32LE(12) !== at - directoryStart ||
      record.readUInt32LE(16) !== directoryStart
    ) {
      throw new ZipFormatError(`the end record at byte ${at} does not describe the directory read`);
    }
    this.checkDirectory();
    this.give(out, length);
    this.state = { kind: 'done' };
    return true;
  }

  /** Every entry read is the one the central directory lists at its offset, and none is missing. */
  private checkDirectory(): void {
    const read = new Map(this.entries.map((entry) => [entry.offset, entry]));
    const listed = this.directory.every((entry) => {
      const found = read.get(entry.offset);
      return found?.crc === entry.crc && found.compressedSize === entry.compressedSize;
    });
    if (!listed || read.size !== this.directory.length || this.entries.length !== this.directory.length) {
      throw new ZipFormatError('the entries read do not match the central directory');
    }
  }

  /** Sets the times held in a header's extra fields (`start`, `length` within `header`). */
  private fixExtra(header: Buffer, start: number, length: number, at: number): void {
    const end = start + length;
    let field = start;
    while (field < end) {
      if (field + 4 > end) throw new ZipFormatError(`a malformed extra field in the header at byte ${at}`);
      const id = header.readUInt16LE(field);
      const size = header.readUInt16LE(field + 2);
      const data = field + 4;
      if (data + size > end) throw new ZipFormatError(`a malformed extra field in the header at byte ${at}`);
      if (id === ZIP64_EXTRA) {
        throw new ZipFormatError(`the header at byte ${at} is Zip64, which is not supported`);
      }
      if (id === EXTENDED_TIMESTAMP) this.fixExtendedTimestamp(header, data, size);
      else if (id === NTFS) this.fixNtfsTimes(header, data, size, at);
      field = data + size;
    }
  }

  /**
   * An extended timestamp (0x5455): a flags byte, then the times it announces as Unix seconds (all
   * three in a local header, mtime alone in the directory).
   */
  private fixExtendedTimestamp(header: Buffer, data: number, size: number): void {
    for (let time = data + 1; time + 4 <= data + size; time += 4) {
      header.writeUInt32LE(this.unixSeconds, time);
    }
  }

  /**
   * An NTFS extra field (0x000a): 4 reserved bytes, then attributes (tag, size, value); tag 1 holds
   * mtime, atime and ctime as FILETIMEs.
   */
  private fixNtfsTimes(header: Buffer, data: number, size: number, at: number): void {
    let attribute = data + 4;
    while (attribute + 4 <= data + size) {
      const tag = header.readUInt16LE(attribute);
      const tagSize = header.readUInt16LE(attribute + 2);
      const value = attribute + 4;
      if (value + tagSize > data + size) {
        throw new ZipFormatError(`a malformed NTFS extra field in the header at byte ${at}`);
      }
      if (tag === 1) {
        for (let time = value; time + 8 <= value + tagSize; time += 8) {
          header.writeBigUInt64LE(this.filetime, time);
        }
      }
      attribute = value + tagSize;
    }
  }
}

/**
 * A stream that gives back the zip written into it with every entry's time set to `at` (see above); it
 * fails, rather than end, when what was written is not a whole zip it could read.
 */
export function fixZipTimestamps(at: Date): Transform {
  const rewriter = new ZipTimestampRewriter(at);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      try {
        for (const piece of rewriter.push(chunk)) this.push(piece);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback) {
      try {
        rewriter.end();
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}

/** The zip `zip` with every entry's time set to `at` (see above); `zip` itself is left as it is. */
export function fixZipTimestampsInBuffer(zip: Uint8Array, at: Date): Buffer {
  const rewriter = new ZipTimestampRewriter(at);
  const pieces = rewriter.push(zip);
  rewriter.end();
  return Buffer.concat(pieces);
}
