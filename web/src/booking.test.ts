/**
 * The booking pages against a fake of the booking API (src/api/orders.c's
 * answers): the happy path, a price change, sold out, an expired offer, a
 * declined card, 3-D Secure, retries with the same Idempotency-Key, saved
 * travellers, passports on international trips, "My trips" with a
 * cancellation and "Manage booking".
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AccountApi, type Profile } from './accountApi';
import { ProfileStore, type App } from './app';
import type { FetchFn } from './api';
import { classifyOrderAnswer, luhnOk, providerDisplayName, TEST_CARDS } from './bookingApi';
import { normalizeItinerary } from './results';
import { resolve, type RouteContext, type Router } from './router';
import { Session } from './session';
import { FakeAuthServer, ManualTimers, MemoryStorage } from './testServer';
import { nonstopRaw } from './testSearchData';
import { flush } from './testUtils';
import { bookPath, bookView, parseBookParams } from './views/book';
import { itineraryCard } from './views/results';
import { manageBookingView, tripsView } from './views/trips';

const PROFILE: Profile = {
  id: 'usr_1',
  email: 'ada@example.com',
  role: 'user',
  email_verified: true,
  name: 'Ada Lovelace',
  home_airport: null,
  currency: null,
  cabin: null,
  notifications: { email: true, webhook: false, in_app: true },
  created_at: 0,
};

const money = (minor: number, currency = 'EUR') => ({ amount_minor: minor, currency, amount: (minor / 100).toFixed(2) });
const NOW = Date.parse('2026-11-23T10:00:00Z');

function offerBody(extra: Record<string, unknown> = {}) {
  return {
    id: 'off_1',
    provider: { code: 'ota-usd', name: 'Sky Shop' },
    expires_at: '2026-11-23T10:15:00Z',
    currency: 'EUR',
    total: money(41230),
    fees: money(1000),
    per_passenger: [],
    passengers: 1,
    cabin: 'economy',
    slices: [{ legs: [{ carrier: 'BA', flight_number: 117, date: '2026-12-01', from: 'LHR', to: 'JFK', departs_at: '2026-12-01T08:00:00+00:00', arrives_at: '2026-12-01T11:00:00-05:00', booking_class: 'Y' }] }],
    conditions: { refundable: true, refund_percent: 100, refund_rule: 'Y/B/J 100 %, others 70 %', changes: null },
    self_transfer: false,
    searched_price: money(41230),
    price_changed: false,
    total_requested: money(41230),
    ...extra,
  };
}

function orderBody(status: string, extra: Record<string, unknown> = {}) {
  return {
    id: 'ord_1',
    status,
    provider: { code: 'ota-usd', name: 'Sky Shop' },
    total: money(41230),
    passengers: [{ given_name: 'Ada', family_name: 'Lovelace' }],
    contact: { email: 'ada@example.com', phone: null },
    tickets: status === 'confirmed' ? ['125-0000000001'] : [],
    offer_id: 'off_1',
    created_at: '2026-11-23T10:01:00Z',
    updated_at: '2026-11-23T10:01:00Z',
    booking_reference: status === 'failed' ? null : 'ABC123',
    reason: null,
    guest: true,
    slices: offerBody().slices,
    conditions: offerBody().conditions,
    ...(status === 'requires_action' ? { next_action: { type: 'confirm_payment', method: 'POST', url: '/api/v1/orders/ord_1/payment/confirm' }, hold_until: '2026-11-23T10:20:00Z' } : {}),
    ...extra,
  };
}

function reply(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json', ...headers } });
}

const problem = (status: number, code: string, extra: Record<string, unknown> = {}) =>
  reply({ type: 'https://contrail.dev/problems/booking', title: code, status, detail: code.replace(/_/g, ' '), code, ...extra }, status);

interface Call {
  method: string;
  path: string;
  search: string;
  headers: Headers;
  body: Record<string, unknown> | null;
}

type Handler = (c: Call) => Response | Promise<Response>;

/** The booking routes answered by `routes` ("POST /api/v1/orders"), the account ones by FakeAuthServer. */
function bookingServer(routes: Record<string, Handler | Handler[]>) {
  const auth = new FakeAuthServer();
  auth.now = NOW;
  const calls: Call[] = [];
  const fetchFn: FetchFn = async (input, init = {}) => {
    const url = new URL(input, 'http://contrail.test');
    const method = (init.method ?? 'GET').toUpperCase();
    const key = `${method} ${url.pathname}`;
    const r = routes[key];
    if (!r) return auth.fetch(input, init);
    const c: Call = { method, path: url.pathname, search: url.search, headers: new Headers(init.headers), body: typeof init.body === 'string' ? JSON.parse(init.body) : null };
    calls.push(c);
    const handler = Array.isArray(r) ? (r.length > 1 ? r.shift()! : r[0]!) : r;
    return handler(c);
  };
  return { auth, calls, fetchFn, called: (key: string) => calls.filter((c) => `${c.method} ${c.path}` === key) };
}

