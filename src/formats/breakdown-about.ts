import type { Breakdown } from '../domain/pricing/breakdown.js';
import type { AboutFacts } from './workbook-plan.js';

// What the About sheet of a live breakdown workbook says: which document it is (a published fee
// schedule with its proof, a draft's quote, or a quote of a posted model) and how to check it.

interface ScheduleFacts {
  id: string;
  homeId: string;
  organisationId: string;
  costModelId: string;
  costModelVersion: number;
  period: { label: string; start: string; end: string };
  version: number;
  effectiveFrom: string;
  publishedAt: string;
  methodVersion: number;
  weeklyFeePerChild: string;
}

interface ProofFacts {
  sequence: number;
  hash: string;
  previousHash: string | null;
  signature: string;
  keyId: string;
}

function periodText(period: { label: string; start: string; end: string }): string {
  return `${period.label} (${period.start} to ${period.end})`;
}

/** A published fee schedule: its identity, its proof, and how to verify it. */
export function scheduleAbout(schedule: ScheduleFacts, proof: ProofFacts | undefined): AboutFacts {
  const facts: [string, string][] = [
    ['Fee schedule', schedule.id],
    ['Home', schedule.homeId],
    ['Organisation', schedule.organisationId],
    ['Period', periodText(schedule.period)],
    ['Version', String(schedule.version)],
    ['Effective from', schedule.effectiveFrom],
    ['Published at', schedule.publishedAt],
    ['Cost model', `${schedule.costModelId}, version ${schedule.costModelVersion}`],
    ['Pricing method version', String(schedule.methodVersion)],
    ['Weekly fee per child', `£${schedule.weeklyFeePerChild}`],
  ];
  if (proof !== undefined) {
    facts.push(
      ['Hash (SHA-256)', proof.hash],
      ['Previous hash in the chain', proof.previousHash ?? '(none: the first schedule of the organisation)'],
      ['Place in the chain', String(proof.sequence)],
      ['Signed by key', proof.keyId],
      ['Signature (Ed25519, base64)', proof.signature],
    );
  }
  return {
    title: `Fee schedule ${schedule.period.label}, version ${schedule.version}: the live breakdown`,
    summary:
      'The published fee schedule, with every figure of its breakdown worked out by formulas from the cost model it was priced on.',
    facts,
    verify: [
      `The signed document is the schedule as JSON: GET /v1/fee-schedules/${schedule.id}. Its proof (GET /v1/fee-schedules/${schedule.id}/proof) holds the hash and signature above.`,
      'The hash is SHA-256 of {"chain": {organisationId, sequence, previousHash}, "schedule": the JSON} in RFC 8785 canonical form; the signature is Ed25519 over the hash, checked with the key listed at /.well-known/fee-schedule-keys.json. docs/verifying.md gives every step.',
      "This workbook is a view of that document: its input sheets are the schedule's model and the Breakdown sheet's published figures are the schedule's breakdown, so a check of the JSON is a check of them.",
    ],
    asOf: schedule.publishedAt.slice(0, 10),
  };
}

/** A draft's quote: not published, so no proof. */
export function draftAbout(
  draft: { id: string; version: number; homeId: string },
  breakdown: Breakdown,
  asOf: string,
): AboutFacts {
  return {
    title: `Draft cost model, version ${draft.version}: the live breakdown of its quote`,
    summary: 'A quote of a draft: nothing is published, and the figures change when the draft does.',
    facts: [
      ['Cost model (draft)', draft.id],
      ['Draft version', String(draft.version)],
      ['Home', draft.homeId],
      ['Period', periodText(breakdown.period)],
      ['Pricing method version', String(breakdown.methodVersion)],
      ['Weekly fee per child', `£${breakdown.weeklyFeePerChild}`],
    ],
    asOf,
  };
}

/** A quote of a posted model: nothing is stored. */
export function quoteAbout(breakdown: Breakdown): AboutFacts {
  return {
    title: `Quote for ${breakdown.period.label}: the live breakdown`,
    summary: 'A quote of a cost model sent to POST /v1/quotes: nothing is stored or published.',
    facts: [
      ['Period', periodText(breakdown.period)],
      ['Pricing method version', String(breakdown.methodVersion)],
      ['Weekly fee per child', `£${breakdown.weeklyFeePerChild}`],
    ],
    asOf: breakdown.period.start,
  };
}
