/**
 * The price insight of search answers, calendar days and the price history
 * (docs/search-api.md, "Insight"): is this trip's price low, typical or high for the
 * route at this time before departure? The server compares the answer's cheapest price
 * per passenger with the 25th-75th percentile band of the route's observed prices; with
 * too little data the level is null and a reason says why. This module reads the
 * object and draws the badge ("Prices are low for this trip", with the band).
 */
import { h } from './dom';
import { formatMoney, type Money } from './results';

export type InsightLevel = 'low' | 'typical' | 'high';

export interface Insight {
  level: InsightLevel | null;
  /** The typical band, minor units of `currency` (null without a level). */
  typicalLowMinor: number | null;
  typicalHighMinor: number | null;
  currency: string;
  /** Why there is no level (null when there is one). */
  reason: string | null;
  sampleSize: number | null;
  /** Days-before-departure bucket of the band: "0-6" … "60+", or "any". */
  bucket: string | null;
}

type Rec = Record<string, unknown>;
const asRec = (v: unknown): Rec | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The server's insight object, or null when absent or malformed (a schedule-only answer). */
export function normalizeInsight(raw: unknown): Insight | null {
  const r = asRec(raw);
  if (!r || !str(r.currency)) return null;
  const level = r.level === 'low' || r.level === 'typical' || r.level === 'high' ? r.level : null;
  const lo = num(r.typical_low_minor);
  const hi = num(r.typical_high_minor);
  const basis = asRec(r.basis);
  return {
    level: level && lo !== null && hi !== null ? level : null,
    typicalLowMinor: level ? lo : null,
    typicalHighMinor: level ? hi : null,
    currency: str(r.currency) ?? '',
    reason: str(r.reason),
    sampleSize: basis ? num(basis.sample_size) : null,
    bucket: basis ? str(basis.bucket) : null,
  };
}

/** Decimal digits of a currency's minor unit (0 for JPY, 2 for EUR), from Intl. */
export function minorDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en-GB', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** Money of an amount in minor units. */
export function moneyOfMinor(minor: number, currency: string): Money {
  const digits = minorDigits(currency);
  return { amount: (minor / 10 ** digits).toFixed(digits), amount_minor: minor, currency };
}

/** "Prices are low for this trip". */
export function insightHeadline(i: Insight): string {
  return i.level ? `Prices are ${i.level} for this trip` : 'Not enough price history for this trip yet';
}

/** "Usually €412–€529 at this time before departure." (whole units), or "" without a band. */
export function insightBand(i: Insight): string {
  if (i.typicalLowMinor === null || i.typicalHighMinor === null) return '';
  const lo = formatMoney(moneyOfMinor(i.typicalLowMinor, i.currency), { whole: true });
  const hi = formatMoney(moneyOfMinor(i.typicalHighMinor, i.currency), { whole: true });
  const when = i.bucket && i.bucket !== 'any' ? ' at this time before departure' : '';
  return lo === hi ? `Usually about ${lo}${when}.` : `Usually ${lo}–${hi}${when}.`;
}

/**
 * The badge on the results: a headline, the band and a level class for the colour
 * (insight-low, insight-typical, insight-high, insight-none). Null without an insight.
 */
export function renderInsightBadge(i: Insight | null): HTMLElement | null {
  if (!i) return null;
  const level = i.level ?? 'none';
  const band = insightBand(i);
  return h(
    'div',
    { class: `insight-badge insight-${level}`, role: 'status', 'data-level': level },
    h('strong', { class: 'insight-headline' }, insightHeadline(i)),
    band ? h('span', { class: 'insight-band' }, ` ${band}`) : null,
  );
}
