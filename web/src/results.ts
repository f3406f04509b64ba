/**
 * Search results: the pure part (types, parsing of the server answer, time
 * and duration formatting, layovers, sorting, filtering, URL state, error
 * texts). The DOM lives in `views/results.ts`.
 *
 * Times are shown exactly as the server wrote them (the airport's local
 * time), read from the ISO strings without going through the browser's time
 * zone.
 */

import { ApiError, isAbortError, type Problem } from './api';
import { isCabin, isIsoDate, type Cabin, type SearchState } from './searchForm';

/* -------------------------------------------------------------------- */
/* Types                                                                */
/* -------------------------------------------------------------------- */

export interface Leg {
  carrier: string;
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
}

export interface Itinerary {
  stops: number;
  duration_minutes: number;
  priced: boolean;
  legs: Leg[];
}

export interface SearchResponse {
  priced: boolean;
  itineraries: Itinerary[];
}

export type SortKey = 'earliest' | 'latest' | 'fastest' | 'stops';
export type TimeWindow = 'morning' | 'afternoon' | 'evening' | 'night';

export const SORTS: readonly { value: SortKey; label: string }[] = [
  { value: 'earliest', label: 'Earliest departure' },
  { value: 'latest', label: 'Latest departure' },
  { value: 'fastest', label: 'Fastest' },
  { value: 'stops', label: 'Fewest stops' },
];

export const TIME_WINDOWS: readonly { value: TimeWindow; label: string; hint: string; from: number; to: number }[] = [
  { value: 'morning', label: 'Morning', hint: '05:00–11:59', from: 5 * 60, to: 12 * 60 },
  { value: 'afternoon', label: 'Afternoon', hint: '12:00–17:59', from: 12 * 60, to: 18 * 60 },
  { value: 'evening', label: 'Evening', hint: '18:00–21:59', from: 18 * 60, to: 22 * 60 },
  { value: 'night', label: 'Night', hint: '22:00–04:59', from: 22 * 60, to: 29 * 60 },
];

export const MAX_STOPS = 2;

/** Everything the results page keeps in its URL. */
export interface ResultsQuery {
  origin: string;
  destination: string;
  date: string;
  /** '' for one-way. */
  return: string;
  adults: number;
  cabin: Cabin;
  sort: SortKey;
  /** 0, 1 or 2 (2 = any). */
  maxStops: number;
  /** Carriers to show; null = all. */
  carriers: string[] | null;
  /** Departure windows to show; null = all. */
  times: TimeWindow[] | null;
}

export interface Filters {
  maxStops: number;
  carriers: string[] | null;
  times: TimeWindow[] | null;
}

/* -------------------------------------------------------------------- */
/* Server answer                                                        */
/* -------------------------------------------------------------------- */

const isStr = (v: unknown): v is string => typeof v === 'string';

function normalizeLeg(raw: unknown): Leg | null {
  if (!raw || typeof raw !== 'object') return null;
  const r = raw as Record<string, unknown>;
  const keys = ['carrier', 'origin', 'destination', 'departure_local', 'departure_utc', 'arrival_local', 'arrival_utc'] as const;
  for (const k of keys) if (!isStr(r[k])) return null;
  if (typeof r.flight_number !== 'number') return null;
  return {
    carrier: r.carrier as string,
    flight_number: r.flight_number,
    departure_date: isStr(r.departure_date) ? r.departure_date : localDate(r.departure_local as string),
    origin: r.origin as string,
    destination: r.destination as string,
    departure_local: r.departure_local as string,
    departure_utc: r.departure_utc as string,
    arrival_local: r.arrival_local as string,
    arrival_utc: r.arrival_utc as string,
  };
}

/** Check the server's answer; malformed itineraries are dropped. */
export function normalizeResponse(body: unknown): SearchResponse {
  const obj = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const raw = Array.isArray(obj.itineraries) ? obj.itineraries : [];
  const itineraries: Itinerary[] = [];
  for (const it of raw) {
    if (!it || typeof it !== 'object') continue;
    const r = it as Record<string, unknown>;
    const legs = Array.isArray(r.legs) ? r.legs.map(normalizeLeg) : [];
    if (legs.length === 0 || legs.some((l) => l === null)) continue;
    const ok = legs as Leg[];
    itineraries.push({
      legs: ok,
      stops: typeof r.stops === 'number' ? r.stops : ok.length - 1,
      duration_minutes:
        typeof r.duration_minutes === 'number' ? r.duration_minutes : minutesBetween(ok[0]!.departure_utc, ok[ok.length - 1]!.arrival_utc),
      priced: r.priced === true,
    });
  }
  return { priced: obj.priced === true, itineraries };
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
  return baseDate && date !== baseDate ? `${time} UTC (${date})` : `${time} UTC`;
}

