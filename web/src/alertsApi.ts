/**
 * Price alerts: the client of /api/v1/me/price-alerts (docs/alerts.md) and the pure helpers
 * the results page's "Track prices" toggle and the alerts page share: the alert a search
 * corresponds to, whether an alert is that search's, and how an alert reads on screen.
 */

import { ApiError } from './api';
import { formatDate, formatMonth } from './dates';
import type { Session } from './session';

const API_PREFIX = '/api/v1';

export type AlertDates =
  | { type: 'exact'; departure: string; return?: string | null }
  | { type: 'month'; month: string; stay?: { min: number; max: number } | null }
  | { type: 'weekends'; month: string; round_trip?: boolean };

export interface AlertMoney {
  amount_minor: number;
  currency: string;
}

export interface AlertInput {
  origin: string;
  destination: string;
  dates: AlertDates;
  cabin?: 'economy' | 'business';
  passengers?: number;
  currency?: string;
  max_price?: AlertMoney | null;
  drop_percent?: number | null;
  channels?: string[];
}

export interface PriceAlert extends AlertInput {
  id: string;
  cabin: 'economy' | 'business';
  passengers: number;
  currency: string;
  baseline_minor: number | null;
  last_price_minor: number | null;
  notified_low_minor: number | null;
  last_checked_at: string | null;
  last_notified_at: string | null;
  search_url: string;
}

/** What a search tracks: one way or a round trip on exact dates. */
export interface TrackedSearch {
  origin: string;
  destination: string;
  departure: string;
  return: string | null;
  cabin: string;
  passengers: number;
  currency: string;
}

/** The default rule of the toggle: any drop of at least this much below today's price. */
export const TOGGLE_DROP_PERCENT = 5;

/** The body that tracks a search (null when alerts cannot: another cabin, no dates). */
export function alertForSearch(s: TrackedSearch): AlertInput | null {
  if (s.cabin !== 'economy' && s.cabin !== 'business') return null;
  if (!s.origin || !s.destination || !s.departure) return null;
  return {
    origin: s.origin,
    destination: s.destination,
    dates: { type: 'exact', departure: s.departure, return: s.return },
    cabin: s.cabin,
    passengers: Math.min(Math.max(s.passengers, 1), 9),
    currency: s.currency,
    drop_percent: TOGGLE_DROP_PERCENT,
    channels: ['email', 'in_app'],
  };
}

/** True when `a` tracks exactly the search (route, dates, cabin, passengers). */
export function alertMatches(a: PriceAlert, s: TrackedSearch): boolean {
  if (a.dates.type !== 'exact') return false;
  return (
    a.origin === s.origin.toUpperCase() &&
    a.destination === s.destination.toUpperCase() &&
    a.dates.departure === s.departure &&
    (a.dates.return ?? null) === (s.return || null) &&
    a.cabin === s.cabin &&
    a.passengers === Math.min(Math.max(s.passengers, 1), 9)
  );
}

/** Minor units of a currency (0 for JPY, KRW ...). */
export function minorDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** "€412.50" for 41250 EUR minor units. */
export function formatMinor(amount: number, currency: string): string {
  const value = amount / 10 ** minorDigits(currency);
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(value);
  } catch {
    return `${value} ${currency}`;
  }
}

/** "412.50" typed by the user → minor units (null when not a positive amount). */
export function parseMajor(text: string, currency: string): number | null {
  const t = text.trim().replace(',', '.');
  if (!/^\d+(\.\d+)?$/.test(t)) return null;
  const digits = minorDigits(currency);
  const [whole, frac = ''] = t.split('.');
  if (frac.length > digits) return null;
  const minor = Number(whole) * 10 ** digits + Number(frac.padEnd(digits, '0') || '0');
  return minor > 0 ? minor : null;
}

/** "12 Jan 2027 → 19 Jan 2027", "Any day of January 2027, 3-7 days", "Weekends of …". */
export function datesText(d: AlertDates): string {
  if (d.type === 'exact') return d.return ? `${formatDate(d.departure)} → ${formatDate(d.return)}` : formatDate(d.departure);
  const month = formatMonth(d.month);
  if (d.type === 'weekends') return `Weekends of ${month}${d.round_trip ? ', round trip' : ''}`;
  return `Any day of ${month}${d.stay ? `, ${d.stay.min}-${d.stay.max} days` : ''}`;
}

/** "Below €400.00" or "A drop of 10 %". */
export function ruleText(a: PriceAlert): string {
  if (a.max_price) return `Below ${formatMinor(a.max_price.amount_minor, a.max_price.currency)}`;
  return `A drop of ${a.drop_percent ?? 0} %`;
}

export class AlertsApi {
  private readonly session: Session;

  constructor(session: Session) {
    this.session = session;
  }

  private async call(path: string, method = 'GET', body?: unknown): Promise<Response> {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.headers = { 'Content-Type': 'application/json' };
      init.body = JSON.stringify(body);
    }
    const res = await this.session.authFetch(`${API_PREFIX}${path}`, init);
    if (!res.ok) throw await ApiError.fromResponse(res);
    return res;
  }

  async list(): Promise<PriceAlert[]> {
    const raw = (await (await this.call('/me/price-alerts')).json()) as { items?: PriceAlert[] };
    return Array.isArray(raw.items) ? raw.items : [];
  }

  async create(input: AlertInput): Promise<PriceAlert> {
    return (await (await this.call('/me/price-alerts', 'POST', input)).json()) as PriceAlert;
  }

  async update(id: string, patch: Partial<AlertInput>): Promise<PriceAlert> {
    return (await (await this.call(`/me/price-alerts/${encodeURIComponent(id)}`, 'PATCH', patch)).json()) as PriceAlert;
  }

  async remove(id: string): Promise<void> {
    await this.call(`/me/price-alerts/${encodeURIComponent(id)}`, 'DELETE');
  }
}
