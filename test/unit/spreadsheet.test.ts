import ExcelJS from 'exceljs';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CSV_NEEDS_QUOTES, safeCell, toCsv } from '../../src/formats/csv.js';
import { SHEET_NAME_MAX, safeSheetName } from '../../src/formats/spreadsheet.js';

const name = (wanted: string, used: string[] = [], fallback?: string) =>
  safeSheetName(wanted, new Set(used), fallback);

/** Every rule Excel and exceljs (4.4, `Worksheet#name`) put on a sheet name. */
function expectValid(sheetName: string) {
  expect(sheetName.length).toBeGreaterThanOrEqual(1);
  expect(sheetName.length).toBeLessThanOrEqual(SHEET_NAME_MAX);
  expect(sheetName).not.toMatch(/[\\/?*[\]:]/);
  expect(sheetName).not.toMatch(/\p{Cc}/u);
  expect(sheetName).not.toMatch(/^'|'$/);
  expect(sheetName).toBe(sheetName.trim());
  expect(sheetName.toLowerCase()).not.toBe('history');
  expect(sheetName).not.toMatch(/[\ud800-\udfff]/u); // no lone surrogate
}

describe('safeSheetName', () => {
  it.each([
    ['Oxton House', 'Oxton House'],
    ['History', 'History 2'],
    ['history', 'history 2'],
    ['HISTORY', 'HISTORY 2'],
    ['Summary', 'Summary 2'],
    ['summary', 'summary 2'],
    ["'quoted'", 'quoted'],
    ["''' '''", 'Sheet'],
    ["St Mary's", "St Mary's"],
    ['', 'Sheet'],
    ['   ', 'Sheet'],
    ['  Oak  ', 'Oak'],
    ['a\\b', 'a b'],
    ['a/b', 'a b'],
    ['a?b', 'a b'],
    ['a*b', 'a b'],
    ['a[b', 'a b'],
    ['a]b', 'a b'],
    ['a:b', 'a b'],
    ['[Oak]: */?\\', 'Oak'],
    ['Oak\u0000House', 'Oak House'],
    ['Oak\tHouse\r\n', 'Oak House'],
    ['Oak\u001f\u007f\u0085House', 'Oak House'],
    ['\u0001\u0002', 'Sheet'],
    ['Oak\ud800House', 'Oak House'],
    ['Oak\uffffHouse', 'Oak House'],
    ['Oak 😀 House', 'Oak 😀 House'],
    ['&apos;Oak', '& apos;Oak'],
    ['Tom &amp; Jerry', 'Tom & amp; Jerry'],
    ['Tom & Jerry', 'Tom & Jerry'],
  ])('%j → %j', (wanted, expected) => {
    const result = name(wanted, ['Summary']);
    expect(result).toBe(expected);
    expectValid(result);
  });

  it('drops an apostrophe left at the end by the cut to 31 characters', () => {
    const wanted = `${'A'.repeat(30)}'${'B'.repeat(9)}`;
    expect(wanted).toHaveLength(40);
    expect(name(wanted)).toBe('A'.repeat(30));
    const cutAt28 = `${'A'.repeat(27)}'${'B'.repeat(12)}`;
    expect(name(cutAt28)).toBe(`${'A'.repeat(27)}'BBB`);
    expect(name(`${'A'.repeat(27)}'`)).toBe('A'.repeat(27));
    expect(name(`'${'A'.repeat(40)}`)).toBe('A'.repeat(31));
  });

  it('does not cut a character outside the BMP in half', () => {
    const result = name(`${'A'.repeat(30)}😀`);
    expect(result).toBe('A'.repeat(30));
    expectValid(result);
  });

  it('makes names unique ignoring case, within 31 characters', () => {
    const used = new Set<string>(['Summary']);
    const names = ['Oak', 'oak', 'OAK', 'Oak 2', 'X'.repeat(40), 'x'.repeat(40), 'X'.repeat(31)].map(
      (wanted) => safeSheetName(wanted, used),
    );
    expect(names).toEqual([
      'Oak',
      'oak 2',
      'OAK 3',
      'Oak 2 2',
      'X'.repeat(31),
      `${'x'.repeat(29)} 2`,
      `${'X'.repeat(29)} 3`,
    ]);
    expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(names.length);
    expect(used.size).toBe(names.length + 1);
    for (const n of names) expectValid(n);
  });

  it('uses the fallback, cleaned, when nothing is left of the name', () => {
    expect(name('', [], 'abc-123')).toBe('abc-123');
    expect(name('[]', [], "'[x]'")).toBe('x');
    expect(name(':', [], '::')).toBe('Sheet');
    expect(name('', ['Sheet'])).toBe('Sheet 2');
  });

  it('is accepted by exceljs for every worked example', async () => {
    const workbook = new ExcelJS.Workbook();
    const used = new Set<string>();
    const hostile = ['History', 'history', "'x'", '[a]', 'a:b', '', ' ', "'", 'Summary', 'summary', '\u0000'];
    for (const wanted of hostile) workbook.addWorksheet(safeSheetName(wanted, used));
    await expect(workbook.xlsx.writeBuffer()).resolves.toBeDefined();
  });
});

