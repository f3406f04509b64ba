import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { App } from './app';
import type { FetchFn } from './api';
import { calendarStart, calendarUrl, cheapestCell, cheapestDay, gridUrl, normalizeCalendar, normalizeGrid, renderCalendarStrip, renderDateGrid } from './calendar';
import { setDateLocale } from './dates';
import { CURRENCY_KEY, preferredCurrency, rememberCurrency } from './currency';
import { exploreQueryString, exploreUrl, formatTravelDate, MAP_HEIGHT, MAP_WIDTH, mapProjection, markerRadius, normalizeExplore, parseExploreQuery, project } from './explore';
import { normalizeItinerary, parseResultsQuery } from './results';
import { resolve, type RouteContext, type Router } from './router';
import { eur, nonstopRaw, searchAnswer, selfTransferRaw } from './testSearchData';
import { fakeResponse, flush } from './testUtils';
import { exploreView, renderDestinationList, renderMap } from './views/explore';
import { itineraryCard, resultsView } from './views/results';
import { loadCountries } from './worldMap';

// The dates these cards and strips show are in the browser's locale: pin one (en-GB) here.
beforeAll(() => setDateLocale('en-GB'));
afterAll(() => setDateLocale(undefined));

function ctxFor(href: string): RouteContext {
  const r = resolve(href, false);
  if (r.kind !== 'render') throw new Error('unexpected redirect');
  return { route: r.route, url: r.url, flash: null, initial: false };
}

interface Call {
  url: string;
  method: string;
  body: unknown;
}

