import { describe, expect, it } from 'vitest';
import { safeCell, toCsv } from '../../src/formats/csv.js';
import { attachment } from '../../src/formats/download.js';
import { ProblemError } from '../../src/http/errors.js';
import { negotiate } from '../../src/http/negotiate.js';

const offered = ['application/json', 'text/csv'] as const;

describe('content negotiation', () => {
  it.each([
    [undefined, 'application/json'],
    ['', 'application/json'],
    ['*/*', 'application/json'],
    ['text/csv', 'text/csv'],
    ['text/*', 'text/csv'],
    ['application/json;q=0.5, text/csv', 'text/csv'],
    ['text/csv;q=0.1, */*;q=0.9', 'application/json'],
    ['text/html, text/csv;q=0.8', 'text/csv'],
  ])('Accept %s → %s', (accept, expected) => {
    expect(negotiate(accept, offered)).toBe(expected);
  });

  it('answers 406 when nothing offered is acceptable', () => {
    try {
      negotiate('image/png', offered);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ProblemError);
      expect((error as ProblemError).problem.status).toBe(406);
    }
  });
});

describe('CSV', () => {
  it('writes RFC 4180 with CRLF and quoting', () => {
    expect(
      toCsv([
        ['a', 'b, c'],
        ['say "hi"', 'x\ny'],
      ]),
    ).toBe('a,"b, c"\r\n"say ""hi""","x\ny"\r\n');
  });

  it('defuses cells a spreadsheet would run as formulas, not negative numbers', () => {
    expect(safeCell('=HYPERLINK("x")')).toBe('\'=HYPERLINK("x")');
    expect(safeCell('+1')).toBe("'+1");
    expect(safeCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(safeCell('-5.00')).toBe('-5.00');
    expect(safeCell('Lease')).toBe('Lease');
  });

  it('makes a safe attachment header', () => {
    expect(attachment('quote 2026/27.csv')).toBe('attachment; filename="quote-2026-27.csv"');
  });
});
