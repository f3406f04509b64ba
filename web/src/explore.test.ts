import { describe, expect, it, vi } from 'vitest';
import type { App } from './app';
import type { FetchFn } from './api';
import {
  airportLabel,
  CHEAPEST_ANYWHERE,
  clampView,
  clientToMap,
  countryName,
  exploreQueryString,
  exploreUrl,
  formatTravelDate,
  FULL_VIEW,
  MAP_HEIGHT,
  MAP_WIDTH,
  MAX_ZOOM,
  mapDestinations,
  normalizeExplore,
  panView,
  parseExploreQuery,
  placeLabel,
  stopsLabel,
  viewBoxString,
  ZOOM_STEP,
  zoomLevel,
  zoomView,
  type Destination,
} from './explore';
import { parseResultsQuery } from './results';
import { resolve, type RouteContext, type Router } from './router';
import { eur } from './testSearchData';
import { fakeResponse } from './testUtils';
import { destinationLabel, destinationMeta, exploreView, interactiveMap, regionHeading, renderRegions } from './views/explore';

function ctxFor(href: string): RouteContext {
  const r = resolve(href, false);
  if (r.kind !== 'render') throw new Error('unexpected redirect');
  return { route: r.route, url: r.url, flash: null, initial: false };
}

function fakeServer(body: unknown): { fetchFn: FetchFn; urls: string[] } {
  const urls: string[] = [];
  const fetchFn: FetchFn = async (url) => {
    urls.push(url);
    return new URL(url, 'http://t.invalid').pathname === '/api/v1/explore' ? fakeResponse(body) : fakeResponse({ query: '', items: [] });
  };
  return { fetchFn, urls };
}

function makeApp(fetchFn: FetchFn): App {
  return {
    fetchFn,
    router: { navigate: vi.fn(), refresh: vi.fn(), route: null } as unknown as Router,
    announce: vi.fn(),
    toast: vi.fn(),
    today: () => '2026-11-23',
    download: vi.fn(),
  } as unknown as App;
}

const dest = (code: string, city: string, country: string, continent: string, lat: number, lon: number, minor: number, extra: Record<string, unknown> = {}) => ({
  code,
  name: `${city} Airport`,
  city,
  country,
  continent,
  lat,
  lon,
  price: eur(minor),
  date: '2026-12-15',
  stops: 1,
  duration_minutes: 600,
  ...extra,
});

const LHR = dest('LHR', 'London', 'GB', 'EU', 51.47, -0.45, 9500, { name: 'London Heathrow', stops: 0, duration_minutes: 95 });
const DUB = dest('DUB', 'Dublin', 'IE', 'EU', 53.42, -6.27, 11000, { stops: 0 });
const CDG = dest('CDG', 'Paris', 'FR', 'EU', 49.01, 2.55, 12000);
const AMS = dest('AMS', 'Amsterdam', 'NL', 'EU', 52.31, 4.76, 12500);
const FCO = dest('FCO', 'Rome', 'IT', 'EU', 41.8, 12.25, 13000);
const MAD = dest('MAD', 'Madrid', 'ES', 'EU', 40.47, -3.56, 14000);
const NRT = dest('NRT', 'Tokyo', 'JP', 'AS', 35.77, 140.39, 41200, { name: 'Narita International' });
const DXB = dest('DXB', 'Dubai', 'AE', 'AS', 25.25, 55.36, 30000);
const JFK = dest('JFK', 'New York', 'US', 'NA', 40.64, -73.78, 52000);

/** Anywhere from ZRH: the 6 cheapest are all in Europe; the regions add Asia and North America. */
const anywhere = {
  origin: 'ZRH',
  currency: 'EUR',
  date: '2026-12-15',
  destinations: [LHR, DUB, CDG, AMS, FCO, MAD],
  regions: [
    { code: 'EU', name: 'Europe', destinations: [LHR, DUB] },
    { code: 'AS', name: 'Asia', destinations: [NRT, DXB] },
    { code: 'NA', name: 'North America', destinations: [JFK] },
  ],
};

