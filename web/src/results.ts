/**
 * Search results: the pure part of the `/search` page, written against
 * docs/search-api.md. Types and checks of the server's answer, money, local
 * times and "+1" day markers, the page's URL state (every search parameter,
 * sort, filter and page lives in the query string) and the request body built
 * from it, and error texts that name the field the server refused. The DOM
 * lives in `views/results.ts`.
 *
 * Times are shown exactly as the server wrote them (the airport's local
 * time), read from the ISO strings without going through the browser's zone.
 */

import { ApiError, isAbortError, type Problem } from './api';
import { isSearchCabin, type SearchCabin } from './options';
import { isIsoDate, type SearchState } from './searchForm';
import { formatDay, formatDayYear } from './dates';
import { normalizeInsight, type Insight } from './priceInsight';
import { normalizePrediction, type Prediction } from './pricePrediction';

/* -------------------------------------------------------------------- */
/* Types (docs/search-api.md)                                           */
/* -------------------------------------------------------------------- */

export interface Money {
  /** Decimal string with the currency's minor digits: "412.30". */
  amount: string;
  amount_minor: number;
  currency: string;
}

export interface Leg {
  carrier: string;
  /** '' when the server did not send one. */
  carrier_name: string;
  flight_number: number;
  departure_date: string;
  origin: string;
  destination: string;
  /** "2026-12-01T07:05:00+01:00" */
  departure_local: string;
  /** "2026-12-01T06:05:00Z" */
  departure_utc: string;
  arrival_local: string;
  arrival_utc: string;
  duration_minutes: number;
}

export interface Layover {
  /** Where the traveller arrives. */
  airport: string;
  /** Where the next flight leaves (differs on an airport change, e.g. LHR → LGW). */
  nextAirport: string;
  minutes: number;
  /** Separate tickets: collect bags and check in again. */
  self_transfer: boolean;
  changeAirport: boolean;
  /** The connection ends on a later local date than it started (overnight). */
  overnight: boolean;
}

export interface ItinerarySlice {
  origin: string;
  destination: string;
  departure_local: string;
  arrival_local: string;
  departure_utc: string;
  arrival_utc: string;
  duration_minutes: number;
  stops: number;
  legs: Leg[];
  layovers: Layover[];
}

export interface Offer {
  /** The provider's internal code (used to book; never shown). */
  provider: string;
  /** The name travellers know it by, as the server says (null from older servers). */
  provider_name: string | null;
  /** "agency", "airline", … as the server says. */
  kind: string;
  price: Money;
  /** The provider's own price before conversion (null when not sent). */
  original: Money | null;
  self_transfer: boolean;
  /** Separate tickets (kind "separate"): each part's seller and slices, adding up to price (empty otherwise). */
  parts: OfferPart[];
}

/** One ticket of a separate-tickets offer: the seller of `slices` (indices into the itinerary's slices). */
export interface OfferPart {
  provider: string;
  provider_name: string | null;
  slices: number[];
  price: Money;
  original: Money | null;
}

/** CO2e per passenger (src/search/emissions.h): against the answer's typical (median). */
export interface Emissions {
  co2e_kg: number;
  typical_kg: number;
  percent_vs_typical: number;
  label: 'lower' | 'typical' | 'higher';
}

export interface Itinerary {
  id: string;
  /** null: schedule only, no provider sells it. */
  price: Money | null;
  /** null when the server could not estimate them. */
  emissions: Emissions | null;
  duration_minutes: number;
  stops: number;
  self_transfer: boolean;
  carriers: string[];
  slices: ItinerarySlice[];
  offers: Offer[];
}

export interface CarrierFacet {
  code: string;
  name: string;
  count: number;
  min_price: Money | null;
}

export interface StopsFacet {
  stops: number;
  count: number;
  min_price: Money | null;
}

export interface AllianceFacet {
  code: string;
  name: string;
  count: number;
  min_price: Money | null;
}

export interface Facets {
  carriers: CarrierFacet[];
  stops: StopsFacet[];
  /** Not in the contract yet; used when the server sends it. */
  alliances: AllianceFacet[] | null;
  layover_airports: { code: string; count: number; name: string }[];
  price_range: { min: Money; max: Money } | null;
  duration_range: { min: number; max: number } | null;
  /** Each slice's own range (the server's, when it sends them). */
  slice_duration_ranges: { min: number; max: number }[];
}

export interface SearchResponse {
  search_id: string;
  currency: string;
  priced: boolean;
  offset: number;
  limit: number;
  total: number;
  unfiltered_total: number;
  itineraries: Itinerary[];
  facets: Facets;
  /** Low / typical / high for the route (priced answers; src/priceInsight.ts). */
  insight?: Insight | null;
  /** Buy or wait for the route (src/pricePrediction.ts); null without a price model. */
  prediction?: Prediction | null;
}

/* -------------------------------------------------------------------- */
/* Server answer                                                        */
/* -------------------------------------------------------------------- */

type Rec = Record<string, unknown>;
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const asRec = (v: unknown): Rec | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : null);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export function normalizeMoney(raw: unknown): Money | null {
  const r = asRec(raw);
  if (!r || !isStr(r.currency)) return null;
  const minor = isNum(r.amount_minor) ? r.amount_minor : null;
  const amount = isStr(r.amount) && /^-?\d+(\.\d+)?$/.test(r.amount) ? r.amount : isNum(r.amount) ? String(r.amount) : null;
  if (amount === null) return null;
  const digits = (amount.split('.')[1] ?? '').length; /* the currency's: 0, 2 or 3 (KWD) */
  return { amount, amount_minor: minor ?? Math.round(Number(amount) * 10 ** digits), currency: r.currency };
}

