import { html, type SafeHtml } from './html.js';

/**
 * A column of a table: its header, and how its cells are laid out.
 * - `num`: a figure, right-aligned, never wrapped;
 * - `code`: a line code in `<code>`, never broken (not even at its underscores);
 * - `text`: prose that may wrap (on a phone its label goes above it, not beside it);
 * - none: a short word or two.
 */
export interface Column {
  readonly label: string;
  readonly kind?: 'num' | 'code' | 'text';
}

/**
 * A data cell of `column`, its header repeated as `data-label`: on a narrow screen the table stacks,
 * one block per row, and each cell shows its column's name beside its value (the stylesheet's
 * `td::before { content: attr(data-label) }`).
 */
export function cell(column: Column, content: SafeHtml | string): SafeHtml {
  return html`<td${column.kind ? html` class="${column.kind}"` : ''} data-label="${column.label}">${content}</td>`;
}

/** A code in a cell of a `code` column. */
export const code = (text: string): SafeHtml => html`<code>${text}</code>`;

export interface TableOptions {
  caption: SafeHtml | string;
  /** The first column is the rows' header (`<th scope="row">`), the others data cells made by `cell`. */
  columns: readonly Column[];
  rows: SafeHtml | readonly (SafeHtml | '')[];
  foot?: SafeHtml | undefined;
  /**
   * `stack` (the default): rows become blocks on a narrow screen; `fit`: a table of two or three
   * narrow columns that stays a table at any width (its wrapper scrolls sideways, with a shadow at the
   * edge as the cue, should it ever be too wide).
   */
  layout?: 'stack' | 'fit';
}

/** A data table with its caption and column headers, in its wrapper. */
export function dataTable({ caption, columns, rows, foot, layout = 'stack' }: TableOptions): SafeHtml {
  const head = columns.map(
    (column) => html`<th scope="col"${column.kind === 'num' ? html` class="num"` : ''}>${column.label}</th>`,
  );
  return html`<div class="table-wrap"><table class="${layout}">
<caption>${caption}</caption>
<thead><tr>${head}</tr></thead>
<tbody>
${rows}
</tbody>
${foot ? html`<tfoot>${foot}</tfoot>\n` : ''}</table></div>`;
}
