/**
 * Typed calls for booking (docs/booking.md, src/api/orders.c): live offers,
 * orders with an Idempotency-Key, 3-D Secure confirmation, the signed-in
 * user's orders, the guest lookup and cancellations (quote, then confirm).
 *
 * Signed-in users' calls go through `Session.authFetch` (the order becomes
 * theirs); guests' through plain fetch. The order answers are turned into one
 * `OrderOutcome` by `classifyOrderAnswer` (a pure function, tested on its
 * own): confirmed, processing, requires_action, price_changed, sold_out,
 * expired, declined (with the reason), hold_expired or a plain error, so each
 * page can show its message and next step.
 *
 * Separate tickets (docs/booking.md "Separate tickets"): the search answer's
 * `separate-tickets` offer is asked for with its `parts`; the live offer then
 * holds each part's own offer (`parts`), one total per part (`totals`, each in
 * its seller's currency) and `total` (null when the currencies differ); the
 * order holds each part's order (`parts`: seller, reference, tickets, status,
 * outcome). A single seller's offer or order reads as one part-less record
 * with `totals` = [total], so the pages can treat both alike.
 */

import { API_PREFIX, ApiError, defaultFetch, readProblem, type FetchFn, type Problem } from './api';
import type { Session } from './session';

export interface BkMoney {
  amount_minor: number;
  currency: string;
  /** Decimal text ("412.30"); built from amount_minor when absent. */
  amount: string;
}

export interface BkLeg {
  carrier: string;
  flight_number: number;
  date: string;
  from: string;
  to: string;
  departs_at: string;
  arrives_at: string;
  booking_class: string;
}

export interface BkConditions {
  refundable: boolean;
  refund_percent: number | null;
  refund_rule: string;
}

/** The provider code of a separate-tickets offer or order (never shown). */
export const SEPARATE_TICKETS = 'separate-tickets';

export interface LiveOffer {
  id: string;
  /** code: internal (never shown); name: the brand users see. */
  provider: { code: string; name: string };
  expires_at: string;
  /** The parts' common currency, or "XXX" for separate tickets in several currencies. */
  currency: string;
  /** null only for separate tickets sold in several currencies (see totals). */
  total: BkMoney | null;
  /** One total per ticket, each in its seller's currency: [total] for one seller. */
  totals: BkMoney[];
  /** Separate tickets: each part's own live offer, in slice order (empty for one seller). */
  parts: LiveOffer[];
  /** The trip's slices this offer covers (indices into the search's slices). */
  slice_indexes: number[];
  /** The total in the requested currency (an estimate), or null. */
  total_requested: (BkMoney & { estimate?: boolean }) | null;
  fees: BkMoney | null;
  passengers: number;
  cabin: string;
  slices: { legs: BkLeg[] }[];
  conditions: BkConditions;
  searched_price: BkMoney | null;
  price_changed: boolean | null;
  self_transfer: boolean;
  /** A leg joins two countries: every passenger needs a passport (POST /orders refuses without). */
  passport_required: boolean;
}

/** One ticket of a separate-tickets order (the part's own order). */
export interface BkOrderPart {
  id: string;
  status: string;
  reason: string | null;
  /** What happened to it when another ticket failed ("refunded at the provider … not charged"), or null. */
  outcome: string | null;
  provider: { code: string; name: string };
  booking_reference: string | null;
  tickets: string[];
  total: BkMoney;
  refunded: BkMoney | null;
  slices: { legs: BkLeg[] }[];
  /** The trip's slices this ticket covers. */
  slice_indexes: number[];
}

export interface BkOrder {
  id: string;
  status: string;
  provider: { code: string; name: string };
  /** null only for separate tickets in several currencies (see totals). */
  total: BkMoney | null;
  /** One total per ticket ([total] for one seller). */
  totals: BkMoney[];
  /** Separate tickets: each ticket's order (empty for one seller). */
  parts: BkOrderPart[];
  passengers: { given_name: string; family_name: string }[];
  contact: { email: string; phone: string | null };
  tickets: string[];
  booking_reference: string | null;
  reason: string | null;
  guest: boolean;
  hold_until: string | null;
  next_action: { type: string; method: string; url: string } | null;
  refunded: BkMoney | null;
  slices: { legs: BkLeg[] }[];
  conditions: BkConditions | null;
  created_at: string;
}

