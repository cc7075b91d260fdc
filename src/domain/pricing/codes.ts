// §1 The closed list of line codes and their categories, so that returns from different homes add up.

export const STAFFING_CODES = [
  'STAFF_PAY',
  'STAFF_EMPLOYER_NI',
  'STAFF_EMPLOYER_PENSION',
  'STAFF_APPRENTICESHIP_LEVY',
  'STAFF_ABSENCE_COVER',
] as const;

export const PROPERTY_CODES = [
  'PROPERTY_LEASE',
  'PROPERTY_SERVICE_CHARGE',
  'PROPERTY_REPAIRS_MAINTENANCE',
  'PROPERTY_UTILITIES',
  'PROPERTY_COUNCIL_TAX',
  'PROPERTY_INSURANCE',
  'PROPERTY_FURNISHING',
  'PROPERTY_OTHER',
] as const;

export const RUNNING_CODES = [
  'RUNNING_FOOD_HOUSEHOLD',
  'RUNNING_ACTIVITIES',
  'RUNNING_CHILD_ALLOWANCES',
  'RUNNING_EDUCATION',
  'RUNNING_HEALTH_THERAPY',
  'RUNNING_TRANSPORT',
  'RUNNING_TRAINING',
  'RUNNING_REGULATORY',
  'RUNNING_IT_COMMS',
  'RUNNING_OTHER',
] as const;

export const CENTRAL_CODES = ['CENTRAL_OVERHEAD'] as const;
export const SURPLUS_CODES = ['SURPLUS'] as const;
export const ENHANCEMENT_CODES = ['ENHANCEMENT_STAFFING'] as const;

export type StaffingCode = (typeof STAFFING_CODES)[number];
export type PropertyCode = (typeof PROPERTY_CODES)[number];
export type RunningCode = (typeof RUNNING_CODES)[number];
export type CentralCode = (typeof CENTRAL_CODES)[number];
export type SurplusCode = (typeof SURPLUS_CODES)[number];
export type EnhancementCode = (typeof ENHANCEMENT_CODES)[number];

export const CATEGORIES = ['staffing', 'property', 'running', 'central', 'surplus', 'enhancement'] as const;
export type Category = (typeof CATEGORIES)[number];

export const LINE_CODES = [
  ...STAFFING_CODES,
  ...PROPERTY_CODES,
  ...RUNNING_CODES,
  ...CENTRAL_CODES,
  ...SURPLUS_CODES,
  ...ENHANCEMENT_CODES,
] as const;
export type LineCode = (typeof LINE_CODES)[number];

/** Codes that appear in a breakdown's lines (everything but the enhancement code). */
export const BREAKDOWN_LINE_CODES = [
  ...STAFFING_CODES,
  ...PROPERTY_CODES,
  ...RUNNING_CODES,
  ...CENTRAL_CODES,
  ...SURPLUS_CODES,
] as const;
export type BreakdownLineCode = (typeof BREAKDOWN_LINE_CODES)[number];

export const CATEGORY_OF_CODE: Readonly<Record<LineCode, Category>> = Object.freeze({
  ...Object.fromEntries(STAFFING_CODES.map((code) => [code, 'staffing'])),
  ...Object.fromEntries(PROPERTY_CODES.map((code) => [code, 'property'])),
  ...Object.fromEntries(RUNNING_CODES.map((code) => [code, 'running'])),
  CENTRAL_OVERHEAD: 'central',
  SURPLUS: 'surplus',
  ENHANCEMENT_STAFFING: 'enhancement',
} as Record<LineCode, Category>);

export function categoryOf(code: LineCode): Category {
  return CATEGORY_OF_CODE[code];
}

export const STAFF_GROUPS = ['management', 'care', 'support'] as const;
export type StaffGroup = (typeof STAFF_GROUPS)[number];

export const FREQUENCIES = ['weekly', 'monthly', 'quarterly', 'annual'] as const;
export type Frequency = (typeof FREQUENCIES)[number];

export const RUNNING_BASES = ['per_home', 'per_child'] as const;
export type RunningBasis = (typeof RUNNING_BASES)[number];

export const PENSION_BASES = ['gross', 'qualifying_earnings'] as const;
export type PensionBasis = (typeof PENSION_BASES)[number];

export const CENTRAL_BASES = ['places', 'staff_fte', 'equal'] as const;
export type CentralBasis = (typeof CENTRAL_BASES)[number];

/** A frequency in words, for basis sentences and causes: "£2,400.00 a month". */
export const FREQUENCY_WORDS: Readonly<Record<Frequency, string>> = {
  weekly: 'a week',
  monthly: 'a month',
  quarterly: 'a quarter',
  annual: 'a year',
};

/** What a central pool is shared by, in words. */
export const CENTRAL_BASIS_WORDS: Readonly<Record<CentralBasis, string>> = {
  places: 'places',
  staff_fte: 'staff FTE',
  equal: 'equal shares',
};

/** §6 how a related party is related to the provider. */
export const RELATED_PARTY_RELATIONSHIPS = [
  'parent',
  'subsidiary',
  'common_control',
  'director_or_trustee',
  'key_personnel',
  'family_of_key_personnel',
  'other',
] as const;
export type RelatedPartyRelationship = (typeof RELATED_PARTY_RELATIONSHIPS)[number];
