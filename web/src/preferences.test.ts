/**
 * Profile preferences applied to searches (issue 18): the profile's currency
 * is the search's unless the URL names one; its cabin and home airport
 * prefill the home page's form, also when the profile arrives while another
 * page (sign-in?next=/) is shown.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Profile } from './accountApi';
import { ProfileStore, type App } from './app';
import type { FetchFn } from './api';
import { CURRENCY_KEY } from './currency';
import { preferenceApplier, preferencePatch, profileCurrency, searchCurrency } from './preferences';
import { resolve, type RouteContext, type Router } from './router';
import { mountSearchForm, type SearchFormHandle } from './searchForm';
import { searchAnswer } from './testSearchData';
import { fakeResponse, flush, tableFetch, ZRH } from './testUtils';
import { resultsView } from './views/results';

const profile = (over: Partial<Profile> = {}): Profile => ({
  id: 'u_1',
  email: 'ada@example.com',
  role: 'user',
  email_verified: true,
  name: 'Ada',
  home_airport: 'ZRH',
  currency: 'GBP',
  cabin: 'business',
  notifications: { email: false, webhook: false, in_app: false },
  created_at: 0,
  ...over,
});

afterEach(() => {
  document.body.replaceChildren();
  localStorage.clear();
  window.history.replaceState(null, '', '/');
});

describe('currency of a search', () => {
  it("the profile's (a known code) before the remembered one; else the remembered one, else EUR", () => {
    localStorage.setItem(CURRENCY_KEY, 'CHF');
    expect(searchCurrency(profile())).toBe('GBP');
    expect(searchCurrency(profile({ currency: 'gbp' }))).toBe('GBP');
    expect(searchCurrency(profile({ currency: null }))).toBe('CHF');
    expect(searchCurrency(profile({ currency: 'XYZ' }))).toBe('CHF');
    expect(searchCurrency(null)).toBe('CHF');
    localStorage.clear();
    expect(searchCurrency(null)).toBe('EUR');
    expect(profileCurrency(profile({ currency: 'XYZ' }))).toBeNull();
  });
});

describe('form prefill', () => {
  it('home airport (only into an empty origin) and a searchable cabin', () => {
    expect(preferencePatch(profile(), true)).toEqual({ origin: 'ZRH', cabin: 'business' });
    expect(preferencePatch(profile(), false)).toEqual({ cabin: 'business' });
    expect(preferencePatch(profile({ cabin: 'first', home_airport: null }), true)).toEqual({ cabin: 'first' });
    expect(preferencePatch(profile({ cabin: 'premium_economy', home_airport: null }), true)).toEqual({ cabin: 'premium_economy' });
  });

  it('a profile loaded on another page (sign-in?next=/) fills the form once the home page is shown', async () => {
    document.body.innerHTML = '<div id="root"></div>';
    const form: SearchFormHandle = mountSearchForm(document.getElementById('root')!, { fetchFn: tableFetch({ zrh: [ZRH] }), today: () => '2030-01-01' });
    let onHome = false;
    let search = '?next=%2F';
    let p: Profile | null = null;
    const prefs = preferenceApplier({ profile: () => p, form: () => form, onHome: () => onHome, search: () => search });
    prefs.apply(); // no profile yet
    p = profile();
    prefs.apply(); // signed in on /sign-in?next=/: not yet
    expect(form.getState().cabin).toBe('economy');
    onHome = true;
    search = '';
    prefs.apply();
    await flush();
    await flush();
    expect(form.getState()).toMatchObject({ origin: 'ZRH', cabin: 'business' });
    // Once per page load: a later call leaves what the user changed alone.
    (document.getElementById('cabin-input') as HTMLSelectElement).value = 'economy';
    prefs.apply();
    expect(form.getState().cabin).toBe('economy');
    form.destroy();
  });

  it('not over a search the URL carries', () => {
    document.body.innerHTML = '<div id="root"></div>';
    const form = mountSearchForm(document.getElementById('root')!, { fetchFn: tableFetch({}), today: () => '2030-01-01' });
    const setState = vi.spyOn(form, 'setState');
    preferenceApplier({ profile: () => profile(), form: () => form, onHome: () => true, search: () => '?from=LON&to=NYC' }).apply();
    expect(setState).not.toHaveBeenCalled();
    form.destroy();
  });
});

describe('results page currency', () => {
  function ctxFor(href: string): RouteContext {
    const r = resolve(href, false);
    if (r.kind !== 'render') throw new Error('unexpected redirect');
    return { route: r.route, url: r.url, flash: null, initial: false };
  }
  async function open(href: string, store: ProfileStore, signedIn: boolean) {
    const posts: Record<string, unknown>[] = [];
    const fetchFn: FetchFn = async (url, init) => {
      if (init?.method === 'POST') posts.push(JSON.parse(String(init.body)));
      return new URL(url, 'http://t').pathname === '/api/v1/searches' ? fakeResponse(searchAnswer()) : fakeResponse({ query: '', items: [] });
    };
    const app = {
      fetchFn,
      session: { signedIn },
      profile: store,
      router: { navigate: vi.fn(), refresh: vi.fn(), route: null } as unknown as Router,
      announce: vi.fn(),
      toast: vi.fn(),
      today: () => '2026-11-23',
      download: vi.fn(),
    } as unknown as App;
    window.history.replaceState(null, '', href);
    const view = resultsView(app, ctxFor(href));
    document.body.append(view.el);
    await flush();
    await flush();
    return { view, posts };
  }

  it("a signed-in user's GBP is the search's currency unless the URL names one", async () => {
    localStorage.setItem(CURRENCY_KEY, 'CHF');
    const loaded = new ProfileStore(async () => profile());
    await loaded.load();
    const a = await open('/search?from=LON&to=NYC&date=2026-12-01', loaded, true);
    expect(a.posts[0]).toMatchObject({ currency: 'GBP' });
    a.view.destroy?.();
    const b = await open('/search?from=LON&to=NYC&date=2026-12-01&currency=USD', loaded, true);
    expect(b.posts[0]).toMatchObject({ currency: 'USD' });
    b.view.destroy?.();
  });

  it('after a reload the first search waits for the profile', async () => {
    const pending = new ProfileStore(async () => profile());
    const { view, posts } = await open('/search?from=LON&to=NYC&date=2026-12-01', pending, true);
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatchObject({ currency: 'GBP' });
    expect(view.el.querySelector<HTMLSelectElement>('#currency-select')!.value).toBe('GBP');
    expect(new URLSearchParams(window.location.search).get('currency')).toBe('GBP');
    view.destroy?.();
  });
});
