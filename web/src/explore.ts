/**
 * Explore (`/explore`): the pure part. URL state ↔ GET /api/v1/explore
 * parameters, the answer's checks, and the map's geometry: the projection
 * (Natural Earth, fitted to the SVG's viewBox) and the markers' size and
 * colour by price. The DOM lives in `views/explore.ts`, the world outline in
 * `worldMap.ts`.
 */

import { geoNaturalEarth1, type GeoProjection } from 'd3-geo';
import { apiUrl } from './api';
import { normalizeMoney, type Money } from './results';
import { isIsoDate } from './searchForm';
import { formatDay } from './dates';

export const REGIONS: readonly { code: string; name: string }[] = [
  { code: 'AF', name: 'Africa' },
  { code: 'AN', name: 'Antarctica' },
  { code: 'AS', name: 'Asia' },
  { code: 'EU', name: 'Europe' },
  { code: 'NA', name: 'North America' },
  { code: 'OC', name: 'Oceania' },
  { code: 'SA', name: 'South America' },
];

export interface ExploreQuery {
  origin: string;
  /** One of date / month is set. */
  date: string;
  month: string;
  /** '' = anywhere; a continent code or an ISO country code. */
  region: string;
  maxPrice: number | null;
  currency: string;
  /** The most stops an itinerary may make: 0 nonstop, 1 (the default), 2. */
  maxStops: ExploreStops;
}

export type ExploreStops = 0 | 1 | 2;

/** The stops choices, as the page offers them (the URL's `stops`; 1 when absent). */
export const STOPS_CHOICES: readonly { value: ExploreStops; label: string }[] = [
  { value: 0, label: 'Nonstop only' },
  { value: 1, label: 'Up to 1 stop' },
  { value: 2, label: 'Up to 2 stops' },
];

export interface Destination {
  code: string;
  name: string;
  city: string;
  country: string;
  continent: string;
  lat: number;
  lon: number;
  price: Money;
  date: string;
  stops: number | null;
  duration_minutes: number | null;
}

/** One continent of a worldwide answer: its cheapest destinations. */
export interface ExploreRegion {
  code: string;
  name: string;
  destinations: Destination[];
}