export interface CancelQuote {
  id: string;
  order_id: string;
  /** null for separate tickets in several currencies (see parts). */
  refund: BkMoney | null;
  /** Separate tickets: each ticket's refund (order_id: the part's order). */
  parts: { order_id: string; refund: BkMoney; refund_percent: number }[];
  expires_at: string;
  refund_percent: number;
  status: string;
}

/** passengers[i].document (src/booking/orders.c): as saved travellers have it. */
export interface DocumentBody {
  type: 'passport' | 'id_card';
  /** 5 to 20 capital letters and digits. */
  number: string;
  /** The issuing country's ISO 3166-1 alpha-2 code. */
  country: string;
  /** YYYY-MM-DD, valid through the last flight. */
  expiry: string;
}

export interface PassengerBody {
  traveller_id?: string;
  given_name?: string;
  family_name?: string;
  date_of_birth?: string;
  gender?: string;
  document?: DocumentBody;
}

export interface OrderBody {
  offer_id: string;
  passengers: PassengerBody[];
  contact: { email: string; phone?: string };
  card: { number: string; exp_month: number; exp_year: number; cvc: string; name?: string };
  /** One seller: the total shown. */
  expected_total?: { amount_minor: number; currency: string };
  /** Separate tickets: each part's total shown, in order, each in its seller's currency. */
  expected_totals?: { amount_minor: number; currency: string }[];
}

export type OrderOutcome =
  | { kind: 'confirmed'; order: BkOrder }
  /** Accepted, still being finished (ticketed, captured by the worker). */
  | { kind: 'processing'; order: BkOrder }
  | { kind: 'requires_action'; order: BkOrder }
  /** newPrice: the new total (null across currencies); newPrices: per ticket ([newPrice] for one seller). */
  | { kind: 'price_changed'; newPrice: BkMoney | null; newPrices: BkMoney[]; order: BkOrder | null }
  | { kind: 'sold_out'; order: BkOrder | null }
  | { kind: 'expired'; order: BkOrder | null }
  | { kind: 'hold_expired'; order: BkOrder | null }
  | { kind: 'declined'; reason: string; message: string; order: BkOrder | null }
  | { kind: 'error'; error: ApiError; order: BkOrder | null };

/* ---------------------------------------------------------------------- */
/* Normalisers                                                            */
/* ---------------------------------------------------------------------- */

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown, d = ''): string => (typeof v === 'string' ? v : d);
const num = (v: unknown, d = 0): number => (typeof v === 'number' && Number.isFinite(v) ? v : d);

const ZERO_DECIMAL = new Set(['JPY', 'KRW', 'HUF', 'ISK', 'CLP', 'VND']);

export function money(raw: unknown): BkMoney | null {
  const r = obj(raw);
  if (typeof r.amount_minor !== 'number' || typeof r.currency !== 'string') return null;
  const digits = ZERO_DECIMAL.has(r.currency) ? 0 : 2;
  const amount = typeof r.amount === 'string' ? r.amount : (r.amount_minor / 10 ** digits).toFixed(digits);
  return { amount_minor: r.amount_minor, currency: r.currency, amount };
}

/** "€412.30"; the code and amount for a currency Intl does not know. */
export function formatBkMoney(m: BkMoney): string {
  try {
    return new Intl.NumberFormat('en-GB', { style: 'currency', currency: m.currency }).format(Number(m.amount));
  } catch {
    return `${m.amount} ${m.currency}`;
  }
}

/** Amounts in several currencies, as they are charged: "$147.00 + €131.50". */
export function formatMoneyList(list: BkMoney[]): string {
  return list.map(formatBkMoney).join(' + ');
}

/** The total when there is one (one currency), else each ticket's amount: "$147.00 + €131.50". */
export function formatTotal(total: BkMoney | null, totals: BkMoney[]): string {
  return total ? formatBkMoney(total) : formatMoneyList(totals);
}