function normalizeLeg(raw: unknown): Leg | null {
  const r = asRec(raw);
  if (!r) return null;
  const keys = ['carrier', 'origin', 'destination', 'departure_local', 'departure_utc', 'arrival_local', 'arrival_utc'] as const;
  for (const k of keys) if (!isStr(r[k])) return null;
  if (!isNum(r.flight_number)) return null;
  return {
    carrier: r.carrier as string,
    carrier_name: isStr(r.carrier_name) ? r.carrier_name : '',
    flight_number: r.flight_number,
    departure_date: isStr(r.departure_date) ? r.departure_date : localDate(r.departure_local as string),
    origin: r.origin as string,
    destination: r.destination as string,
    departure_local: r.departure_local as string,
    departure_utc: r.departure_utc as string,
    arrival_local: r.arrival_local as string,
    arrival_utc: r.arrival_utc as string,
    duration_minutes: isNum(r.duration_minutes) ? r.duration_minutes : minutesBetween(r.departure_utc as string, r.arrival_utc as string),
  };
}

/** Connections of a slice: the server's list when sent, else computed from the legs. */
function sliceLayovers(legs: Leg[], raw: unknown): Layover[] {
  const given = arr(raw).map(asRec);
  const out: Layover[] = [];
  for (let i = 0; i + 1 < legs.length; i++) {
    const a = legs[i]!;
    const b = legs[i + 1]!;
    const g = given[i] ?? null;
    out.push({
      airport: g && isStr(g.airport) ? g.airport : a.destination,
      nextAirport: b.origin,
      minutes: g && isNum(g.minutes) ? g.minutes : minutesBetween(a.arrival_utc, b.departure_utc),
      self_transfer: g?.self_transfer === true,
      changeAirport: a.destination !== b.origin,
      overnight: localDate(b.departure_local) > localDate(a.arrival_local),
    });
  }
  return out;
}

function normalizeSlice(raw: unknown): ItinerarySlice | null {
  const r = asRec(raw);
  if (!r) return null;
  const legs = arr(r.legs).map(normalizeLeg);
  if (legs.length === 0 || legs.some((l) => l === null)) return null;
  const ok = legs as Leg[];
  const first = ok[0]!;
  const last = ok[ok.length - 1]!;
  return {
    origin: isStr(r.origin) ? r.origin : first.origin,
    destination: isStr(r.destination) ? r.destination : last.destination,
    departure_local: first.departure_local,
    arrival_local: last.arrival_local,
    departure_utc: first.departure_utc,
    arrival_utc: last.arrival_utc,
    duration_minutes: isNum(r.duration_minutes) ? r.duration_minutes : minutesBetween(first.departure_utc, last.arrival_utc),
    stops: isNum(r.stops) ? r.stops : ok.length - 1,
    legs: ok,
    layovers: sliceLayovers(ok, r.layovers),
  };
}

function normalizeOfferPart(raw: unknown): OfferPart | null {
  const r = asRec(raw);
  if (!r || !isStr(r.provider) || r.provider === '' || !Array.isArray(r.slices)) return null;
  const slices = r.slices.filter((x): x is number => Number.isInteger(x) && (x as number) >= 0);
  const price = normalizeMoney(r.price);
  if (!price || slices.length === 0 || slices.length !== r.slices.length) return null;
  return { provider: r.provider, provider_name: isStr(r.provider_name) && r.provider_name !== '' ? r.provider_name : null, slices, price, original: normalizeMoney(r.original) };
}

function normalizeOffer(raw: unknown): Offer | null {
  const r = asRec(raw);
  if (!r || !isStr(r.provider)) return null;
  const price = normalizeMoney(r.price);
  if (!price) return null;
  const rawParts = Array.isArray(r.parts) ? r.parts.map(normalizeOfferPart) : [];
  // A part that cannot be read makes the whole split unbookable (shown, without parts).
  const parts = rawParts.every((x) => x !== null) ? (rawParts as OfferPart[]) : [];
  return {
    provider: r.provider,
    provider_name: isStr(r.provider_name) && r.provider_name !== '' ? r.provider_name : null,
    kind: isStr(r.kind) ? r.kind : '',
    price,
    original: normalizeMoney(r.original),
    self_transfer: r.self_transfer === true,
    parts,
  };
}

export function normalizeItinerary(raw: unknown): Itinerary | null {
  const r = asRec(raw);
  if (!r) return null;
  // A schedule-only answer in the older shape (legs at the top) is one slice.
  const rawSlices = Array.isArray(r.slices) ? r.slices : Array.isArray(r.legs) ? [{ legs: r.legs }] : [];
  const slices = rawSlices.map(normalizeSlice);
  if (slices.length === 0 || slices.some((s) => s === null)) return null;
  const ok = slices as ItinerarySlice[];
  const offers = arr(r.offers)
    .map(normalizeOffer)
    .filter((o): o is Offer => o !== null)
    .sort((a, b) => a.price.amount_minor - b.price.amount_minor || a.provider.localeCompare(b.provider));
  const legs = ok.flatMap((s) => s.legs);
  const price = r.price === null ? null : (normalizeMoney(r.price) ?? offers[0]?.price ?? null);
  const em = asRec(r.emissions);
  const label = em && (em.label === 'lower' || em.label === 'higher' || em.label === 'typical') ? em.label : null;
  const emissions: Emissions | null =
    em && label && isNum(em.co2e_kg) && em.co2e_kg > 0
      ? { co2e_kg: em.co2e_kg, typical_kg: isNum(em.typical_kg) ? em.typical_kg : em.co2e_kg, percent_vs_typical: isNum(em.percent_vs_typical) ? em.percent_vs_typical : 0, label }
      : null;
  return {
    id: isStr(r.id) ? r.id : legs.map((l) => `${l.carrier}${l.flight_number}@${l.departure_date}`).join('-'),
    price,
    emissions,
    duration_minutes: isNum(r.duration_minutes) ? r.duration_minutes : ok.reduce((n, s) => n + s.duration_minutes, 0),
    stops: isNum(r.stops) ? r.stops : ok.reduce((n, s) => n + s.stops, 0),
    self_transfer: r.self_transfer === true || ok.some((s) => s.layovers.some((l) => l.self_transfer)),
    carriers: Array.isArray(r.carriers) ? r.carriers.filter(isStr) : [...new Set(legs.map((l) => l.carrier))],
    slices: ok,
    offers,
  };
}