async function makeApp(fetchFn: FetchFn, auth: FakeAuthServer, signedIn = false): Promise<App> {
  const timers = new ManualTimers();
  const session = new Session({ fetchFn, storage: new MemoryStorage(), now: () => auth.now, setTimer: timers.set, clearTimer: timers.clear });
  if (signedIn) await session.signIn('ada@example.com', 'correct horse battery');
  const profile = new ProfileStore(async () => PROFILE);
  if (signedIn) profile.set(PROFILE);
  return {
    session,
    api: new AccountApi(session, fetchFn),
    profile,
    router: { navigate: vi.fn(), refresh: vi.fn(), route: null } as unknown as Router,
    fetchFn,
    announce: vi.fn(),
    toast: vi.fn(),
    today: () => '2026-11-23',
    download: vi.fn(),
  };
}

function ctxFor(href: string, signedIn = false): RouteContext {
  const r = resolve(href, signedIn);
  if (r.kind !== 'render') throw new Error('unexpected redirect');
  return { route: r.route, url: r.url, flash: null, initial: false };
}

function control(root: ParentNode, label: string, nth = 0): HTMLInputElement | HTMLSelectElement {
  const ls = Array.from(root.querySelectorAll('label')).filter((x) => x.textContent?.replace(/\s*\(optional\)/, '').trim() === label);
  const l = ls[nth];
  if (!l) throw new Error(`no label ${label}`);
  const el = root.querySelector<HTMLInputElement>(`#${l.htmlFor}`);
  if (!el) throw new Error(`label ${label} points nowhere`);
  return el;
}

function set(root: ParentNode, label: string, value: string, nth = 0): void {
  const c = control(root, label, nth);
  c.value = value;
  c.dispatchEvent(new Event('input', { bubbles: true }));
}

function submit(root: ParentNode): void {
  root.querySelector('form')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
}

function button(root: ParentNode, text: string | RegExp): HTMLButtonElement {
  const b = Array.from(root.querySelectorAll<HTMLButtonElement>('button')).find((x) => (typeof text === 'string' ? x.textContent?.trim() === text : text.test(x.textContent ?? '')));
  if (!b) throw new Error(`no button ${String(text)}`);
  return b;
}

const stepTitle = () => document.querySelector('#bk-step-title')?.textContent ?? '';

const BOOK = bookPath({ itinerary: 'i_nonstop', provider: 'ota-usd', adults: 1, cabin: 'economy', currency: 'EUR', searched: { amount_minor: 41230, currency: 'EUR' }, back: '/search?from=LON&to=NYC&date=2026-12-01' });

async function openBook(routes: Record<string, Handler | Handler[]>, opts: { signedIn?: boolean } = {}) {
  const server = bookingServer(routes);
  const app = await makeApp(server.fetchFn, server.auth, opts.signedIn);
  let tickFn: (() => void) | null = null;
  let clock = NOW;
  const view = bookView(app, ctxFor(BOOK), {
    now: () => clock,
    setInterval: (fn) => {
      tickFn = fn;
      return 1;
    },
    clearInterval: () => {
      tickFn = null;
    },
    sandbox: true,
  });
  document.body.append(view.el);
  await flush();
  return { ...server, app, view, advance: (ms: number) => ((clock += ms), tickFn?.()) };
}

/** Offer → passengers (typed) → payment. */
async function toPayment(el: HTMLElement): Promise<void> {
  button(el, 'Continue to passengers').click();
  await flush();
  set(el, 'Given names', 'Ada');
  set(el, 'Family name', 'Lovelace');
  set(el, 'Date of birth', '1990-12-10');
  set(el, 'E-mail', 'ada@example.com');
  submit(el);
  await flush();
}

function pay(el: HTMLElement, number = '4111111111111111'): void {
  set(el, 'Card number', number);
  set(el, 'Expiry month', '12');
  set(el, 'Expiry year', '2028');
  set(el, 'Security code (CVC)', number.startsWith('37') ? '1234' : '123');
  submit(el);
}

afterEach(() => {
  document.body.replaceChildren();
  localStorage.clear();
  vi.restoreAllMocks();
});

