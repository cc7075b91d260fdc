import { Dec, type Decimal } from '../domain/money.js';

// Spreadsheet formulas as data: each formula is an expression tree that is both written out as the
// formula text a spreadsheet reads (`text`) and worked out here (`Book.value`), in 40-digit decimals, to
// give the cell its cached result. So the result a reader sees before recalculating is what the formula
// itself gives, not a figure worked out a second way.
//
// Only what the live workbooks need is here, and only functions that Excel and LibreOffice both have:
// arithmetic and comparisons, ROUND (half away from zero, so half-up on the method's non-negative
// figures), INT, MAX, MIN, IF, AND, SUM, and two shapes built on SUMPRODUCT:
// - `rank`: 1 + how many cells of a column are larger, or equal and above (a largest-remainder rank,
//   ties going to the line that comes first);
// - `sumWhere`: the sum of a column over the rows whose key is EXACTly a value (case-sensitive, no
//   wildcards: an id written by a client can never act as a pattern or a criterion).
// Text from a client is only ever a cell's value, never part of a formula's text.

export type Scalar = Decimal | string | boolean | null;

export interface Ref {
  sheet: string;
  /** 1-based column and row. */
  col: number;
  row: number;
}

export interface Range {
  sheet: string;
  col: number;
  from: number;
  to: number;
}

type Comparison = '=' | '<>' | '>' | '>=' | '<' | '<=';
type Operator = '+' | '-' | '*' | '/' | Comparison;
type Fn = 'ROUND' | 'INT' | 'MAX' | 'MIN' | 'IF' | 'AND' | 'SUM';

export type Expr =
  | { k: 'num'; value: string }
  | { k: 'str'; value: string }
  | { k: 'ref'; ref: Ref; fixed?: boolean }
  | { k: 'name'; name: string }
  | { k: 'op'; op: Operator; a: Expr; b: Expr }
  | { k: 'fn'; fn: Fn; args: Expr[] }
  | { k: 'sum'; range: Range }
  | { k: 'rank'; range: Range; cell: Ref }
  | { k: 'sumWhere'; keys: Range; key: Expr; values: Range };

// ── building ────────────────────────────────────────────────────────────────────────────────────

export const num = (value: string | number): Expr => ({ k: 'num', value: String(value) });
/** A constant the workbook itself writes (a frequency, a basis): never a client's text. */
export const str = (value: 'weekly' | 'monthly' | 'quarterly' | 'per_child' | 'gross' | ''): Expr => ({
  k: 'str',
  value,
});
export const ref = (sheet: string, col: number, row: number, fixed = false): Expr => ({
  k: 'ref',
  ref: { sheet, col, row },
  fixed,
});
export const name = (defined: string): Expr => ({ k: 'name', name: defined });
const op =
  (operator: Operator) =>
  (a: Expr, b: Expr): Expr => ({ k: 'op', op: operator, a, b });
export const add = op('+');
export const sub = op('-');
export const mul = op('*');
export const div = op('/');
export const eq = op('=');
export const ne = op('<>');
export const gt = op('>');
export const ge = op('>=');
export const le = op('<=');
const fn =
  (f: Fn) =>
  (...args: Expr[]): Expr => ({ k: 'fn', fn: f, args });
export const ROUND = fn('ROUND');
export const INT = fn('INT');
export const MAX = fn('MAX');
export const MIN = fn('MIN');
export const IF = fn('IF');
export const AND = fn('AND');
export const sumOf = (range: Range): Expr => ({ k: 'sum', range });
export const rankIn = (range: Range, cell: Ref): Expr => ({ k: 'rank', range, cell });
export const sumWhere = (keys: Range, key: Expr, values: Range): Expr => ({
  k: 'sumWhere',
  keys,
  key,
  values,
});
/** Sums of several expressions, left to right. */
export const addAll = (first: Expr, ...rest: Expr[]): Expr =>
  rest.reduce((sum, next) => add(sum, next), first);

// ── writing ─────────────────────────────────────────────────────────────────────────────────────

/** Column 1 → A, 27 → AA. */
export function columnLetters(col: number): string {
  let letters = '';
  for (let n = col; n > 0; n = Math.floor((n - 1) / 26))
    letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  return letters;
}

/** A sheet's name as a formula writes it: quoted when it is not a plain word. */
export function sheetPrefix(sheet: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(sheet) ? `${sheet}!` : `'${sheet.replaceAll("'", "''")}'!`;
}