function normalizeFacets(raw: unknown): Facets {
  const r = asRec(raw) ?? {};
  const carriers: CarrierFacet[] = [];
  for (const c of arr(r.carriers).map(asRec)) {
    if (c && isStr(c.code)) carriers.push({ code: c.code, name: isStr(c.name) ? c.name : '', count: isNum(c.count) ? c.count : 0, min_price: normalizeMoney(c.min_price) });
  }
  const stops: StopsFacet[] = [];
  for (const s of arr(r.stops).map(asRec)) {
    if (s && isNum(s.stops)) stops.push({ stops: s.stops, count: isNum(s.count) ? s.count : 0, min_price: normalizeMoney(s.min_price) });
  }
  stops.sort((a, b) => a.stops - b.stops);
  let alliances: AllianceFacet[] | null = null;
  if (Array.isArray(r.alliances)) {
    alliances = [];
    for (const a of r.alliances.map(asRec)) {
      if (a && isStr(a.code)) alliances.push({ code: a.code, name: isStr(a.name) ? a.name : allianceName(a.code), count: isNum(a.count) ? a.count : 0, min_price: normalizeMoney(a.min_price) });
    }
  }
  const layover_airports: { code: string; count: number; name: string }[] = [];
  for (const a of arr(r.layover_airports).map(asRec)) if (a && isStr(a.code)) layover_airports.push({ code: a.code, count: isNum(a.count) ? a.count : 0, name: isStr(a.name) && a.name !== a.code ? a.name : '' });
  const pr = asRec(r.price_range);
  const pmin = normalizeMoney(pr?.min);
  const pmax = normalizeMoney(pr?.max);
  const dr = asRec(r.duration_range);
  return {
    carriers,
    stops,
    alliances,
    layover_airports,
    price_range: pmin && pmax ? { min: pmin, max: pmax } : null,
    duration_range: dr && isNum(dr.min) && isNum(dr.max) ? { min: dr.min, max: dr.max } : null,
    slice_duration_ranges: arr(r.slice_duration_ranges)
      .map(asRec)
      .flatMap((x) => (x && isNum(x.min) && isNum(x.max) ? [{ min: x.min, max: x.max }] : [])),
  };
}

/** Check the server's answer; malformed itineraries are dropped. */
export function normalizeResponse(body: unknown): SearchResponse {
  const r = asRec(body) ?? {};
  const itineraries = arr(r.itineraries)
    .map(normalizeItinerary)
    .filter((i): i is Itinerary => i !== null);
  return {
    search_id: isStr(r.search_id) ? r.search_id : '',
    currency: isStr(r.currency) ? r.currency : '',
    priced: r.priced === true,
    offset: isNum(r.offset) ? r.offset : 0,
    limit: isNum(r.limit) ? r.limit : itineraries.length,
    total: isNum(r.total) ? r.total : itineraries.length,
    unfiltered_total: isNum(r.unfiltered_total) ? r.unfiltered_total : isNum(r.total) ? r.total : itineraries.length,
    itineraries,
    facets: normalizeFacets(r.facets),
    insight: normalizeInsight(r.insight),
    prediction: normalizePrediction(r.prediction),
  };
}

/* -------------------------------------------------------------------- */
/* Money                                                                */
/* -------------------------------------------------------------------- */

/** "€412.30", "CHF 1,204.00"; unknown currency codes fall back to "412.30 XYZ". */
export function formatMoney(m: Money, opts: { whole?: boolean } = {}): string {
  const n = Number(m.amount);
  try {
    return new Intl.NumberFormat('en-GB', {
      style: 'currency',
      currency: m.currency,
      ...(opts.whole ? { maximumFractionDigits: 0, minimumFractionDigits: 0 } : {}),
    }).format(opts.whole ? Math.round(n) : n);
  } catch {
    return `${m.amount} ${m.currency}`;
  }
}

/**
 * Money on the results cards: "€412.30", and from 1,000 on whole units, rounded
 * ("€17,914" for 17,913.60): the cents say nothing at that size.
 */
export function cardMoney(m: Money): string {
  return formatMoney(m, { whole: Math.abs(Number(m.amount)) >= 1000 });
}

/** `m` shared among `n` (rounded to the minor unit). */
export function splitMoney(m: Money, n: number): Money {
  const k = Math.max(1, Math.floor(n));
  const digits = (m.amount.split('.')[1] ?? '').length;
  const minor = Math.round(m.amount_minor / k);
  return { amount: (minor / 10 ** digits).toFixed(digits), amount_minor: minor, currency: m.currency };
}

export interface Travellers {
  adults: number;
  children: number;
  infants: number;
  /** Infants under 2 with a seat of their own (they pay the child fare). */
  infantsInSeat?: number;
}

/**
 * "total for 2 · €412.30 per person" (prices are totals for all passengers:
 * docs/search-api.md). Children and infants in a seat pay 75 % of the adult
 * fare and infants on a lap 10 % (plus the fee each passenger pays), so with
 * them the share shown is about what one adult pays. One traveller: "total
 * for 1 traveller".
 */