export interface ExploreResponse {
  origin: string;
  currency: string;
  destinations: Destination[];
  /** Anywhere only (no `region` asked): per continent, in the order of its cheapest destination. */
  regions: ExploreRegion[];
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/** /explore?from=ZRH&date=2026-12-01 | &month=2026-12 [&region=EU][&maxprice=300][&currency=CHF][&stops=0|2] */
export function parseExploreQuery(search: string, defaultCurrency: string): ExploreQuery {
  const p = new URLSearchParams(search.startsWith('?') ? search.slice(1) : search);
  const origin = p.get('from')?.trim().toUpperCase() ?? '';
  const date = p.get('date') ?? '';
  const month = p.get('month') ?? '';
  const region = p.get('region')?.trim().toUpperCase() ?? '';
  const mp = p.get('maxprice') ?? '';
  const cur = p.get('currency')?.trim().toUpperCase() ?? '';
  return {
    origin: /^[A-Z0-9]{3,4}$/.test(origin) ? origin : '',
    date: isIsoDate(date) ? date : '',
    month: !isIsoDate(date) && MONTH.test(month) ? month : '',
    region: /^[A-Z]{2}$/.test(region) ? region : '',
    maxPrice: /^\d+(\.\d{1,2})?$/.test(mp) && Number(mp) > 0 ? Number(mp) : null,
    currency: /^[A-Z0-9]{1,8}$/.test(cur) ? cur : defaultCurrency,
    maxStops: p.get('stops') === '0' ? 0 : p.get('stops') === '2' ? 2 : 1,
  };
}

export function exploreQueryString(q: ExploreQuery): string {
  const p = new URLSearchParams();
  if (q.origin) p.set('from', q.origin);
  if (q.date) p.set('date', q.date);
  else if (q.month) p.set('month', q.month);
  if (q.region) p.set('region', q.region);
  if (q.maxPrice !== null) p.set('maxprice', String(q.maxPrice));
  if (q.currency) p.set('currency', q.currency);
  if (q.maxStops !== 1) p.set('stops', String(q.maxStops));
  return p.toString();
}

/** GET /api/v1/explore?origin&date|month&region&max_price&currency&max_stops (0, 1 or 2; part of the server's cache key). */
export function exploreUrl(q: ExploreQuery): string {
  return apiUrl('/explore', {
    origin: q.origin,
    date: q.date || null,
    month: q.date ? null : q.month || null,
    region: q.region || null,
    max_price: q.maxPrice,
    currency: q.currency,
    max_stops: q.maxStops,
  });
}

/** '' when the query can be sent. */
export function exploreProblem(q: ExploreQuery): string {
  if (!q.origin) return 'Choose where you are flying from.';
  if (!q.date && !q.month) return 'Choose a date or a month.';
  return '';
}

type Rec = Record<string, unknown>;
const asRec = (v: unknown): Rec | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function normalizeDestination(d: Rec | null): Destination | null {
  if (!d) return null;
  const lat = num(d.lat);
  const lon = num(d.lon);
  const price = normalizeMoney(d.price);
  if (!str(d.code) || lat === null || lon === null || Math.abs(lat) > 90 || Math.abs(lon) > 180 || !price) return null;
  return {
    code: str(d.code),
    name: str(d.name) || str(d.code),
    city: str(d.city),
    country: str(d.country),
    continent: str(d.continent),
    lat,
    lon,
    price,
    date: str(d.date),
    stops: num(d.stops),
    duration_minutes: num(d.duration_minutes),
  };
}

const byPrice = (a: Destination, b: Destination): number => a.price.amount_minor - b.price.amount_minor || a.code.localeCompare(b.code);

function normalizeDestinations(v: unknown): Destination[] {
  const out: Destination[] = [];
  const seen = new Set<string>();
  for (const raw of Array.isArray(v) ? v.map(asRec) : []) {
    const d = normalizeDestination(raw);
    if (!d || seen.has(d.code)) continue;
    seen.add(d.code);
    out.push(d);
  }
  return out.sort(byPrice);
}

/** Check the answer; destinations without a place or a price are dropped; sorted by price.
 * `regions` (Anywhere): regions without a code or without a valid destination are dropped, a
 * code seen twice is kept once, each region's list is sorted by price and the regions by their
 * cheapest destination. */
export function normalizeExplore(body: unknown): ExploreResponse {
  const r = asRec(body) ?? {};
  const regions: ExploreRegion[] = [];
  for (const g of Array.isArray(r.regions) ? r.regions.map(asRec) : []) {
    const code = str(g?.code).trim().toUpperCase();
    if (!g || !code || regions.some((x) => x.code === code)) continue;
    const destinations = normalizeDestinations(g.destinations);
    if (destinations.length === 0) continue;
    regions.push({ code, name: str(g.name) || REGIONS.find((x) => x.code === code)?.name || code, destinations });
  }
  regions.sort((a, b) => byPrice(a.destinations[0]!, b.destinations[0]!));
  return { origin: str(r.origin), currency: str(r.currency), destinations: normalizeDestinations(r.destinations), regions };
}

/** How many of the overall cheapest an Anywhere answer lists before the regions. */
export const CHEAPEST_ANYWHERE = 5;

/** The map's markers, what the page lists: with regions, the "Cheapest anywhere" few and every
 * region's destinations, once each (the cheapest seen), sorted by price; without, all of them. */
export function mapDestinations(res: ExploreResponse): Destination[] {
  const by = new Map<string, Destination>();
  const cheapest = res.regions.length > 0 ? res.destinations.slice(0, CHEAPEST_ANYWHERE) : res.destinations;
  for (const d of [...cheapest, ...res.regions.flatMap((g) => g.destinations)]) {
    const seen = by.get(d.code);
    if (!seen || d.price.amount_minor < seen.price.amount_minor) by.set(d.code, d);
  }
  return [...by.values()].sort(byPrice);
}

/* ---------------------------------------------------------------------- */
/* Labels                                                                 */
/* ---------------------------------------------------------------------- */

/** "JP" → "Japan" (Intl.DisplayNames, the browser's language); the code itself when unknown. */
export function countryName(code: string, locale?: string | readonly string[]): string {
  if (!/^[A-Za-z]{2}$/.test(code)) return code;
  try {
    return new Intl.DisplayNames(locale as string[] | undefined, { type: 'region' }).of(code.toUpperCase()) ?? code;
  } catch {
    return code;
  }
}

/** "2026-12-15" → "Tue 15 Dec" (in en-GB; the browser's locale decides the order). '' for a bad date. */
export function formatTravelDate(iso: string, locale?: string | readonly string[]): string {
  if (!isIsoDate(iso)) return '';
  return formatDay(iso, locale);
}

/** 0 → "nonstop", 1 → "1 stop", 2 → "2 stops"; '' when unknown. */
export function stopsLabel(stops: number | null): string {
  if (stops === null || stops < 0) return '';
  return stops === 0 ? 'nonstop' : `${stops} ${stops === 1 ? 'stop' : 'stops'}`;
}

/** "Tokyo, Japan" (the airport's name when the city is unknown). */
export function placeLabel(d: Destination, locale?: string | readonly string[]): string {
  const country = d.country ? countryName(d.country, locale) : '';
  return [d.city || d.name, country].filter(Boolean).join(', ');
}

/** "Narita International (NRT)". */
export function airportLabel(d: Destination): string {
  return d.name && d.name !== d.code ? `${d.name} (${d.code})` : d.code;
}

/* ---------------------------------------------------------------------- */
/* Map geometry                                                           */
/* ---------------------------------------------------------------------- */

export const MAP_WIDTH = 960;
export const MAP_HEIGHT = 500;

/** A viewBox: the part of the 960×500 map on screen. */
export interface ViewBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

export const FULL_VIEW: Readonly<ViewBox> = { x: 0, y: 0, w: MAP_WIDTH, h: MAP_HEIGHT };
/** The closest zoom: 1/16 of the map's width. */
export const MAX_ZOOM = 16;
/** One press of zoom in / out. */
export const ZOOM_STEP = 1.6;

/** How many times the map is magnified (1 = the whole world). */
export function zoomLevel(vb: ViewBox): number {
  return MAP_WIDTH / vb.w;
}

/** The view moved inside the map (it never shows beyond its edges). */
export function clampView(vb: ViewBox): ViewBox {
  const w = Math.min(MAP_WIDTH, Math.max(MAP_WIDTH / MAX_ZOOM, vb.w));
  const h = (w * MAP_HEIGHT) / MAP_WIDTH;
  return { x: Math.min(MAP_WIDTH - w, Math.max(0, vb.x)), y: Math.min(MAP_HEIGHT - h, Math.max(0, vb.y)), w, h };
}

/** Magnified by `factor` (> 1 zooms in) around the map point (cx, cy), which stays where it is on screen; the centre by default. */
export function zoomView(vb: ViewBox, factor: number, cx = vb.x + vb.w / 2, cy = vb.y + vb.h / 2): ViewBox {
  if (!(factor > 0) || !Number.isFinite(factor)) return clampView(vb);
  const w = Math.min(MAP_WIDTH, Math.max(MAP_WIDTH / MAX_ZOOM, vb.w / factor));
  const k = w / vb.w;
  return clampView({ x: cx - (cx - vb.x) * k, y: cy - (cy - vb.y) * k, w, h: vb.h * k });
}

/** Moved by (dx, dy) map units. */
export function panView(vb: ViewBox, dx: number, dy: number): ViewBox {
  return clampView({ ...vb, x: vb.x + dx, y: vb.y + dy });
}

/** A point on screen (client pixels, inside the SVG's box `rect`) in map units. The SVG keeps its aspect ratio (xMidYMid meet). */
export function clientToMap(vb: ViewBox, rect: { left: number; top: number; width: number; height: number }, clientX: number, clientY: number): [number, number] {
  if (rect.width <= 0 || rect.height <= 0) return [vb.x + vb.w / 2, vb.y + vb.h / 2];
  const scale = Math.min(rect.width / vb.w, rect.height / vb.h);
  const offX = (rect.width - vb.w * scale) / 2;
  const offY = (rect.height - vb.h * scale) / 2;
  return [vb.x + (clientX - rect.left - offX) / scale, vb.y + (clientY - rect.top - offY) / scale];
}

export function viewBoxString(vb: ViewBox): string {
  const r = (n: number) => String(Math.round(n * 100) / 100);
  return `${r(vb.x)} ${r(vb.y)} ${r(vb.w)} ${r(vb.h)}`;
}

/** Natural Earth, the whole sphere fitted into the 960×500 viewBox. */
export function mapProjection(width = MAP_WIDTH, height = MAP_HEIGHT): GeoProjection {
  return geoNaturalEarth1().fitSize([width, height], { type: 'Sphere' });
}

/** [x, y] in the viewBox for a latitude / longitude, or null. */
export function project(projection: GeoProjection, lat: number, lon: number): [number, number] | null {
  const p = projection([lon, lat]);
  return p && Number.isFinite(p[0]) && Number.isFinite(p[1]) ? [p[0], p[1]] : null;
}

/** 0 for the cheapest, 1 for the dearest (0 when all cost the same). */
export function priceShare(minor: number, min: number, max: number): number {
  return max > min ? Math.min(1, Math.max(0, (minor - min) / (max - min))) : 0;
}

/** Radius 4-12: cheaper destinations get bigger markers. */
export function markerRadius(share: number): number {
  return Math.round((12 - 8 * share) * 10) / 10;
}

/** Green (cheap) → amber → red (dear). */
export function markerColor(share: number): string {
  const hue = Math.round(140 - 140 * share);
  return `hsl(${hue}, 70%, 42%)`;
}
