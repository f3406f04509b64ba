/**
 * The booking pages against a fake of the booking API (src/api/orders.c's
 * answers): the happy path, a price change, sold out, an expired offer, a
 * declined card, 3-D Secure, retries with the same Idempotency-Key, saved
 * travellers, passports on international trips, "My trips" with a
 * cancellation and "Manage booking"; separate tickets (several sellers, each
 * charged in its own currency) through the same pages.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AccountApi, type Profile } from './accountApi';
import { ProfileStore, type App } from './app';
import type { FetchFn } from './api';
import { classifyOrderAnswer, luhnOk, normalizeOffer, normalizeOrder, normalizeQuote, providerDisplayName, TEST_CARDS } from './bookingApi';
import { normalizeItinerary } from './results';
import { resolve, type RouteContext, type Router } from './router';
import { Session } from './session';
import { FakeAuthServer, ManualTimers, MemoryStorage } from './testServer';
import { nonstopRaw } from './testSearchData';
import { flush } from './testUtils';
import { bookPath, bookView, parseBookParams, parseParts } from './views/book';
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

async function openBook(routes: Record<string, Handler | Handler[]>, opts: { signedIn?: boolean; href?: string } = {}) {
  const server = bookingServer(routes);
  const app = await makeApp(server.fetchFn, server.auth, opts.signedIn);
  let tickFn: (() => void) | null = null;
  let clock = NOW;
  const view = bookView(app, ctxFor(opts.href ?? BOOK), {
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

  it('the booking page keeps each of the four cabins from its link, and economy for any other', () => {
    for (const cabin of ['economy', 'premium_economy', 'business', 'first']) {
      const href = bookPath({ itinerary: 'i', provider: 'ota-usd', adults: 1, cabin, currency: 'EUR', searched: null, back: '' });
      expect(parseBookParams(new URL(href, 'http://x').search).cabin).toBe(cabin);
    }
    expect(parseBookParams('?itinerary=i&provider=p&cabin=sleeper').cabin).toBe('economy');
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

/* ---------------------------------------------------------------------- */
/* Separate tickets (docs/booking.md "Separate tickets")                  */
/* ---------------------------------------------------------------------- */