export function travellersNote(total: Money, t: Travellers): string {
  const seated = t.infantsInSeat ?? 0;
  const count = t.adults + t.children + t.infants + seated;
  if (count <= 1) return 'total for 1 traveller';
  if (count === t.adults) return `total for ${count} · ${cardMoney(splitMoney(total, count))} per person`;
  const weight = t.adults + 0.75 * (t.children + seated) + 0.1 * t.infants;
  const perAdult = Math.round(total.amount_minor / weight);
  const digits = total.amount.includes('.') ? total.amount.split('.')[1]!.length : 0;
  const adult: Money = { amount: (perAdult / 10 ** digits).toFixed(digits), amount_minor: perAdult, currency: total.currency };
  return `total for ${count} · about ${cardMoney(adult)} per adult`;
}

/* Near-identical itineraries ("2 similar options") */

const SIMILAR_MINUTES = 30;
const SIMILAR_PRICE = 0.02;

function legCarriers(it: Itinerary): string {
  return [...new Set(it.slices.flatMap((s) => s.legs.map((l) => l.carrier)))].sort().join(',');
}

const utcMinutesApart = (a: string, b: string) => Math.abs(Date.parse(a) - Date.parse(b)) / 60000;

/**
 * Near-identical: the same carriers, the same stops on every slice, each
 * slice leaving and arriving within 30 minutes of the other's, and prices
 * within 2 % (of the lower; both schedule-only counts as the same price).
 */
export function similarItineraries(a: Itinerary, b: Itinerary): boolean {
  if (a.slices.length !== b.slices.length || legCarriers(a) !== legCarriers(b)) return false;
  for (let i = 0; i < a.slices.length; i++) {
    const x = a.slices[i]!;
    const y = b.slices[i]!;
    if (x.stops !== y.stops) return false;
    if (!(utcMinutesApart(x.departure_utc, y.departure_utc) <= SIMILAR_MINUTES)) return false;
    if (!(utcMinutesApart(x.arrival_utc, y.arrival_utc) <= SIMILAR_MINUTES)) return false;
  }
  if (!a.price || !b.price) return !a.price && !b.price;
  if (a.price.currency !== b.price.currency) return false;
  const lo = Math.min(a.price.amount_minor, b.price.amount_minor);
  return Math.abs(a.price.amount_minor - b.price.amount_minor) <= lo * SIMILAR_PRICE;
}

export interface ItineraryGroup {
  lead: Itinerary;
  similar: Itinerary[];
}

/** Each itinerary under the first (in the list's order) it is near-identical to; order kept. */
export function groupSimilar(list: readonly Itinerary[]): ItineraryGroup[] {
  const groups: ItineraryGroup[] = [];
  for (const it of list) {
    const g = groups.find((x) => similarItineraries(x.lead, it));
    if (g) g.similar.push(it);
    else groups.push({ lead: it, similar: [] });
  }
  return groups;
}

/** Screen-reader friendly "412.30 EUR". */
export function moneyWords(m: Money): string {
  return `${m.amount} ${m.currency}`;
}

/** Index of the cheapest price (ties: the first), or -1 when none is priced. */
export function cheapestIndex(prices: readonly (Money | null)[]): number {
  let best = -1;
  prices.forEach((p, i) => {
    if (p && (best < 0 || p.amount_minor < prices[best]!.amount_minor)) best = i;
  });
  return best;
}

/* -------------------------------------------------------------------- */
/* Times                                                                */
/* -------------------------------------------------------------------- */

/** "2026-12-01T07:05:00+01:00" → "07:05" (the local wall-clock time as written). */
export function localTime(iso: string): string {
  const m = /T(\d{2}):(\d{2})/.exec(iso);
  return m ? `${m[1]}:${m[2]}` : '--:--';
}

/** "2026-12-01T07:05:00+01:00" → "2026-12-01". */
export function localDate(iso: string): string {
  return /^\d{4}-\d{2}-\d{2}/.exec(iso)?.[0] ?? '';
}

/** Minutes after local midnight of the written time, or -1. */
export function localMinutes(iso: string): number {
  const m = /T(\d{2}):(\d{2})/.exec(iso);
  return m ? Number(m[1]) * 60 + Number(m[2]) : -1;
}

/** Whole days from one ISO date to another ("2026-12-01" → "2026-12-02" = 1). */
export function daysBetween(fromDate: string, toDate: string): number {
  const a = Date.parse(`${fromDate}T00:00:00Z`);
  const b = Date.parse(`${toDate}T00:00:00Z`);
  if (Number.isNaN(a) || Number.isNaN(b)) return 0;
  return Math.round((b - a) / 86_400_000);
}

/** "+1", "+2", "−1" (crossing the date line westwards) or '' for the same local date. */
export function dayMarker(baseDate: string, iso: string): string {
  const d = daysBetween(baseDate, localDate(iso));
  if (d === 0) return '';
  return d > 0 ? `+${d}` : `−${-d}`;
}

/** Screen-reader words for a day marker. */
export function dayMarkerText(marker: string): string {
  if (!marker) return '';
  const n = Number(marker.replace('−', '-'));
  if (n === 1) return 'next day';
  if (n === -1) return 'previous day';
  return n > 0 ? `${n} days later` : `${-n} days earlier`;
}

export function minutesBetween(fromUtc: string, toUtc: string): number {
  const a = Date.parse(fromUtc);
  const b = Date.parse(toUtc);
  if (Number.isNaN(a) || Number.isNaN(b)) return 0;
  return Math.round((b - a) / 60_000);
}

/** 435 → "7h 15m"; 45 → "45m"; 120 → "2h 00m". */
export function formatDuration(minutes: number): string {
  const m = Math.max(0, Math.round(minutes));
  const hours = Math.floor(m / 60);
  const rest = m % 60;
  if (hours === 0) return `${rest}m`;
  return `${hours}h ${String(rest).padStart(2, '0')}m`;
}

