import { afterEach, describe, expect, it, vi } from 'vitest';
import { alertForSearch, alertMatches, datesText, formatMinor, parseMajor, ruleText, type PriceAlert, type TrackedSearch } from './alertsApi';
import { ProfileStore, type App } from './app';
import { resolve, type RouteContext, type Router } from './router';
import type { Session } from './session';
import { flush } from './testUtils';
import { trackToggle } from './trackPrices';
import { graphDate, priceAlertsView } from './views/priceAlerts';
import { trackedSearch } from './views/results';

/** An in-memory /api/v1/me/price-alerts behind a signed-in session's authFetch. */
class FakeAlerts {
  alerts: PriceAlert[] = [];
  calls: { method: string; path: string; body: unknown }[] = [];
  private seq = 0;

  session(signedIn = true): Session {
    return { signedIn, authFetch: (path: string, init: RequestInit = {}) => this.handle(path, init) } as unknown as Session;
  }

  private async handle(path: string, init: RequestInit): Promise<Response> {
    const method = (init.method ?? 'GET').toUpperCase();
    const body: unknown = typeof init.body === 'string' ? JSON.parse(init.body) : null;
    this.calls.push({ method, path, body });
    const json = (b: unknown, status = 200) => new Response(b === null ? null : JSON.stringify(b), { status, headers: { 'content-type': 'application/json' } });
    const id = path.split('/')[5];
    if (method === 'GET' && !id) return json({ total: this.alerts.length, items: this.alerts });
    if (method === 'POST') {
      const b = body as Record<string, unknown>;
      const a = { ...b, id: `pa_${++this.seq}`, baseline_minor: 41000, last_price_minor: 41000, notified_low_minor: null, last_checked_at: null, last_notified_at: null, search_url: '/search?x' } as unknown as PriceAlert;
      this.alerts.unshift(a);
      return json(a, 201);
    }
    const i = this.alerts.findIndex((a) => a.id === id);
    if (i < 0) return json({ title: 'Not found', status: 404 }, 404);
    if (method === 'DELETE') {
      this.alerts.splice(i, 1);
      return json(null, 204);
    }
    const patch = body as Partial<PriceAlert>;
    const next = { ...this.alerts[i]!, ...patch };
    if (patch.max_price) delete next.drop_percent;
    if (patch.drop_percent) delete next.max_price;
    this.alerts[i] = next;
    return json(next);
  }
}

function makeApp(session: Session): App {
  return {
    session,
    api: {} as App['api'],
    profile: new ProfileStore(async () => {
      throw new Error('no profile');
    }),
    router: { navigate: vi.fn(), refresh: vi.fn(), route: null } as unknown as Router,
    announce: vi.fn(),
    toast: vi.fn(),
    today: () => '2026-11-23',
    download: vi.fn(),
  };
}

const SEARCH: TrackedSearch = { origin: 'LON', destination: 'NYC', departure: '2026-12-20', return: '2026-12-27', cabin: 'economy', passengers: 2, currency: 'EUR' };

function existing(over: Partial<PriceAlert> = {}): PriceAlert {
  return {
    id: 'pa_old',
    origin: 'LON',
    destination: 'NYC',
    dates: { type: 'exact', departure: '2026-12-20', return: '2026-12-27' },
    cabin: 'economy',
    passengers: 2,
    currency: 'EUR',
    drop_percent: 5,
    max_price: null,
    channels: ['email'],
    baseline_minor: 39900,
    last_price_minor: 41250,
    notified_low_minor: null,
    last_checked_at: null,
    last_notified_at: null,
    search_url: '/search?trip=round&from=LON&to=NYC&depart=2026-12-20&return=2026-12-27&adults=2&cabin=economy',
    ...over,
  };
}

afterEach(() => {
  document.body.replaceChildren();
});

