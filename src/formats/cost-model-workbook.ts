import { planInputs } from './cost-model-sheets.js';
import { type AboutFacts, Plan, planAbout, toXlsx } from './workbook-plan.js';

// A cost model as a workbook to fill in (docs/workbooks.md, "Round trip"): a draft's own, or the blank
// template. The input sheets are those of the live breakdown workbook (cost-model-sheets.ts), with
// drop-down lists on ROOM_TO_ADD rows below each list's last, and no formulas: what comes back is read
// by cost-model-reader.ts.

/** Rows below a list's last item that keep its drop-down lists, for lines a finance team adds. */
export const ROOM_TO_ADD = 100;

const HOW_TO_FILL = [
  'Fill in the yellow cells. The Model sheet holds one field a row, named by its JSON pointer in column A; each other sheet is a list, one item a row, one field a column, headed by the field’s name (row 1). A note on each header and field says what it takes.',
  'Money has at most 2 decimal places and rates and quantities at most 6 (method §1); a cell with more is refused, not rounded. Codes, frequencies, bases, groups and relationships are offered as lists.',
  'Leave a row empty to leave it out; leave the central block empty to take this home’s share of the organisation’s central cost pool; give either the rates or ratesFrom.',
  'Send it back as the body of PUT /v1/cost-models/{id} (with If-Match: the draft’s version, in quotes) or POST /v1/homes/{id}/cost-models, with Content-Type application/vnd.openxmlformats-officedocument.spreadsheetml.sheet. A problem names each cell at fault (Sheet!Cell) as well as its JSON pointer, and nothing is stored.',
  'Keep the sheets’ names and the header row as they are: the columns are found by their headers, and a column to the right of an empty header column is ignored (so the live breakdown workbook of a quote or schedule can be sent back too).',
];

/** The workbook of a cost model document (a draft's, or `{}` for the blank template). */
export function costModelWorkbook(document: Record<string, unknown>, about: AboutFacts): Promise<Buffer> {
  const plan = new Plan();
  const aboutSheet = plan.sheet('About');
  planInputs(plan, document, ROOM_TO_ADD);
  planAbout(aboutSheet, about, HOW_TO_FILL);
  return toXlsx(plan, about.asOf);
}

let template: Promise<Buffer> | undefined;

/** The blank template: every sheet and field, no values (built once: it is the same bytes every time). */
export function costModelTemplate(): Promise<Buffer> {
  template ??= costModelWorkbook(
    {},
    {
      title: 'Cost model template',
      summary:
        'A blank cost model of the cost-plus pricing method (docs/method.md §1): fill it in and send it to POST /v1/homes/{id}/cost-models to start a draft.',
      facts: [],
      asOf: '2026-01-01',
    },
  );
  return template;
}

/** A draft's workbook: its document, and on the About sheet what it is and how to send it back. */
export function draftWorkbook(draft: {
  id: string;
  version: number;
  homeId: string;
  period: { label: string; start: string; end: string };
  document: Record<string, unknown>;
  updatedAt: string;
}): Promise<Buffer> {
  return costModelWorkbook(draft.document, {
    title: `Draft cost model ${draft.period.label}, version ${draft.version}`,
    summary: `The draft's cost model, to change and send back with PUT /v1/cost-models/${draft.id} and If-Match: "${draft.version}".`,
    facts: [
      ['Cost model (draft)', draft.id],
      ['Draft version', String(draft.version)],
      ['Home', draft.homeId],
      ['Period', `${draft.period.label} (${draft.period.start} to ${draft.period.end})`],
    ],
    asOf: draft.updatedAt.slice(0, 10),
  });
}