/** "2026-12-01T06:05:00Z" → "06:05 UTC" (+ date when it differs from `baseDate`). */
export function utcLabel(iso: string, baseDate?: string): string {
  const date = localDate(iso);
  const time = localTime(iso);
  return baseDate && date !== baseDate ? `${time} UTC (${formatDay(date) || date})` : `${time} UTC`;
}

/** "2026-12-01" → "Tue, 1 Dec 2026" (independent of the browser's zone). */
export function formatDate(iso: string): string {
  if (!isIsoDate(iso)) return iso;
  return formatDayYear(iso);
}

/* -------------------------------------------------------------------- */
/* Itinerary facts                                                      */
/* -------------------------------------------------------------------- */

export function firstLeg(s: ItinerarySlice): Leg {
  return s.legs[0]!;
}

export function lastLeg(s: ItinerarySlice): Leg {
  return s.legs[s.legs.length - 1]!;
}

/** "Nonstop", "1 stop via ARN", "2 stops via ZRH, FRA". */
export function stopsLabel(s: ItinerarySlice): string {
  const n = s.legs.length - 1;
  if (n <= 0) return 'Nonstop';
  const via = s.layovers.map((l) => (l.changeAirport ? `${l.airport}/${l.nextAirport}` : l.airport)).join(', ');
  return `${n} ${n === 1 ? 'stop' : 'stops'} via ${via}`;
}

/** "British Airways · Swiss" (codes when the names are unknown), in flying order. */
export function carrierNames(s: ItinerarySlice): string {
  const seen = new Map<string, string>();
  for (const l of s.legs) if (!seen.has(l.carrier)) seen.set(l.carrier, l.carrier_name || l.carrier);
  return [...seen.values()].join(' · ');
}

/** "LX 123" */
export function flightLabel(l: Leg): string {
  return `${l.carrier} ${l.flight_number}`;
}

/** "95 min layover in DUB" style words for one connection. */
export function layoverText(l: Layover): string {
  let t = `${formatDuration(l.minutes)} layover in ${l.airport}`;
  if (l.changeAirport) t += ` — change airports to ${l.nextAirport}`;
  if (l.overnight) t += ' (overnight)';
  if (l.self_transfer) t += ' — self-transfer: collect your bags and check in again';
  return t;
}

export const SLICE_TITLES_ROUND = ['Outbound', 'Return'];

/** "Outbound" / "Return" for a round trip, "Flight 2" for multi-city, '' for one-way. */
export function sliceTitle(trip: TripKind, i: number): string {
  if (trip === 'oneway') return '';
  if (trip === 'round') return SLICE_TITLES_ROUND[i] ?? `Flight ${i + 1}`;
  return `Flight ${i + 1}`;
}

/** "12 of 47 itineraries" / "1 of 1 itinerary". */
export function countLabel(shown: number, total: number): string {
  return `${shown} of ${total} ${total === 1 ? 'itinerary' : 'itineraries'}`;
}

/** "Showing 21–40 of 57". */
export function rangeLabel(offset: number, shown: number, total: number): string {
  if (shown === 0) return `Showing 0 of ${total}`;
  return `Showing ${offset + 1}–${offset + shown} of ${total}`;
}

/* -------------------------------------------------------------------- */
/* URL state                                                            */
/* -------------------------------------------------------------------- */

export type TripKind = 'oneway' | 'round' | 'multi';
export type SortKey = 'best' | 'cheapest' | 'fastest' | 'earliest' | 'latest' | 'lowest_emissions';

export const SORTS: readonly { value: SortKey; label: string }[] = [
  { value: 'best', label: 'Best' },
  { value: 'cheapest', label: 'Cheapest' },
  { value: 'fastest', label: 'Fastest' },
  { value: 'earliest', label: 'Earliest departure' },
  { value: 'latest', label: 'Latest departure' },
  { value: 'lowest_emissions', label: 'Lowest emissions' },
];

export const ALLIANCES: readonly { code: string; name: string }[] = [
  { code: 'star', name: 'Star Alliance' },
  { code: 'oneworld', name: 'oneworld' },
  { code: 'skyteam', name: 'SkyTeam' },
];

export function allianceName(code: string): string {
  return ALLIANCES.find((a) => a.code === code)?.name ?? code;
}

export const MAX_SLICES = 6;
export const MAX_SEATS = 9;
export const DEFAULT_LIMIT = 20;
export const DEFAULT_CURRENCY = 'EUR';

export interface SliceRequest {
  origin: string;
  destination: string;
  date: string;
}

/** A "HH:MM"–"HH:MM" local time window. */
export interface TimeRange {
  from: string;
  to: string;
}

/** Server-side filters (docs/search-api.md `filters`); null / false = not set. */
export interface FilterState {
  stops: number[] | null;
  carriers: string[] | null;
  alliances: string[] | null;
  departure: TimeRange | null;
  arrival: TimeRange | null;
  maxDuration: number | null;
  layoverAirports: string[] | null;
  minLayover: number | null;
  maxLayover: number | null;
  noSelfTransfer: boolean;
  maxPrice: number | null;
  /** Only itineraries 10 % or more below the route's typical emissions. */
  lowerEmissions: boolean;
}

/** Everything the results page keeps in its URL. */
export interface ResultsQuery {
  trip: TripKind;
  /** One-way: 1; round trip: 2 (the return reverses the outbound); multi-city: 2-6. */
  slices: SliceRequest[];
  adults: number;
  children: number;
  infants: number;
  cabin: SearchCabin;
  /** Sent as typed (uppercased) so the server can refuse an unknown code. */
  currency: string;
  sort: SortKey;
  filters: FilterState;
  offset: number;
  limit: number;
}