describe('alert helpers', () => {
  it('makes the body of a searched trip and recognises its alert', () => {
    const body = alertForSearch(SEARCH)!;
    expect(body).toMatchObject({ origin: 'LON', destination: 'NYC', dates: { type: 'exact', departure: '2026-12-20', return: '2026-12-27' }, passengers: 2, currency: 'EUR', drop_percent: 5 });
    expect(alertMatches(existing(), SEARCH)).toBe(true);
    expect(alertMatches(existing({ passengers: 1 }), SEARCH)).toBe(false);
    expect(alertMatches(existing({ dates: { type: 'exact', departure: '2026-12-20', return: null } }), SEARCH)).toBe(false);
    expect(alertMatches(existing({ dates: { type: 'month', month: '2026-12' } }), SEARCH)).toBe(false);
    expect(alertForSearch({ ...SEARCH, cabin: 'first' })).toBeNull();
  });

  it('reads and writes money in minor units with the currency digits', () => {
    expect(parseMajor('412.50', 'EUR')).toBe(41250);
    expect(parseMajor('412,5', 'EUR')).toBe(41250);
    expect(parseMajor('41250', 'JPY')).toBe(41250);
    expect(parseMajor('1.5', 'JPY')).toBeNull();
    expect(parseMajor('-3', 'EUR')).toBeNull();
    expect(parseMajor('0', 'EUR')).toBeNull();
    expect(formatMinor(41250, 'EUR')).toMatch(/412[.,]50/);
    expect(ruleText(existing({ max_price: { amount_minor: 40000, currency: 'EUR' }, drop_percent: null }))).toMatch(/^Below .*400/);
    expect(ruleText(existing())).toBe('A drop of 5 %');
  });

  it('describes flexible dates', () => {
    expect(datesText({ type: 'month', month: '2027-01', stay: { min: 3, max: 7 } })).toMatch(/^Any day of .*2027, 3-7 days$/);
    expect(datesText({ type: 'weekends', month: '2027-01', round_trip: true })).toMatch(/^Weekends of .*round trip$/);
  });

  it('tracks one-way and round-trip queries, not multi-city', () => {
    const q = { trip: 'round', slices: [{ origin: 'LON', destination: 'NYC', date: '2026-12-20' }, { origin: 'NYC', destination: 'LON', date: '2026-12-27' }], adults: 1, children: 1, infants: 1, cabin: 'economy', currency: 'EUR' } as unknown as Parameters<typeof trackedSearch>[0];
    expect(trackedSearch(q)).toEqual(SEARCH);
    expect(trackedSearch({ ...q, trip: 'multi' })).toBeNull();
  });
});

describe('Track prices toggle', () => {
  it('is hidden for a signed-out visitor', async () => {
    const server = new FakeAlerts();
    const t = trackToggle(makeApp(server.session(false)));
    await t.update(SEARCH);
    expect(t.el.hidden).toBe(true);
    expect(server.calls).toHaveLength(0);
  });

  it('creates the alert of the search, then deletes it', async () => {
    const server = new FakeAlerts();
    const app = makeApp(server.session());
    const t = trackToggle(app);
    document.body.append(t.el);
    await t.update(SEARCH);
    const button = t.el.querySelector('button')!;
    expect(t.el.hidden).toBe(false);
    expect(button.getAttribute('aria-pressed')).toBe('false');
    button.click();
    await flush();
    await flush();
    expect(server.calls.find((c) => c.method === 'POST')?.body).toMatchObject({ origin: 'LON', destination: 'NYC', dates: { departure: '2026-12-20', return: '2026-12-27' }, passengers: 2 });
    expect(button.getAttribute('aria-pressed')).toBe('true');
    expect(button.textContent).toBe('Tracking prices');
    button.click();
    await flush();
    await flush();
    expect(server.calls.at(-1)).toMatchObject({ method: 'DELETE', path: '/api/v1/me/price-alerts/pa_1' });
    expect(server.alerts).toHaveLength(0);
    expect(button.getAttribute('aria-pressed')).toBe('false');
  });

  it('shows an existing alert of the search as on', async () => {
    const server = new FakeAlerts();
    server.alerts = [existing()];
    const t = trackToggle(makeApp(server.session()));
    await t.update(SEARCH);
    expect(t.el.querySelector('button')!.getAttribute('aria-pressed')).toBe('true');
    await t.update({ ...SEARCH, departure: '2026-12-21' });
    expect(t.el.querySelector('button')!.getAttribute('aria-pressed')).toBe('false');
  });
});

