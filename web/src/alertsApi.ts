/**
 * Price alerts: the client of /api/v1/me/price-alerts (docs/alerts.md) and the pure helpers
 * the results page's "Track prices" toggle and the alerts page share: the alert a search
 * corresponds to, whether an alert is that search's, and how an alert reads on screen.
 */

import { ApiError } from './api';
import { formatDate, formatMonth } from './dates';
import { isSearchCabin, type SearchCabin } from './options';
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
  cabin?: SearchCabin;
  passengers?: number;
  currency?: string;
  max_price?: AlertMoney | null;
  drop_percent?: number | null;
  channels?: string[];
}

export interface PriceAlert extends AlertInput {
  id: string;
  cabin: SearchCabin;
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
  if (!isSearchCabin(s.cabin)) return null;
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

/** The channels an alert may use (docs/alerts.md), as the page names them. */
export const ALERT_CHANNELS: readonly { value: string; label: string }[] = [
  { value: 'email', label: 'E-mail' },
  { value: 'in_app', label: 'In the app' },
  { value: 'sms', label: 'Text message (SMS)' },
  { value: 'webhook', label: 'Webhook' },
];

/** What the alerts page's "New price alert" form holds (strings as typed). */
export interface AlertFormValues {
  origin: string;
  destination: string;
  dateType: 'exact' | 'month' | 'weekends';
  departure: string;
  returnDate: string;
  month: string;
  roundTrip: boolean;
  stayMin: string;
  stayMax: string;
  cabin: SearchCabin;
  passengers: string;
  currency: string;
  rule: 'max' | 'drop';
  amount: string;
  channels: string[];
}

export type AlertFormField = 'origin' | 'destination' | 'departure' | 'return' | 'month' | 'stay' | 'passengers' | 'currency' | 'amount' | 'channels';

/** "2026-12-06" + n days. */
function addDays(iso: string, n: number): string {
  const t = new Date(`${iso}T00:00:00Z`);
  t.setUTCDate(t.getUTCDate() + n);
  return t.toISOString().slice(0, 10);
}

/**
 * The body of a new alert from the form, or the errors by field (the server's rules,
 * src/alerts/spec.c: codes of three letters and not the same, dates from today to 365 days
 * ahead, a return after the departure, a month not past, a stay of 1-30 days, 1-9 passengers,
 * a maximum in the currency's minor units or a drop of 1-90 %, at least one channel).
 */
export function alertFromForm(v: AlertFormValues, today: string): { input: AlertInput } | { errors: Partial<Record<AlertFormField, string>> } {
  const e: Partial<Record<AlertFormField, string>> = {};
  const origin = v.origin.trim().toUpperCase();
  const destination = v.destination.trim().toUpperCase();
  const code = /^[A-Z]{3}$/;
  if (!code.test(origin)) e.origin = 'Enter an airport or city code of three letters, such as LON.';
  if (!code.test(destination)) e.destination = 'Enter an airport or city code of three letters, such as NYC.';
  else if (destination === origin) e.destination = 'The destination must differ from the origin.';
  const last = addDays(today, 365);
  const day = /^\d{4}-\d{2}-\d{2}$/;
  let dates: AlertDates | null = null;
  if (v.dateType === 'exact') {
    if (!day.test(v.departure)) e.departure = 'Choose the departure date.';
    else if (v.departure < today || v.departure > last) e.departure = 'Choose a date from today to a year ahead.';
    if (v.returnDate !== '') {
      if (!day.test(v.returnDate) || v.returnDate > last) e.return = 'Choose a return date up to a year ahead, or leave it empty.';
      else if (day.test(v.departure) && v.returnDate < v.departure) e.return = 'The return must be on or after the departure.';
    }
    dates = { type: 'exact', departure: v.departure, return: v.returnDate || null };
  } else {
    if (!/^\d{4}-\d{2}$/.test(v.month)) e.month = 'Choose a month.';
    else if (v.month < today.slice(0, 7) || v.month > last.slice(0, 7)) e.month = 'Choose this month or one in the year ahead.';
    if (v.dateType === 'weekends') dates = { type: 'weekends', month: v.month, round_trip: v.roundTrip };
    else if (!v.roundTrip) dates = { type: 'month', month: v.month };
    else {
      const lo = Number(v.stayMin);
      const hi = Number(v.stayMax);
      if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1 || hi < lo || hi > 30) e.stay = 'Enter a stay of 1 to 30 days, the shortest first.';
      dates = { type: 'month', month: v.month, stay: { min: lo, max: hi } };
    }
  }
  const pax = Number(v.passengers);
  if (!Number.isInteger(pax) || pax < 1 || pax > 9) e.passengers = 'Enter 1 to 9 passengers.';
  const currency = v.currency.trim().toUpperCase();
  if (!code.test(currency)) e.currency = 'Enter a currency code, such as EUR.';
  let rule: Pick<AlertInput, 'max_price' | 'drop_percent'> = {};
  if (v.rule === 'max') {
    const minor = code.test(currency) ? parseMajor(v.amount, currency) : null;
    if (minor === null) e.amount = `Enter the most you would pay in ${code.test(currency) ? currency : 'the currency'}, such as 350.`;
    else rule = { max_price: { amount_minor: minor, currency } };
  } else {
    const pct = Number(v.amount);
    if (v.amount.trim() === '' || !Number.isInteger(pct) || pct < 1 || pct > 90) e.amount = 'Enter a whole percentage from 1 to 90.';
    else rule = { drop_percent: pct };
  }
  if (v.channels.length === 0) e.channels = 'Choose at least one way to be told.';
  if (Object.keys(e).length > 0 || dates === null) return { errors: e };
  return { input: { origin, destination, dates, cabin: v.cabin, passengers: pax, currency, ...rule, channels: v.channels } };
}

/** "E-mail, In the app". */
export function channelsText(channels: readonly string[] | undefined): string {
  return (channels ?? []).map((c) => ALERT_CHANNELS.find((x) => x.value === c)?.label ?? c).join(', ') || 'none';
}