describe('explore: regions in the answer', () => {
  it('normalises regions tolerantly: bad regions and destinations dropped, sorted by price, ordered by the cheapest', () => {
    const res = normalizeExplore({
      ...anywhere,
      regions: [
        { code: 'NA', name: 'North America', destinations: [JFK] },
        { code: 'AS', destinations: [NRT, { code: 'BAD', lat: 99, lon: 0, price: eur(1) }, DXB, DXB] },
        { code: 'EU', name: 'Europe', destinations: [LHR, DUB] },
        { code: '', destinations: [LHR] },
        { code: 'OC', name: 'Oceania', destinations: [] },
        { code: 'SA', destinations: 'nope' },
        null,
        'x',
      ],
    });
    expect(res.regions.map((r) => r.code)).toEqual(['EU', 'AS', 'NA']);
    // A missing name is taken from the continents we know; Asia's list sorted by price, the duplicate once.
    expect(res.regions[1]).toMatchObject({ code: 'AS', name: 'Asia' });
    expect(res.regions[1]!.destinations.map((d) => d.code)).toEqual(['DXB', 'NRT']);
    expect(normalizeExplore({ destinations: [LHR] }).regions).toEqual([]);
    expect(normalizeExplore({ destinations: [LHR], regions: { code: 'EU' } }).regions).toEqual([]);
  });

  it('the map shows what the page lists: the cheapest few and every region\'s destinations, once each, cheapest first', () => {
    const res = normalizeExplore(anywhere);
    // MAD is the 6th cheapest and not among Europe's best two: not listed, not on the map.
    expect(mapDestinations(res).map((d) => d.code)).toEqual(['LHR', 'DUB', 'CDG', 'AMS', 'FCO', 'DXB', 'NRT', 'JFK']);
    expect(mapDestinations({ ...res, regions: [] }).map((d) => d.code)).toEqual(['LHR', 'DUB', 'CDG', 'AMS', 'FCO', 'MAD']);
  });

  it('Anywhere: "Cheapest anywhere" (the first few), then a section per region with "Asia · from €300"', () => {
    const q = parseExploreQuery('from=ZRH&date=2026-12-15', 'EUR');
    const box = document.createElement('div');
    box.append(...renderRegions(q, normalizeExplore(anywhere)));
    expect(box.querySelector('h2')?.textContent).toBe('Cheapest anywhere');
    const cheapest = box.querySelector('ol.explore-list')!;
    expect(Array.from(cheapest.querySelectorAll('li')).map((li) => li.dataset.code)).toEqual(['LHR', 'DUB', 'CDG', 'AMS', 'FCO'].slice(0, CHEAPEST_ANYWHERE));
    const sections = Array.from(box.querySelectorAll<HTMLElement>('section.explore-region'));
    expect(sections.map((s) => s.dataset.region)).toEqual(['EU', 'AS', 'NA']);
    expect(sections.map((s) => s.querySelector('h3')?.textContent)).toEqual(['Europe · from €95', 'Asia · from €300', 'North America · from €520']);
    expect(sections[1]!.getAttribute('aria-labelledby')).toBe(sections[1]!.querySelector('h3')!.id);
    expect(Array.from(sections[1]!.querySelectorAll('li')).map((li) => li.dataset.code)).toEqual(['DXB', 'NRT']);
    expect(regionHeading({ code: 'AS', name: 'Asia', destinations: [] })).toBe('Asia');
    const [odd] = normalizeExplore({ destinations: [{ ...NRT, price: eur(41276) }] }).destinations as [Destination];
    expect(regionHeading({ code: 'AS', name: 'Asia', destinations: [odd] })).toBe('Asia · from €412');
  });
});

describe('explore: names, dates, stops', () => {
  it('countries by name, dates for people, stops in words', () => {
    expect(countryName('JP', 'en')).toBe('Japan');
    expect(countryName('gb', 'en')).toBe('United Kingdom');
    expect(countryName('JP', 'de')).toBe('Japan');
    expect(countryName('US', 'fr')).toBe('États-Unis');
    expect(countryName('', 'en')).toBe('');
    expect(countryName('X1', 'en')).toBe('X1');
    expect(formatTravelDate('2026-12-15', 'en-GB')).toBe('Tue 15 Dec');
    expect(formatTravelDate('2026-12-15', 'en-US')).toBe('Tue, Dec 15');
    expect(formatTravelDate('2026-12-15', 'de-DE')).toBe('Di., 15. Dez.');
    expect(formatTravelDate('2026-02-30', 'en-GB')).toBe('');
    expect(formatTravelDate('', 'en-GB')).toBe('');
    expect([0, 1, 2, null].map(stopsLabel)).toEqual(['nonstop', '1 stop', '2 stops', '']);
  });

  it('a destination shows its city and country by name, the airport on hover and in its accessible name', () => {
    const [d] = normalizeExplore({ destinations: [NRT] }).destinations as [Destination];
    expect(placeLabel(d, 'en')).toBe('Tokyo, Japan');
    expect(airportLabel(d)).toBe('Narita International (NRT)');
    const date = formatTravelDate('2026-12-15');
    expect(destinationMeta(d)).toBe(`${date} · 1 stop · 10h 00m`);
    expect(destinationLabel(d)).toBe(`Tokyo, Japan — Narita International (NRT): from 412.00 EUR on ${date}, 1 stop, 10h 00m`);
    const [bare] = normalizeExplore({ destinations: [{ code: 'XYZ', lat: 1, lon: 2, price: eur(100) }] }).destinations as [Destination];
    expect(placeLabel(bare, 'en')).toBe('XYZ');
    expect(destinationLabel(bare)).toBe('XYZ — XYZ: from 1.00 EUR');
  });
});