describe('the booking flow', () => {
  it('happy path: live offer with the display name and countdown, passengers validated, test cards, a fresh Idempotency-Key, confirmation with the reference', async () => {
    const { view, called } = await openBook({
      'POST /api/v1/offers': () => reply(offerBody(), 201),
      'POST /api/v1/orders': () => reply(orderBody('confirmed'), 201),
    });
    const el = view.el;
    expect(called('POST /api/v1/offers')[0]!.body).toEqual({ itinerary_id: 'i_nonstop', provider: 'ota-usd', passengers: 1, cabin: 'economy', currency: 'EUR', searched_price: { amount_minor: 41230, currency: 'EUR' } });
    expect(stepTitle()).toBe('Your offer from Sky Shop');
    expect(document.activeElement?.id).toBe('bk-step-title');
    expect(el.textContent).not.toContain('ota-usd');
    expect(el.querySelector('.bk-price-amount')?.textContent).toBe('€412.30');
    expect(el.querySelector('.bk-timer')?.textContent).toBe('Price held for 15:00');
    expect(el.querySelector('.bk-price-change')).toBeNull();
    expect(el.querySelector('[aria-current="step"]')?.textContent).toBe('Offer');

    button(el, 'Continue to passengers').click();
    await flush();
    expect(stepTitle()).toBe('Who is travelling?');
    expect(document.activeElement?.id).toBe('bk-step-title');
    // Empty: every field is named and the first one focused.
    submit(el);
    expect(control(el, 'Given names').getAttribute('aria-invalid')).toBe('true');
    expect(control(el, 'Date of birth').getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(control(el, 'Given names'));
    expect(el.querySelector('.form-alert')?.textContent).toMatch(/correct the 4 highlighted fields/);
    set(el, 'Given names', 'Ada');
    set(el, 'Family name', 'Lovelace');
    set(el, 'Date of birth', '2030-01-01');
    set(el, 'E-mail', 'ada@example.com');
    submit(el);
    expect(stepTitle()).toBe('Who is travelling?');
    expect(document.activeElement).toBe(control(el, 'Date of birth'));
    set(el, 'Date of birth', '1990-12-10');
    submit(el);
    await flush();

    expect(stepTitle()).toBe('Payment');
    const tests = Array.from(el.querySelectorAll<HTMLElement>('.bk-test-card')).map((b) => b.dataset.number);
    expect(tests).toEqual(TEST_CARDS.map((c) => c.number));
    // A bad number is refused before any call.
    set(el, 'Card number', '4111111111111112');
    submit(el);
    expect(control(el, 'Card number').getAttribute('aria-invalid')).toBe('true');
    expect(called('POST /api/v1/orders')).toHaveLength(0);
    // The test card button fills the form.
    (el.querySelector('.bk-test-card[data-number="4111111111111111"]') as HTMLButtonElement).click();
    expect(control(el, 'Card number').value).toBe('4111111111111111');
    submit(el);
    await flush();

    const [post] = called('POST /api/v1/orders');
    expect(post!.headers.get('idempotency-key')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(post!.body).toMatchObject({
      offer_id: 'off_1',
      passengers: [{ given_name: 'Ada', family_name: 'Lovelace', date_of_birth: '1990-12-10' }],
      contact: { email: 'ada@example.com' },
      card: { number: '4111111111111111', exp_month: 12, cvc: '123' },
      expected_total: { amount_minor: 41230, currency: 'EUR' },
    });
    expect(stepTitle()).toBe('Your booking is confirmed');
    expect(document.activeElement?.id).toBe('bk-step-title');
    expect(el.querySelector('.bk-ref')?.textContent).toBe('ABC123');
    expect(el.textContent).toContain('125-0000000001');
    expect(el.querySelector<HTMLAnchorElement>('.bk-manage')?.getAttribute('href')).toBe('/manage-booking?reference=ABC123&last_name=Lovelace');
    expect(el.querySelector('.bk-timer')?.hasAttribute('hidden')).toBe(true);
    expect(el.textContent).not.toContain('ota-usd');
    // The name is remembered for the results page.
    expect(providerDisplayName('ota-usd', 'agency')).toBe('Sky Shop');
  });

  it('shows a price change found by the live offer against the searched price', async () => {
    const { view } = await openBook({ 'POST /api/v1/offers': () => reply(offerBody({ total: money(45000), total_requested: money(45000), price_changed: true }), 201) });
    expect(view.el.querySelector('.bk-price-change')?.textContent).toBe('The price changed since your search: it was €412.30, it is now €450.00 (higher).');
  });

  it('price changed at order time (409): the new price is shown, nothing charged; continuing pays it with expected_total updated and a new key', async () => {
    const { view, called } = await openBook({
      'POST /api/v1/offers': () => reply(offerBody(), 201),
      'POST /api/v1/orders': [
        () => problem(409, 'price_changed', { new_price: money(45000), expected_total: money(41230), order: orderBody('failed', { reason: 'price_changed', total: money(45000) }) }),
        () => reply(orderBody('confirmed', { total: money(45000) }), 201),
      ],
    });
    const el = view.el;
    await toPayment(el);
    pay(el);
    await flush();
    expect(stepTitle()).toBe('The price has changed');
    expect(el.querySelector('.bk-price-changed')?.textContent).toBe('Sky Shop now asks €450.00 instead of €412.30. Nothing was charged.');
    button(el, 'Continue at €450.00').click();
    expect(stepTitle()).toBe('Payment');
    expect(button(el, /^Pay /).textContent).toBe('Pay €450.00');
    expect(control(el, 'Card number').value).toBe('4111111111111111');
    submit(el);
    await flush();
    const posts = called('POST /api/v1/orders');
    expect(posts).toHaveLength(2);
    expect(posts[1]!.body!.expected_total).toEqual({ amount_minor: 45000, currency: 'EUR' });
    expect(posts[1]!.headers.get('idempotency-key')).not.toBe(posts[0]!.headers.get('idempotency-key'));
    expect(stepTitle()).toBe('Your booking is confirmed');
  });

  it('sold out when asking for the offer (409) and when ordering: a clear page back to the results', async () => {
    const first = await openBook({ 'POST /api/v1/offers': () => problem(409, 'sold_out') });
    expect(stepTitle()).toBe('Sold out');
    expect(first.view.el.querySelector('[role="alert"]')?.textContent).toMatch(/sold out\. Nothing was charged/);
    expect(first.view.el.querySelector<HTMLAnchorElement>('.bk-search-again')?.getAttribute('href')).toBe('/search?from=LON&to=NYC&date=2026-12-01');
    document.body.replaceChildren();

    const second = await openBook({ 'POST /api/v1/offers': () => reply(offerBody(), 201), 'POST /api/v1/orders': () => problem(409, 'sold_out', { order: orderBody('failed', { reason: 'sold_out' }) }) });
    await toPayment(second.view.el);
    pay(second.view.el);
    await flush();
    expect(stepTitle()).toBe('Sold out');
  });

  it('expired offer: 410 from the offer or the order, and the countdown reaching zero, each say to search again', async () => {
    const a = await openBook({ 'POST /api/v1/offers': () => problem(410, 'offer_expired') });
    expect(stepTitle()).toBe('This offer has expired');
    expect(a.view.el.querySelector('.bk-search-again')?.textContent).toBe('Back to the results');
    document.body.replaceChildren();

    const b = await openBook({ 'POST /api/v1/offers': () => reply(offerBody(), 201), 'POST /api/v1/orders': () => problem(410, 'offer_expired') });
    await toPayment(b.view.el);
    pay(b.view.el);
    await flush();
    expect(stepTitle()).toBe('This offer has expired');
    document.body.replaceChildren();

    const c = await openBook({ 'POST /api/v1/offers': () => reply(offerBody(), 201) });
    c.advance(14 * 60_000 + 30_000);
    expect(c.view.el.querySelector('.bk-timer')?.textContent).toBe('Price held for 0:30');
    expect(c.view.el.querySelector('.bk-timer')?.classList.contains('is-urgent')).toBe(true);
    expect(c.app.announce).toHaveBeenCalledWith('Less than a minute left before this offer expires.');
    c.advance(30_000);
    expect(stepTitle()).toBe('This offer has expired');
  });

  it('declined card (402): the reason, nothing charged, another card is a new attempt with a new key', async () => {
    const { view, called } = await openBook({
      'POST /api/v1/offers': () => reply(offerBody(), 201),
      'POST /api/v1/orders': [() => problem(402, 'card_declined', { detail: 'the card was declined', order: orderBody('failed', { reason: 'card_declined' }) }), () => reply(orderBody('confirmed'), 201)],
    });
    const el = view.el;
    await toPayment(el);
    pay(el, '4100000000001009');
    await flush();
    expect(stepTitle()).toBe('Payment');
    const alert = el.querySelector<HTMLElement>('.bk-declined')!;
    expect(alert.dataset.reason).toBe('card_declined');
    expect(alert.textContent).toBe('Payment failed: Your card was declined by your bank. Nothing was charged. Use another card to try again.');
    expect(control(el, 'Card number').value).toBe('');
    pay(el, '5555555555554444');
    await flush();
    const posts = called('POST /api/v1/orders');
    expect(posts[1]!.headers.get('idempotency-key')).not.toBe(posts[0]!.headers.get('idempotency-key'));
    expect(stepTitle()).toBe('Your booking is confirmed');
  });

  it('3-D Secure: a requires_action order gets a confirm step calling the confirm route, then the confirmation', async () => {
    const { view, called } = await openBook({
      'POST /api/v1/offers': () => reply(offerBody(), 201),
      'POST /api/v1/orders': () => reply(orderBody('requires_action'), 202),
      'POST /api/v1/orders/ord_1/payment/confirm': () => reply(orderBody('confirmed'), 201),
    });
    const el = view.el;
    await toPayment(el);
    pay(el, '4100000000003005');
    await flush();
    expect(stepTitle()).toBe('Confirm the payment with your bank');
    expect(document.activeElement?.id).toBe('bk-step-title');
    expect(el.textContent).toContain('€412.30');
    button(el, 'Confirm payment').click();
    await flush();
    expect(called('POST /api/v1/orders/ord_1/payment/confirm')).toHaveLength(1);
    expect(stepTitle()).toBe('Your booking is confirmed');
    expect(el.querySelector('.bk-ref')?.textContent).toBe('ABC123');
  });

  it('3-D Secure that fails ends on the payment step with the reason', async () => {
    const { view } = await openBook({
      'POST /api/v1/offers': () => reply(offerBody(), 201),
      'POST /api/v1/orders': () => reply(orderBody('requires_action'), 202),
      'POST /api/v1/orders/ord_1/payment/confirm': () => problem(402, 'authentication_failed', { order: orderBody('failed', { reason: 'authentication_failed' }) }),
    });
    await toPayment(view.el);
    pay(view.el, '4100000000003005');
    await flush();
    button(view.el, 'Confirm payment').click();
    await flush();
    expect(stepTitle()).toBe('Payment');
    expect(view.el.querySelector('.bk-declined')?.textContent).toMatch(/3-D Secure\) failed/);
  });

  it('a network failure or a 502 is retried with the same Idempotency-Key', async () => {
    const { view, called } = await openBook({
      'POST /api/v1/offers': () => reply(offerBody(), 201),
      'POST /api/v1/orders': [
        () => Promise.reject(new TypeError('Failed to fetch')),
        () => problem(502, 'provider_error'),
        () => reply(orderBody('confirmed'), 201),
      ],
    });
    const el = view.el;
    await toPayment(el);
    pay(el);
    await flush();
    expect(el.querySelector('.bk-pay-alert')?.textContent).toMatch(/Could not reach Contrail.*not be charged twice/);
    submit(el);
    await flush();
    expect(stepTitle()).toBe('Payment');
    expect(el.querySelector('.bk-problem')?.textContent).toMatch(/not be charged twice/);
    submit(el);
    await flush();
    const keys = called('POST /api/v1/orders').map((c) => c.headers.get('idempotency-key'));
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);
    expect(stepTitle()).toBe('Your booking is confirmed');
  });

  it('signed in: saved travellers can be picked (sent by id), the order is the user’s, the confirmation links to My trips', async () => {
    const { view, called } = await openBook(
      {
        'POST /api/v1/offers': () => reply(offerBody(), 201),
        'GET /api/v1/me/travellers': () => reply({ items: [{ id: 'trv_1', given_name: 'Ada', family_name: 'Lovelace', birth_date: '1990-12-10' }] }),
        'POST /api/v1/orders': () => reply(orderBody('confirmed', { guest: false }), 201),
      },
      { signedIn: true },
    );
    const el = view.el;
    button(el, 'Continue to passengers').click();
    await flush();
    const pick = control(el, 'Saved traveller') as HTMLSelectElement;
    expect(Array.from(pick.options).map((o) => o.text)).toEqual(['Type the passenger’s details', 'Ada Lovelace (born 1990-12-10)']);
    pick.value = 'trv_1';
    pick.dispatchEvent(new Event('change'));
    expect((el.querySelector('.bk-pax-fields') as HTMLElement).hidden).toBe(true);
    expect(control(el, 'E-mail').value).toBe('ada@example.com');
    submit(el);
    await flush();
    pay(el);
    await flush();
    const [post] = called('POST /api/v1/orders');
    expect(post!.body!.passengers).toEqual([{ traveller_id: 'trv_1' }]);
    expect(post!.headers.get('authorization')).toMatch(/^Bearer /);
    expect(el.querySelector<HTMLAnchorElement>('.bk-trips')?.getAttribute('href')).toBe('/trips?id=ord_1');
  });
});