export const NO_FILTERS: FilterState = {
  stops: null,
  carriers: null,
  alliances: null,
  departure: null,
  arrival: null,
  maxDuration: null,
  layoverAirports: null,
  minLayover: null,
  maxLayover: null,
  noSelfTransfer: false,
  maxPrice: null,
  lowerEmissions: false,
};

export const DEFAULT_QUERY: ResultsQuery = {
  trip: 'oneway',
  slices: [],
  adults: 1,
  children: 0,
  infants: 0,
  cabin: 'economy',
  currency: DEFAULT_CURRENCY,
  sort: 'best',
  filters: NO_FILTERS,
  offset: 0,
  limit: DEFAULT_LIMIT,
};

const CODE = /^[A-Z0-9]{3,4}$/;
const CARRIER = /^[A-Z0-9]{2,3}$/;
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
const MULTI_SLICE = /^([A-Z0-9]{3,4})-([A-Z0-9]{3,4})-(\d{4}-\d{2}-\d{2})$/;

function isSortKey(v: string): v is SortKey {
  return SORTS.some((s) => s.value === v);
}

function codeList(v: string | null, re: RegExp, upper = true): string[] | null {
  if (v === null) return null;
  const items = v
    .split(',')
    .map((c) => (upper ? c.trim().toUpperCase() : c.trim().toLowerCase()))
    .filter((c) => re.test(c));
  return [...new Set(items)].sort();
}

function intParam(p: URLSearchParams, key: string, min: number, max: number): number | null {
  const raw = p.get(key);
  if (raw === null || !/^\d+$/.test(raw.trim())) return null;
  const n = Number(raw);
  return n >= min && n <= max ? n : null;
}

function rangeParam(v: string | null): TimeRange | null {
  if (!v) return null;
  const [from = '', to = ''] = v.split('-');
  return HHMM.test(from) && HHMM.test(to) ? { from, to } : null;
}

/**
 * Read /search?… : `from`, `to`, `date`, `return` (one-way / round trip) or
 * `trip=multi&s=LON-NYC-2026-12-01&s=NYC-LAX-2026-12-05` (2-6 flights);
 * `adults`, `children`, `infants`, `cabin`, `currency`, `sort`; filters
 * `stops=0,1`, `carriers=BA,LX`, `alliances=star`, `dep=06:00-12:00`,
 * `arr=…`, `maxdur` (minutes), `via=DUB,LHR`, `minlay`, `maxlay` (minutes),
 * `noself=1`, `maxprice`; `offset`, `limit`. Malformed values are dropped.
 * `currency` falls back to `defaultCurrency` (the remembered choice).
 */
export function parseResultsQuery(search: string, defaultCurrency = DEFAULT_CURRENCY): ResultsQuery {
  const p = new URLSearchParams(search.startsWith('?') ? search.slice(1) : search);
  const q: ResultsQuery = { ...DEFAULT_QUERY, filters: { ...NO_FILTERS }, currency: defaultCurrency };
  const code = (k: string) => {
    const v = p.get(k)?.trim().toUpperCase() ?? '';
    return CODE.test(v) ? v : '';
  };
  const multi = p.getAll('s');
  if (p.get('trip') === 'multi' || multi.length > 0) {
    q.trip = 'multi';
    q.slices = multi.slice(0, MAX_SLICES).map((s) => {
      const m = MULTI_SLICE.exec(s.trim().toUpperCase());
      return m && isIsoDate(m[3]!) ? { origin: m[1]!, destination: m[2]!, date: m[3]! } : { origin: '', destination: '', date: '' };
    });
  } else {
    const origin = code('from');
    const destination = code('to');
    const date = p.get('date') ?? p.get('depart') ?? '';
    const ret = p.get('return') ?? '';
    const d = isIsoDate(date) ? date : '';
    q.slices = [{ origin, destination, date: d }];
    if (isIsoDate(ret) && p.get('trip') !== 'oneway') {
      q.trip = 'round';
      q.slices.push({ origin: destination, destination: origin, date: ret });
    }
  }
  q.adults = intParam(p, 'adults', 1, MAX_SEATS) ?? 1;
  q.children = intParam(p, 'children', 0, MAX_SEATS - 1) ?? 0;
  q.infants = intParam(p, 'infants', 0, MAX_SEATS) ?? 0;
  const cabin = p.get('cabin') ?? '';
  if (isSearchCabin(cabin)) q.cabin = cabin;
  const cur = p.get('currency')?.trim().toUpperCase() ?? '';
  if (/^[A-Z0-9]{1,8}$/.test(cur)) q.currency = cur;
  const sort = p.get('sort') ?? '';
  if (isSortKey(sort)) q.sort = sort;

  const f = q.filters;
  const stops = codeList(p.get('stops'), /^[0-2]$/);
  f.stops = stops && stops.length > 0 && stops.length < 3 ? stops.map(Number) : null;
  f.carriers = codeList(p.get('carriers'), CARRIER);
  const alliances = codeList(p.get('alliances'), /^[a-z]{2,12}$/, false);
  f.alliances = alliances && alliances.length > 0 ? alliances : null;
  f.departure = rangeParam(p.get('dep'));
  f.arrival = rangeParam(p.get('arr'));
  f.maxDuration = intParam(p, 'maxdur', 1, 6000);
  const via = codeList(p.get('via'), /^[A-Z0-9]{3}$/);
  f.layoverAirports = via && via.length > 0 ? via : null;
  f.minLayover = intParam(p, 'minlay', 0, 2880);
  f.maxLayover = intParam(p, 'maxlay', 0, 2880);
  f.noSelfTransfer = p.get('noself') === '1';
  f.lowerEmissions = p.get('lowco2') === '1';
  const mp = p.get('maxprice');
  f.maxPrice = mp !== null && /^\d+(\.\d{1,2})?$/.test(mp.trim()) && Number(mp) > 0 ? Number(mp) : null;

  q.limit = intParam(p, 'limit', 1, 100) ?? DEFAULT_LIMIT;
  q.offset = intParam(p, 'offset', 0, 100_000) ?? 0;
  return q;
}