/** "US Airways", "US Airways and SeaPort Airlines", "A, B and C" (each seller once). */
export function sellerNames(parts: { provider: { name: string } }[]): string {
  const names = [...new Set(parts.map((p) => p.provider.name))];
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

function provider(raw: unknown): { code: string; name: string } {
  const r = obj(raw);
  const code = str(r.code);
  // Never show an internal code: fall back to a neutral word.
  return { code, name: str(r.name) || 'The airline or agency' };
}

function legs(raw: unknown): { legs: BkLeg[] }[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((s) => ({
    legs: (Array.isArray(obj(s).legs) ? (obj(s).legs as unknown[]) : []).map((l) => {
      const x = obj(l);
      return {
        carrier: str(x.carrier),
        flight_number: num(x.flight_number),
        date: str(x.date),
        from: str(x.from),
        to: str(x.to),
        departs_at: str(x.departs_at),
        arrives_at: str(x.arrives_at),
        booking_class: str(x.booking_class),
      };
    }),
  }));
}

function conditions(raw: unknown): BkConditions | null {
  if (!raw || typeof raw !== 'object') return null;
  const r = obj(raw);
  return { refundable: r.refundable === true, refund_percent: typeof r.refund_percent === 'number' ? r.refund_percent : null, refund_rule: str(r.refund_rule) };
}

function moneyList(raw: unknown): BkMoney[] {
  return Array.isArray(raw) ? raw.map(money).filter((m): m is BkMoney => m !== null) : [];
}

/** The sum of amounts in one currency; null when empty or the currencies differ. */
export function sumMoney(list: BkMoney[]): BkMoney | null {
  if (list.length === 0 || list.some((m) => m.currency !== list[0]!.currency)) return null;
  return money({ amount_minor: list.reduce((a, m) => a + m.amount_minor, 0), currency: list[0]!.currency });
}

/** The slices each part covers, in order: [[0], [1]] for two parts of one slice each. */
function partSlices(counts: number[]): number[][] {
  let next = 0;
  return counts.map((n) => Array.from({ length: n }, () => next++));
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

export function normalizeOffer(raw: unknown): LiveOffer {
  const r = obj(raw);
  const rawParts = Array.isArray(r.parts) ? r.parts : [];
  const parts = rawParts.map(normalizeOffer);
  const sliceLists = partSlices(parts.map((p) => p.slices.length));
  parts.forEach((p, i) => (p.slice_indexes = sliceLists[i]!));
  const totals = parts.length > 0 ? parts.map((p) => p.total!) : [];
  const total = money(r.total) ?? (parts.length > 0 ? sumMoney(totals) : null);
  if (!str(r.id) || (!total && parts.length === 0)) throw new ApiError(200, null, 'The server sent an unreadable offer');
  const slices = legs(r.slices);
  return {
    id: str(r.id),
    provider: provider(r.provider),
    expires_at: str(r.expires_at),
    currency: str(r.currency, total?.currency ?? 'XXX'),
    total,
    totals: parts.length > 0 ? totals : [total!],
    parts,
    slice_indexes: range(slices.length),
    total_requested: money(r.total_requested),
    fees: money(r.fees),
    passengers: num(r.passengers, 1),
    cabin: str(r.cabin, 'economy'),
    slices,
    conditions: conditions(r.conditions) ?? { refundable: false, refund_percent: null, refund_rule: '' },
    searched_price: money(r.searched_price),
    price_changed: typeof r.price_changed === 'boolean' ? r.price_changed : null,
    self_transfer: r.self_transfer === true,
    passport_required: r.passport_required === true,
  };
}

const tickets = (v: unknown): string[] => (Array.isArray(v) ? v.filter((t): t is string => typeof t === 'string') : []);
const optStr = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);

function normalizeOrderPart(raw: unknown): BkOrderPart {
  const r = obj(raw);
  return {
    id: str(r.id),
    status: str(r.status, 'pending'),
    reason: optStr(r.reason),
    outcome: optStr(r.outcome),
    provider: provider(r.provider),
    booking_reference: optStr(r.booking_reference),
    tickets: tickets(r.tickets),
    total: money(r.total) ?? { amount_minor: 0, currency: '', amount: '0' },
    refunded: money(r.refunded),
    slices: legs(r.slices),
    slice_indexes: [],
  };
}

export function normalizeOrder(raw: unknown): BkOrder {
  const r = obj(raw);
  const na = obj(r.next_action);
  const c = obj(r.contact);
  const parts = (Array.isArray(r.parts) ? r.parts : []).map(normalizeOrderPart);
  const sliceLists = partSlices(parts.map((p) => p.slices.length));
  parts.forEach((p, i) => (p.slice_indexes = sliceLists[i]!));
  const totals = parts.length > 0 ? parts.map((p) => p.total) : [];
  const zero = { amount_minor: 0, currency: '', amount: '0' };
  const total = money(r.total) ?? (parts.length > 0 ? sumMoney(totals) : zero);
  return {
    id: str(r.id),
    status: str(r.status, 'pending'),
    provider: provider(r.provider),
    total,
    totals: parts.length > 0 ? totals : [total ?? zero],
    parts,
    passengers: (Array.isArray(r.passengers) ? r.passengers : []).map((p) => ({ given_name: str(obj(p).given_name), family_name: str(obj(p).family_name) })),
    contact: { email: str(c.email), phone: typeof c.phone === 'string' ? c.phone : null },
    tickets: tickets(r.tickets),
    booking_reference: typeof r.booking_reference === 'string' && r.booking_reference ? r.booking_reference : null,
    reason: typeof r.reason === 'string' && r.reason ? r.reason : null,
    guest: r.guest === true,
    hold_until: typeof r.hold_until === 'string' ? r.hold_until : null,
    next_action: na.url ? { type: str(na.type), method: str(na.method, 'POST'), url: str(na.url) } : null,
    refunded: money(r.refunded),
    slices: legs(r.slices),
    conditions: conditions(r.conditions),
    created_at: str(r.created_at),
  };
}

export function normalizeQuote(raw: unknown): CancelQuote {
  const r = obj(raw);
  return {
    id: str(r.id),
    order_id: str(r.order_id),
    refund: money(r.refund) ?? (Array.isArray(r.parts) ? null : { amount_minor: 0, currency: '', amount: '0' }),
    parts: (Array.isArray(r.parts) ? r.parts : [])
      .map((p) => ({ order_id: str(obj(p).order_id), refund: money(obj(p).refund), refund_percent: num(obj(p).refund_percent) }))
      .filter((p): p is { order_id: string; refund: BkMoney; refund_percent: number } => p.refund !== null),
    expires_at: str(r.expires_at),
    refund_percent: num(r.refund_percent),
    status: str(r.status),
  };
}

const DECLINE_REASONS = new Set(['card_declined', 'insufficient_funds', 'expired_card', 'processing_error', 'authentication_failed', 'authentication_abandoned', 'payment_failed', 'payment_invalid']);

/** What a reason code means for the traveller. */
export function reasonText(reason: string | null): string {
  switch (reason) {
    case 'card_declined':
      return 'Your card was declined by your bank.';
    case 'insufficient_funds':
      return 'The card has insufficient funds.';
    case 'expired_card':
      return 'The card has expired.';
    case 'processing_error':
      return 'The card could not be processed. Nothing was charged.';
    case 'authentication_failed':
      return 'The card check with your bank (3-D Secure) failed.';
    case 'authentication_abandoned':
      return 'The card check with your bank (3-D Secure) was not completed in time.';
    case 'sold_out':
      return 'The seats sold out before the booking completed.';
    case 'offer_expired':
      return 'The offer expired before the booking completed.';
    case 'price_changed':
      return 'The price changed before the booking completed. Nothing was charged.';
    case 'hold_expired':
      return 'The seats were released before payment completed. Nothing was charged.';
    case 'provider_error':
      return 'The airline or agency could not complete the booking. Nothing was charged.';
    case 'cancelled_by_traveller':
      return 'You cancelled this booking.';
    case 'separate_ticket_failed':
      return 'Undone because another ticket of the trip could not be booked. Nothing was charged.';
    case null:
    case '':
      return '';
    default:
      return 'The booking could not be completed. Nothing was charged.';
  }
}

/** One outcome for any answer of POST /orders or /orders/{id}/payment/confirm. */
export function classifyOrderAnswer(status: number, body: unknown, retryAfter: number | null = null): OrderOutcome {
  const b = obj(body);
  const hasOrder = status < 400 || (b.order && typeof b.order === 'object');
  const order = hasOrder ? normalizeOrder(status < 400 ? body : b.order) : null;
  if (status < 400 && order) {
    if (order.status === 'confirmed') return { kind: 'confirmed', order };
    if (order.status === 'requires_action') return { kind: 'requires_action', order };
    if (order.status === 'failed') return { kind: 'declined', reason: order.reason ?? 'payment_failed', message: reasonText(order.reason), order };
    return { kind: 'processing', order };
  }
  const code = str(b.code) || str(b.title);
  if (status === 409 && code === 'price_changed') {
    if (order && order.parts.length > 0) {
      // Separate tickets: the new price of each ticket (and their sum in one currency).
      const each = moneyList(b.new_prices);
      const newPrices = each.length === order.parts.length ? each : order.totals;
      return { kind: 'price_changed', newPrice: money(b.new_price) ?? sumMoney(newPrices), newPrices, order };
    }
    const np = money(b.new_price) ?? order?.total ?? null;
    if (np) return { kind: 'price_changed', newPrice: np, newPrices: moneyList(b.new_prices).length > 1 ? moneyList(b.new_prices) : [np], order };
  }
  if (status === 409 && code === 'sold_out') return { kind: 'sold_out', order };
  if (status === 410 || code === 'offer_expired') return { kind: 'expired', order };
  if (code === 'hold_expired') return { kind: 'hold_expired', order };
  if (status === 402 || DECLINE_REASONS.has(code)) {
    return { kind: 'declined', reason: code || 'payment_failed', message: reasonText(code) || str(b.detail), order };
  }
  return { kind: 'error', error: new ApiError(status, b as Problem, undefined, retryAfter), order };
}

/* ---------------------------------------------------------------------- */
/* Client                                                                 */
/* ---------------------------------------------------------------------- */

export interface OfferRequest {
  itinerary_id: string;
  provider: string;
  /** Separate tickets: each part's seller and the slices it sells, covering the trip in order. */
  parts?: { provider: string; slices: number[] }[];
  passengers: number;
  cabin: string;
  currency?: string;
  searched_price?: { amount_minor: number; currency: string };
}

export class BookingApi {
  private readonly session: Session;
  private readonly fetchFn: FetchFn;

  constructor(session: Session, fetchFn?: FetchFn) {
    this.session = session;
    this.fetchFn = fetchFn ?? defaultFetch();
  }

  /** As the signed-in user when there is one (asGuest forces a plain call). */
  private send(path: string, init: RequestInit, asGuest = false): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('Accept', 'application/json');
    if (init.body !== undefined) headers.set('Content-Type', 'application/json');
    const full = { ...init, headers };
    if (this.session.signedIn && !asGuest) return this.session.authFetch(`${API_PREFIX}${path}`, full);
    return this.fetchFn(`${API_PREFIX}${path}`, full);
  }

  private static async json(res: Response): Promise<unknown> {
    if (!res.ok) throw await ApiError.fromResponse(res);
    try {
      return await res.json();
    } catch {
      throw new ApiError(res.status, null, 'The server sent an unreadable response');
    }
  }

  /** POST /offers: the provider's live offer. Throws ApiError (404, 409 sold out, 410, 502/504). */
  async createOffer(req: OfferRequest): Promise<LiveOffer> {
    return normalizeOffer(await BookingApi.json(await this.send('/offers', { method: 'POST', body: JSON.stringify(req) })));
  }

  private static async outcome(res: Response): Promise<OrderOutcome> {
    let body: unknown = null;
    if (res.ok) {
      try {
        body = await res.json();
      } catch {
        throw new ApiError(res.status, null, 'The server sent an unreadable response');
      }
    } else {
      body = await readProblem(res);
    }
    const retry = res.headers.get('retry-after');
    return classifyOrderAnswer(res.status, body, retry && /^\d+$/.test(retry) ? Number(retry) : null);
  }

  /** POST /orders with the attempt's key. Network failures throw (retry with the same key). */
  async createOrder(body: OrderBody, idempotencyKey: string): Promise<OrderOutcome> {
    const res = await this.send('/orders', { method: 'POST', body: JSON.stringify(body), headers: { 'Idempotency-Key': idempotencyKey } });
    return BookingApi.outcome(res);
  }

  /** POST /orders/{id}/payment/confirm (the 3-D Secure step). */
  async confirmPayment(orderId: string, asGuest = false): Promise<OrderOutcome> {
    const res = await this.send(`/orders/${encodeURIComponent(orderId)}/payment/confirm`, { method: 'POST', body: JSON.stringify({ authentication: 'pass' }) }, asGuest);
    return BookingApi.outcome(res);
  }

  async listOrders(limit = 20, offset = 0): Promise<{ orders: BkOrder[]; total: number }> {
    const r = obj(await BookingApi.json(await this.send(`/orders?limit=${limit}&offset=${offset}`, { method: 'GET' })));
    const list = Array.isArray(r.orders) ? r.orders.map(normalizeOrder) : [];
    return { orders: list, total: num(r.total, list.length) };
  }

  async getOrder(id: string): Promise<BkOrder> {
    return normalizeOrder(await BookingApi.json(await this.send(`/orders/${encodeURIComponent(id)}`, { method: 'GET' })));
  }

  /** GET /orders/lookup (guests): 404 when reference and last name do not match. */
  async lookup(reference: string, lastName: string): Promise<BkOrder> {
    const q = new URLSearchParams({ reference, last_name: lastName });
    return normalizeOrder(await BookingApi.json(await this.send(`/orders/lookup?${q.toString()}`, { method: 'GET' }, true)));
  }

  async quoteCancellation(orderId: string, asGuest = false): Promise<CancelQuote> {
    return normalizeQuote(await BookingApi.json(await this.send(`/orders/${encodeURIComponent(orderId)}/cancellations`, { method: 'POST' }, asGuest)));
  }

  async confirmCancellation(orderId: string, quoteId: string, asGuest = false): Promise<BkOrder> {
    const path = `/orders/${encodeURIComponent(orderId)}/cancellations/${encodeURIComponent(quoteId)}/confirm`;
    return normalizeOrder(await BookingApi.json(await this.send(path, { method: 'POST' }, asGuest)));
  }
}

