import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FetchFn } from './api';
import { setDateLocale } from './dates';
import { cheapestDestinations, defaultDates, loadRecent, mountHome, popularOrigin, RECENT_KEY, recordSearch, type RecentSearch } from './home';
import { mountSearchForm, type SearchState } from './searchForm';
import { eur } from './testSearchData';
import { MemoryStorage } from './testServer';
import { fakeResponse, flush, JFK, NYC, ZRH } from './testUtils';

const base: SearchState = { trip: 'round', origin: 'ZRH', destination: 'NYC', depart: '2030-01-08', return: '2030-01-15', adults: 1, children: 0, infants: 0, cabin: 'economy', legs: [] };
const entry = (over: Partial<SearchState>, names = { fromName: 'Zürich Airport', toName: 'New York' }): RecentSearch => ({ state: { ...base, ...over }, ...names });

const dest = (code: string, minor: number, date = '2030-01-08') => ({ code, name: `${code} Airport`, city: `City ${code}`, country: 'XX', continent: 'EU', lat: 10, lon: 10, price: eur(minor), date, stops: 0, duration_minutes: 90 });

afterEach(() => {
  document.body.replaceChildren();
  setDateLocale(undefined);
});

describe('home page helpers (issue 18)', () => {
  it('default dates: departure a week ahead, return a week later', () => {
    expect(defaultDates('2030-01-01')).toEqual({ depart: '2030-01-08', return: '2030-01-15' });
    expect(defaultDates('2030-12-28')).toEqual({ depart: '2031-01-04', return: '2031-01-11' });
  });

  it('keeps the last 5 searches, newest first, the same search moved up, bad entries dropped', () => {
    const st = new MemoryStorage();
    for (let i = 1; i <= 7; i++) recordSearch(st, entry({ depart: `2030-01-0${i}`, return: '2030-01-20' }));
    let list = loadRecent(st);
    expect(list.map((r) => r.state.depart)).toEqual(['2030-01-07', '2030-01-06', '2030-01-05', '2030-01-04', '2030-01-03']);
    recordSearch(st, entry({ depart: '2030-01-05', return: '2030-01-20' }));
    list = loadRecent(st);
    expect(list.map((r) => r.state.depart)).toEqual(['2030-01-05', '2030-01-07', '2030-01-06', '2030-01-04', '2030-01-03']);
    st.setItem(RECENT_KEY, JSON.stringify([{ state: { trip: 'round', origin: 'x' } }, entry({})]));
    expect(loadRecent(st)).toHaveLength(1);
    st.setItem(RECENT_KEY, '{not json');
    expect(loadRecent(st)).toEqual([]);
  });

  it('popular destinations are from the home airport, else the last search’s origin', () => {
    expect(popularOrigin('lhr', [entry({})])).toBe('LHR');
    expect(popularOrigin(null, [entry({ origin: 'ZRH' })])).toBe('ZRH');
    expect(popularOrigin('', [])).toBe('');
  });

  it('the cheapest 6 of an explore answer, regions included', () => {
    const body = { origin: 'ZRH', currency: 'EUR', destinations: [dest('AAA', 900), dest('BBB', 100)], regions: [{ code: 'EU', destinations: [dest('CCC', 300), dest('DDD', 200), dest('EEE', 500), dest('FFF', 400), dest('GGG', 50), dest('BBB', 100)] }] };
    expect(cheapestDestinations(body).map((d) => d.code)).toEqual(['GGG', 'BBB', 'DDD', 'CCC', 'FFF', 'EEE']);
  });
});

