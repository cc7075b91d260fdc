import type { GridRow } from '../../domain/scenarios/index.js';
import { type Figures, GRID_FIGURE_COLUMNS } from '../../domain/scenarios/report.js';
import { toCsv } from '../../formats/csv.js';
import type { ScenarioRun } from './service.js';

// The JSON and CSV of a scenario, written as the rows are priced: a 10,000-combination grid is never
// held in memory, and a client that goes away stops the pricing (ScenarioRun's rows check its signal).

const ROWS_PER_CHUNK = 200;

/** The report as JSON text: the head, then each grid's rows as they come. */
export async function* scenarioJson(run: ScenarioRun): AsyncGenerator<string> {
  const head = JSON.stringify(run.head);
  yield `${head.slice(0, -1)},"grids":[`;
  for (const [index, grid] of run.grids.entries()) {
    const gridHead = JSON.stringify(grid);
    yield `${index === 0 ? '' : ','}${gridHead.slice(0, -1)},"rows":[`;
    let chunk: string[] = [];
    let first = true;
    for await (const row of run.rows(index)) {
      chunk.push(JSON.stringify(row));
      if (chunk.length === ROWS_PER_CHUNK) {
        yield `${first ? '' : ','}${chunk.join(',')}`;
        first = false;
        chunk = [];
      }
    }
    if (chunk.length > 0) yield `${first ? '' : ','}${chunk.join(',')}`;
    yield ']}';
  }
  yield ']}';
}

/**
 * The CSV: one row for the base, one for the point, then one per combination of every grid. The
 * columns: grid, combination (from 0), a column per lever any grid varies (blank where a grid does
 * not), then the figures. The same figures as the JSON, to the penny.
 */
export async function* scenarioCsv(run: ScenarioRun): AsyncGenerator<string> {
  const keys: string[] = [];
  for (const grid of run.grids)
    for (const axis of grid.axes) if (!keys.includes(axis.key)) keys.push(axis.key);
  const figures = (row: Omit<Figures, 'plannedOccupancy' | 'methodVersion'>) =>
    GRID_FIGURE_COLUMNS.map((column) => row[column] ?? '');
  yield toCsv([
    ['grid', 'combination', ...keys, ...GRID_FIGURE_COLUMNS],
    ['base', '', ...keys.map(() => ''), ...figures(run.head.base.figures)],
    ['point', '', ...keys.map(() => ''), ...figures(run.head.point)],
  ]);
  for (const [index, grid] of run.grids.entries()) {
    const columns = grid.axes.map((axis) => keys.indexOf(axis.key));
    let chunk: string[][] = [];
    let n = 0;
    for await (const row of run.rows(index)) {
      const at = keys.map(() => '');
      columns.forEach((column, a) => {
        at[column] = row.at[a]!;
      });
      chunk.push([grid.name, String(n), ...at, ...figures(row as GridRow)]);
      n += 1;
      if (chunk.length === ROWS_PER_CHUNK) {
        yield toCsv(chunk);
        chunk = [];
      }
    }
    if (chunk.length > 0) yield toCsv(chunk);
  }
}