describe('explore: zoom maths', () => {
  it('zooms around a point that stays put, within 1× and the closest zoom', () => {
    const vb = zoomView(FULL_VIEW, 2, 480, 250);
    expect(vb).toEqual({ x: 240, y: 125, w: 480, h: 250 });
    expect(zoomLevel(vb)).toBe(2);
    // Around a corner point: that point keeps its place in the view (share of the width / height).
    const c = zoomView(FULL_VIEW, 4, 720, 125);
    expect((720 - c.x) / c.w).toBeCloseTo(720 / MAP_WIDTH);
    expect((125 - c.y) / c.h).toBeCloseTo(125 / MAP_HEIGHT);
    expect(zoomView(FULL_VIEW, 0.5)).toEqual(FULL_VIEW);
    expect(zoomLevel(zoomView(FULL_VIEW, 1000))).toBe(MAX_ZOOM);
    expect(zoomView(vb, NaN)).toEqual(vb);
    expect(zoomView(zoomView(FULL_VIEW, ZOOM_STEP), 1 / ZOOM_STEP)).toEqual(FULL_VIEW);
  });

  it('pans without leaving the map, and keeps the aspect ratio', () => {
    const vb = zoomView(FULL_VIEW, 2);
    expect(panView(vb, 100, -50)).toEqual({ x: 340, y: 75, w: 480, h: 250 });
    expect(panView(vb, -9999, 9999)).toEqual({ x: 0, y: 250, w: 480, h: 250 });
    expect(panView(FULL_VIEW, 50, 50)).toEqual(FULL_VIEW);
    expect(clampView({ x: 10, y: 10, w: 96, h: 10 })).toEqual({ x: 10, y: 10, w: 96, h: 50 });
    expect(viewBoxString({ x: 1 / 3, y: 0, w: 480, h: 250 })).toBe('0.33 0 480 250');
  });

  it('turns a pointer position into map units (letterboxed like xMidYMid meet)', () => {
    const rect = { left: 100, top: 50, width: 480, height: 250 };
    expect(clientToMap(FULL_VIEW, rect, 100, 50)).toEqual([0, 0]);
    expect(clientToMap(FULL_VIEW, rect, 580, 300)).toEqual([960, 500]);
    // Taller box than the map: the map sits in the middle.
    expect(clientToMap(FULL_VIEW, { left: 0, top: 0, width: 480, height: 450 }, 240, 225)).toEqual([480, 250]);
    expect(clientToMap({ x: 240, y: 125, w: 480, h: 250 }, rect, 100, 50)).toEqual([240, 125]);
  });
});