/** Serialise; defaults are left out (except the currency) so links stay short. */
export function resultsQueryString(q: ResultsQuery): string {
  const p = new URLSearchParams();
  if (q.trip === 'multi') {
    p.set('trip', 'multi');
    for (const s of q.slices) p.append('s', `${s.origin}-${s.destination}-${s.date}`);
  } else {
    const out = q.slices[0] ?? { origin: '', destination: '', date: '' };
    if (out.origin) p.set('from', out.origin);
    if (out.destination) p.set('to', out.destination);
    if (out.date) p.set('date', out.date);
    if (q.trip === 'round' && q.slices[1]?.date) p.set('return', q.slices[1].date);
  }
  if (q.adults !== 1) p.set('adults', String(q.adults));
  if (q.children) p.set('children', String(q.children));
  if (q.infants) p.set('infants', String(q.infants));
  if (q.cabin !== 'economy') p.set('cabin', q.cabin);
  if (q.currency) p.set('currency', q.currency);
  if (q.sort !== 'best') p.set('sort', q.sort);
  const f = q.filters;
  if (f.stops) p.set('stops', [...f.stops].sort().join(','));
  if (f.carriers) p.set('carriers', [...f.carriers].sort().join(','));
  if (f.alliances) p.set('alliances', [...f.alliances].sort().join(','));
  if (f.departure) p.set('dep', `${f.departure.from}-${f.departure.to}`);
  if (f.arrival) p.set('arr', `${f.arrival.from}-${f.arrival.to}`);
  if (f.maxDuration !== null) p.set('maxdur', String(f.maxDuration));
  if (f.layoverAirports) p.set('via', [...f.layoverAirports].sort().join(','));
  if (f.minLayover !== null) p.set('minlay', String(f.minLayover));
  if (f.maxLayover !== null) p.set('maxlay', String(f.maxLayover));
  if (f.noSelfTransfer) p.set('noself', '1');
  if (f.lowerEmissions) p.set('lowco2', '1');
  if (f.maxPrice !== null) p.set('maxprice', String(f.maxPrice));
  if (q.offset) p.set('offset', String(q.offset));
  if (q.limit !== DEFAULT_LIMIT) p.set('limit', String(q.limit));
  return p.toString();
}

export function resultsPath(q: ResultsQuery): string {
  return `/search?${resultsQueryString(q)}`;
}

/** True when any filter is set. */
export function hasFilters(f: FilterState): boolean {
  return JSON.stringify(f) !== JSON.stringify(NO_FILTERS);
}

/** The request body for POST /api/v1/searches (filters only when set). */
export function searchRequestBody(q: ResultsQuery): Record<string, unknown> {
  const f = q.filters;
  const filters: Record<string, unknown> = {};
  if (f.stops) filters.stops = [...f.stops];
  if (f.carriers) filters.carriers = [...f.carriers];
  if (f.alliances) filters.alliances = [...f.alliances];
  if (f.departure) filters.departure_window = { ...f.departure };
  if (f.arrival) filters.arrival_window = { ...f.arrival };
  if (f.maxDuration !== null) filters.max_duration_minutes = f.maxDuration;
  if (f.layoverAirports) filters.layover_airports = [...f.layoverAirports];
  if (f.minLayover !== null) filters.min_layover_minutes = f.minLayover;
  if (f.maxLayover !== null) filters.max_layover_minutes = f.maxLayover;
  if (f.noSelfTransfer) filters.no_self_transfer = true;
  if (f.lowerEmissions) filters.emissions = 'lower';
  if (f.maxPrice !== null) filters.max_price = f.maxPrice;
  const body: Record<string, unknown> = {
    slices: q.slices.map((s) => ({ origin: s.origin, destination: s.destination, date: s.date })),
    passengers: { adults: q.adults, children: q.children, infants: q.infants },
    cabin: q.cabin,
    currency: q.currency,
    sort: q.sort,
    offset: q.offset,
    limit: q.limit,
  };
  if (Object.keys(filters).length > 0) body.filters = filters;
  return body;
}

/** The results URL for a search made with the form. */
export function resultsPathFor(s: SearchState, currency = DEFAULT_CURRENCY): string {
  const q: ResultsQuery = { ...DEFAULT_QUERY, filters: { ...NO_FILTERS }, currency, adults: s.adults, children: s.children, infants: s.infants, cabin: isSearchCabin(s.cabin) ? s.cabin : 'economy' };
  if (s.trip === 'multi') {
    q.trip = 'multi';
    q.slices = s.legs.map((l) => ({ ...l }));
  } else {
    q.trip = s.trip;
    q.slices = [{ origin: s.origin, destination: s.destination, date: s.depart }];
    if (s.trip === 'round') q.slices.push({ origin: s.destination, destination: s.origin, date: s.return });
  }
  return resultsPath(q);
}

/** The home page URL that puts this search back into the form. */
export function formPathFor(q: ResultsQuery): string {
  const p = new URLSearchParams();
  p.set('trip', q.trip);
  if (q.trip === 'multi') {
    for (const s of q.slices) p.append('s', `${s.origin}-${s.destination}-${s.date}`);
  } else {
    const s = q.slices[0];
    if (s?.origin) p.set('from', s.origin);
    if (s?.destination) p.set('to', s.destination);
    if (s?.date) p.set('depart', s.date);
    if (q.trip === 'round' && q.slices[1]?.date) p.set('return', q.slices[1].date);
  }
  p.set('adults', String(q.adults));
  if (q.children) p.set('children', String(q.children));
  if (q.infants) p.set('infants', String(q.infants));
  p.set('cabin', q.cabin);
  return `/?${p.toString()}`;
}

