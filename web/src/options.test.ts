/**
 * One definition of cabins and currencies (options.ts): the search form, the
 * currency selector of the results and explore pages and the account page
 * offer the same ones, and a saved cabin a search cannot be priced in
 * ("first") is shown as what it is and kept, never turned into economy.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AccountApi, type Profile } from './accountApi';
import { ProfileStore, type App } from './app';
import { currencySelect } from './currency';
import { CABINS, CURRENCIES, isCabin, isSearchCabin, SEARCH_CABINS } from './options';
import { resolve, type RouteContext, type Router } from './router';
import { mountSearchForm } from './searchForm';
import { Session } from './session';
import { FakeAuthServer, ManualTimers, MemoryStorage } from './testServer';
import { tableFetch } from './testUtils';
import { validateProfile } from './validators';
import { accountView } from './views/account';

const PROFILE: Profile = {
  id: 'usr_1',
  email: 'ada@example.com',
  role: 'user',
  email_verified: true,
  name: 'Ada Lovelace',
  home_airport: null,
  currency: 'CHF',
  cabin: 'first',
  notifications: { email: true, webhook: false, in_app: true },
  created_at: 0,
};

type Opt = { value: string; label: string };
const optionsOf = (s: HTMLSelectElement): Opt[] => Array.from(s.options).map((o) => ({ value: o.value, label: o.textContent ?? '' }));

function ctxFor(href: string): RouteContext {
  const r = resolve(href, true);
  if (r.kind !== 'render') throw new Error('unexpected redirect');
  return { route: r.route, url: r.url, flash: null, initial: false };
}

async function openAccount(profile: Profile): Promise<{ app: App; root: HTMLElement; cabin: HTMLSelectElement; currency: HTMLSelectElement }> {
  const server = new FakeAuthServer();
  const timers = new ManualTimers();
  const session = new Session({ fetchFn: server.fetch, storage: new MemoryStorage(), now: () => server.now, setTimer: timers.set, clearTimer: timers.clear });
  await session.signIn('ada@example.com', 'correct horse battery');
  const app: App = {
    session,
    api: new AccountApi(session, server.fetch),
    profile: new ProfileStore(async () => profile),
    router: { navigate: vi.fn(), refresh: vi.fn(), route: null } as unknown as Router,
    announce: vi.fn(),
    toast: vi.fn(),
    today: () => '2026-11-23',
    download: vi.fn(),
  };
  const view = accountView(app, ctxFor('/account'));
  document.body.append(view.el);
  await vi.waitFor(() => expect(view.el.querySelector('select[name="cabin"]')).not.toBeNull());
  return {
    app,
    root: view.el,
    cabin: view.el.querySelector<HTMLSelectElement>('select[name="cabin"]')!,
    currency: view.el.querySelector<HTMLSelectElement>('select[name="currency"]')!,
  };
}

afterEach(() => {
  document.body.replaceChildren();
  vi.restoreAllMocks();
});

describe('cabins and currencies', () => {
  it('are defined once: the profile holds the four cabins the server accepts, and a search prices each', () => {
    // src/accounts/profile.c and src/api/searches.c.
    expect(CABINS.map((c) => c.value)).toEqual(['economy', 'premium_economy', 'business', 'first']);
    expect(SEARCH_CABINS.map((c) => c.value)).toEqual(['economy', 'premium_economy', 'business', 'first']);
    expect(isCabin('first') && isSearchCabin('first') && isSearchCabin('premium_economy')).toBe(true);
    expect(isSearchCabin('premium')).toBe(false);
    expect(validateProfile({ name: '', home_airport: '', currency: '', cabin: 'first' })).toEqual({});
  });

  it('the search form and the account page offer the same cabins and currencies', async () => {
    document.body.innerHTML = '<div id="search-root"></div>';
    const form = mountSearchForm(document.getElementById('search-root')!, { fetchFn: tableFetch({}), today: () => '2030-01-01', syncUrl: false });
    const searchCabins = optionsOf(document.querySelector<HTMLSelectElement>('#cabin-input')!);
    const searchCurrencies = optionsOf(currencySelect('c', 'EUR', () => undefined).select);
    form.destroy();
    document.body.replaceChildren();

    const { cabin, currency } = await openAccount({ ...PROFILE, cabin: 'business', currency: 'EUR' });
    expect(searchCabins).toEqual(SEARCH_CABINS);
    expect(optionsOf(cabin)).toEqual([{ value: '', label: 'No preference' }, ...searchCabins]);
    expect(optionsOf(currency)).toEqual([{ value: '', label: 'No preference' }, ...searchCurrencies]);
    expect(searchCurrencies).toHaveLength(CURRENCIES.length);
    expect(cabin.value).toBe('business');
  });

  it('shows a saved "first" as First, offers it to searches like the others, and saves it back unchanged', async () => {
    const { app, root, cabin, currency } = await openAccount(PROFILE);
    expect(cabin.value).toBe('first');
    expect(cabin.selectedOptions[0]?.textContent).toBe('First');
    expect(currency.selectedOptions[0]?.textContent).toBe('CHF — Swiss franc');
    const hint = (cabin.getAttribute('aria-describedby') ?? '')
      .split(/\s+/)
      .map((id) => document.getElementById(id)?.textContent ?? '')
      .join(' ');
    expect(hint).toBe('Preselected when you start a search.');
    expect(optionsOf(cabin)).toEqual([{ value: '', label: 'No preference' }, ...SEARCH_CABINS]); /* listed once */

    const update = vi.spyOn(app.api, 'updateMe').mockResolvedValue(PROFILE);
    root.querySelector('form')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await vi.waitFor(() => expect(update).toHaveBeenCalled());
    expect(update.mock.calls[0][0]).toMatchObject({ cabin: 'first', currency: 'CHF' });
  });
});