describe('explore: the zoomable map', () => {
  const dests = () => mapDestinations(normalizeExplore(anywhere));

  it('zoom in / out / reset change the viewBox; markers keep their size on screen', () => {
    const onPick = vi.fn();
    const map = interactiveMap(null, dests(), onPick);
    document.body.append(map.el);
    const btn = (name: string) => map.el.querySelector<HTMLButtonElement>(`button[aria-label="${name}"]`)!;
    const marker = () => map.svg.querySelector<SVGCircleElement>('circle[data-code="LHR"]')!;
    const r0 = Number(marker().getAttribute('r'));
    expect(map.svg.getAttribute('viewBox')).toBe('0 0 960 500');
    expect(btn('Zoom out').getAttribute('aria-disabled')).toBe('true');
    btn('Zoom in').click();
    expect(map.svg.getAttribute('viewBox')).toBe(viewBoxString(zoomView(FULL_VIEW, ZOOM_STEP)));
    expect(Number(marker().getAttribute('r'))).toBeCloseTo(r0 / ZOOM_STEP, 1);
    expect(btn('Zoom out').getAttribute('aria-disabled')).toBe('false');
    btn('Zoom in').click();
    btn('Zoom out').click();
    expect(map.svg.getAttribute('viewBox')).toBe(viewBoxString(zoomView(FULL_VIEW, ZOOM_STEP)));
    btn('Reset zoom').click();
    expect(map.svg.getAttribute('viewBox')).toBe('0 0 960 500');
    expect(Number(marker().getAttribute('r'))).toBe(r0);
    map.el.remove();
  });

  it('+ and − keys zoom when the map has focus, arrows pan, 0 resets; the wheel zooms', () => {
    const map = interactiveMap(null, dests(), vi.fn());
    document.body.append(map.el);
    expect(map.svg.getAttribute('tabindex')).toBe('0');
    const key = (k: string) => map.svg.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true }));
    expect(key('+')).toBe(false); // handled: default prevented
    expect(zoomLevel(map.view())).toBeCloseTo(ZOOM_STEP);
    key('+');
    const before = map.view();
    key('ArrowRight');
    expect(map.view().x).toBeGreaterThan(before.x);
    key('-');
    expect(zoomLevel(map.view())).toBeCloseTo(ZOOM_STEP);
    key('0');
    expect(map.view()).toEqual(FULL_VIEW);
    expect(key('a')).toBe(true);
    // Scrolling down over the whole world: nothing to zoom out, the page scrolls.
    const down = new WheelEvent('wheel', { deltaY: 200, clientX: 0, clientY: 0, bubbles: true, cancelable: true });
    map.svg.dispatchEvent(down);
    expect(down.defaultPrevented).toBe(false);
    expect(map.view()).toEqual(FULL_VIEW);
    expect(map.svg.classList.contains('is-zoomed')).toBe(false);
    const wheel = new WheelEvent('wheel', { deltaY: -200, clientX: 0, clientY: 0, bubbles: true, cancelable: true });
    map.svg.dispatchEvent(wheel);
    expect(wheel.defaultPrevented).toBe(true);
    expect(zoomLevel(map.view())).toBeGreaterThan(1);
    expect(map.svg.classList.contains('is-zoomed')).toBe(true);
    map.el.remove();
  });

  it('a click on a marker picks that destination; a drag does not', () => {
    const onPick = vi.fn();
    const map = interactiveMap(null, dests(), onPick);
    document.body.append(map.el);
    const nrt = map.svg.querySelector<SVGCircleElement>('circle[data-code="NRT"]')!;
    nrt.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    expect(onPick).toHaveBeenCalledWith('NRT');
    onPick.mockClear();
    map.setView(zoomView(FULL_VIEW, 4));
    const start = map.view();
    const pe = (type: string, x: number, y: number) => {
      const e = new MouseEvent(type, { bubbles: true, clientX: x, clientY: y }) as MouseEvent & { pointerId: number };
      Object.defineProperty(e, 'pointerId', { value: 1 });
      return e;
    };
    nrt.dispatchEvent(pe('pointerdown', 100, 100));
    nrt.dispatchEvent(pe('pointermove', 140, 100));
    nrt.dispatchEvent(pe('pointerup', 140, 100));
    nrt.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    expect(onPick).not.toHaveBeenCalled();
    expect(map.view().x).toBeLessThan(start.x); // dragged right: the view moves west
    map.el.remove();
  });

  it('two fingers pinching apart zoom in, together zoom out', () => {
    const map = interactiveMap(null, dests(), vi.fn());
    document.body.append(map.el);
    const pe = (type: string, id: number, x: number, y: number) => {
      const e = new MouseEvent(type, { bubbles: true, clientX: x, clientY: y }) as MouseEvent & { pointerId: number };
      Object.defineProperty(e, 'pointerId', { value: id });
      return e;
    };
    map.svg.dispatchEvent(pe('pointerdown', 1, 100, 100));
    map.svg.dispatchEvent(pe('pointerdown', 2, 200, 100));
    map.svg.dispatchEvent(pe('pointermove', 2, 300, 100));
    expect(zoomLevel(map.view())).toBeCloseTo(2);
    map.svg.dispatchEvent(pe('pointermove', 2, 250, 100));
    expect(zoomLevel(map.view())).toBeCloseTo(1.5);
    map.svg.dispatchEvent(pe('pointerup', 1, 100, 100));
    map.svg.dispatchEvent(pe('pointerup', 2, 250, 100));
    map.el.remove();
  });
});