/** Client-side check before calling the server; '' when fine. */
export function queryProblem(q: ResultsQuery): string {
  if (q.slices.length === 0 || q.slices.some((s) => !s.origin || !s.destination || !s.date)) {
    return 'This search link is incomplete: every flight needs an origin, a destination and a date.';
  }
  if (q.slices.length > MAX_SLICES) return `A search can have at most ${MAX_SLICES} flights.`;
  if (q.slices.some((s) => s.origin === s.destination)) return 'Destination must be different from the origin.';
  for (let i = 1; i < q.slices.length; i++) {
    if (q.slices[i]!.date < q.slices[i - 1]!.date) {
      return q.trip === 'round' ? 'The return date must be on or after the departure date.' : `Flight ${i + 1} must not leave before flight ${i}.`;
    }
  }
  if (q.infants > q.adults) return 'Each infant needs an adult: at most one infant per adult.';
  if (q.adults + q.children > MAX_SEATS) return `At most ${MAX_SEATS} seats can be booked at once (adults and children).`;
  return '';
}

/* -------------------------------------------------------------------- */
/* Errors                                                               */
/* -------------------------------------------------------------------- */

export interface ErrorInfo {
  message: string;
  /** Worth trying again (503, network, 5xx). */
  retry: boolean;
  /** The search should be changed (400). */
  fix: boolean;
  /** The fields the server named (400), e.g. ["currency"]. */
  fields: string[];
}

export const SCHEDULES_LOADING = 'Schedules are still loading, try again in a few seconds.';

const FIELD_LABELS: Record<string, string> = {
  currency: 'Currency',
  cabin: 'Cabin',
  sort: 'Sort order',
  offset: 'Page',
  limit: 'Page size',
  max_stops: 'Stops',
  slices: 'Flights',
  passengers: 'Passengers',
  'passengers.adults': 'Adults',
  'passengers.children': 'Children',
  'passengers.infants': 'Infants',
  'filters.stops': 'Stops filter',
  'filters.carriers': 'Airlines filter',
  'filters.alliances': 'Alliances filter',
  'filters.departure_window': 'Departure time',
  'filters.arrival_window': 'Arrival time',
  'filters.max_duration_minutes': 'Maximum duration',
  'filters.layover_airports': 'Layover airports',
  'filters.min_layover_minutes': 'Minimum layover',
  'filters.max_layover_minutes': 'Maximum layover',
  'filters.no_self_transfer': 'Self-transfer',
  'filters.emissions': 'Emissions',
  'filters.max_price': 'Maximum price',
  origin: 'Origin',
  destination: 'Destination',
  date: 'Date',
  start: 'Start date',
  depart: 'Departure date',
  return: 'Return date',
  days: 'Days',
  month: 'Month',
  region: 'Region',
  max_price: 'Maximum price',
};

/** "slices[1].date" → "Return date" (round trip), "Flight 3 origin" (multi-city); "currency" → "Currency". */
export function fieldLabel(field: string, trip: TripKind = 'oneway'): string {
  const m = /^slices\[(\d+)\]\.?(.*)$/.exec(field);
  if (m) {
    const i = Number(m[1]);
    const rest = (FIELD_LABELS[m[2] ?? ''] ?? m[2] ?? '').toLowerCase();
    const who = trip === 'oneway' ? '' : trip === 'round' ? (i === 0 ? 'Outbound' : 'Return') : `Flight ${i + 1}`;
    if (!who) return rest ? rest[0]!.toUpperCase() + rest.slice(1) : 'Flight';
    return rest ? `${who} ${rest}` : who;
  }
  const base = field.replace(/\.(from|to)$/, '');
  const label = FIELD_LABELS[field] ?? FIELD_LABELS[base];
  if (label) return base !== field ? `${label} (${field.endsWith('.from') ? 'from' : 'to'})` : label;
  return field;
}

/** "Currency: unknown currency code." — the field named, the server's words kept. */
export function fieldErrorText(field: string, message: string, trip: TripKind = 'oneway'): string {
  const msg = message.trim().replace(/\.$/, '');
  return `${fieldLabel(field, trip)}: ${msg || 'not accepted'}.`;
}

/** Words for any failure of a search (or calendar / explore) request. */
export function describeSearchError(err: unknown, trip: TripKind = 'oneway'): ErrorInfo {
  if (err instanceof ApiError) {
    if (err.status === 503) return { message: SCHEDULES_LOADING, retry: true, fix: false, fields: [] };
    if (err.status === 400 || err.status === 422) {
      const p: Problem | null = err.problem;
      const errs = p?.errors ?? [];
      if (errs.length > 0) {
        return { message: errs.map((e) => fieldErrorText(e.field, e.message, trip)).join(' '), retry: false, fix: true, fields: errs.map((e) => e.field) };
      }
      return { message: p?.detail ? `The search was refused: ${p.detail.replace(/\.$/, '')}.` : 'The search was refused.', retry: false, fix: true, fields: [] };
    }
    if (err.status === 429) return { message: 'Too many searches right now. Wait a moment and try again.', retry: true, fix: false, fields: [] };
    return { message: `The search failed on the server (HTTP ${err.status}). Try again.`, retry: true, fix: false, fields: [] };
  }
  if (isAbortError(err)) return { message: 'The search took too long. Try again.', retry: true, fix: false, fields: [] };
  return { message: 'Could not reach Contrail. Check your connection and try again.', retry: true, fix: false, fields: [] };
}