describe('separate tickets', () => {
  const OUT = { carrier: 'US', flight_number: 11, date: '2026-12-13', from: 'ORD', to: 'DFW', departs_at: '2026-12-13T22:20:00Z', arrives_at: '2026-12-14T00:30:00Z', booking_class: 'H' };
  const BACK = { carrier: 'K5', flight_number: 1, date: '2026-12-17', from: 'DFW', to: 'ORD', departs_at: '2026-12-17T19:41:00Z', arrives_at: '2026-12-17T21:51:00Z', booking_class: 'H' };
  const SEARCH_PARTS = [
    { provider: 'airline-1', provider_name: 'US Airways', slices: [0], price: money(14008), original: money(14700, 'USD') },
    { provider: 'airline-2', provider_name: 'SeaPort Airlines', slices: [1], price: money(13150), original: money(13150) },
  ];
  /** A round trip ORD ⇄ DFW as two tickets: US Airways in USD, SeaPort Airlines in EUR (or USD). */
  function part(i: 0 | 1, extra: Record<string, unknown> = {}) {
    return offerBody({
      id: `off_p${i}`,
      provider: i === 0 ? { code: 'airline-1', name: 'US Airways' } : { code: 'airline-2', name: 'SeaPort Airlines' },
      currency: i === 0 ? 'USD' : 'EUR',
      total: i === 0 ? money(14700, 'USD') : money(13150),
      fees: null,
      // The return's seller holds its price for less time: the countdown follows it.
      expires_at: i === 0 ? '2026-11-23T10:15:00Z' : '2026-11-23T10:12:00Z',
      slices: [{ legs: [i === 0 ? OUT : BACK] }],
      conditions: { refundable: true, refund_percent: 70, refund_rule: '70 % of the fare is refunded after ticketing', changes: null },
      searched_price: null,
      total_requested: undefined,
      ...extra,
    });
  }
  function groupOffer(parts = [part(0), part(1)]) {
    const same = parts.every((p) => p.currency === parts[0]!.currency);
    return {
      id: 'off_g',
      provider: { code: 'separate-tickets', name: 'Separate tickets' },
      expires_at: '2026-11-23T10:15:00Z',
      currency: same ? parts[0]!.currency : 'XXX',
      total: same ? money(parts.reduce((n, p) => n + p.total.amount_minor, 0), parts[0]!.currency) : null,
      fees: null,
      totals: parts.map((p) => p.total),
      passengers: 1,
      cabin: 'economy',
      slices: parts.flatMap((p) => p.slices),
      conditions: { refundable: true, refund_percent: 70, refund_rule: "each ticket is refunded under its own provider's rule", self_transfer: true, separate_tickets: true },
      self_transfer: true,
      passport_required: false,
      parts,
      price_changed: false,
      searched_price: money(27158),
      total_requested: { amount_minor: 27158, currency: 'EUR', estimate: true },
    };
  }
  function orderPart(i: 0 | 1, status: string, extra: Record<string, unknown> = {}) {
    return {
      id: `ord_p${i}`,
      status,
      provider: part(i).provider,
      total: part(i).total,
      tickets: status === 'confirmed' ? [i === 0 ? '5182553957073' : '9789394276269'] : [],
      offer_id: `off_p${i}`,
      booking_reference: i === 0 ? 'GQ5EXY' : 'V58VQ4',
      reason: null,
      slices: part(i).slices,
      conditions: part(i).conditions,
      parent_order_id: 'ord_g',
      outcome: null,
      part: i,
      ...extra,
    };
  }
  function groupOrder(status: string, parts = [orderPart(0, status), orderPart(1, status)], extra: Record<string, unknown> = {}) {
    return {
      id: 'ord_g',
      status,
      provider: { code: 'separate-tickets', name: 'Separate tickets' },
      total: null,
      passengers: [{ given_name: 'Ada', family_name: 'Lovelace' }],
      contact: { email: 'ada@example.com', phone: null },
      tickets: parts.flatMap((p) => p.tickets),
      offer_id: 'off_g',
      created_at: '2026-11-23T10:01:00Z',
      booking_reference: 'GQ5EXY + V58VQ4',
      reason: null,
      guest: true,
      slices: [part(0).slices[0], part(1).slices[0]],
      conditions: groupOffer().conditions,
      parts,
      totals: parts.map((p) => p.total),
      ...(status === 'requires_action' ? { next_action: { type: 'confirm_payment', method: 'POST', url: '/api/v1/orders/ord_g/payment/confirm' }, hold_until: '2026-11-23T10:20:00Z' } : {}),
      ...extra,
    };
  }
  const SEP = bookPath({
    itinerary: 'i_US11-20261213-ORDDFW~K51-20261217-DFWORD',
    provider: 'separate-tickets',
    parts: [
      { provider: 'airline-1', slices: [0] },
      { provider: 'airline-2', slices: [1] },
    ],
    adults: 1,
    cabin: 'economy',
    currency: 'EUR',
    searched: { amount_minor: 27158, currency: 'EUR' },
    back: '/search?from=ORD&to=DFW&date=2026-12-13&return=2026-12-17',
  });
  const text = (el: ParentNode, sel: string) => Array.from(el.querySelectorAll(sel)).map((x) => x.textContent?.trim());

  it('normalises the group offer: parts with their slices, one total per part, no sum across currencies', () => {
    const mixed = normalizeOffer(groupOffer());
    expect(mixed.total).toBeNull();
    expect(mixed.currency).toBe('XXX');
    expect(mixed.totals.map((t) => `${t.amount} ${t.currency}`)).toEqual(['147.00 USD', '131.50 EUR']);
    expect(mixed.parts.map((p) => [p.id, p.provider.name, p.slice_indexes])).toEqual([
      ['off_p0', 'US Airways', [0]],
      ['off_p1', 'SeaPort Airlines', [1]],
    ]);
    expect(mixed.slice_indexes).toEqual([0, 1]);
    expect(mixed.total_requested?.amount).toBe('271.58'); // built from amount_minor
    const usd = normalizeOffer(groupOffer([part(0), part(1, { currency: 'USD', total: money(13800, 'USD') })]));
    expect(usd.total).toMatchObject({ amount_minor: 28500, currency: 'USD' });
    // A server that leaves total out: the sum when the currencies agree.
    expect(normalizeOffer({ ...groupOffer([part(0), part(1, { currency: 'USD', total: money(13800, 'USD') })]), total: undefined }).total).toMatchObject({ amount_minor: 28500 });
    // One seller: totals is [total], no parts.
    const one = normalizeOffer(offerBody());
    expect(one.totals).toEqual([one.total]);
    expect(one.parts).toEqual([]);
  });

  it('normalises the group order, its price change (new_prices) and its cancellation quote', () => {
    const o = normalizeOrder(groupOrder('failed', [orderPart(0, 'failed', { reason: 'sold_out' }), orderPart(1, 'failed', { reason: 'separate_ticket_failed', outcome: 'released because another ticket of the trip failed; not charged' })], { reason: 'sold_out' }));
    expect(o.total).toBeNull();
    expect(o.totals.map((t) => t.currency)).toEqual(['USD', 'EUR']);
    expect(o.parts.map((p) => [p.status, p.reason, p.outcome, p.booking_reference, p.slice_indexes])).toEqual([
      ['failed', 'sold_out', null, 'GQ5EXY', [0]],
      ['failed', 'separate_ticket_failed', 'released because another ticket of the trip failed; not charged', 'V58VQ4', [1]],
    ]);
    const out = classifyOrderAnswer(409, { code: 'price_changed', new_prices: [money(15000, 'USD'), money(13150)], order: groupOrder('failed', undefined, { reason: 'price_changed' }) });
    expect(out).toMatchObject({ kind: 'price_changed', newPrice: null, newPrices: [{ amount_minor: 15000, currency: 'USD' }, { amount_minor: 13150, currency: 'EUR' }] });
    const single = classifyOrderAnswer(409, { code: 'price_changed', new_price: money(1) });
    expect(single).toMatchObject({ kind: 'price_changed', newPrice: { amount_minor: 1 }, newPrices: [{ amount_minor: 1 }] });
    const q = normalizeQuote({ id: 'can_1', order_id: 'ord_g', refund: null, expires_at: '2026-11-23T10:30:00Z', refund_percent: 70, status: 'quoted', parts: [{ order_id: 'ord_p0', refund: money(10290, 'USD'), refund_percent: 70 }, { order_id: 'ord_p1', refund: money(9205), refund_percent: 70 }] });
    expect(q.refund).toBeNull();
    expect(q.parts.map((p) => `${p.order_id} ${p.refund.amount} ${p.refund.currency}`)).toEqual(['ord_p0 102.90 USD', 'ord_p1 92.05 EUR']);
  });

  it('the results page: Select on the separate-tickets offer carries its parts to /book; the offer names each seller', () => {
    const raw = {
      ...nonstopRaw,
      id: 'i_US11-20261213-ORDDFW~K51-20261217-DFWORD',
      slices: [nonstopRaw.slices[0], { ...nonstopRaw.slices[0], origin: 'JFK', destination: 'LHR' }],
      offers: [
        { provider: 'separate-tickets', provider_name: 'Separate tickets', kind: 'separate', price: money(27158), original: money(27158), self_transfer: false, parts: SEARCH_PARTS },
        { provider: 'ota-eur', provider_name: 'Voyagio', kind: 'agency', price: money(41230), original: money(41230), self_transfer: false },
        // Parts that cannot be read: shown, not bookable here.
        { provider: 'separate-tickets', kind: 'separate', price: money(50000), original: money(50000), self_transfer: false, parts: [{ provider: 'x', slices: 'all' }] },
      ],
    };
    const it0 = normalizeItinerary(raw)!;
    expect(it0.offers[0]!.parts).toEqual([
      { provider: 'airline-1', provider_name: 'US Airways', slices: [0], price: money(14008), original: money(14700, 'USD') },
      { provider: 'airline-2', provider_name: 'SeaPort Airlines', slices: [1], price: money(13150), original: money(13150) },
    ]);
    expect(it0.offers[1]!.parts).toEqual([]);
    const card = itineraryCard(it0, 'round', (o) =>
      o.kind === 'separate' && o.parts.length === 0 ? null : bookPath({ itinerary: it0.id, provider: o.provider, parts: o.parts, adults: 1, cabin: 'economy', currency: 'EUR', searched: o.price, back: '/search?x=1' }),
    );
    const rows = Array.from(card.querySelectorAll<HTMLElement>('.offer'));
    expect(rows[0]!.querySelector('.offer-parts')?.textContent).toBe('2 tickets, each charged by its seller: US Airways US$147.00 + SeaPort Airlines €131.50');
    const href = rows[0]!.querySelector<HTMLAnchorElement>('.offer-select')!.getAttribute('href')!;
    expect(href).toContain('parts=airline-1%3A0%2Cairline-2%3A1');
    const p = parseBookParams(new URL(href, 'http://x').search);
    expect(p).toMatchObject({ provider: 'separate-tickets', parts: [{ provider: 'airline-1', slices: [0] }, { provider: 'airline-2', slices: [1] }], searched: { amount_minor: 27158, currency: 'EUR' } });
    // The cheapest is the split: the card's own Select goes there too.
    expect(card.querySelector('.itin-select')?.getAttribute('href')).toBe(href);
    expect(rows[2]!.querySelector('.offer-select')).toBeNull();
    expect(parseParts('combiner:0,airline-1:1.2')).toEqual([{ provider: 'combiner', slices: [0] }, { provider: 'airline-1', slices: [1, 2] }]);
    expect(parseParts('combiner:0,airline-1')).toEqual([]);
    expect(parseBookParams('?itinerary=i_x&provider=ota-eur').parts).toEqual([]);
  });

  it('happy path across two currencies: each ticket explained, the countdown on the earliest expiry, expected_totals sent, both references confirmed', async () => {
    const { view, called } = await openBook(
      {
        'POST /api/v1/offers': () => reply(groupOffer(), 201),
        'POST /api/v1/orders': () => reply(groupOrder('confirmed'), 201),
      },
      { href: SEP },
    );
    const el = view.el;
    expect(called('POST /api/v1/offers')[0]!.body).toEqual({
      itinerary_id: 'i_US11-20261213-ORDDFW~K51-20261217-DFWORD',
      provider: 'separate-tickets',
      parts: [
        { provider: 'airline-1', slices: [0] },
        { provider: 'airline-2', slices: [1] },
      ],
      passengers: 1,
      cabin: 'economy',
      currency: 'EUR',
      searched_price: { amount_minor: 27158, currency: 'EUR' },
    });
    expect(stepTitle()).toBe('Your offer: 2 separate tickets');
    expect(el.querySelector('.bk-separate-note')?.textContent).toMatch(/^This trip is 2 separate tickets, each sold by its own seller \(US Airways and SeaPort Airlines\).*Each ticket is charged separately on your card, in its seller's currency\. If one ticket cannot be issued, the other is undone and nothing is charged\./);
    const parts = Array.from(el.querySelectorAll<HTMLElement>('.bk-part'));
    expect(parts.map((p) => p.querySelector('.bk-part-title')?.textContent)).toEqual(['Ticket 1 of 2: US Airways', 'Ticket 2 of 2: SeaPort Airlines']);
    expect(parts.map((p) => p.querySelector('.bk-part-price')?.textContent)).toEqual(['US$147.00, charged by US Airways', '€131.50, charged by SeaPort Airlines']);
    expect(parts.map((p) => text(p, '.bk-slice-title'))).toEqual([['Outbound'], ['Return']]);
    expect(parts.map((p) => p.querySelector('.bk-leg-route')?.textContent)).toEqual(['ORD → DFW', 'DFW → ORD']);
    expect(el.querySelector('.bk-price-amount')?.textContent).toBe('US$147.00 + €131.50');
    expect(el.querySelector('.bk-price-converted')?.textContent).toBe('about €271.58 in all');
    expect(el.querySelector('.bk-timer')?.textContent).toBe('Price held for 12:00');
    expect(el.textContent).not.toMatch(/airline-1|airline-2|separate-tickets/);

    await toPayment(el);
    expect(stepTitle()).toBe('Payment');
    expect(el.querySelector('.bk-pay-total')?.textContent).toBe('You pay US$147.00 + €131.50 in 2 separate charges on your card: US$147.00 to US Airways, €131.50 to SeaPort Airlines.');
    expect(button(el, /^Pay /).textContent).toBe('Pay US$147.00 + €131.50');
    pay(el);
    await flush();
    const [post] = called('POST /api/v1/orders');
    expect(post!.body!.offer_id).toBe('off_g');
    expect(post!.body!.expected_totals).toEqual([
      { amount_minor: 14700, currency: 'USD' },
      { amount_minor: 13150, currency: 'EUR' },
    ]);
    expect(post!.body).not.toHaveProperty('expected_total');

    expect(stepTitle()).toBe('Your booking is confirmed');
    expect(el.querySelector('div.bk-done .notice-body')?.textContent).toMatch(/^Booked as 2 separate tickets with US Airways and SeaPort Airlines, each with its own reference\./);
    expect(el.querySelector('.bk-ref')?.textContent).toBe('GQ5EXY + V58VQ4');
    const done = Array.from(el.querySelectorAll<HTMLElement>('.bk-part'));
    expect(done.map((p) => p.querySelector('.bk-part-seller')?.textContent)).toEqual(['US Airways', 'SeaPort Airlines']);
    expect(done.map((p) => p.querySelector('.bk-part-ref')?.textContent)).toEqual(['GQ5EXY', 'V58VQ4']);
    expect(done.map((p) => p.querySelector('.bk-part-tickets')?.textContent)).toEqual(['5182553957073', '9789394276269']);
    expect(done.map((p) => p.querySelector('.bk-part-status')?.textContent)).toEqual(['Confirmed', 'Confirmed']);
    expect(el.querySelector('.bk-total-paid')?.textContent).toBe('Total paid: US$147.00 + €131.50, in 2 separate charges on your card.');
    // Manage booking finds the trip with any one reference.
    expect(el.querySelector('.bk-manage')?.getAttribute('href')).toBe('/manage-booking?reference=GQ5EXY&last_name=Lovelace');
    expect(providerDisplayName('airline-2', 'airline')).toBe('SeaPort Airlines');
  });

  it('one currency: the total is their sum, the order still sends one expected total per part', async () => {
    const usd = [part(0), part(1, { currency: 'USD', total: money(13800, 'USD') })];
    const { view, called } = await openBook({ 'POST /api/v1/offers': () => reply(groupOffer(usd), 201), 'POST /api/v1/orders': () => reply(groupOrder('confirmed', [orderPart(0, 'confirmed'), orderPart(1, 'confirmed', { total: money(13800, 'USD') })], { total: money(28500, 'USD') }), 201) }, { href: SEP });
    const el = view.el;
    expect(el.querySelector('.bk-price-amount')?.textContent).toBe('US$285.00');
    expect(el.querySelector('.bk-price-fees')?.textContent).toBe('in 2 charges: US$147.00 + US$138.00');
    await toPayment(el);
    expect(button(el, /^Pay /).textContent).toBe('Pay US$285.00');
    pay(el);
    await flush();
    expect(called('POST /api/v1/orders')[0]!.body!.expected_totals).toEqual([
      { amount_minor: 14700, currency: 'USD' },
      { amount_minor: 13800, currency: 'USD' },
    ]);
    expect(el.querySelector('.bk-total-paid')?.textContent).toBe('Total paid: US$285.00 (US$147.00 + US$138.00), in 2 separate charges on your card.');
  });

  it('price changed (409 new_prices): each ticket’s new price, nothing charged; continuing resends new_prices with a new key', async () => {
    const failed = groupOrder('failed', [orderPart(0, 'failed', { reason: 'separate_ticket_failed', outcome: 'released because another ticket of the trip failed; not charged' }), orderPart(1, 'failed', { reason: 'price_changed', total: money(14900) })], { reason: 'price_changed' });
    const { view, called } = await openBook(
      {
        'POST /api/v1/offers': () => reply(groupOffer(), 201),
        'POST /api/v1/orders': [() => problem(409, 'price_changed', { new_prices: [money(14700, 'USD'), money(14900)], order: failed }), () => reply(groupOrder('confirmed'), 201)],
      },
      { href: SEP },
    );
    const el = view.el;
    await toPayment(el);
    pay(el);
    await flush();
    expect(stepTitle()).toBe('The price has changed');
    expect(el.querySelector('.bk-price-changed .notice-body')?.textContent).toMatch(/^The price of one ticket changed: the trip now costs US\$147\.00 \+ €149\.00\. Nothing was charged\./);
    expect(text(el, '.bk-new-price')).toEqual(['US Airways (outbound ORD → DFW): US$147.00, unchanged', 'SeaPort Airlines (return DFW → ORD): now €149.00 instead of €131.50']);
    expect(el.querySelector('.bk-new-price.is-changed')?.getAttribute('data-part')).toBe('1');
    button(el, 'Continue at US$147.00 + €149.00').click();
    expect(stepTitle()).toBe('Payment');
    expect(button(el, /^Pay /).textContent).toBe('Pay US$147.00 + €149.00');
    submit(el);
    await flush();
    const posts = called('POST /api/v1/orders');
    expect(posts).toHaveLength(2);
    expect(posts[1]!.body!.expected_totals).toEqual([
      { amount_minor: 14700, currency: 'USD' },
      { amount_minor: 14900, currency: 'EUR' },
    ]);
    expect(posts[1]!.headers.get('idempotency-key')).not.toBe(posts[0]!.headers.get('idempotency-key'));
    expect(stepTitle()).toBe('Your booking is confirmed');
  });

  it('a failed group (one ticket sold out, the other undone): which ticket failed, what happened to the other, nothing charged', async () => {
    const failed = groupOrder(
      'failed',
      [orderPart(0, 'failed', { reason: 'separate_ticket_failed', outcome: 'refunded at the provider because another ticket of the trip failed; not charged', tickets: ['5182553957073'] }), orderPart(1, 'failed', { reason: 'sold_out' })],
      { reason: 'sold_out' },
    );
    const { view } = await openBook({ 'POST /api/v1/offers': () => reply(groupOffer(), 201), 'POST /api/v1/orders': () => problem(409, 'sold_out', { order: failed }) }, { href: SEP });
    const el = view.el;
    await toPayment(el);
    pay(el);
    await flush();
    expect(stepTitle()).toBe('Sold out');
    expect(el.querySelector('div.bk-problem .notice-body')?.textContent).toMatch(/^One ticket of this trip sold out before the booking completed, so the other ticket was undone\. Nothing was charged\./);
    expect(text(el, '.bk-part-outcome')).toEqual([
      'Ticket 1, US Airways (outbound ORD → DFW, US$147.00): Refunded at the provider because another ticket of the trip failed; not charged.',
      'Ticket 2, SeaPort Airlines (return DFW → ORD, €131.50): Could not be booked: The seats sold out before the booking completed.',
    ]);
    expect(el.querySelector('.bk-part-outcome[data-failed="true"]')?.getAttribute('data-part')).toBe('1');
    expect(el.querySelector('.bk-nothing-charged')?.textContent).toBe('Nothing was charged for any ticket of this trip.');
  });

  it('a declined card on separate tickets: the reason and each ticket’s state on the payment step', async () => {
    const failed = groupOrder('failed', [orderPart(0, 'failed', { reason: 'card_declined' }), orderPart(1, 'failed', { reason: 'separate_ticket_failed', outcome: 'released because another ticket of the trip failed; not charged' })], { reason: 'card_declined' });
    const { view } = await openBook({ 'POST /api/v1/offers': () => reply(groupOffer(), 201), 'POST /api/v1/orders': () => problem(402, 'card_declined', { order: failed }) }, { href: SEP });
    await toPayment(view.el);
    pay(view.el, '4100000000001009');
    await flush();
    expect(stepTitle()).toBe('Payment');
    const alert = view.el.querySelector<HTMLElement>('.bk-declined')!;
    expect(alert.dataset.reason).toBe('card_declined');
    expect(text(alert, '.bk-part-outcome')).toEqual([
      'Ticket 1, US Airways (outbound ORD → DFW, US$147.00): Could not be booked: Your card was declined by your bank.',
      'Ticket 2, SeaPort Airlines (return DFW → ORD, €131.50): Released because another ticket of the trip failed; not charged.',
    ]);
  });

  it('3-D Secure confirms every ticket’s payment at once through the group’s confirm URL', async () => {
    const { view, called } = await openBook(
      {
        'POST /api/v1/offers': () => reply(groupOffer(), 201),
        'POST /api/v1/orders': () => reply(groupOrder('requires_action'), 202),
        'POST /api/v1/orders/ord_g/payment/confirm': () => reply(groupOrder('confirmed'), 201),
      },
      { href: SEP },
    );
    await toPayment(view.el);
    pay(view.el, '4100000000003005');
    await flush();
    expect(stepTitle()).toBe('Confirm the payment with your bank');
    expect(view.el.textContent).toContain('confirm the 2 payments of this trip (3-D Secure): US$147.00 to US Airways, €131.50 to SeaPort Airlines. One confirmation covers them all.');
    button(view.el, 'Confirm payment').click();
    await flush();
    expect(called('POST /api/v1/orders/ord_g/payment/confirm')).toHaveLength(1);
    expect(text(view.el, '.bk-part-ref')).toEqual(['GQ5EXY', 'V58VQ4']);
  });

  it('a part refused when asking for the offer (parts[1]…) names that ticket', async () => {
    const { view } = await openBook({ 'POST /api/v1/offers': () => problem(409, 'sold_out', { field: 'parts[1].itinerary_id' }) }, { href: SEP });
    expect(stepTitle()).toBe('Sold out');
    expect(view.el.querySelector('div.bk-problem .notice-body')?.textContent).toMatch(/^The return ticket \(2 of 2\) of this trip is sold out\. Nothing was booked or charged\./);
  });

  it('My trips and the order card: each ticket (seller, reference, e-tickets, status), the totals, and a cancellation refunding each ticket', async () => {
    const server = bookingServer({
      'GET /api/v1/orders': () => reply({ orders: [groupOrder('confirmed', undefined, { guest: false })], total: 1, limit: 20, offset: 0 }),
      'GET /api/v1/orders/ord_g': () => reply(groupOrder('confirmed', undefined, { guest: false })),
      'POST /api/v1/orders/ord_g/cancellations': () =>
        reply({ id: 'can_1', order_id: 'ord_g', refund: null, expires_at: '2026-11-23T10:30:00Z', refund_percent: 70, status: 'quoted', parts: [{ order_id: 'ord_p0', refund: money(10290, 'USD'), refund_percent: 70 }, { order_id: 'ord_p1', refund: money(9205), refund_percent: 70 }] }, 201),
      'POST /api/v1/orders/ord_g/cancellations/can_1/confirm': () =>
        reply(groupOrder('cancelled', [orderPart(0, 'cancelled', { refunded: money(10290, 'USD'), reason: 'cancelled_by_traveller' }), orderPart(1, 'cancelled', { refunded: money(9205), reason: 'cancelled_by_traveller' })], { guest: false, refunded: null, reason: 'cancelled_by_traveller' })),
    });
    const app = await makeApp(server.fetchFn, server.auth, true);
    const list = tripsView(app, ctxFor('/trips', true));
    document.body.append(list.el);
    await flush();
    const row = list.el.querySelector<HTMLElement>('.trip')!;
    expect(row.querySelector('.trip-provider')?.textContent).toBe('Separate tickets: US Airways and SeaPort Airlines');
    expect(row.querySelector('.trip-total')?.textContent).toBe('US$147.00 + €131.50');
    expect(row.querySelector('.trip-ref')?.textContent).toBe('GQ5EXY + V58VQ4');
    document.body.replaceChildren();

    const one = tripsView(app, ctxFor('/trips?id=ord_g', true));
    document.body.append(one.el);
    await flush();
    const el = one.el;
    expect(el.querySelector('.bk-provider')?.textContent).toBe('2 separate tickets: US Airways and SeaPort Airlines');
    expect(el.querySelector('.bk-reference')?.textContent).toBe('GQ5EXY + V58VQ4');
    expect(el.querySelector('.bk-total')?.textContent).toBe('US$147.00 + €131.50');
    expect(text(el, '.bk-part-seller')).toEqual(['US Airways', 'SeaPort Airlines']);
    expect(text(el, '.bk-part-ref')).toEqual(['GQ5EXY', 'V58VQ4']);
    expect(text(el, '.bk-part-status')).toEqual(['Confirmed', 'Confirmed']);
    expect(text(el, '.bk-part-total')).toEqual(['US$147.00', '€131.50']);
    expect(text(el, '.bk-part .bk-leg-route')).toEqual(['ORD → DFW', 'DFW → ORD']);
    button(el, 'Cancel booking').click();
    await flush();
    expect(document.activeElement?.textContent).toBe('Cancel all 2 tickets?');
    expect(el.querySelector('.bk-quote')?.textContent).toMatch(/^You get back US\$102\.90 \+ €92\.05 in all: each seller refunds its own ticket to your card\./);
    expect(text(el, '.bk-quote-part')).toEqual(['US Airways: US$102.90 back (70 % of its fare, under its rules)', 'SeaPort Airlines: €92.05 back (70 % of its fare, under its rules)']);
    button(el, 'Cancel all tickets and refund US$102.90 + €92.05').click();
    await flush();
    expect(server.called('POST /api/v1/orders/ord_g/cancellations/can_1/confirm')).toHaveLength(1);
    expect(el.querySelector('.bk-cancelled')?.textContent).toBe('Your 2 tickets are cancelled. US$102.90 + €92.05 are refunded to your card.');
    expect(text(el, '.bk-part-status')).toEqual(['Cancelled', 'Cancelled']);
    expect(text(el, '.bk-part-refunded')).toEqual(['US$102.90', '€92.05']);
    expect(el.querySelector('.bk-refunded')?.textContent).toBe('US$102.90 + €92.05');
    expect(el.textContent).not.toMatch(/airline-1|airline-2|separate-tickets/);
  });

  it('a failed group in My trips says which ticket failed and that nothing was charged', async () => {
    const failed = groupOrder('failed', [orderPart(0, 'failed', { reason: 'separate_ticket_failed', outcome: 'released because another ticket of the trip failed; not charged' }), orderPart(1, 'failed', { reason: 'provider_error' })], { reason: 'provider_error', guest: false });
    const server = bookingServer({ 'GET /api/v1/orders/ord_g': () => reply(failed) });
    const app = await makeApp(server.fetchFn, server.auth, true);
    const one = tripsView(app, ctxFor('/trips?id=ord_g', true));
    document.body.append(one.el);
    await flush();
    expect(text(one.el, '.bk-part-outcome')).toEqual(['Released because another ticket of the trip failed; not charged.', 'Could not be booked: The airline or agency could not complete the booking. Nothing was charged.']);
    expect(one.el.querySelector('.bk-nothing-charged')?.textContent).toBe('Nothing was charged for any ticket of this trip.');
    expect(one.el.querySelector('.bk-cancel')).toBeNull();
  });
});