describe('explore: the page', () => {
  it('Anywhere shows the cheapest, then the regions; the map has every destination once; a marker opens its search', async () => {
    const server = fakeServer(anywhere);
    const app = makeApp(server.fetchFn);
    const view = exploreView(app, ctxFor('/explore?from=ZRH&date=2026-12-15&currency=EUR'));
    document.body.append(view.el);
    await vi.waitFor(() => expect(view.el.querySelectorAll('section.explore-region')).toHaveLength(3));
    expect(server.urls).toContain('/api/v1/explore?origin=ZRH&date=2026-12-15&currency=EUR&max_stops=1');
    expect(view.el.querySelectorAll('svg.explore-map circle.map-marker')).toHaveLength(8);
    expect(view.el.querySelector('#explore-count')?.textContent).toBe('8 destinations in 3 regions from ZRH, cheapest €95.00');
    expect(view.el.querySelector('#explore-list-title')?.textContent).toBe('Cheapest anywhere');
    const link = view.el.querySelector<HTMLAnchorElement>('section.explore-region[data-region="AS"] li[data-code="NRT"] a')!;
    expect(link.title).toBe('Narita International (NRT)');
    expect(link.querySelector('.explore-place')?.textContent).toBe('Tokyo, Japan NRT');
    view.el.querySelector('circle.map-marker[data-code="NRT"]')!.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    expect(app.router.navigate).toHaveBeenCalledWith(link.getAttribute('href'));
    expect(parseResultsQuery(link.getAttribute('href')!.split('?')[1]!).slices).toEqual([{ origin: 'ZRH', destination: 'NRT', date: '2026-12-15' }]);
    view.destroy?.();
    view.el.remove();
  });

  it('a region chosen: one list as before, no region sections', async () => {
    const server = fakeServer({ ...anywhere, regions: undefined });
    const view = exploreView(makeApp(server.fetchFn), ctxFor('/explore?from=ZRH&date=2026-12-15&region=EU'));
    document.body.append(view.el);
    await vi.waitFor(() => expect(view.el.querySelectorAll('.explore-item')).toHaveLength(6));
    expect(view.el.querySelectorAll('section.explore-region')).toHaveLength(0);
    expect(view.el.querySelector('#explore-list-title')?.textContent).toBe('Destinations by price');
    view.destroy?.();
    view.el.remove();
  });

  it('"Stops" is in the URL as stops=0|2 (absent: up to 1) and sent as max_stops', async () => {
    const q = parseExploreQuery('from=ZRH&date=2026-12-15&stops=0', 'EUR');
    expect(q.maxStops).toBe(0);
    expect(exploreQueryString(q)).toBe('from=ZRH&date=2026-12-15&currency=EUR&stops=0');
    expect(new URL(exploreUrl(q), 'http://t').searchParams.get('max_stops')).toBe('0');
    const two = parseExploreQuery('from=ZRH&date=2026-12-15&stops=2', 'EUR');
    expect(two.maxStops).toBe(2);
    expect(exploreQueryString(two)).toBe('from=ZRH&date=2026-12-15&currency=EUR&stops=2');
    expect(new URL(exploreUrl(two), 'http://t').searchParams.get('max_stops')).toBe('2');
    expect(parseExploreQuery('from=ZRH&date=2026-12-15', 'EUR').maxStops).toBe(1);
    expect(parseExploreQuery('from=ZRH&date=2026-12-15&stops=7', 'EUR').maxStops).toBe(1);

    const server = fakeServer(anywhere);
    const view = exploreView(makeApp(server.fetchFn), ctxFor('/explore?from=ZRH&date=2026-12-15&currency=EUR'));
    document.body.append(view.el);
    await vi.waitFor(() => expect(view.el.querySelectorAll('section.explore-region')).toHaveLength(3));
    const label = Array.from(view.el.querySelectorAll('label')).find((l) => l.textContent === 'Stops')!;
    const select = view.el.querySelector<HTMLSelectElement>(`#${label.htmlFor}`)!;
    expect(Array.from(select.options).map((o) => o.text)).toEqual(['Nonstop only', 'Up to 1 stop', 'Up to 2 stops']);
    expect(select.value).toBe('1');
    select.value = '0';
    view.el.querySelector('form')!.dispatchEvent(new Event('submit', { cancelable: true }));
    await vi.waitFor(() => expect(server.urls.some((u) => u.includes('max_stops=0'))).toBe(true));
    expect(window.location.search).toContain('stops=0');
    select.value = '2';
    view.el.querySelector('form')!.dispatchEvent(new Event('submit', { cancelable: true }));
    await vi.waitFor(() => expect(server.urls.some((u) => u.includes('max_stops=2'))).toBe(true));
    expect(window.location.search).toContain('stops=2');
    view.destroy?.();
    view.el.remove();
  });
});