export function address(ref: Ref, fixed = false): string {
  const dollar = fixed ? '$' : '';
  return `${dollar}${columnLetters(ref.col)}${dollar}${ref.row}`;
}

function refText(ref: Ref, host: string, fixed = false): string {
  return `${ref.sheet === host ? '' : sheetPrefix(ref.sheet)}${address(ref, fixed)}`;
}

function rangeText(range: Range, host: string): string {
  const prefix = range.sheet === host ? '' : sheetPrefix(range.sheet);
  const col = columnLetters(range.col);
  return `${prefix}$${col}$${range.from}:$${col}$${range.to}`;
}

const PRECEDENCE: Record<Operator, number> = {
  '=': 1,
  '<>': 1,
  '>': 1,
  '>=': 1,
  '<': 1,
  '<=': 1,
  '+': 2,
  '-': 2,
  '*': 3,
  '/': 3,
};

function precedence(expr: Expr): number {
  return expr.k === 'op' ? PRECEDENCE[expr.op] : 9;
}

/** The formula's text (without the leading `=`), as written in a cell of the sheet `host`. */
export function formulaText(expr: Expr, host: string): string {
  const text = (e: Expr) => formulaText(e, host);
  switch (expr.k) {
    case 'num':
      return expr.value;
    case 'str':
      return `"${expr.value}"`;
    case 'ref':
      return refText(expr.ref, host, expr.fixed);
    case 'name':
      return expr.name;
    case 'op': {
      const own = PRECEDENCE[expr.op];
      const left = precedence(expr.a) < own ? `(${text(expr.a)})` : text(expr.a);
      const tight = expr.op === '-' || expr.op === '/' || own === 1;
      const right =
        precedence(expr.b) < own || (tight && precedence(expr.b) === own)
          ? `(${text(expr.b)})`
          : text(expr.b);
      return `${left}${expr.op}${right}`;
    }
    case 'fn':
      return `${expr.fn}(${expr.args.map(text).join(',')})`;
    case 'sum':
      return `SUM(${rangeText(expr.range, host)})`;
    case 'rank': {
      const range = rangeText(expr.range, host);
      const cell = refText(expr.cell, host);
      return `1+SUMPRODUCT((${range}>${cell})+(${range}=${cell})*(ROW(${range})<ROW(${cell})))`;
    }
    case 'sumWhere':
      return `SUMPRODUCT(EXACT(${rangeText(expr.keys, host)},${text(expr.key)})*${rangeText(expr.values, host)})`;
  }
}

// ── working out ─────────────────────────────────────────────────────────────────────────────────

/** What a cell holds: a value typed in, or a formula (with, where the service states it, its figure). */
export type Content = { value: Scalar } | { formula: Expr; published?: Scalar };

const ZERO = new Dec(0);

function asNumber(value: Scalar): Decimal {
  if (value === null || value === '') return ZERO;
  if (typeof value === 'boolean') return new Dec(value ? 1 : 0);
  if (typeof value === 'string')
    throw new TypeError(`A formula reads text as a number: ${JSON.stringify(value)}`);
  return value;
}

function asBoolean(value: Scalar): boolean {
  if (typeof value === 'boolean') return value;
  if (value === null) return false;
  if (typeof value === 'string')
    throw new TypeError(`A formula reads text as TRUE/FALSE: ${JSON.stringify(value)}`);
  return !value.isZero();
}

/** Text for a comparison: an empty cell as "", lower-cased as `=` compares; undefined for a number. */
function comparable(value: Scalar): string | undefined {
  if (value === null) return '';
  return typeof value === 'string' ? value.toLowerCase() : undefined;
}