/** A fake server: answers by path, records every call. */
function fakeServer(routes: Record<string, (call: Call) => Response>): { fetchFn: FetchFn; calls: Call[] } {
  const calls: Call[] = [];
  const fetchFn: FetchFn = async (url, init) => {
    const call = { url, method: init?.method ?? 'GET', body: init?.body ? JSON.parse(String(init.body)) : null };
    calls.push(call);
    const path = new URL(url, 'http://t.invalid').pathname;
    const route = routes[path];
    return route ? route(call) : fakeResponse({ query: '', items: [] });
  };
  return { fetchFn, calls };
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

const calendarAnswer = {
  origin: 'LON',
  destination: 'NYC',
  currency: 'EUR',
  days: Array.from({ length: 30 }, (_, i) => {
    const date = new Date(Date.UTC(2026, 10, 28 + i)).toISOString().slice(0, 10);
    return { date, price: i % 7 === 3 ? null : eur(50000 - (i === 12 ? 20000 : 0) + i * 100), stops: 0, duration_minutes: 480 };
  }),
};

const days7 = (start: number) => Array.from({ length: 7 }, (_, i) => new Date(Date.UTC(2026, 10, start + i)).toISOString().slice(0, 10));
const gridAnswer = {
  origin: 'LON',
  destination: 'NYC',
  currency: 'EUR',
  grid: {
    departures: days7(28),
    returns: days7(35),
    cells: days7(28).map((_, d) => days7(35).map((_r, r) => (d === 2 && r === 5 ? { price: eur(30000) } : { price: r === 0 ? null : eur(60000 + d * 100 + r) }))),
  },
};

afterEach(() => {
  document.body.replaceChildren();
  localStorage.clear();
  vi.restoreAllMocks();
});

describe('itinerary cards', () => {
  it('show per slice the times with +1, flight numbers, carrier names, durations, the cheapest price and every offer', () => {
    const card = itineraryCard(normalizeItinerary(nonstopRaw)!, 'oneway');
    document.body.append(card);
    expect(card.querySelector('.itin-times')?.textContent).toBe('08:00–11:00LHR → JFK');
    expect(card.querySelector('.itin-carriers')?.textContent).toBe('British Airways');
    expect(card.querySelector('.price-amount')?.textContent).toBe('€412.30');
    expect(card.dataset.priceMinor).toBe('41230');
    const toggle = Array.from(card.querySelectorAll<HTMLButtonElement>('button')).find((b) => b.textContent === 'Compare 3 offers')!;
    const offers = document.getElementById(toggle.getAttribute('aria-controls')!)!;
    expect(offers.hidden).toBe(true);
    toggle.click();
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    expect(offers.hidden).toBe(false);
    const rows = Array.from(offers.querySelectorAll('.offer')).map((o) => o.textContent);
    // Internal provider codes never reach the screen: the kind of seller until a live offer named it.
    // The seller's own price only when its currency differs (issue 18: not "€412.30 · 412.30 EUR").
    expect(rows).toEqual(['Voyagio€412.30', 'The airline (direct)€430.00', 'Travel agency€450.00charged as £385.00']);
    expect(card.textContent).not.toMatch(/ota-eur|ba\.com|skyshop/);
    const details = card.querySelector('.itin-details')!;
    expect(details.querySelector('.leg-number')?.textContent).toBe('BA 117');
    expect(details.querySelector('.leg-carrier')?.textContent).toBe('British Airways');
    expect(details.querySelector('.leg-dur')?.textContent).toBe('8h 00m');
  });

  it('mark unpriced trips, the next-day arrival and the self-transfer layover', () => {
    const card = itineraryCard(normalizeItinerary(selfTransferRaw)!, 'oneway');
    expect(card.querySelector('.itin-price')?.textContent).toBe('schedule only — no price');
    expect(card.querySelector('.day-marker')?.textContent).toBe('+1');
    expect(card.querySelector('.self-transfer')?.textContent).toBe('Self-transfer');
    expect(card.querySelector('.itin-warning')?.textContent).toMatch(/separate tickets/);
    const lay = card.querySelector<HTMLElement>('.layover')!;
    expect(lay.dataset.airport).toBe('DUB');
    expect(lay.dataset.minutes).toBe('95');
    expect(lay.textContent).toBe('1h 35m layover in DUB (overnight) — self-transfer: collect your bags and check in again');
    expect(card.querySelector('h3')?.textContent).toMatch(/^Schedule only, no price\. Ryanair · Aer Lingus, FR 118, EI 107\. .*next day at EWR\. .*Self-transfer\.$/);
    expect(card.querySelectorAll('.offers-toggle')).toHaveLength(0);
  });

  it('title each slice of a round trip', () => {
    const raw = { ...nonstopRaw, slices: [nonstopRaw.slices[0], { ...nonstopRaw.slices[0], origin: 'JFK', destination: 'LHR' }] };
    const card = itineraryCard(normalizeItinerary(raw)!, 'round');
    expect(Array.from(card.querySelectorAll('.itin-slice-title')).map((t) => t.textContent)).toEqual(['Outbound · Tue, 1 Dec 2026', 'Return · Tue, 1 Dec 2026']);
  });
});

describe('results page', () => {
  async function open(href: string, routes: Record<string, (c: Call) => Response>) {
    const server = fakeServer(routes);
    const view = resultsView(makeApp(server.fetchFn), ctxFor(href));
    document.body.append(view.el);
    await flush();
    return { view, ...server };
  }

  it('with children or infants: no Select (the sellers take adult fares only) and a note saying so', async () => {
    window.history.replaceState(null, '', '/');
    for (const who of ['children=1', 'infants=1']) {
      const { view } = await open(`/search?from=LON&to=NYC&date=2026-12-01&adults=2&${who}`, {
        '/api/v1/searches': () => fakeResponse(searchAnswer()),
        '/api/v1/calendar': () => fakeResponse(calendarAnswer),
      });
      expect(view.el.querySelectorAll('.itin')).toHaveLength(2);
      expect(view.el.querySelectorAll('a[href^="/book?"]')).toHaveLength(0);
      expect(view.el.querySelector('.results-minors')?.textContent).toMatch(/adult fares only/);
      view.destroy?.();
      view.el.remove();
    }
    const { view } = await open('/search?from=LON&to=NYC&date=2026-12-01&adults=2', {
      '/api/v1/searches': () => fakeResponse(searchAnswer()),
      '/api/v1/calendar': () => fakeResponse(calendarAnswer),
    });
    expect(view.el.querySelectorAll('a[href^="/book?"]').length).toBeGreaterThan(0);
    expect(view.el.querySelector('.results-minors')).toBeNull();
    view.destroy?.();
    view.el.remove();
  });

  it('posts every parameter at once, shows the cards, the live count, the facets and the calendar strip', async () => {
    window.history.replaceState(null, '', '/');
    const { view, calls } = await open('/search?from=LON&to=NYC&date=2026-12-01&currency=GBP&stops=0', {
      '/api/v1/searches': () => fakeResponse(searchAnswer()),
      '/api/v1/calendar': () => fakeResponse(calendarAnswer),
    });
    const post = calls.find((c) => c.method === 'POST')!;
    expect(post.body).toMatchObject({ slices: [{ origin: 'LON', destination: 'NYC', date: '2026-12-01' }], currency: 'GBP', filters: { stops: [0] }, sort: 'best', offset: 0, limit: 20 });
    const cal = calls.find((c) => c.url.startsWith('/api/v1/calendar'))!;
    expect(new URL(cal.url, 'http://t').searchParams.get('start')).toBe('2026-11-28');
    expect(view.el.querySelectorAll('.itin')).toHaveLength(2);
    const count = view.el.querySelector('#results-count')!;
    expect(count.getAttribute('aria-live')).toBe('polite');
    expect(count.textContent).toBe('2 of 5 itineraries');
    expect(view.el.querySelectorAll('.cal-day')).toHaveLength(30);
    // Facet filters: airlines by name, the stops filter from the URL checked.
    const labels = Array.from(view.el.querySelectorAll('.results-filters label')).map((l) => l.textContent);
    expect(labels).toContain('British Airways (BA)3 · from €412');
    const nonstop = Array.from(view.el.querySelectorAll<HTMLInputElement>('.results-filters input[type="checkbox"]')).filter((i) => i.closest('fieldset')?.querySelector('legend')?.textContent === 'Stops');
    expect(nonstop.map((i) => i.checked)).toEqual([true, false]);
    view.destroy?.();
  });

  it('a filter change re-posts with the filter and records it in the URL (a history entry)', async () => {
    window.history.replaceState(null, '', '/search?from=LON&to=NYC&date=2026-12-01');
    const { view, calls } = await open('/search?from=LON&to=NYC&date=2026-12-01', {
      '/api/v1/searches': () => fakeResponse(searchAnswer()),
      '/api/v1/calendar': () => fakeResponse(calendarAnswer),
    });
    const before = window.history.length;
    const self = Array.from(view.el.querySelectorAll<HTMLLabelElement>('.results-filters label')).find((l) => l.textContent === 'No self-transfer')!;
    self.querySelector('input')!.click();
    await flush();
    const posts = calls.filter((c) => c.method === 'POST');
    expect(posts).toHaveLength(2);
    expect(posts[1]!.body).toMatchObject({ filters: { no_self_transfer: true } });
    expect(new URLSearchParams(window.location.search).get('noself')).toBe('1');
    expect(window.history.length).toBe(before + 1);
    const sort = view.el.querySelector<HTMLSelectElement>('#sort-select')!;
    sort.value = 'cheapest';
    sort.dispatchEvent(new Event('change'));
    await flush();
    expect(calls.filter((c) => c.method === 'POST')[2]!.body).toMatchObject({ sort: 'cheapest', filters: { no_self_transfer: true } });
    expect(parseResultsQuery(window.location.search).sort).toBe('cheapest');
    view.destroy?.();
  });

  it('pages with offset/limit', async () => {
    window.history.replaceState(null, '', '/');
    const { view, calls } = await open('/search?from=LON&to=NYC&date=2026-12-01&limit=2', {
      '/api/v1/searches': (c) => fakeResponse(searchAnswer(undefined, { total: 5, offset: (c.body as { offset: number }).offset, limit: 2 })),
      '/api/v1/calendar': () => fakeResponse(calendarAnswer),
    });
    expect(view.el.querySelector('.pager-status')?.textContent).toBe('Page 1 of 3');
    expect(view.el.querySelector('#results-count')?.textContent).toBe('5 of 5 itineraries · Showing 1–2 of 5');
    view.el.querySelector<HTMLButtonElement>('.pager-next')!.click();
    await flush();
    expect(calls.filter((c) => c.method === 'POST')[1]!.body).toMatchObject({ offset: 2, limit: 2 });
    expect(new URLSearchParams(window.location.search).get('offset')).toBe('2');
    expect(view.el.querySelector('.pager-status')?.textContent).toBe('Page 2 of 3');
    view.destroy?.();
  });

  it('shows a problem+json 400 naming the field', async () => {
    const problem = { type: 'about:blank', title: 'Bad Request', status: 400, errors: [{ field: 'currency', message: 'unknown currency code' }] };
    const { view } = await open('/search?from=LON&to=NYC&date=2026-12-01&currency=ZAR', {
      '/api/v1/searches': () => fakeResponse(problem, 400, 'application/problem+json'),
      '/api/v1/calendar': () => fakeResponse(problem, 400, 'application/problem+json'),
    });
    const alert = view.el.querySelector<HTMLElement>('.results-error[role="alert"]')!;
    expect(alert.textContent).toBe('Currency: unknown currency code.');
    expect(alert.dataset.fields).toBe('currency');
    expect(view.el.querySelector<HTMLSelectElement>('#currency-select')!.value).toBe('ZAR');
    expect(view.el.querySelector('.calendar-error')?.textContent).toMatch(/Currency: unknown currency code/);
    view.destroy?.();
  });

  it('a round trip sends both slices in one request and shows the 7×7 grid', async () => {
    const { view, calls } = await open('/search?from=LON&to=NYC&date=2026-11-30&return=2026-12-10', {
      '/api/v1/searches': () => fakeResponse(searchAnswer([])),
      '/api/v1/calendar': () => fakeResponse(gridAnswer),
    });
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(1);
    expect((calls.find((c) => c.method === 'POST')!.body as { slices: unknown[] }).slices).toHaveLength(2);
    expect(view.el.querySelectorAll('.date-grid tbody tr')).toHaveLength(7);
    expect(view.el.querySelectorAll('.date-grid tbody td')).toHaveLength(49);
    expect(view.el.querySelector('.results-nomatch')?.textContent).toMatch(/No itineraries match/);
    view.destroy?.();
  });

  it('an unknown currency in the link is not stored nor searched: the remembered one is used, with a notice', async () => {
    localStorage.setItem(CURRENCY_KEY, 'CHF');
    window.history.replaceState(null, '', '/search?from=LON&to=NYC&date=2026-12-01&currency=XYZ');
    const { view, calls } = await open('/search?from=LON&to=NYC&date=2026-12-01&currency=XYZ', {
      '/api/v1/searches': () => fakeResponse(searchAnswer()),
      '/api/v1/calendar': () => fakeResponse(calendarAnswer),
    });
    expect(localStorage.getItem(CURRENCY_KEY)).toBe('CHF');
    expect(calls.find((c) => c.method === 'POST')!.body).toMatchObject({ currency: 'CHF' });
    expect(view.el.querySelector<HTMLSelectElement>('#currency-select')!.value).toBe('CHF');
    expect(view.el.querySelector('.results-currency-note')?.textContent).toMatch(/“XYZ”.*CHF/);
    expect(new URLSearchParams(window.location.search).get('currency')).toBe('CHF');
    view.destroy?.();
    view.el.remove();
    // Nothing remembered: the default, and a later search without currency is fine.
    localStorage.clear();
    const again = await open('/search?from=LON&to=NYC&date=2026-12-01&currency=xyz', {
      '/api/v1/searches': () => fakeResponse(searchAnswer()),
      '/api/v1/calendar': () => fakeResponse(calendarAnswer),
    });
    expect(localStorage.getItem(CURRENCY_KEY)).toBeNull();
    expect(again.calls.find((c) => c.method === 'POST')!.body).toMatchObject({ currency: 'EUR' });
    again.view.destroy?.();
  });

  it('a stored unknown currency (from an older version) is ignored; rememberCurrency refuses unknown codes', () => {
    localStorage.setItem(CURRENCY_KEY, 'XYZ');
    expect(preferredCurrency()).toBe('EUR');
    rememberCurrency('ABC');
    expect(localStorage.getItem(CURRENCY_KEY)).toBe('XYZ');
    rememberCurrency('GBP');
    expect(preferredCurrency()).toBe('GBP');
  });

  it('remembers the chosen currency', async () => {
    window.history.replaceState(null, '', '/');
    const { view, calls } = await open('/search?from=LON&to=NYC&date=2026-12-01', {
      '/api/v1/searches': () => fakeResponse(searchAnswer()),
      '/api/v1/calendar': () => fakeResponse(calendarAnswer),
    });
    const sel = view.el.querySelector<HTMLSelectElement>('#currency-select')!;
    sel.value = 'CHF';
    sel.dispatchEvent(new Event('change'));
    await flush();
    expect(localStorage.getItem(CURRENCY_KEY)).toBe('CHF');
    expect(preferredCurrency()).toBe('CHF');
    expect(calls.filter((c) => c.method === 'POST').pop()!.body).toMatchObject({ currency: 'CHF' });
    expect(new URLSearchParams(window.location.search).get('currency')).toBe('CHF');
    view.destroy?.();
  });
});

describe('results filters (issue 18)', () => {
  async function open(href: string, answer: unknown, extra: Record<string, (c: Call) => Response> = {}) {
    window.history.replaceState(null, '', href);
    const server = fakeServer({ '/api/v1/searches': () => fakeResponse(answer), '/api/v1/calendar': () => fakeResponse(calendarAnswer), ...extra });
    const view = resultsView(makeApp(server.fetchFn), ctxFor(href));
    document.body.append(view.el);
    await flush();
    await flush();
    return { view, ...server };
  }
  const group = (el: HTMLElement, legend: string) => Array.from(el.querySelectorAll<HTMLFieldSetElement>('.results-filters fieldset')).find((f) => f.querySelector('legend')?.textContent === legend)!;

  it('"Reset filters" is enabled as soon as a filter is applied on the page, and resets', async () => {
    const { view, calls } = await open('/search?from=LON&to=NYC&date=2026-12-01', searchAnswer());
    const reset = () => view.el.querySelector<HTMLButtonElement>('.filters-reset')!;
    expect(reset().disabled).toBe(true);
    Array.from(view.el.querySelectorAll<HTMLLabelElement>('.results-filters label')).find((l) => l.textContent === 'No self-transfer')!.querySelector('input')!.click();
    await flush();
    expect(reset().disabled).toBe(false);
    reset().click();
    await flush();
    expect(calls.filter((c) => c.method === 'POST').pop()!.body).not.toHaveProperty('filters');
    expect(reset().disabled).toBe(true);
    view.destroy?.();
  });

  it('layover airports named by the answer itself need no lookup per code', async () => {
    const answer = searchAnswer(undefined, {
      facets: {
        ...searchAnswer().facets,
        layover_airports: [
          { code: 'ZRH', name: 'Zurich Airport', city: 'Zurich', count: 1 },
          { code: 'DUB', name: 'Dublin Airport', city: 'Dublin', count: 2 },
        ],
      },
    });
    const { view, calls } = await open('/search?from=LON&to=NYC&date=2026-12-01', answer);
    const labels = Array.from(group(view.el, 'Layover airports').querySelectorAll('label')).map((l) => l.querySelector('span')!.firstChild!.textContent);
    expect(labels).toEqual(['Dublin Airport (DUB)', 'Zurich Airport (ZRH)']);
    expect(calls.filter((c) => c.url.startsWith('/api/v1/airports?q=DUB') || c.url.startsWith('/api/v1/airports?q=ZRH'))).toHaveLength(0);
    view.destroy?.();
  });

  it('airlines and layover airports sorted by name, layovers named, "only this" on each airline, Nonstop shown disabled with 0', async () => {
    const answer = searchAnswer(undefined, {
      facets: {
        ...searchAnswer().facets,
        stops: [
          { stops: 1, count: 2, min_price: eur(50000) },
          { stops: 2, count: 1, min_price: null },
        ],
        layover_airports: [
          { code: 'ZRH', count: 1 },
          { code: 'DUB', count: 2 },
        ],
      },
    });
    const names: Record<string, { name: string; city: string }> = { DUB: { name: 'Dublin Airport', city: 'Dublin' }, ZRH: { name: 'Altenrhein', city: 'Zurich' } };
    const { view, calls } = await open('/search?from=LON&to=NYC&date=2026-12-01', answer, {
      '/api/v1/airports': (c) => {
        const code = new URL(c.url, 'http://t').searchParams.get('q')!;
        return fakeResponse({ query: code, items: [{ code, kind: 'airport', name: names[code]!.name, city: names[code]!.city, country: 'IE', country_name: 'Ireland' }] });
      },
    });
    const labels = (legend: string) => Array.from(group(view.el, legend).querySelectorAll('label')).map((l) => l.querySelector('span')!.firstChild!.textContent);
    expect(labels('Airlines')).toEqual(['Aer Lingus (EI)', 'British Airways (BA)']);
    expect(labels('Layover airports')).toEqual(['Altenrhein (ZRH)', 'Dublin Airport (DUB)']);
    const stops = Array.from(group(view.el, 'Stops').querySelectorAll<HTMLInputElement>('input'));
    expect(stops.map((i) => [i.value, i.disabled, i.checked])).toEqual([
      ['0', true, false],
      ['1', false, true],
      ['2', false, true],
    ]);
    expect(group(view.el, 'Stops').querySelector('label')!.textContent).toBe('Nonstop0');
    // Unchecking "2 stops" asks for 1 stop only (the disabled Nonstop is not part of the selection).
    stops[2]!.click();
    await flush();
    expect(calls.filter((c) => c.method === 'POST').pop()!.body).toMatchObject({ filters: { stops: [1] } });
    const only = group(view.el, 'Airlines').querySelector<HTMLButtonElement>('.filter-only[data-value="EI"]')!;
    expect(only.getAttribute('aria-label')).toBe('Only Aer Lingus (EI)');
    only.click();
    await flush();
    expect(calls.filter((c) => c.method === 'POST').pop()!.body).toMatchObject({ filters: { carriers: ['EI'] } });
    expect(Array.from(group(view.el, 'Airlines').querySelectorAll<HTMLInputElement>('input')).map((i) => [i.value, i.checked])).toEqual([
      ['EI', true],
      ['BA', false],
    ]);
    expect(document.activeElement).toBe(group(view.el, 'Airlines').querySelector('.filter-only[data-value="EI"]'));
    view.destroy?.();
  });

  it('round trip: "maximum duration (each flight)" offers each slice\'s hours, not only the whole trip\'s', async () => {
    const out = nonstopRaw.slices[0]!;
    const back = { ...out, origin: 'JFK', destination: 'LHR', duration_minutes: 420 };
    const round = { ...nonstopRaw, duration_minutes: 900, slices: [out, back] };
    const answer = searchAnswer([round], { facets: { ...searchAnswer().facets, duration_range: { min: 900, max: 1500 } } });
    const { view } = await open('/search?from=LON&to=NYC&date=2026-12-01&return=2026-12-10', answer);
    const label = Array.from(view.el.querySelectorAll('.results-filters label')).find((l) => l.textContent === 'Maximum duration (each flight)')!;
    const sel = view.el.querySelector<HTMLSelectElement>(`#${label.getAttribute('for')}`)!;
    const values = Array.from(sel.options).map((o) => o.value).filter(Boolean).map(Number);
    expect(values[0]).toBe(420);
    expect(values).toContain(480);
    expect(values[values.length - 1]).toBe(1080);
    view.destroy?.();
  });

  it('round trip: with the server\'s per-slice ranges, "maximum duration (each flight)" follows them', async () => {
    const out = nonstopRaw.slices[0]!;
    const back = { ...out, origin: 'JFK', destination: 'LHR', duration_minutes: 420 };
    const round = { ...nonstopRaw, duration_minutes: 900, slices: [out, back] };
    const answer = searchAnswer([round], {
      facets: { ...searchAnswer().facets, duration_range: { min: 900, max: 1500 }, slice_duration_ranges: [{ min: 480, max: 600 }, { min: 300, max: 720 }] },
    });
    const { view } = await open('/search?from=LON&to=NYC&date=2026-12-01&return=2026-12-10', answer);
    const label = Array.from(view.el.querySelectorAll('.results-filters label')).find((l) => l.textContent === 'Maximum duration (each flight)')!;
    const sel = view.el.querySelector<HTMLSelectElement>(`#${label.getAttribute('for')}`)!;
    const values = Array.from(sel.options).map((o) => o.value).filter(Boolean).map(Number);
    expect(values[0]).toBe(300);
    expect(values[values.length - 1]).toBe(720);
    view.destroy?.();
  });

  it('"Skip to results" is the first focusable element of the page and moves focus to the list', async () => {
    const { view } = await open('/search?from=LON&to=NYC&date=2026-12-01', searchAnswer());
    const focusable = Array.from(view.el.querySelectorAll<HTMLElement>('a[href], button, input, select, [tabindex]')).filter((e) => e.getAttribute('tabindex') !== '-1' && !(e as HTMLButtonElement).disabled);
    expect(focusable[0]!.textContent).toBe('Skip to results');
    // Nothing focusable between the heading (focused on arrival) and the link.
    const heading = view.el.querySelector('#page-title')!;
    expect(heading.compareDocumentPosition(focusable[0]!) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    focusable[0]!.click();
    expect(document.activeElement?.id).toBe('results-list-title');
    view.destroy?.();
  });
});

describe('price calendar and date grid', () => {
  const q = parseResultsQuery('from=LON&to=NYC&date=2026-12-01&adults=2&currency=USD&cabin=business');

  it('asks for 30 days from three days before (not before today), with the search parameters', () => {
    expect(calendarStart('2026-12-01', '2026-11-23')).toBe('2026-11-28');
    expect(calendarStart('2026-11-24', '2026-11-23')).toBe('2026-11-23');
    const u = new URL(calendarUrl(q, '2026-11-23'), 'http://t');
    expect(u.pathname).toBe('/api/v1/calendar');
    expect(Object.fromEntries(u.searchParams)).toEqual({ origin: 'LON', destination: 'NYC', start: '2026-11-28', days: '30', currency: 'USD', cabin: 'business', adults: '2' });
    const g = new URL(gridUrl(parseResultsQuery('from=LON&to=NYC&date=2026-12-01&return=2026-12-08')), 'http://t');
    expect(g.searchParams.get('depart')).toBe('2026-12-01');
    expect(g.searchParams.get('return')).toBe('2026-12-08');
  });

  it('highlights the cheapest day and links every day to a new search', () => {
    const cal = normalizeCalendar(calendarAnswer);
    expect(cheapestDay(cal.days)).toBe(12);
    const strip = renderCalendarStrip(cal, q);
    const days = strip.querySelectorAll<HTMLAnchorElement>('.cal-day');
    expect(days).toHaveLength(30);
    const cheapest = strip.querySelectorAll<HTMLAnchorElement>('.is-cheapest');
    expect(cheapest).toHaveLength(1);
    expect(cheapest[0]!.dataset.date).toBe('2026-12-10');
    expect(cheapest[0]!.getAttribute('aria-label')).toBe('Thursday 10 December: from 312.00 EUR, cheapest day');
    expect(parseResultsQuery(cheapest[0]!.getAttribute('href')!.split('?')[1]!)).toMatchObject({ slices: [{ date: '2026-12-10' }], adults: 2, currency: 'USD' });
    const current = strip.querySelector('[aria-current="date"]') as HTMLElement;
    expect(current.dataset.date).toBe('2026-12-01');
    expect(strip.querySelectorAll('.is-unpriced').length).toBeGreaterThan(0);
  });

  it('draws the 7×7 grid with the cheapest pair and links to that pair', () => {
    const grid = normalizeGrid(gridAnswer)!;
    expect(cheapestCell(grid)).toEqual([2, 5]);
    const rq = parseResultsQuery('from=LON&to=NYC&date=2026-11-30&return=2026-12-10');
    const table = renderDateGrid(grid, rq);
    expect(table.querySelectorAll('thead th')).toHaveLength(8);
    expect(table.querySelectorAll('tbody th[scope="row"]')).toHaveLength(7);
    const best = table.querySelector<HTMLElement>('td.is-cheapest')!;
    expect(best.dataset.depart).toBe('2026-11-30');
    expect(best.dataset.return).toBe('2026-12-10');
    expect(best.classList.contains('is-selected')).toBe(true);
    const href = best.querySelector('a')!.getAttribute('href')!;
    expect(parseResultsQuery(href.split('?')[1]!).slices.map((s) => s.date)).toEqual(['2026-11-30', '2026-12-10']);
  });

  it('leaves impossible cells (return before departure) without a link', () => {
    const raw = structuredClone(gridAnswer);
    (raw.grid.cells[6] as unknown[])[0] = null;
    const table = renderDateGrid(normalizeGrid(raw)!, parseResultsQuery('from=LON&to=NYC&date=2026-11-30&return=2026-12-10'));
    expect(table.querySelectorAll('td.is-invalid')).toHaveLength(1);
    expect(table.querySelectorAll('td.is-invalid a')).toHaveLength(0);
  });
});

describe('explore', () => {
  const answer = {
    origin: 'ZRH',
    currency: 'EUR',
    date: '2026-12-01',
    destinations: [
      { code: 'JFK', name: 'John F. Kennedy', city: 'New York', country: 'US', continent: 'NA', lat: 40.64, lon: -73.78, price: eur(52000), date: '2026-12-01', stops: 1, duration_minutes: 600 },
      { code: 'LHR', name: 'London Heathrow', city: 'London', country: 'GB', continent: 'EU', lat: 51.47, lon: -0.45, price: eur(9500), date: '2026-12-01', stops: 0, duration_minutes: 95 },
      { code: 'SYD', name: 'Sydney', city: 'Sydney', country: 'AU', continent: 'OC', lat: -33.95, lon: 151.18, price: eur(140000), date: '2026-12-02', stops: 1, duration_minutes: 1400 },
      { code: 'BAD', lat: 300, lon: 0, price: eur(1) },
    ],
  };

  it('keeps its state in the URL and builds the API call', () => {
    const q = parseExploreQuery('from=zrh&month=2026-12&region=eu&maxprice=300&currency=CHF', 'EUR');
    expect(q).toEqual({ origin: 'ZRH', date: '', month: '2026-12', region: 'EU', maxPrice: 300, currency: 'CHF', maxStops: 1 });
    expect(parseExploreQuery(exploreQueryString(q), 'EUR')).toEqual(q);
    expect(Object.fromEntries(new URL(exploreUrl(q), 'http://t').searchParams)).toEqual({ origin: 'ZRH', month: '2026-12', region: 'EU', max_price: '300', currency: 'CHF', max_stops: '1' });
  });

  it('projects a known place inside the viewBox, in the right quadrant', () => {
    const p = mapProjection();
    const zrh = project(p, 47.46, 8.55)!;
    const syd = project(p, -33.95, 151.18)!;
    for (const [x, y] of [zrh, syd]) {
      expect(x).toBeGreaterThan(0);
      expect(x).toBeLessThan(MAP_WIDTH);
      expect(y).toBeGreaterThan(0);
      expect(y).toBeLessThan(MAP_HEIGHT);
    }
    // Zurich: a little east of the middle, in the northern half; Sydney: far east, southern half.
    expect(zrh[0]).toBeGreaterThan(MAP_WIDTH / 2);
    expect(zrh[1]).toBeLessThan(MAP_HEIGHT / 2);
    expect(syd[0]).toBeGreaterThan(zrh[0]);
    expect(syd[1]).toBeGreaterThan(MAP_HEIGHT / 2);
  });

  it('draws the countries from the bundled atlas and one marker per destination, cheaper = bigger', async () => {
    const res = normalizeExplore(answer);
    expect(res.destinations.map((d) => d.code)).toEqual(['LHR', 'JFK', 'SYD']);
    const countries = await loadCountries();
    expect(countries.features.length).toBeGreaterThan(150);
    const map = renderMap(countries, res.destinations);
    expect(map.getAttribute('viewBox')).toBe(`0 0 ${MAP_WIDTH} ${MAP_HEIGHT}`);
    expect(map.querySelectorAll('.map-country').length).toBeGreaterThan(150);
    const markers = Array.from(map.querySelectorAll('circle.map-marker'));
    expect(markers).toHaveLength(3);
    const lhr = markers.find((m) => m.getAttribute('data-code') === 'LHR')!;
    const syd = markers.find((m) => m.getAttribute('data-code') === 'SYD')!;
    expect(Number(lhr.getAttribute('r'))).toBe(markerRadius(0));
    expect(Number(lhr.getAttribute('r'))).toBeGreaterThan(Number(syd.getAttribute('r')));
    expect(lhr.querySelector('title')?.textContent).toBe(`London, United Kingdom · London Heathrow (LHR) — €95.00 · ${formatTravelDate('2026-12-01')} · nonstop · 1h 35m`);
    for (const m of markers) {
      const x = Number(m.getAttribute('cx'));
      const y = Number(m.getAttribute('cy'));
      expect(x > 0 && x < MAP_WIDTH && y > 0 && y < MAP_HEIGHT).toBe(true);
    }
  });

  it('lists destinations by price, each linking to a search', () => {
    const q = parseExploreQuery('from=ZRH&date=2026-12-01', 'EUR');
    const list = renderDestinationList(q, normalizeExplore(answer).destinations);
    const items = Array.from(list.querySelectorAll<HTMLElement>('li'));
    expect(items.map((i) => i.dataset.code)).toEqual(['LHR', 'JFK', 'SYD']);
    const a = items[2]!.querySelector('a')!;
    expect(a.getAttribute('href')).toBe('/search?from=ZRH&to=SYD&date=2026-12-02&currency=EUR');
    expect(a.getAttribute('aria-label')).toBe(`Sydney, Australia — Sydney (SYD): from 1400.00 EUR on ${formatTravelDate('2026-12-02')}, 1 stop, 23h 20m`);
  });

  it('the page calls GET /explore and renders map, list and count', async () => {
    const server = fakeServer({ '/api/v1/explore': () => fakeResponse(answer) });
    const view = exploreView(makeApp(server.fetchFn), ctxFor('/explore?from=ZRH&date=2026-12-01&region=EU'));
    document.body.append(view.el);
    await vi.waitFor(() => expect(view.el.querySelectorAll('.explore-item')).toHaveLength(3));
    expect(server.calls.some((c) => c.url === '/api/v1/explore?origin=ZRH&date=2026-12-01&region=EU&currency=EUR&max_stops=1')).toBe(true);
    expect(view.el.querySelectorAll('svg.explore-map circle')).toHaveLength(3);
    expect(view.el.querySelector('#explore-count')?.textContent).toBe('3 destinations from ZRH, cheapest €95.00');
    view.destroy?.();
  });

  it('an unknown currency in the link falls back to the remembered one, with a notice, and is not stored', async () => {
    localStorage.setItem(CURRENCY_KEY, 'GBP');
    const server = fakeServer({ '/api/v1/explore': () => fakeResponse(answer) });
    const view = exploreView(makeApp(server.fetchFn), ctxFor('/explore?from=ZRH&date=2026-12-01&currency=XYZ'));
    document.body.append(view.el);
    await vi.waitFor(() => expect(view.el.querySelectorAll('.explore-item')).toHaveLength(3));
    expect(server.calls.some((c) => c.url.includes('currency=GBP'))).toBe(true);
    expect(view.el.querySelector('.explore-currency-note')?.textContent).toMatch(/“XYZ”.*GBP/);
    expect(localStorage.getItem(CURRENCY_KEY)).toBe('GBP');
    view.destroy?.();
  });
});