/** "2026-12-01" → "Tue, 1 Dec 2026" (independent of the browser's zone). */
export function formatDate(iso: string): string {
  if (!isIsoDate(iso)) return iso;
  return new Date(`${iso}T00:00:00Z`).toLocaleDateString('en-GB', {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
  });
}

/* -------------------------------------------------------------------- */
/* Itinerary facts                                                      */
/* -------------------------------------------------------------------- */

export interface Layover {
  /** Where the traveller arrives. */
  airport: string;
  /** Where the next flight leaves (differs on an airport change, e.g. LHR → LGW). */
  nextAirport: string;
  minutes: number;
  changeAirport: boolean;
  /** The connection ends on a later local date than it started (overnight). */
  overnight: boolean;
}

export function layovers(it: Itinerary): Layover[] {
  const out: Layover[] = [];
  for (let i = 0; i + 1 < it.legs.length; i++) {
    const a = it.legs[i]!;
    const b = it.legs[i + 1]!;
    out.push({
      airport: a.destination,
      nextAirport: b.origin,
      minutes: minutesBetween(a.arrival_utc, b.departure_utc),
      changeAirport: a.destination !== b.origin,
      overnight: localDate(b.departure_local) > localDate(a.arrival_local),
    });
  }
  return out;
}

export function firstLeg(it: Itinerary): Leg {
  return it.legs[0]!;
}

export function lastLeg(it: Itinerary): Leg {
  return it.legs[it.legs.length - 1]!;
}

/** "Nonstop", "1 stop via ARN", "2 stops via ZRH, FRA". */
export function stopsLabel(it: Itinerary): string {
  const n = it.legs.length - 1;
  if (n <= 0) return 'Nonstop';
  const via = layovers(it)
    .map((l) => (l.changeAirport ? `${l.airport}/${l.nextAirport}` : l.airport))
    .join(', ');
  return `${n} ${n === 1 ? 'stop' : 'stops'} via ${via}`;
}

/** Distinct carriers of an itinerary, in flying order. */
export function carriersOf(it: Itinerary): string[] {
  return [...new Set(it.legs.map((l) => l.carrier))];
}

/** All carriers in a result set, sorted. */
export function allCarriers(lists: readonly Itinerary[][]): string[] {
  const s = new Set<string>();
  for (const list of lists) for (const it of list) for (const c of carriersOf(it)) s.add(c);
  return [...s].sort();
}

/** "LX 123" */
export function flightLabel(l: Leg): string {
  return `${l.carrier} ${l.flight_number}`;
}

/** The departure window of a local time. */
export function timeWindowOf(iso: string): TimeWindow {
  const m = localMinutes(iso);
  if (m >= 5 * 60 && m < 12 * 60) return 'morning';
  if (m >= 12 * 60 && m < 18 * 60) return 'afternoon';
  if (m >= 18 * 60 && m < 22 * 60) return 'evening';
  return 'night';
}

/** A stable key for an itinerary (its flights and dates). */
export function itineraryKey(it: Itinerary): string {
  return it.legs.map((l) => `${l.carrier}${l.flight_number}@${l.departure_date}`).join('-');
}

/* -------------------------------------------------------------------- */
/* Sorting and filtering                                                */
/* -------------------------------------------------------------------- */

const depMs = (it: Itinerary) => Date.parse(firstLeg(it).departure_utc);
const arrMs = (it: Itinerary) => Date.parse(lastLeg(it).arrival_utc);

/** A sorted copy; ties fall back to departure, then arrival, then flights. */
export function sortItineraries(list: readonly Itinerary[], key: SortKey): Itinerary[] {
  const byDep = (a: Itinerary, b: Itinerary) => depMs(a) - depMs(b) || arrMs(a) - arrMs(b) || itineraryKey(a).localeCompare(itineraryKey(b));
  const cmp: Record<SortKey, (a: Itinerary, b: Itinerary) => number> = {
    earliest: byDep,
    latest: (a, b) => depMs(b) - depMs(a) || arrMs(a) - arrMs(b) || itineraryKey(a).localeCompare(itineraryKey(b)),
    fastest: (a, b) => a.duration_minutes - b.duration_minutes || byDep(a, b),
    stops: (a, b) => a.legs.length - b.legs.length || a.duration_minutes - b.duration_minutes || byDep(a, b),
  };
  return [...list].sort(cmp[key]);
}