describe('price alerts page', () => {
  it('draws the price history of an alert on demand', async () => {
    const server = new FakeAlerts();
    server.alerts = [existing()];
    const app = makeApp(server.session());
    const urls: string[] = [];
    app.fetchFn = async (url: string) => {
      urls.push(url);
      return new Response(JSON.stringify({ origin: 'LON', destination: 'NYC', departure_date: '2026-12-20', cabin: 'economy', currency: 'EUR', history: [], by_date: [], insight: null }), { status: 200, headers: { 'content-type': 'application/json' } });
    };
    const view = priceAlertsView(app, ctx());
    document.body.append(view.el);
    await flush();
    await flush();
    const toggle = Array.from(view.el.querySelectorAll<HTMLButtonElement>('button')).find((b) => b.textContent === 'Price history')!;
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    toggle.click();
    await flush();
    await flush();
    const u = new URL(urls[0]!, 'http://t');
    expect(u.pathname).toBe('/api/v1/price-history');
    expect(u.searchParams.get('origin')).toBe('LON');
    expect(u.searchParams.get('destination')).toBe('NYC');
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    expect(view.el.querySelector('.price-alert-history .price-graphs')).not.toBeNull();
    toggle.click();
    expect(view.el.querySelector<HTMLElement>('.price-alert-history')!.hidden).toBe(true);
    expect(graphDate(existing({ dates: { type: 'month', month: '2027-01' }, search_url: '/search?trip=oneway&from=LON&to=NYC&depart=2027-01-09' }))).toBe('2027-01-09');
  });

  function ctx(): RouteContext {
    const r = resolve('/account/price-alerts', true);
    if (r.kind !== 'render') throw new Error('redirected');
    return { route: r.route, url: r.url, flash: null, initial: false };
  }

  it('lists alerts with their last price, edits the threshold and deletes', async () => {
    const server = new FakeAlerts();
    server.alerts = [existing()];
    const app = makeApp(server.session());
    const view = priceAlertsView(app, ctx());
    document.body.append(view.el);
    await flush();
    await flush();
    const item = view.el.querySelector<HTMLElement>('[data-alert-id="pa_old"]')!;
    expect(item.textContent).toContain('LON → NYC');
    expect(item.textContent).toMatch(/Last price: .*412[.,]50/);
    expect(item.textContent).toMatch(/Lowest seen: .*399[.,]00/);
    expect(item.querySelector('a.price-alert-search')!.getAttribute('href')).toContain('depart=2026-12-20');

    const select = item.querySelector<HTMLSelectElement>('select[name="kind"]')!;
    const value = item.querySelector<HTMLInputElement>('input[name="value"]')!;
    select.value = 'max';
    value.value = 'abc';
    item.querySelector('form')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    expect(item.querySelector('.field-error')!.textContent).toContain('EUR');
    expect(server.calls.filter((c) => c.method === 'PATCH')).toHaveLength(0);
    value.value = '350';
    item.querySelector('form')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await flush();
    await flush();
    expect(server.calls.find((c) => c.method === 'PATCH')?.body).toEqual({ max_price: { amount_minor: 35000, currency: 'EUR' } });
    expect(view.el.querySelector('[data-alert-id="pa_old"] .price-alert-rule')!.textContent).toMatch(/Below .*350/);

    view.el.querySelector<HTMLButtonElement>('[data-alert-id="pa_old"] .btn-danger')!.click();
    await flush();
    await flush();
    expect(server.alerts).toHaveLength(0);
    expect(view.el.querySelector('[data-alert-id]')).toBeNull();
    expect(view.el.querySelector('.alerts-empty')).not.toBeNull();
  });
});