describe('passports on international trips (passport_required)', () => {
  const abroad = () =>
    offerBody({
      passport_required: true,
      slices: [
        { legs: [{ carrier: 'BA', flight_number: 117, date: '2026-12-01', from: 'LHR', to: 'JFK', departs_at: '2026-12-01T08:00:00+00:00', arrives_at: '2026-12-01T11:00:00-05:00', booking_class: 'Y' }] },
        { legs: [{ carrier: 'BA', flight_number: 112, date: '2026-12-08', from: 'JFK', to: 'LHR', departs_at: '2026-12-08T20:00:00-05:00', arrives_at: '2026-12-09T08:00:00+00:00', booking_class: 'Y' }] },
      ],
    });
  const error = (el: HTMLElement, label: string) => {
    const c = control(el, label);
    return c.getAttribute('aria-invalid') === 'true' ? (document.getElementById(c.id + '-error')?.textContent ?? '') : null;
  };
  const names = (el: HTMLElement) => {
    set(el, 'Given names', 'Ada');
    set(el, 'Family name', 'Lovelace');
    set(el, 'Date of birth', '1990-12-10');
    set(el, 'E-mail', 'ada@example.com');
  };

  it('asks each passenger’s passport, validated naming the field (number upper-cased as typed), and sends it as document', async () => {
    const { view, called } = await openBook({ 'POST /api/v1/offers': () => reply(abroad(), 201), 'POST /api/v1/orders': () => reply(orderBody('confirmed'), 201) });
    const el = view.el;
    expect(el.querySelector('.bk-passport-note')?.textContent).toMatch(/International trip: each passenger needs a passport/);
    button(el, 'Continue to passengers').click();
    await flush();
    expect(el.querySelector('.bk-doc legend')?.textContent).toBe('Passport');
    expect(el.querySelector('.bk-add-doc')).toBeNull(); // not optional here
    expect(() => control(el, 'Document type')).toThrow();
    expect(control(el, 'Expiry date').getAttribute('min')).toBe('2026-12-08');
    names(el);
    submit(el);
    expect(stepTitle()).toBe('Who is travelling?');
    expect(error(el, 'Passport number')).toBe('Enter the passport number.');
    expect(error(el, 'Issuing country')).toBe('Enter the passport’s issuing country.');
    expect(error(el, 'Expiry date')).toBe('Enter the passport’s expiry date.');
    expect(document.activeElement).toBe(control(el, 'Passport number'));
    expect(el.querySelector('.form-alert')?.textContent).toBe('Please correct the 3 highlighted fields.');

    set(el, 'Passport number', 'c01');
    expect(control(el, 'Passport number').value).toBe('C01');
    set(el, 'Issuing country', 'de');
    expect(control(el, 'Issuing country').value).toBe('DE');
    set(el, 'Expiry date', '2026-12-07');
    submit(el);
    expect(error(el, 'Passport number')).toBe('Passport number is too short: it has 5 to 20 capital letters and digits.');
    expect(error(el, 'Issuing country')).toBeNull();
    expect(error(el, 'Expiry date')).toBe('The passport expires on 2026-12-07, before your last flight on 2026-12-08: it must be valid through that day.');
    set(el, 'Passport number', 'c01x00t47');
    set(el, 'Expiry date', '2035-01-01');
    submit(el);
    await flush();
    expect(stepTitle()).toBe('Payment');
    pay(el);
    await flush();
    expect(called('POST /api/v1/orders')[0]!.body!.passengers).toEqual([
      { given_name: 'Ada', family_name: 'Lovelace', date_of_birth: '1990-12-10', document: { type: 'passport', number: 'C01X00T47', country: 'DE', expiry: '2035-01-01' } },
    ]);
    expect(stepTitle()).toBe('Your booking is confirmed');
  });

  it('a picked saved traveller’s passport is prefilled (checked against the last flight) and sent with the traveller’s details', async () => {
    const { view, called } = await openBook(
      {
        'POST /api/v1/offers': () => reply(abroad(), 201),
        'GET /api/v1/me/travellers': () =>
          reply({
            items: [
              { id: 'trv_1', given_name: 'Ada', family_name: 'Lovelace', birth_date: '1990-12-10', gender: 'F', document: { type: 'passport', number: 'P1234567', country: 'GB', expiry: '2026-12-05' } },
              { id: 'trv_2', given_name: 'Charles', family_name: 'Babbage', birth_date: '1971-12-26', document: { type: 'id_card', number: 'X1234567', country: 'GB', expiry: '2031-01-01' } },
            ],
          }),
        'POST /api/v1/orders': () => reply(orderBody('confirmed', { guest: false }), 201),
      },
      { signedIn: true },
    );
    const el = view.el;
    button(el, 'Continue to passengers').click();
    await flush();
    const pick = control(el, 'Saved traveller') as HTMLSelectElement;
    pick.value = 'trv_2'; // an ID card: no passport to prefill
    pick.dispatchEvent(new Event('change'));
    expect(control(el, 'Passport number').value).toBe('');
    pick.value = 'trv_1';
    pick.dispatchEvent(new Event('change'));
    expect((el.querySelector('.bk-pax-fields') as HTMLElement).hidden).toBe(true);
    expect((el.querySelector('.bk-doc') as HTMLElement).hidden).toBe(false);
    expect(control(el, 'Passport number').value).toBe('P1234567');
    expect(control(el, 'Issuing country').value).toBe('GB');
    expect(control(el, 'Expiry date').value).toBe('2026-12-05');
    submit(el);
    expect(error(el, 'Expiry date')).toMatch(/^The passport expires on 2026-12-05, before your last flight on 2026-12-08/);
    set(el, 'Expiry date', '2032-06-30');
    submit(el);
    await flush();
    pay(el);
    await flush();
    expect(called('POST /api/v1/orders')[0]!.body!.passengers).toEqual([
      { given_name: 'Ada', family_name: 'Lovelace', date_of_birth: '1990-12-10', gender: 'F', document: { type: 'passport', number: 'P1234567', country: 'GB', expiry: '2032-06-30' } },
    ]);
  });

  it('a 400 naming passengers[i].document… is shown on that passenger’s field', async () => {
    const { view, called, app } = await openBook({
      'POST /api/v1/offers': () => reply(abroad(), 201),
      'POST /api/v1/orders': [
        () => problem(400, 'invalid', { detail: 'the document expires before the last flight', field: 'passengers[0].document.expiry' }),
        () => problem(400, 'invalid', { detail: 'an international trip needs each passenger’s passport', field: 'passengers[0].document' }),
        () => reply(orderBody('confirmed'), 201),
      ],
    });
    const el = view.el;
    button(el, 'Continue to passengers').click();
    await flush();
    names(el);
    set(el, 'Passport number', 'C01X00T47');
    set(el, 'Issuing country', 'DE');
    set(el, 'Expiry date', '2035-01-01');
    submit(el);
    await flush();
    pay(el);
    await flush();
    expect(stepTitle()).toBe('Who is travelling?');
    expect(error(el, 'Expiry date')).toBe('Expiry date: the document expires before the last flight.');
    expect(document.activeElement).toBe(control(el, 'Expiry date'));
    expect(el.querySelector('.form-alert')?.textContent).toBe('The booking was not made: Expiry date: the document expires before the last flight.');
    expect(control(el, 'Passport number').value).toBe('C01X00T47'); // what was typed is kept
    expect(app.announce).toHaveBeenCalled();
    submit(el);
    await flush();
    pay(el);
    await flush();
    expect(error(el, 'Passport number')).toBe('An international trip needs each passenger’s passport.');
    expect(called('POST /api/v1/orders')).toHaveLength(2);
  });

  it('not required: the document is optional behind “Add travel document”; added, it is sent (an ID card will do)', async () => {
    const { view, called } = await openBook({ 'POST /api/v1/offers': () => reply(offerBody({ passport_required: false }), 201), 'POST /api/v1/orders': [() => reply(orderBody('confirmed'), 201)] });
    const el = view.el;
    expect(el.querySelector('.bk-passport-note')).toBeNull();
    button(el, 'Continue to passengers').click();
    await flush();
    const add = button(el, 'Add travel document');
    expect(add.getAttribute('aria-expanded')).toBe('false');
    expect((el.querySelector('.bk-doc-fields') as HTMLElement).hidden).toBe(true);
    add.click();
    expect(add.getAttribute('aria-expanded')).toBe('true');
    expect(add.textContent).toBe('Remove travel document');
    expect(document.activeElement).toBe(control(el, 'Document type'));
    names(el);
    set(el, 'Document type', 'id_card');
    set(el, 'Document number', 'x12');
    submit(el);
    expect(error(el, 'Document number')).toBe('ID card number is too short: it has 5 to 20 capital letters and digits.');
    expect(error(el, 'Issuing country')).toBe('Enter the ID card’s issuing country.');
    set(el, 'Document number', 'x1234567');
    set(el, 'Issuing country', 'ch');
    set(el, 'Expiry date', '2030-01-01');
    submit(el);
    await flush();
    pay(el);
    await flush();
    expect(called('POST /api/v1/orders')[0]!.body!.passengers).toEqual([
      { given_name: 'Ada', family_name: 'Lovelace', date_of_birth: '1990-12-10', document: { type: 'id_card', number: 'X1234567', country: 'CH', expiry: '2030-01-01' } },
    ]);
  });

  it('not required and not added: no document is sent, half-typed fields behind a removed section are ignored', async () => {
    const { view, called } = await openBook({ 'POST /api/v1/offers': () => reply(offerBody(), 201), 'POST /api/v1/orders': () => reply(orderBody('confirmed'), 201) });
    const el = view.el;
    button(el, 'Continue to passengers').click();
    await flush();
    button(el, 'Add travel document').click();
    set(el, 'Document number', 'x1');
    button(el, 'Remove travel document').click();
    names(el);
    submit(el);
    await flush();
    expect(stepTitle()).toBe('Payment');
    pay(el);
    await flush();
    expect(called('POST /api/v1/orders')[0]!.body!.passengers).toEqual([{ given_name: 'Ada', family_name: 'Lovelace', date_of_birth: '1990-12-10' }]);
  });
});

