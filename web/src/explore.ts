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
}

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

export interface ExploreResponse {
  origin: string;
  currency: string;
  destinations: Destination[];
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/** /explore?from=ZRH&date=2026-12-01 | &month=2026-12 [&region=EU][&maxprice=300][&currency=CHF] */
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
  return p.toString();
}

/** GET /api/v1/explore?origin&date|month&region&max_price&currency */
export function exploreUrl(q: ExploreQuery): string {
  return apiUrl('/explore', {
    origin: q.origin,
    date: q.date || null,
    month: q.date ? null : q.month || null,
    region: q.region || null,
    max_price: q.maxPrice,
    currency: q.currency,
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

/** Check the answer; destinations without a place or a price are dropped; sorted by price. */
export function normalizeExplore(body: unknown): ExploreResponse {
  const r = asRec(body) ?? {};
  const out: Destination[] = [];
  for (const d of Array.isArray(r.destinations) ? r.destinations.map(asRec) : []) {
    if (!d) continue;
    const lat = num(d.lat);
    const lon = num(d.lon);
    const price = normalizeMoney(d.price);
    if (!str(d.code) || lat === null || lon === null || Math.abs(lat) > 90 || Math.abs(lon) > 180 || !price) continue;
    out.push({
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
    });
  }
  out.sort((a, b) => a.price.amount_minor - b.price.amount_minor || a.code.localeCompare(b.code));
  return { origin: str(r.origin), currency: str(r.currency), destinations: out };
}

/* ---------------------------------------------------------------------- */
/* Map geometry                                                           */
/* ---------------------------------------------------------------------- */

export const MAP_WIDTH = 960;
export const MAP_HEIGHT = 500;

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