/** A string of characters that break sheet names: quotes, brackets, History, entities, surrogates … */
const hostileName = fc.string({
  unit: fc.constantFrom(
    "'",
    '[',
    ']',
    ':',
    '\\',
    '/',
    '?',
    '*',
    ' ',
    '\t',
    '\n',
    '\u0000',
    '\u007f',
    '\u00a0',
    'History',
    'history',
    'Summary',
    '&',
    'amp;',
    'apos;',
    'lt;',
    'a',
    'Z',
    '1',
    'ß',
    'İ',
    '😀',
    '\ud800',
    '\udfff',
    '\uffff',
  ),
  maxLength: 40,
});
const anyUnit = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) });
const names = fc.array(
  fc.oneof(
    hostileName,
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ unit: 'grapheme' }),
    anyUnit,
  ),
  { minLength: 1, maxLength: 8 },
);

describe('safeSheetName against exceljs', () => {
  afterEach(() => vi.restoreAllMocks());

  it('gives names exceljs writes and reads back unchanged, unique and within 31 characters', async () => {
    const warn = vi.spyOn(console, 'warn');
    await fc.assert(
      fc.asyncProperty(names, async (wanted) => {
        const used = new Set<string>(['Summary']);
        const workbook = new ExcelJS.Workbook();
        workbook.addWorksheet('Summary');
        const given = wanted.map((w) => safeSheetName(w, used));
        for (const sheetName of given) workbook.addWorksheet(sheetName).addRow([sheetName]);
        const buffer = await workbook.xlsx.writeBuffer();

        const read = new ExcelJS.Workbook();
        await read.xlsx.load(buffer);
        const all = ['Summary', ...given];
        expect(read.worksheets.map((sheet) => sheet.name)).toEqual(all);
        expect(new Set(all.map((n) => n.toLowerCase())).size).toBe(all.length);
        for (const sheetName of given) expectValid(sheetName);
      }),
      { numRuns: 100 },
    );
    // exceljs warns when it truncates a name longer than 31 characters
    expect(warn).not.toHaveBeenCalled();
  });

  it('gives names the streaming writer accepts', async () => {
    const { PassThrough } = await import('node:stream');
    await fc.assert(
      fc.asyncProperty(names, async (wanted) => {
        const stream = new PassThrough();
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream });
        const used = new Set<string>();
        const given = wanted.map((w) => safeSheetName(w, used));
        for (const sheetName of given) workbook.addWorksheet(sheetName).commit();
        await workbook.commit();
        const read = new ExcelJS.Workbook();
        await read.xlsx.load(Buffer.concat(chunks) as unknown as ArrayBuffer);
        expect(read.worksheets.map((sheet) => sheet.name)).toEqual(given);
      }),
      { numRuns: 30 },
    );
  });
});

describe('safeCell and toCsv', () => {
  it.each([
    ["Oak House;=cmd|' /C calc'!A0", "Oak House;'=cmd|' /C calc'!A0"],
    ['a,=1+1', "a,'=1+1"],
    ['x\t@SUM(A1)', "x\t'@SUM(A1)"],
    ['a; "=1', 'a; "\'=1'],
    ['a;  -1+2', "a;  '-1+2"],
    ['x\n=y', "x\n'=y"],
    [';=1', ";'=1"],
    ['=1', "'=1"],
    ['+1', "'+1"],
    ['-1+1', "'-1+1"],
    ['@SUM(A1)', "'@SUM(A1)"],
    [' =1', "' =1"],
    ['"=1', '\'"=1'],
    ['\t=1', "'\t'=1"],
    ['\rx', "'\rx"],
    ['=a;=b', "'=a;'=b"],
    ['-5.00', '-5.00'],
    ['5', '5'],
    ['-12', '-12'],
    ['Lease', 'Lease'],
    ['a-b', 'a-b'],
    ['a;b', 'a;b'],
    ['1:1 in school hours', '1:1 in school hours'],
    ["St Mary's", "St Mary's"],
  ])('safeCell(%j) → %j', (cell, expected) => {
    expect(safeCell(cell)).toBe(expected);
  });

  it('quotes fields holding a separator of any kind', () => {
    expect(toCsv([['a;b', 'c\td', 'e,f', 'g"h', 'plain']])).toBe('"a;b","c\td","e,f","g""h",plain\r\n');
    expect(toCsv([["Oak House;=cmd|' /C calc'!A0", '-5.00']])).toBe(
      "\"Oak House;'=cmd|' /C calc'!A0\",-5.00\r\n",
    );
    expect(CSV_NEEDS_QUOTES.test('a;b')).toBe(true);
  });

  const hostileCell = fc.string({
    unit: fc.constantFrom('=', '+', '-', '@', ',', ';', '\t', '\r', '\n', '"', ' ', "'", 'a', '1', '.', '|'),
    maxLength: 20,
  });
  const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;

  it('never lets a naive split on , ; tab or a line break begin a field with = + - @', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(hostileCell, { minLength: 1, maxLength: 5 }), { maxLength: 4 }),
        (rows) => {
          const csv = toCsv(rows);
          for (const separator of [';', ',', '\t', /[,;\t\r\n]/]) {
            for (const field of csv.split(separator)) {
              // a reader may also drop blanks and quotes before the text
              const text = field.replace(/^[ \t\r\n"]+/, '');
              // … and the only cells left as they are are plain numbers such as -5.00
              if (/^[=+\-@]/.test(text)) expect(text.split(/[,;\t\r\n"]/)[0]).toMatch(PLAIN_NUMBER);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('leaves plain numbers and cells without formula characters as they are', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.stringMatching(/^-?\d{1,6}(\.\d{1,2})?$/),
          fc.string({ unit: fc.constantFrom('a', 'b', ' ', ';', ',', "'", '1', '.') }),
        ),
        (cell) => {
          expect(safeCell(cell)).toBe(cell);
        },
      ),
      { numRuns: 200 },
    );
  });
});
