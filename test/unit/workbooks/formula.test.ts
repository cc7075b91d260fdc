import { describe, expect, it } from 'vitest';
import { Dec } from '../../../src/domain/money.js';
import {
  add,
  Book,
  columnLetters,
  div,
  eq,
  formulaText,
  IF,
  INT,
  mul,
  name,
  ne,
  num,
  ROUND,
  rankIn,
  ref,
  str,
  sub,
  sumWhere,
} from '../../../src/formats/formula.js';

// Formulas as data (src/formats/formula.ts): the text a spreadsheet reads, and the value worked out
// here for the cell's cached result.

describe('formula text', () => {
  it('writes the fewest brackets that keep the order of operations', () => {
    const a = ref('Model', 1, 2);
    const b = ref('Model', 2, 2);
    const c = ref('Model', 3, 2);
    expect(formulaText(add(mul(a, b), c), 'Model')).toBe('A2*B2+C2');
    expect(formulaText(mul(add(a, b), c), 'Model')).toBe('(A2+B2)*C2');
    expect(formulaText(sub(a, sub(b, c)), 'Model')).toBe('A2-(B2-C2)');
    expect(formulaText(div(a, mul(b, c)), 'Model')).toBe('A2/(B2*C2)');
    expect(formulaText(div(div(a, name('Weeks')), name('Places')), 'Model')).toBe('A2/Weeks/Places');
    expect(formulaText(ROUND(mul(a, num(100)), num(6)), 'Model')).toBe('ROUND(A2*100,6)');
  });

  it('names another sheet, quoting a name that is not one word', () => {
    expect(formulaText(ref('Staffing', 17, 3), 'Breakdown')).toBe('Staffing!Q3');
    expect(formulaText(ref('Central charges', 7, 2), 'Breakdown')).toBe("'Central charges'!G2");
    expect(columnLetters(1)).toBe('A');
    expect(columnLetters(26)).toBe('Z');
    expect(columnLetters(27)).toBe('AA');
    expect(columnLetters(53)).toBe('BA');
  });

  it('ranks with SUMPRODUCT and matches ids with EXACT, never a criterion', () => {
    const range = { sheet: 'Breakdown', col: 8, from: 18, to: 40 };
    expect(formulaText(rankIn(range, { sheet: 'Breakdown', col: 8, row: 20 }), 'Breakdown')).toBe(
      '1+SUMPRODUCT(($H$18:$H$40>H20)+($H$18:$H$40=H20)*(ROW($H$18:$H$40)<ROW(H20)))',
    );
    const ids = { sheet: 'Property', col: 5, from: 2, to: 4 };
    const values = { sheet: 'Property', col: 12, from: 2, to: 4 };
    expect(formulaText(sumWhere(ids, ref('Related parties', 1, 2), values), 'Related parties')).toBe(
      'SUMPRODUCT(EXACT(Property!$E$2:$E$4,A2)*Property!$L$2:$L$4)',
    );
  });
});

describe('working a formula out', () => {
  const book = new Book();
  const cell = (col: number, row: number) => ({ sheet: 'S', col, row });
  book.set(cell(1, 1), { value: new Dec('4') });
  book.set(cell(1, 2), { value: new Dec('0.285') });
  book.set(cell(1, 3), { value: null });
  book.set(cell(1, 4), { value: 'weekly' });
  book.define('Four', cell(1, 1));

  it('in 40-digit decimals: 365 ÷ 7 exactly enough, ROUND half away from zero, INT a floor', () => {
    expect(String(book.evaluate(div(num(365), num(7))))).toBe('52.14285714285714285714285714285714285714');
    expect(String(book.evaluate(ROUND(ref('S', 1, 2), num(2))))).toBe('0.29');
    expect(String(book.evaluate(INT(num('2.999999'))))).toBe('2');
    expect(String(book.evaluate(mul(name('Four'), num(3))))).toBe('12');
  });

  it('as a spreadsheet reads an empty cell and compares text', () => {
    expect(book.evaluate(ne(ref('S', 1, 3), str('')))).toBe(false);
    expect(book.evaluate(ne(ref('S', 1, 1), str('')))).toBe(true);
    expect(String(book.evaluate(add(ref('S', 1, 3), num(1))))).toBe('1');
    expect(book.evaluate(eq(ref('S', 1, 4), str('weekly')))).toBe(true);
    expect(String(book.evaluate(IF(eq(ref('S', 1, 4), str('monthly')), num(12), num(1))))).toBe('1');
  });

  it('ranks ties by position, as the method shares pennies out', () => {
    const ranks = new Book();
    const values = ['0.5', '0.7', '0.5', '-1'];
    for (const [i, value] of values.entries())
      ranks.set({ sheet: 'R', col: 1, row: i + 1 }, { value: new Dec(value) });
    const range = { sheet: 'R', col: 1, from: 1, to: 4 };
    expect(
      values.map((_, i) => String(ranks.evaluate(rankIn(range, { sheet: 'R', col: 1, row: i + 1 })))),
    ).toEqual(['2', '1', '3', '4']);
  });
});
