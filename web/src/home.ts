/**
 * The home page below the search form (issue 18):
 *
 * - default dates: departure a week ahead, return a week after it, filled into an untouched
 *   form (never over a shared link's search or what the user typed);
 * - recent searches: the last 5 made with the form, kept in localStorage, each a link to its
 *   results;
 * - popular destinations from the user's airport (the profile's home airport, else the last
 *   search's origin): the cheapest 6 of GET /api/v1/explore?origin=…&date=…, each a link to
 *   the search, with its price.
 */

import { getJson, type FetchFn, type Place } from './api';
import { formatDay } from './dates';
import { h } from './dom';
import { exploreUrl, normalizeExplore, type Destination } from './explore';
import { formatMoney, resultsPathFor } from './results';
import { addDays, isIsoDate, type SearchFormHandle, type SearchState } from './searchForm';

export const RECENT_KEY = 'contrail.recentSearches';
export const RECENT_MAX = 5;
export const POPULAR_MAX = 6;

/** Departure a week ahead, return a week later. */
export function defaultDates(today: string): { depart: string; return: string } {
  const depart = addDays(today, 7);
  return { depart, return: addDays(depart, 7) };
}

export interface RecentSearch {
  state: SearchState;
  /** Readable names of the origin and destination ("London", "New York JFK"), when known. */
  fromName: string;
  toName: string;
}

type Store = Pick<Storage, 'getItem' | 'setItem'>;

const CODE = /^[A-Z0-9]{3,4}$/;

function validRecent(v: unknown): RecentSearch | null {
  if (!v || typeof v !== 'object') return null;
  const r = v as Partial<RecentSearch>;
  const s = r.state as Partial<SearchState> | undefined;
  if (!s || typeof s !== 'object') return null;
  if (s.trip !== 'oneway' && s.trip !== 'round' && s.trip !== 'multi') return null;
  if (typeof s.origin !== 'string' || typeof s.destination !== 'string' || !CODE.test(s.origin) || !CODE.test(s.destination)) return null;
  if (typeof s.depart !== 'string' || !isIsoDate(s.depart)) return null;
  const state: SearchState = {
    trip: s.trip,
    origin: s.origin,
    destination: s.destination,
    depart: s.depart,
    return: typeof s.return === 'string' && isIsoDate(s.return) ? s.return : '',
    adults: Number.isInteger(s.adults) ? (s.adults as number) : 1,
    children: Number.isInteger(s.children) ? (s.children as number) : 0,
    infants: Number.isInteger(s.infants) ? (s.infants as number) : 0,
    cabin: s.cabin ?? 'economy',
    legs: Array.isArray(s.legs) ? s.legs : [],
  };
  if (state.trip === 'round' && !state.return) return null;
  return { state, fromName: typeof r.fromName === 'string' ? r.fromName : '', toName: typeof r.toName === 'string' ? r.toName : '' };
}

/** The recent searches, newest first (bad entries dropped). */
export function loadRecent(storage: Store | null): RecentSearch[] {
  try {
    const raw = storage?.getItem(RECENT_KEY);
    const list: unknown = raw ? JSON.parse(raw) : [];
    return (Array.isArray(list) ? list : []).map(validRecent).filter((x): x is RecentSearch => x !== null).slice(0, RECENT_MAX);
  } catch {
    return [];
  }
}

const sameSearch = (a: SearchState, b: SearchState) =>
  a.trip === b.trip && a.origin === b.origin && a.destination === b.destination && a.depart === b.depart && a.return === b.return && a.adults === b.adults && a.children === b.children && a.infants === b.infants && a.cabin === b.cabin;

/** Puts a search first (the same search made again moves up), keeping the last 5. */
export function recordSearch(storage: Store | null, entry: RecentSearch): RecentSearch[] {
  const next = [entry, ...loadRecent(storage).filter((r) => !sameSearch(r.state, entry.state))].slice(0, RECENT_MAX);
  try {
    storage?.setItem(RECENT_KEY, JSON.stringify(next));
  } catch {
    /* private mode, quota: the list is only a convenience */
  }
  return next;
}

/** "London" for a metro, "London Heathrow Airport" → the airport's name; the code when unknown. */
export function placeName(p: Place | null, code: string): string {
  if (!p || p.code.toUpperCase() !== code.toUpperCase() || p.name === p.code) return code;
  return p.kind === 'metro' ? p.city || p.name : p.name;
}

/** "London → New York · Tue 15 Dec – Tue 22 Dec" */
export function recentLabel(r: RecentSearch): string {
  const s = r.state;
  const from = r.fromName || s.origin;
  const to = r.toName || s.destination;
  const dates = s.trip === 'round' && s.return ? `${formatDay(s.depart)} – ${formatDay(s.return)}` : formatDay(s.depart);
  return `${from} → ${to} · ${dates}`;
}

/** The airport popular destinations are from: the profile's home airport, else the last search's origin. */
export function popularOrigin(homeAirport: string | null | undefined, recent: RecentSearch[]): string {
  const home = homeAirport?.trim().toUpperCase() ?? '';
  if (CODE.test(home)) return home;
  return recent[0]?.state.origin ?? '';
}