export function matchesFilters(it: Itinerary, f: Filters): boolean {
  if (it.legs.length - 1 > f.maxStops) return false;
  if (f.carriers && !carriersOf(it).every((c) => f.carriers!.includes(c))) return false;
  if (f.times && !f.times.includes(timeWindowOf(firstLeg(it).departure_local))) return false;
  return true;
}

export function filterItineraries(list: readonly Itinerary[], f: Filters): Itinerary[] {
  return list.filter((it) => matchesFilters(it, f));
}

/** "12 of 47 itineraries" / "1 of 1 itinerary". */
export function countLabel(shown: number, total: number): string {
  return `${shown} of ${total} ${total === 1 ? 'itinerary' : 'itineraries'}`;
}

/* -------------------------------------------------------------------- */
/* URL state                                                            */
/* -------------------------------------------------------------------- */

const CODE = /^[A-Z0-9]{3,4}$/;
const CARRIER = /^[A-Z0-9]{2,3}$/;

export const DEFAULT_QUERY: ResultsQuery = {
  origin: '',
  destination: '',
  date: '',
  return: '',
  adults: 1,
  cabin: 'economy',
  sort: 'earliest',
  maxStops: MAX_STOPS,
  carriers: null,
  times: null,
};

function isSortKey(v: string): v is SortKey {
  return SORTS.some((s) => s.value === v);
}

function isTimeWindow(v: string): v is TimeWindow {
  return TIME_WINDOWS.some((t) => t.value === v);
}

/** Read /search?from=LON&to=NYC&date=2026-12-01[&return=…][&stops=1][&sort=fastest][&carriers=BA,LX][&times=morning]. */
export function parseResultsQuery(search: string): ResultsQuery {
  const p = new URLSearchParams(search.startsWith('?') ? search.slice(1) : search);
  const q: ResultsQuery = { ...DEFAULT_QUERY };
  const code = (k: string) => {
    const v = p.get(k)?.trim().toUpperCase() ?? '';
    return CODE.test(v) ? v : '';
  };
  q.origin = code('from');
  q.destination = code('to');
  const date = p.get('date') ?? p.get('depart') ?? '';
  q.date = isIsoDate(date) ? date : '';
  const ret = p.get('return') ?? '';
  q.return = isIsoDate(ret) && p.get('trip') !== 'oneway' ? ret : '';
  const adults = Number(p.get('adults'));
  if (Number.isInteger(adults) && adults >= 1 && adults <= 9) q.adults = adults;
  const cabin = p.get('cabin') ?? '';
  if (isCabin(cabin)) q.cabin = cabin;
  const sort = p.get('sort') ?? '';
  if (isSortKey(sort)) q.sort = sort;
  const stops = p.get('stops');
  if (stops !== null && /^[0-2]$/.test(stops)) q.maxStops = Number(stops);
  const carriers = p.get('carriers');
  if (carriers !== null) {
    q.carriers = [...new Set(carriers.split(',').map((c) => c.trim().toUpperCase()).filter((c) => CARRIER.test(c)))].sort();
  }
  const times = p.get('times');
  if (times !== null) {
    const t = [...new Set(times.split(',').map((s) => s.trim()).filter(isTimeWindow))];
    // Keep the canonical order; an empty or all-inclusive list means "any time".
    const ordered = TIME_WINDOWS.map((w) => w.value).filter((w) => t.includes(w));
    q.times = ordered.length === 0 || ordered.length === TIME_WINDOWS.length ? null : ordered;
  }
  return q;
}

/** Serialise; defaults are left out so links stay short. */
export function resultsQueryString(q: ResultsQuery): string {
  const p = new URLSearchParams();
  if (q.origin) p.set('from', q.origin);
  if (q.destination) p.set('to', q.destination);
  if (q.date) p.set('date', q.date);
  if (q.return) p.set('return', q.return);
  if (q.adults !== 1) p.set('adults', String(q.adults));
  if (q.cabin !== 'economy') p.set('cabin', q.cabin);
  if (q.sort !== 'earliest') p.set('sort', q.sort);
  if (q.maxStops !== MAX_STOPS) p.set('stops', String(q.maxStops));
  if (q.carriers) p.set('carriers', [...q.carriers].sort().join(','));
  if (q.times && q.times.length > 0 && q.times.length < TIME_WINDOWS.length) p.set('times', q.times.join(','));
  return p.toString();
}