/** A fresh key for one order attempt. */
export function newIdempotencyKey(): string {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === 'function') return c.randomUUID();
  // Fallback (very old browsers): 128 random bits.
  const b = new Uint8Array(16);
  c.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** The sandbox test cards (docs/sandbox.md "Test cards"). */
export const TEST_CARDS: readonly { number: string; label: string }[] = [
  { number: '4111111111111111', label: 'Visa: succeeds' },
  { number: '5555555555554444', label: 'Mastercard: succeeds' },
  { number: '378282246310005', label: 'American Express: succeeds (4-digit CVC)' },
  { number: '4100000000001009', label: 'Declined (card_declined)' },
  { number: '4100000000002007', label: 'Insufficient funds' },
  { number: '4100000000003005', label: 'Needs a 3-D Secure confirmation step' },
  { number: '4100000000004003', label: 'Processing error (nothing charged)' },
];

/** Luhn check for 12-19 digits (what the processor asks). */
export function luhnOk(digits: string): boolean {
  if (!/^\d{12,19}$/.test(digits)) return false;
  let sum = 0;
  let dbl = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 === 0;
}

/* ---------------------------------------------------------------------- */
/* Provider names                                                         */
/* ---------------------------------------------------------------------- */

const NAMES_KEY = 'contrail.providers';

function storedNames(): Record<string, string> {
  try {
    const raw = globalThis.localStorage?.getItem(NAMES_KEY);
    const v: unknown = raw ? JSON.parse(raw) : {};
    return v && typeof v === 'object' ? (v as Record<string, string>) : {};
  } catch {
    return {};
  }
}

/**
 * Remember a provider's display name (from a live offer's provider.name): the
 * search answer only carries internal codes, which users never see.
 */
export function rememberProviderName(code: string, name: string): void {
  if (!code || !name) return;
  try {
    const all = storedNames();
    if (all[code] === name) return;
    all[code] = name;
    globalThis.localStorage?.setItem(NAMES_KEY, JSON.stringify(all));
  } catch {
    /* storage disabled: the generic label is used */
  }
}

/** The name users see for a search offer: the brand once known, else what kind of seller it is. */
export function providerDisplayName(code: string, kind: string): string {
  const known = storedNames()[code];
  if (known) return known;
  switch (kind) {
    case 'airline':
      return 'The airline (direct)';
    case 'agency':
      return 'Travel agency';
    case 'combiner':
      return 'Combined tickets';
    case 'separate':
      return 'Separate tickets';
    default:
      return 'Another seller';
  }
}