describe('results page Select buttons', () => {
  it('every offer and the cheapest get a Select link to /book; names are display names, never codes', () => {
    const it0 = normalizeItinerary(nonstopRaw)!;
    const card = itineraryCard(it0, 'oneway', (o) => bookPath({ itinerary: it0.id, provider: o.provider, adults: 1, cabin: 'economy', currency: 'EUR', searched: o.price, back: '/search?x=1' }));
    const links = Array.from(card.querySelectorAll<HTMLAnchorElement>('.offer-select'));
    expect(links).toHaveLength(it0.offers.length);
    const p = parseBookParams(new URL(links[0]!.href, 'http://x').search);
    expect(p).toMatchObject({ itinerary: 'i_nonstop', provider: it0.offers[0]!.provider, adults: 1, searched: { amount_minor: it0.offers[0]!.price.amount_minor }, back: '/search?x=1' });
    expect(card.querySelector<HTMLAnchorElement>('.itin-select')?.getAttribute('href')).toBe(links[0]!.getAttribute('href'));
    expect(links[0]!.getAttribute('aria-label')).toMatch(/^Select Voyagio, €412\.30$/);
  });
});

describe('My trips and Manage booking', () => {
  it('lists the orders, opens one and cancels it with the quote, then the confirmation', async () => {
    const server = bookingServer({
      'GET /api/v1/orders': () => reply({ orders: [orderBody('confirmed', { guest: false }), orderBody('failed', { id: 'ord_2', reason: 'card_declined' })], total: 2, limit: 20, offset: 0 }),
      'GET /api/v1/orders/ord_1': () => reply(orderBody('confirmed', { guest: false })),
      'POST /api/v1/orders/ord_1/cancellations': () => reply({ id: 'can_1', order_id: 'ord_1', refund: money(41230), expires_at: '2026-11-23T10:30:00Z', refund_percent: 100, status: 'quoted' }, 201),
      'POST /api/v1/orders/ord_1/cancellations/can_1/confirm': () => reply(orderBody('cancelled', { guest: false, refunded: money(41230) })),
    });
    const app = await makeApp(server.fetchFn, server.auth, true);
    const list = tripsView(app, ctxFor('/trips', true));
    document.body.append(list.el);
    await flush();
    const rows = Array.from(list.el.querySelectorAll<HTMLElement>('.trip'));
    expect(rows.map((r) => r.dataset.status)).toEqual(['confirmed', 'failed']);
    expect(rows[0]!.querySelector('.trip-provider')?.textContent).toBe('Sky Shop');
    expect(rows[0]!.querySelector('a')?.getAttribute('href')).toBe('/trips?id=ord_1');
    expect(list.el.textContent).not.toContain('ota-usd');
    document.body.replaceChildren();

    const one = tripsView(app, ctxFor('/trips?id=ord_1', true));
    document.body.append(one.el);
    await flush();
    expect(one.el.querySelector('.bk-reference')?.textContent).toBe('ABC123');
    button(one.el, 'Cancel booking').click();
    await flush();
    expect(one.el.querySelector('.bk-quote')?.textContent).toMatch(/^You get back €412\.30 \(100 % of the fare/);
    expect(document.activeElement?.textContent).toBe('Cancel this booking?');
    expect(server.called('POST /api/v1/orders/ord_1/cancellations/can_1/confirm')).toHaveLength(0);
    button(one.el, 'Cancel and refund €412.30').click();
    await flush();
    expect(server.called('POST /api/v1/orders/ord_1/cancellations/can_1/confirm')).toHaveLength(1);
    expect(one.el.querySelector('.bk-status')?.textContent).toBe('Cancelled');
    expect(one.el.querySelector('.bk-refunded')?.textContent).toBe('€412.30');
    expect(one.el.querySelector('.bk-cancelled')?.textContent).toBe('Your booking is cancelled. €412.30 is refunded to your card.');
    expect(one.el.querySelector('.bk-cancel')).toBeNull();
  });

  it('Manage booking: a wrong reference says so; the right one shows the booking, cancellable as a guest', async () => {
    const server = bookingServer({
      'GET /api/v1/orders/lookup': (c) =>
        new URLSearchParams(c.search).get('reference') === 'ABC123' && new URLSearchParams(c.search).get('last_name') === 'Lovelace' ? reply(orderBody('confirmed')) : problem(404, 'not_found'),
      'POST /api/v1/orders/ord_1/cancellations': () => reply({ id: 'can_1', order_id: 'ord_1', refund: money(28861), expires_at: '2026-11-23T10:30:00Z', refund_percent: 70, status: 'quoted' }, 201),
    });
    const app = await makeApp(server.fetchFn, server.auth, false);
    const view = manageBookingView(app, ctxFor('/manage-booking'));
    document.body.append(view.el);
    submit(view.el);
    expect(control(view.el, 'Booking reference').getAttribute('aria-invalid')).toBe('true');
    set(view.el, 'Booking reference', 'XYZ999');
    set(view.el, 'Last name', 'Lovelace');
    submit(view.el);
    await flush();
    expect(view.el.querySelector('.form-alert')?.textContent).toBe('No booking matches that reference and last name. Check both and try again.');
    set(view.el, 'Booking reference', 'ABC123');
    submit(view.el);
    await flush();
    expect(view.el.querySelector('.bk-reference')?.textContent).toBe('ABC123');
    button(view.el, 'Cancel booking').click();
    await flush();
    expect(view.el.querySelector('.bk-quote')?.textContent).toMatch(/^You get back €288\.61 \(70 %/);
    expect(server.called('POST /api/v1/orders/ord_1/cancellations')[0]!.headers.get('authorization')).toBeNull();
  });
});

describe('order answers', () => {
  it('classify every outcome', () => {
    expect(classifyOrderAnswer(201, orderBody('confirmed')).kind).toBe('confirmed');
    expect(classifyOrderAnswer(202, orderBody('requires_action')).kind).toBe('requires_action');
    expect(classifyOrderAnswer(202, orderBody('ticketed')).kind).toBe('processing');
    expect(classifyOrderAnswer(409, { code: 'price_changed', new_price: money(1) })).toMatchObject({ kind: 'price_changed', newPrice: { amount_minor: 1 } });
    expect(classifyOrderAnswer(409, { code: 'sold_out' }).kind).toBe('sold_out');
    expect(classifyOrderAnswer(410, { code: 'offer_expired' }).kind).toBe('expired');
    expect(classifyOrderAnswer(409, { code: 'hold_expired' }).kind).toBe('hold_expired');
    expect(classifyOrderAnswer(402, { code: 'insufficient_funds', order: orderBody('failed') })).toMatchObject({ kind: 'declined', reason: 'insufficient_funds', message: 'The card has insufficient funds.' });
    expect(classifyOrderAnswer(409, { code: 'idempotency_key_reused' }).kind).toBe('error');
    expect(luhnOk('4111111111111111')).toBe(true);
    expect(luhnOk('4111111111111112')).toBe(false);
    for (const c of TEST_CARDS) expect(luhnOk(c.number)).toBe(true);
  });
});
