import { afterEach, describe, expect, it, vi } from 'vitest';
import { alertForSearch, alertFromForm, alertMatches, channelsText, datesText, formatMinor, parseMajor, ruleText, type AlertFormValues, type PriceAlert, type TrackedSearch } from './alertsApi';
import { ApiError } from './api';
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
    expect(alertForSearch({ ...SEARCH, cabin: 'first' })?.cabin).toBe('first');
    expect(alertForSearch({ ...SEARCH, cabin: 'premium_economy' })?.cabin).toBe('premium_economy');
    expect(alertForSearch({ ...SEARCH, cabin: 'sleeper' })).toBeNull();
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

describe('new price alerts: flexible dates and channels', () => {
  const base: AlertFormValues = {
    origin: 'lon',
    destination: 'NYC',
    dateType: 'exact',
    departure: '2026-12-20',
    returnDate: '',
    month: '',
    roundTrip: false,
    stayMin: '',
    stayMax: '',
    cabin: 'economy',
    passengers: '2',
    currency: 'eur',
    rule: 'drop',
    amount: '10',
    channels: ['email'],
  };
  const TODAY = '2026-11-23';

  it('builds every kind of dates the API takes', () => {
    expect(alertFromForm(base, TODAY)).toEqual({
      input: { origin: 'LON', destination: 'NYC', dates: { type: 'exact', departure: '2026-12-20', return: null }, cabin: 'economy', passengers: 2, currency: 'EUR', drop_percent: 10, channels: ['email'] },
    });
    expect(alertFromForm({ ...base, returnDate: '2026-12-27', rule: 'max', amount: '399.50' }, TODAY)).toMatchObject({
      input: { dates: { type: 'exact', departure: '2026-12-20', return: '2026-12-27' }, max_price: { amount_minor: 39950, currency: 'EUR' } },
    });
    expect(alertFromForm({ ...base, dateType: 'month', month: '2027-01' }, TODAY)).toMatchObject({ input: { dates: { type: 'month', month: '2027-01' } } });
    expect(alertFromForm({ ...base, dateType: 'month', month: '2027-01', roundTrip: true, stayMin: '5', stayMax: '9' }, TODAY)).toMatchObject({
      input: { dates: { type: 'month', month: '2027-01', stay: { min: 5, max: 9 } } },
    });
    expect(alertFromForm({ ...base, dateType: 'weekends', month: '2026-11', roundTrip: true }, TODAY)).toMatchObject({ input: { dates: { type: 'weekends', month: '2026-11', round_trip: true } } });
    expect(alertFromForm({ ...base, rule: 'max', amount: '350', currency: 'JPY' }, TODAY)).toMatchObject({ input: { max_price: { amount_minor: 350, currency: 'JPY' } } });
  });

  it('names each field that is wrong, as the server would', () => {
    const errs = (v: Partial<AlertFormValues>) => {
      const r = alertFromForm({ ...base, ...v }, TODAY);
      return 'errors' in r ? r.errors : {};
    };
    expect(Object.keys(errs({ origin: 'LONDON' }))).toEqual(['origin']);
    expect(errs({ destination: 'LON' }).destination).toMatch(/differ/);
    expect(errs({ departure: '2026-11-22' }).departure).toMatch(/today/);
    expect(errs({ departure: '2027-11-24' }).departure).toMatch(/year/);
    expect(errs({ returnDate: '2026-12-19' }).return).toMatch(/after the departure/);
    expect(errs({ dateType: 'month', month: '2026-10' }).month).toMatch(/this month/);
    expect(errs({ dateType: 'month', month: '' }).month).toMatch(/Choose a month/);
    expect(errs({ dateType: 'month', month: '2027-01', roundTrip: true, stayMin: '9', stayMax: '5' }).stay).toMatch(/1 to 30/);
    expect(errs({ dateType: 'month', month: '2027-01', roundTrip: true, stayMin: '1', stayMax: '31' }).stay).toMatch(/1 to 30/);
    expect(errs({ passengers: '10' }).passengers).toMatch(/1 to 9/);
    expect(errs({ amount: '0' }).amount).toMatch(/1 to 90/);
    expect(errs({ rule: 'max', amount: '12.345' }).amount).toMatch(/EUR/);
    expect(errs({ channels: [] }).channels).toMatch(/at least one/);
    expect(channelsText(['email', 'in_app', 'webhook'])).toBe('E-mail, In the app, Webhook');
  });

  function ctx(): RouteContext {
    const r = resolve('/account/price-alerts', true);
    if (r.kind !== 'render') throw new Error('redirected');
    return { route: r.route, url: r.url, flash: null, initial: false };
  }

  function submit(form: HTMLFormElement): void {
    form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
  }

  it('creates a round trip on any day of a month from the page and lists it', async () => {
    const server = new FakeAlerts();
    const app = makeApp(server.session());
    const view = priceAlertsView(app, ctx());
    document.body.append(view.el);
    await flush();
    await flush();
    const form = view.el.querySelector<HTMLFormElement>('#price-alert-form form')!;
    const set = (name: string, value: string) => {
      const el = form.querySelector<HTMLInputElement | HTMLSelectElement>(`[name="${name}"]`)!;
      el.value = value;
      el.dispatchEvent(new Event('change'));
    };
    // Exact dates show departure and return, not the month.
    expect(form.querySelector<HTMLElement>('[data-field="month"]')!.hidden).toBe(true);
    set('date_type', 'month');
    expect(form.querySelector<HTMLElement>('[data-field="departure"]')!.hidden).toBe(true);
    expect(form.querySelector<HTMLElement>('[data-field="stay_min"]')!.hidden).toBe(true);
    const rt = form.querySelector<HTMLInputElement>('[name="round_trip"]')!;
    rt.checked = true;
    rt.dispatchEvent(new Event('change'));
    expect(form.querySelector<HTMLElement>('[data-field="stay_min"]')!.hidden).toBe(false);
    set('origin', 'zrh');
    set('destination', 'LIS');
    set('month', '2027-02');
    set('stay_min', '3');
    set('stay_max', '7');
    set('rule', 'max');
    set('amount', '250');
    form.querySelector<HTMLInputElement>('[name="channels"][value="sms"]')!.checked = true;
    submit(form);
    await flush();
    await flush();
    expect(server.calls.find((c) => c.method === 'POST')?.body).toEqual({
      origin: 'ZRH',
      destination: 'LIS',
      dates: { type: 'month', month: '2027-02', stay: { min: 3, max: 7 } },
      cabin: 'economy',
      passengers: 1,
      currency: 'EUR',
      max_price: { amount_minor: 25000, currency: 'EUR' },
      channels: ['email', 'in_app', 'sms'],
    });
    const li = view.el.querySelector<HTMLElement>('.price-alert')!;
    expect(li.textContent).toContain('ZRH → LIS');
    expect(li.textContent).toContain('By E-mail, In the app, Text message (SMS)');
    expect(view.el.querySelector('.page-status')!.textContent).toMatch(/ZRH → LIS created/);
    // The form is fresh again.
    expect(form.querySelector<HTMLInputElement>('[name="origin"]')!.value).toBe('');
    expect(form.querySelector<HTMLInputElement>('[name="passengers"]')!.value).toBe('1');
    expect(form.querySelector<HTMLInputElement>('[name="currency"]')!.value).toBe('EUR');
    expect(form.querySelector<HTMLInputElement>('[name="channels"][value="sms"]')!.checked).toBe(false);
  });

  it('checks the form first, then puts the server\'s field error on its field', async () => {
    const server = new FakeAlerts();
    const app = makeApp(server.session());
    const view = priceAlertsView(app, ctx());
    document.body.append(view.el);
    await flush();
    const form = view.el.querySelector<HTMLFormElement>('#price-alert-form form')!;
    submit(form);
    expect(server.calls.filter((c) => c.method === 'POST')).toHaveLength(0);
    expect(form.querySelector('[name="origin"]')!.getAttribute('aria-invalid')).toBe('true');
    const api = { create: vi.fn().mockRejectedValue(new ApiError(400, { status: 400, title: 'Bad request', errors: [{ field: 'dates.departure', message: 'has no flights in the timetable' }] })), list: vi.fn().mockResolvedValue([]) };
    document.body.replaceChildren();
    const v2 = priceAlertsView(app, ctx(), api as unknown as Parameters<typeof priceAlertsView>[2]);
    document.body.append(v2.el);
    await flush();
    const f2 = v2.el.querySelector<HTMLFormElement>('#price-alert-form form')!;
    for (const [n, val] of [['origin', 'LON'], ['destination', 'NYC'], ['departure', '2026-12-20'], ['amount', '5']]) f2.querySelector<HTMLInputElement>(`[name="${n}"]`)!.value = val!;
    submit(f2);
    await flush();
    await flush();
    expect(api.create).toHaveBeenCalledTimes(1);
    const dep = f2.querySelector<HTMLInputElement>('[name="departure"]')!;
    expect(dep.getAttribute('aria-invalid')).toBe('true');
    expect(dep.closest('.field')!.querySelector('.field-error')!.textContent).toMatch(/Departure has no flights/);
  });

  it('changes the channels of an alert (and sends only what changed)', async () => {
    const server = new FakeAlerts();
    server.alerts = [existing({ channels: ['email'] })];
    const app = makeApp(server.session());
    const view = priceAlertsView(app, ctx());
    document.body.append(view.el);
    await flush();
    await flush();
    const item = view.el.querySelector<HTMLElement>('[data-alert-id="pa_old"]')!;
    expect(item.querySelector('.price-alert-channels')!.textContent).toBe('By E-mail');
    const boxes = item.querySelectorAll<HTMLInputElement>('.alert-rule [name="channels"]');
    expect([...boxes].filter((b) => b.checked).map((b) => b.value)).toEqual(['email']);
    item.querySelector<HTMLInputElement>('.alert-rule [name="channels"][value="email"]')!.checked = false;
    item.querySelector('form')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    expect(item.querySelector<HTMLElement>('.field-error')!.hidden).toBe(false);
    expect(item.querySelector('.field-error')!.textContent).toMatch(/at least one/);
    expect(server.calls.filter((c) => c.method === 'PATCH')).toHaveLength(0);
    item.querySelector<HTMLInputElement>('.alert-rule [name="channels"][value="webhook"]')!.checked = true;
    item.querySelector('form')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await flush();
    await flush();
    expect(server.calls.find((c) => c.method === 'PATCH')?.body).toEqual({ drop_percent: 5, channels: ['webhook'] });
    expect(view.el.querySelector('[data-alert-id="pa_old"] .price-alert-channels')!.textContent).toBe('By Webhook');
  });
});