/** Spreadsheet comparison: numbers by value, text by text (case-insensitively, as `=` does), an empty cell as "" or 0. */
function compare(a: Scalar, b: Scalar): number {
  if (typeof a !== 'string' && typeof b !== 'string') return asNumber(a).comparedTo(asNumber(b));
  const x = comparable(a);
  const y = comparable(b);
  if (x === undefined) return -1; // a number sorts before text
  if (y === undefined) return 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * A workbook's cells by sheet, with its defined names, that works out every formula: `value` gives a
 * cell's result (each formula worked out once).
 */
export class Book {
  private readonly cells = new Map<string, Content>();
  private readonly results = new Map<string, Scalar>();
  readonly names = new Map<string, Ref>();

  private static key(ref: Ref): string {
    return `${ref.sheet}\u0000${ref.col}\u0000${ref.row}`;
  }

  set(ref: Ref, content: Content): void {
    this.cells.set(Book.key(ref), content);
  }

  content(ref: Ref): Content | undefined {
    return this.cells.get(Book.key(ref));
  }

  define(defined: string, ref: Ref): void {
    this.names.set(defined, ref);
  }

  /** The value of a cell: what was typed, or what its formula gives. */
  value(ref: Ref): Scalar {
    const key = Book.key(ref);
    const content = this.cells.get(key);
    if (content === undefined) return null;
    if ('value' in content) return content.value;
    const known = this.results.get(key);
    if (known !== undefined) return known;
    const result = this.evaluate(content.formula);
    this.results.set(key, result);
    return result;
  }

  private column(range: Range): Scalar[] {
    const values: Scalar[] = [];
    for (let row = range.from; row <= range.to; row += 1) values.push(this.value({ ...range, row }));
    return values;
  }

  evaluate(expr: Expr): Scalar {
    switch (expr.k) {
      case 'num':
        return new Dec(expr.value);
      case 'str':
        return expr.value;
      case 'ref':
        return this.value(expr.ref);
      case 'name': {
        const target = this.names.get(expr.name);
        if (target === undefined) throw new Error(`No defined name ${expr.name}`);
        return this.value(target);
      }
      case 'op':
        return this.operate(expr.op, this.evaluate(expr.a), this.evaluate(expr.b));
      case 'fn':
        return this.call(expr.fn, expr.args);
      case 'sum':
        return this.column(expr.range).reduce<Decimal>(
          (sum, value) =>
            typeof value === 'string' || typeof value === 'boolean' ? sum : sum.plus(asNumber(value)),
          ZERO,
        );
      case 'rank': {
        const own = this.value(expr.cell);
        let rank = 1;
        this.column(expr.range).forEach((value, i) => {
          const order = compare(value, own);
          if (order > 0 || (order === 0 && expr.range.from + i < expr.cell.row)) rank += 1;
        });
        return new Dec(rank);
      }
      case 'sumWhere': {
        const key = this.evaluate(expr.key);
        const keys = this.column(expr.keys);
        const values = this.column(expr.values);
        return keys.reduce<Decimal>(
          (sum, candidate, i) =>
            String(candidate ?? '') === String(key ?? '') ? sum.plus(asNumber(values[i] ?? null)) : sum,
          ZERO,
        );
      }
    }
  }

  private operate(operator: Operator, a: Scalar, b: Scalar): Scalar {
    switch (operator) {
      case '+':
        return asNumber(a).plus(asNumber(b));
      case '-':
        return asNumber(a).minus(asNumber(b));
      case '*':
        return asNumber(a).times(asNumber(b));
      case '/': {
        const divisor = asNumber(b);
        if (divisor.isZero()) throw new RangeError('A formula divides by zero');
        return asNumber(a).dividedBy(divisor);
      }
      case '=':
        return compare(a, b) === 0;
      case '<>':
        return compare(a, b) !== 0;
      case '>':
        return compare(a, b) > 0;
      case '>=':
        return compare(a, b) >= 0;
      case '<':
        return compare(a, b) < 0;
      case '<=':
        return compare(a, b) <= 0;
    }
  }

  private call(f: Fn, args: Expr[]): Scalar {
    const numbers = () => args.map((arg) => asNumber(this.evaluate(arg)));
    switch (f) {
      case 'ROUND': {
        const [value, places] = numbers();
        // half away from zero, as Excel and LibreOffice round
        return value!.toDecimalPlaces(places!.toNumber(), Dec.ROUND_HALF_UP);
      }
      case 'INT':
        return numbers()[0]!.floor();
      case 'MAX':
        return Dec.max(...numbers());
      case 'MIN':
        return Dec.min(...numbers());
      case 'IF':
        return asBoolean(this.evaluate(args[0]!)) ? this.evaluate(args[1]!) : this.evaluate(args[2]!);
      case 'AND':
        return args.every((arg) => asBoolean(this.evaluate(arg)));
      case 'SUM':
        return numbers().reduce((sum, value) => sum.plus(value), ZERO);
    }
  }
}