/** The cheapest 6 destinations of an explore answer (the overall list and the regions' together). */
export function cheapestDestinations(body: unknown, max = POPULAR_MAX): Destination[] {
  const res = normalizeExplore(body);
  const all = new Map<string, Destination>();
  for (const d of [...res.destinations, ...res.regions.flatMap((r) => r.destinations)]) {
    const seen = all.get(d.code);
    if (!seen || d.price.amount_minor < seen.price.amount_minor) all.set(d.code, d);
  }
  return Array.from(all.values())
    .sort((a, b) => a.price.amount_minor - b.price.amount_minor || a.code.localeCompare(b.code))
    .slice(0, max);
}

/** The results link of a popular destination: one-way on its cheapest day. */
export function destinationPath(origin: string, d: Destination, date: string, currency: string): string {
  const s: SearchState = { trip: 'oneway', origin, destination: d.code, depart: d.date && isIsoDate(d.date) ? d.date : date, return: '', adults: 1, children: 0, infants: 0, cabin: 'economy', legs: [] };
  return resultsPathFor(s, currency);
}

export interface HomeOptions {
  form: SearchFormHandle;
  /** Where the sections go (below the hero). */
  root: HTMLElement;
  today: () => string;
  storage?: Store | null;
  fetchFn?: FetchFn;
  /** The URL's query string: a shared search keeps its own dates. */
  search: () => string;
  currency: () => string;
  homeAirport: () => string | null | undefined;
}

export interface HomeHandle {
  /** Draws the sections again (the profile arrived, a search was made). */
  refresh(): void;
  /** Call with each valid search the form makes. */
  record(s: SearchState): void;
  /** Fills the default dates into an untouched form. */
  fillDefaults(): void;
}

export function mountHome(o: HomeOptions): HomeHandle {
  const storage = o.storage === undefined ? (typeof localStorage === 'undefined' ? null : localStorage) : o.storage;
  const recentBox = h('section', { class: 'home-recent container', 'aria-labelledby': 'home-recent-title', hidden: true });
  const popularBox = h('section', { class: 'home-popular container', 'aria-labelledby': 'home-popular-title', hidden: true });
  o.root.replaceChildren(recentBox, popularBox);
  let popularFor = '';
  let ctrl: AbortController | null = null;

  function drawRecent(list: RecentSearch[]): void {
    recentBox.hidden = list.length === 0;
    recentBox.replaceChildren(
      h('h2', { id: 'home-recent-title', class: 'home-title' }, 'Your recent searches'),
      h('ul', { class: 'home-recent-list' }, list.map((r) => h('li', {}, h('a', { class: 'home-recent-link', href: resultsPathFor(r.state, o.currency()) }, recentLabel(r))))),
    );
  }

  function drawPopular(origin: string): void {
    const date = addDays(o.today(), 7);
    const currency = o.currency();
    const key = `${origin}|${date}|${currency}`;
    if (key === popularFor) return;
    popularFor = key;
    ctrl?.abort();
    if (!origin) {
      popularBox.hidden = true;
      popularBox.replaceChildren();
      return;
    }
    const mine = new AbortController();
    ctrl = mine;
    const q = { origin, date, month: '', region: '', maxPrice: null, currency, maxStops: 1 as const };
    void getJson(exploreUrl(q), { signal: mine.signal, fetchFn: o.fetchFn })
      .then((body) => {
        if (ctrl !== mine) return;
        const list = cheapestDestinations(body);
        popularBox.hidden = list.length === 0;
        popularBox.replaceChildren(
          h('h2', { id: 'home-popular-title', class: 'home-title' }, `Popular from ${origin}`),
          h(
            'ul',
            { class: 'home-popular-list' },
            list.map((d) =>
              h(
                'li',
                {},
                h(
                  'a',
                  { class: 'home-popular-link', href: destinationPath(origin, d, date, currency), 'data-code': d.code },
                  h('span', { class: 'home-popular-city' }, d.city || d.name),
                  h('span', { class: 'home-popular-meta' }, `${d.code}${d.date ? ` · ${formatDay(d.date)}` : ''}`),
                  h('span', { class: 'home-popular-price' }, `from ${formatMoney(d.price, { whole: true })}`),
                ),
              ),
            ),
          ),
        );
      })
      .catch(() => {
        if (ctrl !== mine) return;
        popularBox.hidden = true; // a convenience: no error box on the home page
        popularFor = '';
      });
  }

  function refresh(): void {
    const list = loadRecent(storage);
    drawRecent(list);
    drawPopular(popularOrigin(o.homeAirport(), list));
  }

  function fillDefaults(): void {
    if (o.search()) return;
    const s = o.form.getState();
    if (s.depart || s.return) return;
    void o.form.setState(defaultDates(o.today()));
  }

  function record(s: SearchState): void {
    if (s.trip === 'multi') return;
    recordSearch(storage, { state: s, fromName: placeName(o.form.origin.value, s.origin), toName: placeName(o.form.destination.value, s.destination) });
    refresh();
  }

  refresh();
  return { refresh, record, fillDefaults };
}