describe('mountHome', () => {
  function setup(opts: { search?: string; homeAirport?: string | null; recent?: RecentSearch[] } = {}) {
    const st = new MemoryStorage();
    for (const r of [...(opts.recent ?? [])].reverse()) recordSearch(st, r);
    const calls: string[] = [];
    const fetchFn: FetchFn = vi.fn(async (url: string) => {
      calls.push(url);
      if (url.includes('/explore')) return fakeResponse({ origin: 'ZRH', currency: 'EUR', destinations: [1, 2, 3, 4, 5, 6, 7].map((i) => dest(`AA${i}`, 1000 - i * 100, '2030-01-09')) });
      const q = new URL(url, 'http://t.invalid').searchParams.get('q')?.toLowerCase() ?? '';
      return fakeResponse({ query: q, items: q === 'zrh' ? [ZRH] : q === 'nyc' ? [NYC, JFK] : [] });
    }) as unknown as FetchFn;
    const formRoot = document.createElement('div');
    const extra = document.createElement('div');
    document.body.append(formRoot, extra);
    const form = mountSearchForm(formRoot, { fetchFn, syncUrl: false, today: () => '2030-01-01' });
    const home = mountHome({ form, root: extra, today: () => '2030-01-01', storage: st, fetchFn, search: () => opts.search ?? '', currency: () => 'EUR', homeAirport: () => opts.homeAirport ?? null });
    return { st, calls, form, home, extra, formRoot };
  }

  it('fills the default dates into an untouched form, not over a shared search', async () => {
    const a = setup();
    a.home.fillDefaults();
    await flush();
    expect(a.form.getState()).toMatchObject({ depart: '2030-01-08', return: '2030-01-15' });
    a.form.destroy();
    document.body.replaceChildren();
    const b = setup({ search: '?from=ZRH&to=NYC&depart=2030-03-01' });
    b.home.fillDefaults();
    await flush();
    expect(b.form.getState().depart).toBe('');
    b.form.destroy();
  });

  it('lists the recent searches as links to their results', async () => {
    setDateLocale('en-GB');
    const { extra, form } = setup({ recent: [entry({}), entry({ trip: 'oneway', origin: 'ZRH', destination: 'JFK', depart: '2030-02-01', return: '' }, { fromName: 'Zürich Airport', toName: 'John F. Kennedy International Airport' })] });
    await flush();
    const links = Array.from(extra.querySelectorAll<HTMLAnchorElement>('.home-recent-link'));
    expect(links.map((a) => a.textContent)).toEqual(['Zürich Airport → New York · Tue 8 Jan – Tue 15 Jan', 'Zürich Airport → John F. Kennedy International Airport · Fri 1 Feb']);
    expect(links[0]!.getAttribute('href')).toMatch(/^\/search\?.*from=ZRH.*to=NYC/);
    expect(links[0]!.getAttribute('href')).toContain('2030-01-15');
    expect(extra.querySelector('#home-recent-title')?.textContent).toBe('Your recent searches');
    form.destroy();
  });

  it('shows nothing without recent searches or a home airport (no explore request)', async () => {
    const { extra, calls, form } = setup();
    await flush();
    expect(extra.querySelector<HTMLElement>('.home-recent')!.hidden).toBe(true);
    expect(extra.querySelector<HTMLElement>('.home-popular')!.hidden).toBe(true);
    expect(calls.filter((u) => u.includes('/explore'))).toEqual([]);
    form.destroy();
  });

  it('popular destinations from the home airport: the cheapest 6 with prices, each a link to the search', async () => {
    const { extra, calls, form } = setup({ homeAirport: 'ZRH', recent: [entry({ origin: 'NYC', destination: 'ZRH' })] });
    await vi.waitFor(() => expect(extra.querySelectorAll('.home-popular-link')).toHaveLength(6));
    const url = new URL(calls.find((u) => u.includes('/explore'))!, 'http://t.invalid');
    expect(url.pathname).toBe('/api/v1/explore');
    expect(url.searchParams.get('origin')).toBe('ZRH');
    expect(url.searchParams.get('date')).toBe('2030-01-08');
    const first = extra.querySelector<HTMLAnchorElement>('.home-popular-link')!;
    expect(first.dataset.code).toBe('AA7');
    expect(first.querySelector('.home-popular-price')?.textContent).toMatch(/^from €3/);
    const href = new URL(first.href, 'http://t.invalid');
    expect(href.pathname).toBe('/search');
    expect(href.searchParams.get('from')).toBe('ZRH');
    expect(href.searchParams.get('to')).toBe('AA7');
    expect(href.search).toContain('2030-01-09');
    expect(extra.querySelector('#home-popular-title')?.textContent).toBe('Popular from ZRH');
    form.destroy();
  });

  it('without a home airport: from the last search’s origin; a search made is recorded', async () => {
    const { extra, calls, form, home } = setup({ recent: [entry({ origin: 'NYC', destination: 'ZRH' })] });
    await vi.waitFor(() => expect(extra.querySelectorAll('.home-popular-link').length).toBeGreaterThan(0));
    expect(new URL(calls.find((u) => u.includes('/explore'))!, 'http://t.invalid').searchParams.get('origin')).toBe('NYC');
    home.record({ ...base, depart: '2030-02-02', return: '2030-02-09' });
    expect(extra.querySelectorAll('.home-recent-link')).toHaveLength(2);
    expect(extra.querySelector('.home-recent-link')?.textContent).toContain('ZRH → NYC');
    form.destroy();
  });
});
