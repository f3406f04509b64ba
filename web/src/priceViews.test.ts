// The results page with price history (issue 16): the insight badge over the results (one way
// only) and the price graphs of the route under the calendar, fed by the search answer and
// GET /api/v1/price-history.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { App } from './app';
import type { FetchFn } from './api';
import { setDateLocale } from './dates';
import { resolve, type RouteContext, type Router } from './router';
import { eur, searchAnswer } from './testSearchData';
import { fakeResponse, flush } from './testUtils';
import { resultsView } from './views/results';

beforeAll(() => setDateLocale('en-GB'));
afterAll(() => setDateLocale(undefined));

function ctxFor(href: string): RouteContext {
  const r = resolve(href, false);
  if (r.kind !== 'render') throw new Error('unexpected redirect');
  return { route: r.route, url: r.url, flash: null, initial: false };
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

const insight = { level: 'high', typical_low_minor: 30000, typical_high_minor: 38000, currency: 'EUR', basis: { sample_size: 40, bucket: '7-13' } };
const history = {
  origin: 'LON',
  destination: 'NYC',
  departure_date: '2026-12-01',
  cabin: 'economy',
  currency: 'EUR',
  history: [{ observed_at: '2026-11-22T10:00:00Z', span: 'hour', price: eur(41000) }],
  by_departure_date: { from: '2026-11-23', to: '2027-01-21', days: [{ date: '2026-12-01', price: eur(41000), lowest: eur(41000), observed_at: '2026-11-22T10:00:00Z' }] },
  insight,
};

async function open(href: string, answer: unknown, historyAnswer: unknown = history) {
  window.history.replaceState(null, '', href);
  const urls: string[] = [];
  const fetchFn: FetchFn = async (url) => {
    urls.push(url);
    const path = new URL(url, 'http://t.invalid').pathname;
    if (path === '/api/v1/searches') return fakeResponse(answer);
    if (path === '/api/v1/price-history') return fakeResponse(historyAnswer);
    return fakeResponse({ origin: 'LON', destination: 'NYC', currency: 'EUR', days: [] });
  };
  const view = resultsView(makeApp(fetchFn), ctxFor(href));
  document.body.append(view.el);
  await flush();
  await flush();
  return { view, urls };
}

describe('results page: price insight and history', () => {
  it('shows the badge with the band for a one-way search, and the graphs of the route', async () => {
    const { view, urls } = await open('/search?from=LON&to=NYC&date=2026-12-01', { ...searchAnswer(), insight });
    const badge = view.el.querySelector('.insight-badge')!;
    expect(badge.classList.contains('insight-high')).toBe(true);
    expect(badge.textContent).toBe('Prices are high for this trip Usually €300–€380 at this time before departure.');
    expect(urls.some((u) => u.startsWith('/api/v1/price-history?origin=LON&destination=NYC&departure_date=2026-12-01'))).toBe(true);
    const section = view.el.querySelector<HTMLElement>('.results-history')!;
    expect(section.hidden).toBe(false);
    expect(section.querySelector('h2')!.textContent).toBe('Price history');
    expect(section.querySelectorAll('figure.price-graph')).toHaveLength(2);
    expect(section.textContent).toContain('1 observation for 2026-12-01');
    view.destroy?.();
    view.el.remove();
  });

  it('no badge on a round trip or without an insight; a null level says there is too little history', async () => {
    let { view } = await open('/search?from=LON&to=NYC&date=2026-12-01&return=2026-12-08', { ...searchAnswer(), insight });
    expect(view.el.querySelector('.insight-badge')).toBeNull();
    expect(view.el.querySelector('.results-history h2')!.textContent).toBe('Outbound price history');
    view.destroy?.();
    view.el.remove();
    ({ view } = await open('/search?from=LON&to=NYC&date=2026-12-01', searchAnswer()));
    expect(view.el.querySelector('.insight-badge')).toBeNull();
    view.destroy?.();
    view.el.remove();
    ({ view } = await open('/search?from=LON&to=NYC&date=2026-12-01', { ...searchAnswer(), insight: { level: null, currency: 'EUR', reason: 'too few observations' } }));
    expect(view.el.querySelector('.insight-badge')!.textContent).toBe('Not enough price history for this trip yet');
    view.destroy?.();
    view.el.remove();
  });

  it('no empty charts when nothing is recorded for the route, and the history comes after the results', async () => {
    const empty = { ...history, history: [], by_departure_date: { from: '2026-11-23', to: '2027-01-21', days: [] }, insight: null };
    let { view } = await open('/search?from=LON&to=NYC&date=2026-12-01', searchAnswer(), empty);
    expect(view.el.querySelector<HTMLElement>('.results-history')!.hidden).toBe(true);
    view.destroy?.();
    view.el.remove();
    ({ view } = await open('/search?from=LON&to=NYC&date=2026-12-01', searchAnswer()));
    const main = view.el.querySelector('.results-main')!;
    const kids = Array.from(main.children);
    expect(kids.indexOf(main.querySelector('.results-history')!)).toBeGreaterThan(kids.indexOf(main.querySelector('.results-lists')!));
    view.destroy?.();
    view.el.remove();
  });
});