/** The results URL for a search made with the form. */
export function resultsPathFor(s: SearchState): string {
  const q: ResultsQuery = {
    ...DEFAULT_QUERY,
    origin: s.origin,
    destination: s.destination,
    date: s.depart,
    return: s.trip === 'round' ? s.return : '',
    adults: s.adults,
    cabin: s.cabin,
  };
  return `/search?${resultsQueryString(q)}`;
}

/** The home page URL that puts this search back into the form. */
export function formPathFor(q: ResultsQuery): string {
  const p = new URLSearchParams();
  p.set('trip', q.return ? 'round' : 'oneway');
  if (q.origin) p.set('from', q.origin);
  if (q.destination) p.set('to', q.destination);
  if (q.date) p.set('depart', q.date);
  if (q.return) p.set('return', q.return);
  p.set('adults', String(q.adults));
  p.set('cabin', q.cabin);
  return `/?${p.toString()}`;
}

/** Client-side check before calling the server; '' when fine. */
export function queryProblem(q: ResultsQuery): string {
  if (!q.origin || !q.destination || !q.date) return 'This search link is incomplete: it needs an origin, a destination and a date.';
  if (q.origin === q.destination) return 'Destination must be different from the origin.';
  if (q.return && q.return < q.date) return 'The return date must be on or after the departure date.';
  return '';
}

/* -------------------------------------------------------------------- */
/* Errors                                                               */
/* -------------------------------------------------------------------- */

export interface SliceRequest {
  origin: string;
  destination: string;
  date: string;
}

export interface ErrorInfo {
  message: string;
  /** Worth trying again (503, network, 5xx). */
  retry: boolean;
  /** The form should be changed (400). */
  fix: boolean;
}

export const SCHEDULES_LOADING = 'Schedules are still loading, try again in a few seconds.';

/** One server field error in words, for the slice that was sent. */
export function fieldErrorText(field: string, message: string, slice: SliceRequest): string {
  const f = field.replace(/^slices\[\d+\]\./, '');
  if (f === 'origin') return /known/.test(message) ? `We don't know the place “${slice.origin}”. Pick a city or airport from the list.` : `Origin ${slice.origin}: ${message}.`;
  if (f === 'destination') {
    if (/differ/.test(message)) return 'Destination must be different from the origin.';
    return /known/.test(message) ? `We don't know the place “${slice.destination}”. Pick a city or airport from the list.` : `Destination ${slice.destination}: ${message}.`;
  }
  if (f === 'date') {
    if (/outside/.test(message)) return `There are no schedules loaded for ${formatDate(slice.date)}. Try a date within the coming year.`;
    return `The date “${slice.date}” is not valid.`;
  }
  if (f === 'max_stops') return 'The number of stops must be 0, 1 or 2.';
  if (f === 'slices') return 'Only one flight at a time can be searched for now.';
  return `${field}: ${message}`;
}

/** Words for any failure of a search request. */
export function describeSearchError(err: unknown, slice: SliceRequest): ErrorInfo {
  if (err instanceof ApiError) {
    if (err.status === 503) return { message: SCHEDULES_LOADING, retry: true, fix: false };
    if (err.status === 400) {
      const p: Problem | null = err.problem;
      const errs = p?.errors ?? [];
      if (errs.length > 0) return { message: errs.map((e) => fieldErrorText(e.field, e.message, slice)).join(' '), retry: false, fix: true };
      return { message: p?.detail ? `The search was refused: ${p.detail}.` : 'The search was refused.', retry: false, fix: true };
    }
    if (err.status === 429) return { message: 'Too many searches right now. Wait a moment and try again.', retry: true, fix: false };
    return { message: `The search failed on the server (HTTP ${err.status}). Try again.`, retry: true, fix: false };
  }
  if (isAbortError(err)) return { message: 'The search took too long. Try again.', retry: true, fix: false };
  return { message: 'Could not reach Contrail. Check your connection and try again.', retry: true, fix: false };
}
