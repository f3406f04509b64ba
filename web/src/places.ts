/**
 * Place (airport / metro area) formatting and the airport combobox factory.
 */

import { ApiError, searchAirports, type FetchFn, type Place } from './api';
import { Combobox } from './combobox';

/** "Zürich Airport (ZRH)" or "New York (NYC) — all airports". */
export function formatPlaceValue(p: Place): string {
  if (p.name === p.code) return p.code;
  return p.kind === 'metro' ? `${p.name} (${p.code}) — all airports` : `${p.name} (${p.code})`;
}

/** Second line of an option: "Zurich, Switzerland" or "All airports: JFK, LGA, EWR". */
export function formatPlaceDetail(p: Place): string {
  if (p.kind === 'metro') {
    return p.airports.length > 0 ? `All airports: ${p.airports.join(', ')}` : 'All airports';
  }
  return [p.city, p.country_name].filter((s) => s && s.trim()).join(', ');
}

/**
 * True when `items[index]` is an airport listed by the nearest metro item
 * before it (the server orders member airports after their metro).
 */
export function isMetroMember(items: readonly Place[], index: number): boolean {
  const item = items[index];
  if (!item || item.kind !== 'airport') return false;
  for (let i = index - 1; i >= 0; i--) {
    const prev = items[i]!;
    if (prev.kind === 'metro') return prev.airports.includes(item.code);
  }
  return false;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

function icon(doc: Document, kind: Place['kind']): SVGSVGElement {
  const svg = doc.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '18');
  svg.setAttribute('height', '18');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', 'opt-icon');
  const path = doc.createElementNS(SVG_NS, 'path');
  path.setAttribute('fill', 'currentColor');
  path.setAttribute(
    'd',
    kind === 'metro'
      ? // city skyline
        'M3 21V9h6V3h6v8h6v10h-7v-4h-4v4H3zm2-2h2v-2H5v2zm0-4h2v-2H5v2zm6-4h2V9h-2v2zm0-4h2V5h-2v2zm6 8h2v-2h-2v2zm0 4h2v-2h-2v2z'
      : // plane
        'M21 16v-2l-8-5V3.5a1.5 1.5 0 0 0-3 0V9l-8 5v2l8-2.5V19l-2 1.5V22l3.5-1 3.5 1v-1.5L13 19v-5.5l8 2.5z',
  );
  svg.append(path);
  return svg;
}

/** Build the content of one option: [badge] name / detail line. */
export function renderPlaceOption(p: Place, doc: Document = document): DocumentFragment {
  const frag = doc.createDocumentFragment();
  frag.append(icon(doc, p.kind));

  const badge = doc.createElement('span');
  badge.className = 'opt-badge';
  badge.textContent = p.code;

  const text = doc.createElement('span');
  text.className = 'opt-text';
  const name = doc.createElement('span');
  name.className = 'opt-name';
  name.textContent = p.name;
  const detail = doc.createElement('span');
  detail.className = 'opt-detail';
  detail.textContent = formatPlaceDetail(p);
  text.append(name, detail);

  frag.append(text, badge);
  return frag;
}

/** User-facing text for a failed lookup. */
export function describeLookupError(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 400) {
      const fieldMsg = err.problem?.errors?.[0]?.message;
      return fieldMsg ? `Can't search for that: ${fieldMsg}` : (err.problem?.detail ?? "Can't search for that.");
    }
    if (err.status === 429) return 'Too many searches. Please wait a moment.';
    return 'Airport search is unavailable right now. Please try again.';
  }
  return 'Could not reach Contrail. Check your connection and try again.';
}

export interface PlaceComboboxOptions {
  fetchFn?: FetchFn;
  onSelect?: (p: Place | null) => void;
  limit?: number;
  debounceMs?: number;
}

export function createPlaceCombobox(input: HTMLInputElement, opts: PlaceComboboxOptions = {}): Combobox<Place> {
  const doc = input.ownerDocument;
  return new Combobox<Place>({
    input,
    source: async (q, signal) => (await searchAirports(q, { signal, fetchFn: opts.fetchFn, limit: opts.limit })).items,
    getKey: (p) => `${p.kind}:${p.code}`,
    formatValue: formatPlaceValue,
    renderOption: (p) => renderPlaceOption(p, doc),
    optionClass: (p, i, items) =>
      [p.kind === 'metro' ? 'is-metro' : 'is-airport', isMetroMember(items, i) ? 'is-member' : ''].filter(Boolean).join(' '),
    onSelect: opts.onSelect,
    debounceMs: opts.debounceMs,
    messages: {
      noMatches: 'No matches',
      error: describeLookupError,
      results: (n) => (n === 1 ? '1 airport found. Use the arrow keys to choose.' : `${n} airports found. Use the arrow keys to choose.`),
    },
  });
}

/**
 * Look up the place with exactly this code (used to restore a search from
 * the URL). Falls back to a minimal airport entry when the lookup fails.
 */
export async function resolvePlace(code: string, fetchFn?: FetchFn): Promise<Place> {
  const upper = code.trim().toUpperCase();
  try {
    const { items } = await searchAirports(upper, { fetchFn, limit: 8 });
    const exact = items.find((p) => p.code.toUpperCase() === upper);
    if (exact) return exact;
  } catch {
    /* fall through */
  }
  return placeholderPlace(upper);
}

/** Minimal entry for a code whose details are not (yet) known. */
export function placeholderPlace(code: string): Place {
  const upper = code.trim().toUpperCase();
  return { code: upper, kind: 'airport', name: upper, city: '', country: '', country_name: '' };
}

/**
 * Whether two picked places are the same place for a trip: the same code, or an airport and
 * the metro area it belongs to (LHR and LON), from the suggestions' `metro` / `airports`;
 * when neither says, an airport and a metro area of the same city and country. Two different
 * airports of one city are not the same place (LHR → LGW is refused by no rule here).
 */
export function samePlace(a: Place | null, b: Place | null): boolean {
  if (!a || !b) return false;
  const ac = a.code.toUpperCase();
  const bc = b.code.toUpperCase();
  if (ac === bc) return true;
  if (a.kind === b.kind) return false;
  const metro = a.kind === 'metro' ? a : (b as Extract<Place, { kind: 'metro' }>);
  const airport = a.kind === 'airport' ? a : (b as Extract<Place, { kind: 'airport' }>);
  const mc = metro.code.toUpperCase();
  if (airport.metro) return airport.metro.toUpperCase() === mc;
  if (metro.airports.length > 0) return metro.airports.some((x) => x.toUpperCase() === airport.code.toUpperCase());
  const norm = (s: string) => s.trim().toLowerCase();
  return !!airport.city && norm(airport.city) === norm(metro.city) && norm(airport.country) === norm(metro.country);
}

/** "London Heathrow Airport (LHR) is one of London's airports: choose a different destination." */
export function samePlaceMessage(origin: Place, destination: Place): string {
  if (origin.code.toUpperCase() === destination.code.toUpperCase()) return 'Destination must be different from the origin.';
  const airport = origin.kind === 'airport' ? origin : destination;
  const metro = origin.kind === 'metro' ? origin : destination;
  const city = metro.city || metro.name;
  return `${airport.name} (${airport.code}) is one of ${city}’s airports: choose a destination away from ${city}.`;
}
