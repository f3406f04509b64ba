/**
 * /book?itinerary=&provider=&adults=&cabin=&currency=&price=&price_currency=&back=
 * The booking flow for one offer of the results page, as steps of one page:
 *
 *   offer (POST /offers: the live price, a change from the searched price,
 *   the time left before the offer expires, counting down) → passengers
 *   (saved travellers of a signed-in user, or typed; validated; each one's
 *   passport when the offer says passport_required, prefilled from a saved
 *   traveller's, else an optional travel document) → payment
 *   (card form; the sandbox's test cards listed) → 3-D Secure (the order is
 *   requires_action: a button calls the confirm route) → confirmation with
 *   the booking reference.
 *
 * Sold out, a price change (409 price_changed: the new price, confirm to pay
 * it with expected_total updated), an expired offer (410) and a declined card
 * each get a message with the next step; a 400 naming a passenger's field
 * (passengers[1].document.expiry) shows on that field. Each order attempt
 * (one body) has its own Idempotency-Key, kept when the same attempt is retried after a
 * network failure or a 5xx, so a retry can never book twice. The card never
 * leaves this page's memory. On every step change focus moves to the step's
 * heading.
 *
 * Separate tickets (&provider=separate-tickets&parts=combiner:0,airline-1:1,
 * a part selling several slices as airline-1:1.2): the offer step explains
 * that each part is its own ticket from its own seller, charged separately on
 * the card, with each part's seller, flights and price in its own currency,
 * the total (or the amounts per currency when they differ) and the countdown
 * on the earliest expiry; the order sends expected_totals (one per part); a
 * price change shows each ticket's new price and resends with new_prices; the
 * confirmation lists each ticket (seller, reference, e-tickets); a failed
 * group says which ticket failed, what was done with the others, and that
 * nothing was charged.
 */

import type { App, View } from '../app';
import { ApiError } from '../api';
import type { Traveller } from '../accountApi';
import {
  formatBkMoney,
  formatMoneyList,
  formatTotal,
  luhnOk,
  newIdempotencyKey,
  rememberProviderName,
  SEPARATE_TICKETS,
  sellerNames,
  sumMoney,
  TEST_CARDS,
  type BkMoney,
  type BkOrder,
  type LiveOffer,
  type OrderBody,
  type OrderOutcome,
  type PassengerBody,
} from '../bookingApi';
import { h, nextId } from '../dom';
import { cabinLabel, isSearchCabin } from '../options';
import { field, type Field } from '../forms';
import {
  documentBody,
  documentFromTraveller,
  EMPTY_DOC,
  isDocEmpty,
  lastFlightDate,
  normalizeDocument,
  passengerBody,
  passengerProblemField,
  validateDocument,
  type DocField,
  type DocInput,
} from '../passengerForm';
import { describeError, fieldMessage } from '../problems';
import type { RouteContext } from '../router';
import { validateBirthDate, validateEmail, validateTravellerName } from '../validators';
import { bookingApi, countdownText, flightList, groupFailure, legTime, partRoute, partsList, totalsText } from './orderDetail';
import { loading, notice } from './shell';

/** Shown only when the server runs against the sandbox processor (the only one today). */
export const SANDBOX = import.meta.env.VITE_CONTRAIL_SANDBOX !== 'false';

/** One ticket of separate tickets: its seller (code) and the trip's slices it sells. */
export interface BookPart {
  provider: string;
  slices: number[];
}

export interface BookParams {
  itinerary: string;
  provider: string;
  /** Separate tickets: the parts from the search answer (empty for one seller). */
  parts: BookPart[];
  adults: number;
  cabin: string;
  currency: string;
  searched: { amount_minor: number; currency: string } | null;
  /** The results page to go back to ("/search?…"). */
  back: string;
}

/** "combiner:0,airline-1:1" (a part of several slices: "airline-1:1.2"). */
export function formatParts(parts: BookPart[]): string {
  return parts.map((x) => `${x.provider}:${x.slices.join('.')}`).join(',');
}

/** The parts of a /book URL; [] when absent or unreadable (then nothing is asked for). */
export function parseParts(text: string | null): BookPart[] {
  if (!text) return [];
  const out: BookPart[] = [];
  for (const item of text.split(',')) {
    const m = /^(.+):(\d{1,2}(?:\.\d{1,2})*)$/.exec(item.trim());
    if (!m) return [];
    out.push({ provider: m[1]!, slices: m[2]!.split('.').map(Number) });
  }
  return out;
}

/** The /book URL for one offer of a results page. */
export function bookPath(p: Omit<BookParams, 'parts'> & { parts?: BookPart[] }): string {
  const q = new URLSearchParams({ itinerary: p.itinerary, provider: p.provider });
  if (p.parts && p.parts.length > 0) q.set('parts', formatParts(p.parts));
  q.set('adults', String(p.adults));
  q.set('cabin', p.cabin);
  q.set('currency', p.currency);
  if (p.searched) {
    q.set('price', String(p.searched.amount_minor));
    q.set('price_currency', p.searched.currency);
  }
  if (p.back) q.set('back', p.back);
  return `/book?${q.toString()}`;
}

export function parseBookParams(search: string): BookParams {
  const q = new URLSearchParams(search);
  const adults = Math.min(9, Math.max(1, Number(q.get('adults')) || 1));
  const price = q.get('price');
  const back = q.get('back') ?? '';
  return {
    itinerary: q.get('itinerary') ?? '',
    provider: q.get('provider') ?? '',
    parts: parseParts(q.get('parts')),
    adults,
    cabin: isSearchCabin(q.get('cabin') ?? '') ? q.get('cabin')! : 'economy',
    currency: (q.get('currency') ?? '').toUpperCase(),
    searched: price && /^\d+$/.test(price) && q.get('price_currency') ? { amount_minor: Number(price), currency: q.get('price_currency')!.toUpperCase() } : null,
    back: back.startsWith('/search?') ? back : '',
  };
}

type Step = 'offer' | 'passengers' | 'payment' | 'verify' | 'done' | 'problem';
const STEPS: { step: Step; label: string }[] = [
  { step: 'offer', label: 'Offer' },
  { step: 'passengers', label: 'Passengers' },
  { step: 'payment', label: 'Payment' },
  { step: 'done', label: 'Confirmation' },
];

interface PassengerState {
  travellerId: string;
  given: string;
  family: string;
  birth: string;
  gender: string;
  /** The travel document fields (a passport when the offer requires one). */
  doc: DocInput;
  /** An optional document was added ("Add travel document"); always true when required. */
  docOpen: boolean;
}

/** A server 400 to show on a passenger's field when the form is drawn again. */
interface FieldProblem {
  index: number;
  field: string;
  message: string;
}

/** Upper-case what is typed, keeping the caret where it was. */
function upperAsTyped(c: HTMLInputElement): void {
  c.addEventListener('input', () => {
    const up = c.value.toUpperCase();
    if (up === c.value) return;
    const [a, b] = [c.selectionStart, c.selectionEnd];
    c.value = up;
    if (a !== null && b !== null) c.setSelectionRange(a, b);
  });
}

export interface BookViewOptions {
  now?: () => number;
  setInterval?: (fn: () => void, ms: number) => unknown;
  clearInterval?: (h: unknown) => void;
  sandbox?: boolean;
}

export function bookView(app: App, ctx: RouteContext, opts: BookViewOptions = {}): View {
  const params = parseBookParams(ctx.url.search);
  const api = bookingApi(app);
  const now = opts.now ?? (() => Date.now());
  const setTick = opts.setInterval ?? ((fn: () => void, ms: number) => window.setInterval(fn, ms));
  const clearTick = opts.clearInterval ?? ((x: unknown) => window.clearInterval(x as number));
  const sandbox = opts.sandbox ?? SANDBOX;
  let destroyed = false;
  let offer: LiveOffer | null = null;
  let tick: unknown = null;
  let step: Step = 'offer';
  let travellers: Traveller[] = [];
  const pax: PassengerState[] = Array.from({ length: params.adults }, () => ({ travellerId: '', given: '', family: '', birth: '', gender: '', doc: { ...EMPTY_DOC }, docOpen: false }));
  const contact = { email: app.profile.current?.email ?? '', phone: '' };
  /** What the traveller agreed to pay, per ticket (the offer's totals, or confirmed new prices). */
  let expected: BkMoney[] | null = null;
  /** Separate tickets (the offer has parts). */
  const isGroup = () => (offer?.parts.length ?? 0) > 0;
  /** The current attempt: its body (without the card, compared as JSON) and key. */
  let attempt: { body: string; key: string } | null = null;

  const heading = h('h1', { id: 'page-title', tabindex: '-1' }, 'Book your flight');
  const stepsNav = h('ol', { class: 'bk-steps', 'aria-label': 'Booking steps' });
  const timer = h('p', { class: 'bk-timer', hidden: true });
  const main = h('div', { class: 'bk-main' });
  const el = h(
    'div',
    { class: 'page page-book' },
    h('div', { class: 'page-band' }, h('div', { class: 'container page-band-inner' }, h('p', { class: 'eyebrow' }, 'Booking'), heading, stepsNav, timer)),
    h('div', { class: 'container bk-layout' }, main),
  );

  function renderSteps(): void {
    const idx = STEPS.findIndex((s) => s.step === (step === 'verify' ? 'payment' : step));
    stepsNav.replaceChildren(
      ...STEPS.map((s, i) =>
        h('li', { class: `bk-step${i === idx ? ' is-current' : ''}${idx >= 0 && i < idx ? ' is-done' : ''}`, 'aria-current': i === idx ? 'step' : null }, h('span', {}, s.label)),
      ),
    );
  }

  /** Show a step: its heading receives focus (keyboard and screen-reader users start there). */
  function show(next: Step, title: string, ...content: (Node | null)[]): HTMLElement {
    step = next;
    renderSteps();
    const h2 = h('h2', { class: 'bk-step-title', id: 'bk-step-title', tabindex: '-1' }, title);
    main.replaceChildren(h('section', { class: `card bk-card bk-${next}`, 'aria-labelledby': 'bk-step-title' }, h('div', { class: 'card-body' }, h2, ...content)));
    if (next === 'done' || next === 'problem') stopTimer();
    h2.focus();
    return h2;
  }

  function problem(title: string, message: string, actions: HTMLElement[], tone: 'error' | 'warning' | 'info' = 'error', extra: HTMLElement | null = null): void {
    show('problem', title, h('div', { role: 'alert', class: 'bk-problem' }, notice(message, tone), extra), h('div', { class: 'bk-actions' }, actions));
    app.announce(title);
  }

  /** A failed separate-tickets order: what happened to each ticket (null for one seller). */
  const failedParts = (o: BkOrder | null): HTMLElement | null => (o && o.parts.length > 0 ? groupFailure(o) : null);

  const searchAgain = (primary = true) => h('a', { class: `btn ${primary ? 'btn-primary' : 'btn-ghost'} bk-search-again`, href: params.back || '/' }, params.back ? 'Back to the results' : 'Search again');
  const newSearch = () => h('a', { class: 'btn btn-ghost', href: '/' }, 'New search');

  function soldOut(o: BkOrder | null = null): void {
    if (o && o.parts.length > 0) {
      const rest = o.parts.length > 2 ? 'the other tickets were' : 'the other ticket was';
      problem('Sold out', `One ticket of this trip sold out before the booking completed, so ${rest} undone. Nothing was charged. Choose another flight or offer.`, [searchAgain(), newSearch()], 'error', failedParts(o));
      return;
    }
    problem('Sold out', 'These seats are no longer available: the flight sold out. Nothing was charged. Choose another flight or offer.', [searchAgain(), newSearch()]);
  }
  function expiredOffer(o: BkOrder | null = null): void {
    problem('This offer has expired', 'Offers are held for a limited time and this one is no longer available. Nothing was charged. Search again for the current prices.', [searchAgain(), newSearch()], 'warning', failedParts(o));
  }

  /* ------------------------------ timer -------------------------------- */

  function stopTimer(): void {
    if (tick !== null) clearTick(tick);
    tick = null;
    timer.hidden = true;
  }

  /** When the offer expires: for separate tickets, the earliest of its parts. */
  function expiry(o: LiveOffer): number {
    const all = [o.expires_at, ...o.parts.map((p) => p.expires_at)].map((x) => Date.parse(x)).filter((x) => !Number.isNaN(x));
    return all.length ? Math.min(...all) : NaN;
  }

  function startTimer(): void {
    stopTimer();
    if (!offer) return;
    const until = expiry(offer);
    if (Number.isNaN(until)) return;
    let warned = false;
    const update = () => {
      const left = (until - now()) / 1000;
      if (left <= 0) {
        stopTimer();
        if (step !== 'done' && step !== 'verify') expiredOffer();
        return;
      }
      timer.hidden = false;
      timer.textContent = `Price held for ${countdownText(left)}`;
      timer.classList.toggle('is-urgent', left < 120);
      if (left < 60 && !warned) {
        warned = true;
        app.announce('Less than a minute left before this offer expires.');
      }
    };
    update();
    tick = setTick(update, 1000);
  }

  /* ------------------------------ offer -------------------------------- */

  async function loadOffer(): Promise<void> {
    step = 'offer';
    renderSteps();
    main.replaceChildren(loading('Asking for the live price…'));
    if (!params.itinerary || !params.provider || (params.provider === SEPARATE_TICKETS && params.parts.length === 0)) {
      problem('Nothing to book', 'This page needs an offer chosen on the results page.', [newSearch()]);
      return;
    }
    try {
      offer = await api.createOffer({
        itinerary_id: params.itinerary,
        provider: params.provider,
        ...(params.parts.length > 0 ? { parts: params.parts } : {}),
        passengers: params.adults,
        cabin: params.cabin,
        ...(params.currency ? { currency: params.currency } : {}),
        ...(params.searched ? { searched_price: params.searched } : {}),
      });
    } catch (err) {
      if (destroyed) return;
      offerError(err);
      return;
    }
    if (destroyed) return;
    rememberProviderName(offer.provider.code, offer.provider.name);
    for (const p of offer.parts) rememberProviderName(p.provider.code, p.provider.name);
    expected = offer.totals;
    attempt = null;
    startTimer();
    renderOffer();
  }

  /** "the return ticket (2 of 2)" for a problem naming parts[1]…, else null. */
  function partNamed(err: ApiError): string | null {
    const m = /^parts\[(\d+)\]/.exec(String((err.problem as { field?: string } | null)?.field ?? ''));
    if (!m || params.parts.length === 0) return null;
    const i = Number(m[1]);
    const part = params.parts[i];
    const count = params.parts.reduce((n, x) => Math.max(n, ...x.slices.map((y) => y + 1)), 0);
    const what = part?.slices.length === 1 && count === 2 ? (part.slices[0] === 0 ? 'the outbound ticket' : 'the return ticket') : `ticket ${i + 1}`;
    return `${what} (${i + 1} of ${params.parts.length})`;
  }

  function offerError(err: unknown): void {
    if (err instanceof ApiError) {
      const code = String((err.problem as { code?: string } | null)?.code ?? '');
      const part = partNamed(err);
      if (part) {
        // Separate tickets: one part's seller refused; the trip cannot be sold as these tickets.
        const why =
          err.status === 409 || code === 'sold_out'
            ? 'is sold out'
            : err.status === 410
              ? 'is no longer offered'
              : err.status >= 500
                ? 'could not be priced: its seller did not answer'
                : `cannot be offered (${describeError(err)})`;
        const title = err.status === 409 || code === 'sold_out' ? 'Sold out' : 'These separate tickets are not available';
        return problem(title, `${part[0]!.toUpperCase()}${part.slice(1)} of this trip ${why}. Nothing was booked or charged. Choose another offer.`, [retryButton(() => void loadOffer()), searchAgain(false)], 'warning');
      }
      if (err.status === 409 || code === 'sold_out') return soldOut();
      if (err.status === 410) return expiredOffer();
      if (err.status === 404) return problem('No longer available', 'This itinerary cannot be offered any more (the schedules or prices changed). Search again.', [searchAgain(), newSearch()]);
      if (err.status === 503 && !code) {
        return problem('Booking is not available', 'Booking is not available right now. Please try again in a moment.', [retryButton(() => void loadOffer()), searchAgain(false)], 'warning');
      }
      if (err.status === 502 || err.status === 504 || err.status >= 500) {
        return problem('The airline or agency did not answer', `We could not get the live price. ${err.retryAfter ? `Try again in ${err.retryAfter} seconds.` : 'Try again in a moment.'}`, [retryButton(() => void loadOffer()), searchAgain(false)], 'warning');
      }
    }
    problem('Could not get the offer', describeError(err), [retryButton(() => void loadOffer()), searchAgain(false)]);
  }

  function retryButton(fn: () => void, text = 'Try again'): HTMLButtonElement {
    return h('button', { type: 'button', class: 'btn btn-primary bk-retry', onclick: fn }, text);
  }

  function priceBlock(o: LiveOffer): HTMLElement {
    if (!o.total) {
      // Separate tickets in several currencies: no one sum, each ticket charged in its own.
      return h(
        'div',
        { class: 'bk-price bk-price-split' },
        h('span', { class: 'bk-price-label' }, `Total${o.passengers > 1 ? ` for ${o.passengers} passengers` : ''}, in ${o.totals.length} charges`),
        h('span', { class: 'bk-price-amount' }, formatMoneyList(o.totals)),
        o.total_requested ? h('span', { class: 'bk-price-converted' }, `about ${formatBkMoney(o.total_requested)} in all`) : null,
      );
    }
    const shown = o.total_requested && o.total_requested.currency !== o.total.currency ? o.total_requested : null;
    return h(
      'div',
      { class: 'bk-price' },
      h('span', { class: 'bk-price-label' }, o.passengers > 1 ? `Total for ${o.passengers} passengers` : 'Total'),
      h('span', { class: 'bk-price-amount', 'data-minor': String(o.total.amount_minor) }, formatBkMoney(o.total)),
      shown ? h('span', { class: 'bk-price-converted' }, `about ${formatBkMoney(shown)}`) : null,
      o.fees && o.fees.amount_minor > 0 ? h('span', { class: 'bk-price-fees' }, `includes ${formatBkMoney(o.fees)} fees`) : null,
      o.parts.length > 0 ? h('span', { class: 'bk-price-fees' }, `in ${o.totals.length} charges: ${formatMoneyList(o.totals)}`) : null,
    );
  }

  function priceChangeNote(o: LiveOffer): HTMLElement | null {
    if (o.price_changed !== true || !o.searched_price) return null;
    const now = o.total_requested && o.total_requested.currency === o.searched_price.currency ? o.total_requested : o.total;
    if (!now) return null;
    const up = now.amount_minor > o.searched_price.amount_minor && now.currency === o.searched_price.currency;
    return h(
      'div',
      { class: 'bk-price-change', role: 'status' },
      notice(`The price changed since your search: it was ${formatBkMoney(o.searched_price)}, it is now ${formatBkMoney(now)}${up ? ' (higher)' : ''}.`, 'warning'),
    );
  }

  /** Separate tickets: what they are, then each ticket (seller, flights, price in its currency, rules). */
  function separateTickets(o: LiveOffer): HTMLElement[] {
    const count = o.slices.length || o.parts.reduce((n, p) => n + p.slices.length, 0);
    const sellers = sellerNames(o.parts);
    return [
      h(
        'div',
        { class: 'bk-separate-note' },
        notice(
          `This trip is ${o.parts.length} separate tickets, each sold by its own seller (${sellers}) under its own booking reference and conditions. Each ticket is charged separately on your card, in its seller's currency. If one ticket cannot be issued, ${o.parts.length > 2 ? 'the others are' : 'the other is'} undone and nothing is charged. A change or delay on one ticket does not change ${o.parts.length > 2 ? 'the others' : 'the other'}.`,
          'info',
        ),
      ),
      h(
        'ol',
        { class: 'bk-parts', 'aria-label': 'Tickets' },
        o.parts.map((p, i) =>
          h(
            'li',
            { class: 'bk-part', 'data-part': String(i) },
            h('h3', { class: 'bk-part-title' }, `Ticket ${i + 1} of ${o.parts.length}: `, h('span', { class: 'bk-part-seller' }, p.provider.name)),
            flightList(p.slices, { indexes: p.slice_indexes, count }),
            h('p', { class: 'bk-part-price', 'data-minor': String(p.total?.amount_minor ?? '') }, `${p.total ? formatBkMoney(p.total) : ''}, charged by ${p.provider.name}`),
            h(
              'p',
              { class: 'bk-part-rules' },
              p.conditions.refundable ? `Refundable${p.conditions.refund_percent !== null ? `: ${p.conditions.refund_percent} % of this fare back if you cancel` : ''}.` : 'Not refundable.',
              p.conditions.refund_rule ? ` ${p.conditions.refund_rule}.` : '',
            ),
            p.self_transfer ? h('p', { class: 'bk-warn' }, 'Self-transfer within this ticket: you collect your bags and check in again.') : null,
          ),
        ),
      ),
    ];
  }

  function renderOffer(): void {
    const o = offer!;
    const cond = o.conditions;
    if (isGroup()) {
      show(
        'offer',
        `Your offer: ${o.parts.length} separate tickets`,
        priceChangeNote(o),
        ...separateTickets(o),
        priceBlock(o),
        h(
          'ul',
          { class: 'bk-conditions', 'aria-label': 'Conditions' },
          h('li', {}, `${cabinLabel(o.cabin)} class, ${o.passengers} ${o.passengers === 1 ? 'adult' : 'adults'}`),
          h('li', {}, 'Each ticket is refunded and changed under its own seller’s rules.'),
          Number.isNaN(expiry(o)) ? null : h('li', {}, `Offer valid until ${legTime(new Date(expiry(o)).toISOString())} UTC (the earliest ticket’s).`),
        ),
        o.passport_required ? h('p', { class: 'bk-passport-note' }, 'International trip: each passenger needs a passport valid through the last flight.') : null,
        h('div', { class: 'bk-actions' }, h('button', { type: 'button', class: 'btn btn-primary bk-continue', onclick: () => void renderPassengers() }, 'Continue to passengers'), searchAgain(false)),
      );
      return;
    }
    show(
      'offer',
      `Your offer from ${o.provider.name}`,
      priceChangeNote(o),
      flightList(o.slices),
      priceBlock(o),
      h(
        'ul',
        { class: 'bk-conditions', 'aria-label': 'Conditions' },
        h('li', {}, `${cabinLabel(o.cabin)} class, ${o.passengers} ${o.passengers === 1 ? 'adult' : 'adults'}`),
        h('li', {}, cond.refundable ? `Refundable${cond.refund_percent !== null ? `: ${cond.refund_percent} % of the fare back if you cancel` : ''}` : 'Not refundable'),
        cond.refund_rule ? h('li', {}, cond.refund_rule) : null,
        o.self_transfer ? h('li', { class: 'bk-warn' }, 'Self-transfer: separate tickets, you collect your bags and check in again.') : null,
        o.expires_at ? h('li', {}, `Offer valid until ${legTime(o.expires_at)} UTC.`) : null,
      ),
      o.passport_required ? h('p', { class: 'bk-passport-note' }, 'International trip: each passenger needs a passport valid through the last flight.') : null,
      h('div', { class: 'bk-actions' }, h('button', { type: 'button', class: 'btn btn-primary bk-continue', onclick: () => void renderPassengers() }, 'Continue to passengers'), searchAgain(false)),
    );
  }

  /* ---------------------------- passengers ----------------------------- */

  async function renderPassengers(serverProblem: FieldProblem | null = null): Promise<void> {
    if (app.session.signedIn && travellers.length === 0) {
      main.replaceChildren(loading('Loading your saved travellers…'));
      try {
        travellers = await app.api.listTravellers();
      } catch {
        travellers = []; // typing them still works
      }
      if (destroyed) return;
      if (!contact.email) contact.email = app.profile.current?.email ?? '';
    }
    const form = h('form', { class: 'bk-form', novalidate: true });
    const alert = h('div', { class: 'form-alert', role: 'alert' });
    const required = offer!.passport_required;
    const rules = { required, lastFlight: lastFlightDate(offer!), today: app.today() };
    const rows: { pick: HTMLSelectElement | null; given: Field; family: Field; birth: Field; gender: Field; box: HTMLElement; doc: DocBlock }[] = [];
    if (required) {
      form.append(
        h(
          'p',
          { class: 'bk-passport-note' },
          `This trip crosses a border: enter each passenger’s passport${rules.lastFlight ? `, valid through the last flight on ${rules.lastFlight}` : ''}.`,
        ),
      );
    }
    pax.forEach((p, i) => {
      const given = field({ label: 'Given names', name: `given-${i}`, autocomplete: i === 0 ? 'given-name' : 'off', value: p.given, required: true, hint: 'As written in the travel document.' });
      const family = field({ label: 'Family name', name: `family-${i}`, autocomplete: i === 0 ? 'family-name' : 'off', value: p.family, required: true });
      const birth = field({ label: 'Date of birth', name: `birth-${i}`, type: 'date', value: p.birth, required: true, attrs: { max: app.today() } });
      const gender = field({
        label: 'Gender',
        name: `gender-${i}`,
        type: 'select',
        optional: true,
        value: p.gender,
        options: [
          { value: '', label: 'Not specified' },
          { value: 'F', label: 'Female' },
          { value: 'M', label: 'Male' },
          { value: 'X', label: 'Unspecified (X)' },
        ],
      });
      const box = h('div', { class: 'bk-pax-fields' }, given.wrap, family.wrap, birth.wrap, gender.wrap);
      let pick: HTMLSelectElement | null = null;
      let pickWrap: HTMLElement | null = null;
      if (travellers.length > 0) {
        const id = nextId('bk-pick');
        pick = h('select', { id, class: 'field-input field-select bk-pick', name: `traveller-${i}` });
        pick.add(new Option('Type the passenger’s details', ''));
        for (const t of travellers) pick.add(new Option(`${t.given_name} ${t.family_name} (born ${t.birth_date})`, t.id));
        pick.value = p.travellerId;
        const sel = pick;
        sel.addEventListener('change', () => {
          box.hidden = sel.value !== '';
          if (sel.value) {
            // A required passport is prefilled to check; an optional document travels with the traveller.
            doc.fill(documentFromTraveller(travellers.find((t) => t.id === sel.value), required) ?? { ...EMPTY_DOC });
            doc.setOpen(false);
          }
          doc.sync(sel.value !== '');
        });
        box.hidden = p.travellerId !== '';
        pickWrap = h('div', { class: 'field form-field' }, h('label', { for: id, class: 'field-label' }, 'Saved traveller'), pick);
      }
      const doc = documentBlock(i, p, required, rules.lastFlight || rules.today);
      doc.sync(p.travellerId !== '');
      rows.push({ pick, given, family, birth, gender, box, doc });
      form.append(h('fieldset', { class: 'bk-pax' }, h('legend', {}, `Passenger ${i + 1} (adult)`), pickWrap, box, doc.el));
    });
    const email = field({ label: 'E-mail', name: 'email', type: 'email', autocomplete: 'email', value: contact.email, required: true, hint: 'The confirmation and e-tickets go here.' });
    const phone = field({ label: 'Phone', name: 'phone', type: 'tel', autocomplete: 'tel', value: contact.phone, optional: true });
    form.append(
      h('fieldset', { class: 'bk-contact' }, h('legend', {}, 'Contact'), email.wrap, phone.wrap),
      alert,
      h('div', { class: 'bk-actions' }, h('button', { type: 'submit', class: 'btn btn-primary bk-continue' }, 'Continue to payment'), h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => renderOffer() }, 'Back')),
    );

    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const errors: { f: Field; msg: string }[] = [];
      const chosen = new Set<string>();
      rows.forEach((r, i) => {
        for (const f of [r.given, r.family, r.birth, ...Object.values(r.doc.fields)]) setError(f, null);
        const p = pax[i]!;
        p.travellerId = r.pick?.value ?? '';
        p.given = r.given.control.value.trim().replace(/\s+/g, ' ');
        p.family = r.family.control.value.trim().replace(/\s+/g, ' ');
        p.birth = r.birth.control.value;
        p.gender = r.gender.control.value;
        p.doc = normalizeDocument(r.doc.read());
        p.docOpen = r.doc.open;
        if (required || p.docOpen) {
          const de = validateDocument(p.doc, rules);
          for (const k of ['type', 'number', 'country', 'expiry'] as const) {
            const f = r.doc.fields[k] ?? r.doc.fields.number;
            if (de[k]) errors.push({ f, msg: de[k] });
          }
        }
        if (p.travellerId) {
          if (chosen.has(p.travellerId)) errors.push({ f: r.given, msg: 'This saved traveller is already a passenger. Choose another or type the details.' });
          chosen.add(p.travellerId);
          return;
        }
        const g = validateTravellerName(p.given, 'Given names');
        if (g) errors.push({ f: r.given, msg: g });
        const fm = validateTravellerName(p.family, 'Family name');
        if (fm) errors.push({ f: r.family, msg: fm });
        const b = validateBirthDate(p.birth, app.today());
        if (b) errors.push({ f: r.birth, msg: b });
      });
      setError(email, null);
      contact.email = email.control.value.trim();
      contact.phone = phone.control.value.trim();
      const em = validateEmail(contact.email);
      if (em) errors.push({ f: email, msg: em });
      for (const x of errors) {
        const row = rows.find((r) => r.given === x.f);
        if (row && x.f.wrap.parentElement?.hidden) row.box.hidden = false;
        setError(x.f, x.msg);
      }
      if (errors.length > 0) {
        errors.sort((a, b) => (a.f.control.compareDocumentPosition(b.f.control) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1));
        alert.textContent = errors.length === 1 ? 'Please correct the highlighted field.' : `Please correct the ${errors.length} highlighted fields.`;
        errors[0]!.f.control.focus();
        return;
      }
      renderPayment();
    });
    show('passengers', 'Who is travelling?', form);
    if (serverProblem) showServerProblem(serverProblem, rows, alert);
  }

  interface DocBlock {
    el: HTMLElement;
    /** type only when the document is optional (a passport is then one choice). */
    fields: Partial<Record<DocField, Field>> & { number: Field; country: Field; expiry: Field };
    open: boolean;
    read(): DocInput;
    fill(d: DocInput): void;
    /** Show or hide for the passenger's choice (picked: a saved traveller). */
    sync(picked: boolean): void;
    setOpen(open: boolean): void;
  }

  /**
   * The passenger's travel document: a passport (required) or, optional, a
   * document added with "Add travel document". A picked saved traveller's
   * document travels with it unless a passport is required (then it is shown,
   * prefilled, to check or correct).
   */
  function documentBlock(i: number, p: PassengerState, required: boolean, validThrough: string): DocBlock {
    const word = required ? 'Passport' : 'Document';
    const number = field({
      label: `${word} number`,
      name: `doc-number-${i}`,
      autocomplete: 'off',
      value: p.doc.number,
      required: true,
      hint: '5 to 20 capital letters and digits, as printed.',
      attrs: { maxlength: '24', autocapitalize: 'characters', spellcheck: 'false' },
    });
    const country = field({
      label: 'Issuing country',
      name: `doc-country-${i}`,
      autocomplete: 'off',
      value: p.doc.country,
      required: true,
      hint: 'Two-letter code, e.g. DE, GB, US.',
      attrs: { maxlength: '2', autocapitalize: 'characters', spellcheck: 'false', class: 'field-input input-short' },
    });
    const expiry = field({
      label: 'Expiry date',
      name: `doc-expiry-${i}`,
      type: 'date',
      value: p.doc.expiry,
      required: true,
      hint: `Valid through ${validThrough} at least.`,
      attrs: { min: validThrough },
    });
    upperAsTyped(number.control as HTMLInputElement);
    upperAsTyped(country.control as HTMLInputElement);
    const type = required
      ? null
      : field({
          label: 'Document type',
          name: `doc-type-${i}`,
          type: 'select',
          value: p.doc.type,
          options: [
            { value: 'passport', label: 'Passport' },
            { value: 'id_card', label: 'ID card' },
          ],
        });
    const inner = h('div', { class: 'bk-doc-fields', id: nextId('bk-doc') }, type?.wrap ?? null, number.wrap, country.wrap, expiry.wrap);
    const toggle = required ? null : h('button', { type: 'button', class: 'btn btn-ghost bk-add-doc', 'aria-controls': inner.id, 'aria-expanded': 'false' }, 'Add travel document');
    const el = h(
      'fieldset',
      { class: `bk-doc${required ? ' is-required' : ''}` },
      h('legend', {}, required ? 'Passport' : 'Travel document'),
      required ? null : h('p', { class: 'field-hint' }, 'Optional for this trip: a passport or an ID card.'),
      toggle,
      inner,
    );
    const block: DocBlock = {
      el,
      fields: { ...(type ? { type } : {}), number, country, expiry },
      open: required || p.docOpen,
      read: () => ({ type: required ? 'passport' : (type?.control.value ?? 'passport'), number: number.control.value, country: country.control.value, expiry: expiry.control.value }),
      fill(d) {
        if (type) type.control.value = d.type;
        number.control.value = d.number;
        country.control.value = d.country;
        expiry.control.value = d.expiry;
      },
      sync(picked) {
        el.hidden = !required && picked && !block.open;
      },
      setOpen(open) {
        block.open = required || open;
        inner.hidden = !block.open;
        if (toggle) {
          toggle.setAttribute('aria-expanded', String(block.open));
          toggle.textContent = block.open ? 'Remove travel document' : 'Add travel document';
        }
      },
    };
    toggle?.addEventListener('click', () => {
      block.setOpen(!block.open);
      if (block.open) (type ?? number).control.focus();
    });
    block.setOpen(block.open);
    return block;
  }

  /** The server's 400 on a passenger's field, shown on that field (opening what hides it). */
  function showServerProblem(sp: FieldProblem, rows: { given: Field; family: Field; birth: Field; box: HTMLElement; pick: HTMLSelectElement | null; doc: DocBlock }[], alert: HTMLElement): void {
    const r = rows[sp.index];
    if (!r) return;
    let f: Field;
    let label: string;
    switch (sp.field) {
      case 'given_name':
      case 'traveller_id':
        f = r.given;
        label = 'Given names';
        break;
      case 'family_name':
        f = r.family;
        label = 'Family name';
        break;
      case 'date_of_birth':
        f = r.birth;
        label = 'Date of birth';
        break;
      default: {
        const k = sp.field as DocField | 'document';
        f = (k !== 'document' ? r.doc.fields[k] : undefined) ?? r.doc.fields.number;
        label = k === 'document' ? '' : (f.label.textContent?.replace(/\s*\(optional\)$/, '') ?? '');
        if (!r.doc.open && r.pick?.value) {
          // A saved traveller's own document was refused: shown, to correct, and sent with the order.
          const saved = documentFromTraveller(travellers.find((t) => t.id === r.pick!.value), false);
          if (saved) r.doc.fill(saved);
        }
        r.doc.setOpen(true);
        r.doc.el.hidden = false;
      }
    }
    if (f.wrap.parentElement === r.box) r.box.hidden = false;
    const msg = label ? fieldMessage(undefined, `${label}: ${sp.message}`) : fieldMessage(undefined, sp.message);
    setError(f, msg);
    alert.textContent = `The booking was not made: ${msg}`;
    f.control.focus();
  }

  function setError(f: Field, msg: string | null): void {
    f.error.textContent = msg ?? '';
    f.error.hidden = !msg;
    if (msg) {
      f.control.setAttribute('aria-invalid', 'true');
      const ids = (f.control.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean);
      if (!ids.includes(f.error.id)) f.control.setAttribute('aria-describedby', [...ids, f.error.id].join(' '));
    } else {
      f.control.removeAttribute('aria-invalid');
    }
  }

  /* ------------------------------ payment ------------------------------ */

  function passengerBodies(): PassengerBody[] {
    const required = offer?.passport_required === true;
    return pax.map((p) => {
      const withDoc = required || (p.docOpen && !isDocEmpty(p.doc));
      return passengerBody(p, travellers.find((t) => t.id === p.travellerId), withDoc ? documentBody(p.doc) : null);
    });
  }

  function renderPayment(note: HTMLElement | null = null, card?: { number: string; month: string; year: string; cvc: string; name: string }): void {
    const o = offer!;
    const form = h('form', { class: 'bk-form bk-pay-form', novalidate: true });
    const alert = h('div', { class: 'form-alert bk-pay-alert', role: 'alert' });
    const number = field({ label: 'Card number', name: 'cc-number', autocomplete: 'cc-number', value: card?.number ?? '', required: true, attrs: { inputmode: 'numeric' } });
    const month = field({ label: 'Expiry month', name: 'cc-exp-month', autocomplete: 'cc-exp-month', value: card?.month ?? '', required: true, placeholder: 'MM', attrs: { inputmode: 'numeric', maxlength: '2' }, className: 'bk-half' });
    const year = field({ label: 'Expiry year', name: 'cc-exp-year', autocomplete: 'cc-exp-year', value: card?.year ?? '', required: true, placeholder: 'YYYY', attrs: { inputmode: 'numeric', maxlength: '4' }, className: 'bk-half' });
    const cvc = field({ label: 'Security code (CVC)', name: 'cc-csc', autocomplete: 'cc-csc', value: card?.cvc ?? '', required: true, attrs: { inputmode: 'numeric', maxlength: '4' }, className: 'bk-half' });
    const holder = field({ label: 'Name on card', name: 'cc-name', autocomplete: 'cc-name', value: card?.name ?? '', optional: true });
    const totals = expected ?? o.totals;
    const sum = isGroup() ? sumMoney(totals) : totals[0]!;
    const pay = h('button', { type: 'submit', class: 'btn btn-primary bk-pay' }, `Pay ${formatTotal(sum, totals)}`);
    const status = h('p', { class: 'bk-pay-status', role: 'status' });
    let tests: HTMLElement | null = null;
    if (sandbox) {
      tests = h(
        'details',
        { class: 'bk-test-cards', open: true },
        h('summary', {}, 'Sandbox test cards'),
        h('p', { class: 'field-hint' }, 'Any future expiry date and any CVC (3 digits, 4 for American Express).'),
        h(
          'ul',
          {},
          TEST_CARDS.map((c) =>
            h(
              'li',
              {},
              h(
                'button',
                {
                  type: 'button',
                  class: 'btn btn-ghost bk-test-card',
                  'data-number': c.number,
                  onclick: () => {
                    number.control.value = c.number;
                    if (!month.control.value) month.control.value = '12';
                    if (!year.control.value) year.control.value = String(new Date(now()).getUTCFullYear() + 2);
                    if (!cvc.control.value || cvc.control.value.length !== (c.number.startsWith('37') ? 4 : 3)) cvc.control.value = c.number.startsWith('37') ? '1234' : '123';
                    number.control.focus();
                  },
                },
                h('span', { class: 'bk-test-number' }, c.number),
                h('span', { class: 'bk-test-label' }, ` — ${c.label}`),
              ),
            ),
          ),
        ),
      );
    }
    const youPay = isGroup()
      ? `You pay ${formatTotal(sum, totals)} in ${totals.length} separate charges on your card: ${o.parts.map((p, i) => `${formatBkMoney(totals[i] ?? p.total!)} to ${p.provider.name}`).join(', ')}.`
      : `You pay ${formatBkMoney(sum!)} to ${o.provider.name}.`;
    form.append(
      h('p', { class: 'bk-pay-total' }, youPay),
      h('fieldset', { class: 'bk-card-fields' }, h('legend', {}, 'Card'), number.wrap, h('div', { class: 'bk-row' }, month.wrap, year.wrap, cvc.wrap), holder.wrap),
      alert,
      status,
      h('div', { class: 'bk-actions' }, pay, h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => void renderPassengers() }, 'Back')),
    );

    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const digits = number.control.value.replace(/[\s-]/g, '');
      const mm = Number(month.control.value);
      const yyyy = Number(year.control.value);
      const errs: { f: Field; msg: string }[] = [];
      for (const f of [number, month, year, cvc]) setError(f, null);
      if (!luhnOk(digits)) errs.push({ f: number, msg: 'Enter the card number (12 to 19 digits, as printed on the card).' });
      if (!/^\d{1,2}$/.test(month.control.value) || mm < 1 || mm > 12) errs.push({ f: month, msg: 'Enter the expiry month, 1 to 12.' });
      if (!/^\d{4}$/.test(year.control.value) || yyyy < 2000 || yyyy > 2099) errs.push({ f: year, msg: 'Enter the expiry year with four digits, like 2028.' });
      const cvcLen = digits.startsWith('34') || digits.startsWith('37') ? 4 : 3;
      if (!new RegExp(`^\\d{${cvcLen}}$`).test(cvc.control.value)) errs.push({ f: cvc, msg: `Enter the ${cvcLen}-digit security code.` });
      for (const x of errs) setError(x.f, x.msg);
      if (errs.length) {
        alert.textContent = 'Please correct the highlighted card details.';
        errs[0]!.f.control.focus();
        return;
      }
      alert.textContent = '';
      const body: OrderBody = {
        offer_id: o.id,
        passengers: passengerBodies(),
        contact: { email: contact.email, ...(contact.phone ? { phone: contact.phone } : {}) },
        card: { number: digits, exp_month: mm, exp_year: yyyy, cvc: cvc.control.value, ...(holder.control.value.trim() ? { name: holder.control.value.trim() } : {}) },
        ...(isGroup()
          ? { expected_totals: totals.map((t) => ({ amount_minor: t.amount_minor, currency: t.currency })) }
          : { expected_total: { amount_minor: sum!.amount_minor, currency: sum!.currency } }),
      };
      const kept = { number: number.control.value, month: month.control.value, year: year.control.value, cvc: cvc.control.value, name: holder.control.value };
      void submitOrder(body, pay, status, alert, kept);
    });
    show('payment', 'Payment', note, tests, form);
    if (note) app.announce(note.textContent ?? '');
  }

  /** The key of this attempt: the same body (a retry) keeps it, any other body gets a fresh one. */
  function keyFor(body: OrderBody): string {
    const text = JSON.stringify(body);
    if (!attempt || attempt.body !== text) attempt = { body: text, key: newIdempotencyKey() };
    return attempt.key;
  }

  async function submitOrder(body: OrderBody, pay: HTMLButtonElement, status: HTMLElement, alert: HTMLElement, kept: Parameters<typeof renderPayment>[1]): Promise<void> {
    const key = keyFor(body);
    pay.disabled = true;
    pay.classList.add('is-busy');
    status.textContent = 'Booking and paying… Please keep this page open.';
    let out: OrderOutcome;
    try {
      out = await api.createOrder(body, key);
    } catch (err) {
      if (destroyed) return;
      pay.disabled = false;
      pay.classList.remove('is-busy');
      status.textContent = '';
      alert.textContent = `${describeError(err)} Press Pay again to retry: you will not be charged twice.`;
      return;
    }
    if (destroyed) return;
    handleOutcome(out, kept);
  }

  function handleOutcome(out: OrderOutcome, kept?: Parameters<typeof renderPayment>[1]): void {
    switch (out.kind) {
      case 'confirmed':
      case 'processing':
        renderDone(out.order);
        return;
      case 'requires_action':
        renderVerify(out.order);
        return;
      case 'price_changed': {
        if (isGroup()) {
          groupPriceChanged(out, kept);
          return;
        }
        const was = (expected ?? offer!.totals)[0]!;
        const np = out.newPrice!;
        const accept = h('button', { type: 'button', class: 'btn btn-primary bk-accept-price' }, `Continue at ${formatBkMoney(np)}`);
        accept.addEventListener('click', () => {
          expected = [np];
          renderPayment(null, kept);
        });
        show(
          'payment',
          'The price has changed',
          h('div', { role: 'alert', class: 'bk-problem bk-price-changed' }, notice(`${offer!.provider.name} now asks ${formatBkMoney(np)} instead of ${formatBkMoney(was)}. Nothing was charged.`, 'warning')),
          h('div', { class: 'bk-actions' }, accept, searchAgain(false)),
        );
        app.announce('The price has changed.');
        return;
      }
      case 'sold_out':
        soldOut(out.order);
        return;
      case 'expired':
      case 'hold_expired':
        if (out.kind === 'hold_expired') {
          problem('The seats were released', 'The airline or agency released the seats before the payment completed. Nothing was charged. Get a new offer to try again.', [retryButton(() => void loadOffer(), 'Get a new offer'), searchAgain(false)], 'warning', failedParts(out.order));
        } else expiredOffer(out.order);
        return;
      case 'declined': {
        const msg = h(
          'div',
          { role: 'alert', class: 'bk-problem bk-declined', 'data-reason': out.reason },
          notice(`Payment failed: ${out.message || 'the card was not accepted.'} Nothing was charged. Use another card to try again.`, 'error'),
          failedParts(out.order),
        );
        renderPayment(msg, kept ? { ...kept, number: '', cvc: '' } : undefined);
        return;
      }
      case 'error': {
        const err = out.error;
        const bad = (err.problem as { field?: string } | null)?.field;
        if (out.order && out.order.parts.length > 0 && out.order.status === 'failed') {
          // Separate tickets that failed (a seller's error): this attempt is over; a new offer starts another.
          problem(
            'The tickets could not be booked',
            `${describeError(err)} Nothing was charged.`,
            [retryButton(() => void loadOffer(), 'Get a new offer'), searchAgain(false)],
            'error',
            failedParts(out.order),
          );
          return;
        }
        if (err.status === 400 && bad?.startsWith('passengers')) {
          const at = passengerProblemField(bad);
          const detail = err.problem?.detail ?? '';
          renderPassengers(at ? { index: at.index, field: at.field, message: detail || 'is not valid' } : null).then(() => app.announce(describeError(err)));
          return;
        }
        const retry = err.status >= 500;
        const msg = h('div', { role: 'alert', class: 'bk-problem' }, notice(retry ? `${describeError(err)} Press Pay again to retry: you will not be charged twice.` : describeError(err), retry ? 'warning' : 'error'));
        renderPayment(msg, kept);
        return;
      }
    }
  }

  /** Separate tickets' 409 price_changed: each ticket's new price; continuing resends with new_prices. */
  function groupPriceChanged(out: Extract<OrderOutcome, { kind: 'price_changed' }>, kept?: Parameters<typeof renderPayment>[1]): void {
    const o = offer!;
    const was = expected ?? o.totals;
    const now = out.newPrices;
    if (now.length !== o.parts.length) {
      problem('The price has changed', 'The price of these tickets changed. Nothing was charged. Get a new offer to see the current prices.', [retryButton(() => void loadOffer(), 'Get a new offer'), searchAgain(false)], 'warning');
      return;
    }
    const count = o.slices.length;
    const rows = o.parts.map((p, i) => {
      const before = was[i]!;
      const after = now[i]!;
      const changed = before.amount_minor !== after.amount_minor || before.currency !== after.currency;
      return h(
        'li',
        { class: `bk-new-price${changed ? ' is-changed' : ''}`, 'data-part': String(i) },
        `${p.provider.name} (${partRoute(p, count)}): `,
        changed ? `now ${formatBkMoney(after)} instead of ${formatBkMoney(before)}` : `${formatBkMoney(after)}, unchanged`,
      );
    });
    const sum = sumMoney(now);
    const accept = h('button', { type: 'button', class: 'btn btn-primary bk-accept-price' }, `Continue at ${formatTotal(sum, now)}`);
    accept.addEventListener('click', () => {
      expected = now;
      renderPayment(null, kept);
    });
    show(
      'payment',
      'The price has changed',
      h(
        'div',
        { role: 'alert', class: 'bk-problem bk-price-changed' },
        notice(`The price of ${now.filter((x, i) => x.amount_minor !== was[i]?.amount_minor || x.currency !== was[i]?.currency).length === 1 ? 'one ticket' : 'some tickets'} changed: the trip now costs ${totalsText(sum, now)}. Nothing was charged.`, 'warning'),
        h('ul', { class: 'bk-new-prices', 'aria-label': 'New price per ticket' }, rows),
      ),
      h('div', { class: 'bk-actions' }, accept, searchAgain(false)),
    );
    app.announce('The price has changed.');
  }

  /* ---------------------------- 3-D Secure ----------------------------- */

  function renderVerify(o: BkOrder): void {
    const btn = h('button', { type: 'button', class: 'btn btn-primary bk-3ds-confirm' }, 'Confirm payment');
    const status = h('p', { class: 'bk-3ds-status', role: 'status' });
    const alert = h('div', { class: 'form-alert', role: 'alert' });
    btn.addEventListener('click', async () => {
      btn.disabled = true;
      btn.classList.add('is-busy');
      status.textContent = 'Confirming with your bank…';
      let out: OrderOutcome;
      try {
        out = await api.confirmPayment(o.id, o.guest);
      } catch (err) {
        if (destroyed) return;
        btn.disabled = false;
        btn.classList.remove('is-busy');
        status.textContent = '';
        alert.textContent = `${describeError(err)} Press Confirm payment again.`;
        return;
      }
      if (destroyed) return;
      if (out.kind === 'error') {
        btn.disabled = false;
        btn.classList.remove('is-busy');
        status.textContent = '';
        alert.textContent = describeError(out.error);
        return;
      }
      handleOutcome(out);
    });
    show(
      'verify',
      'Confirm the payment with your bank',
      h(
        'p',
        {},
        o.parts.length > 0
          ? `Your bank asks you to confirm the ${o.parts.length} payments of this trip (3-D Secure): ${o.parts.map((p) => `${formatBkMoney(p.total)} to ${p.provider.name}`).join(', ')}. One confirmation covers them all. The seats are held for you meanwhile${o.hold_until ? ` until ${legTime(o.hold_until)} UTC` : ''}.`
          : `Your bank asks you to confirm this payment of ${formatBkMoney(o.total!)} (3-D Secure). The seats are held for you meanwhile${o.hold_until ? ` until ${legTime(o.hold_until)} UTC` : ''}.`,
      ),
      h('div', { class: 'bk-3ds-box' }, h('p', { class: 'bk-3ds-bank' }, 'Sandbox bank: approve the payment?'), btn),
      status,
      alert,
    );
  }

  /* ---------------------------- confirmation --------------------------- */

  function renderDone(o: BkOrder): void {
    const last = o.passengers[0]?.family_name ?? '';
    if (o.parts.length > 0) {
      renderGroupDone(o, last);
      return;
    }
    const manage = o.guest
      ? h('a', { class: 'btn btn-secondary bk-manage', href: `/manage-booking?${new URLSearchParams({ reference: o.booking_reference ?? '', last_name: last }).toString()}` }, 'Manage this booking')
      : h('a', { class: 'btn btn-secondary bk-trips', href: `/trips?id=${encodeURIComponent(o.id)}` }, 'View in My trips');
    show(
      'done',
      o.status === 'confirmed' ? 'Your booking is confirmed' : 'Your booking is being finalised',
      h('div', { role: 'status', class: 'bk-done' }, notice(o.status === 'confirmed' ? `Booked with ${o.provider.name}. A confirmation is on its way to ${o.contact.email || 'you'}.` : 'The tickets are issued; the payment is being completed. You will get an e-mail.', 'success')),
      h('p', { class: 'bk-ref-label' }, 'Booking reference'),
      h('p', { class: 'bk-ref', 'data-reference': o.booking_reference ?? '' }, o.booking_reference ?? '—'),
      o.tickets.length ? h('p', { class: 'bk-tickets' }, `E-tickets: ${o.tickets.join(', ')}`) : null,
      h('p', {}, `Total paid: ${formatBkMoney(o.total!)}`),
      o.slices.length ? flightList(o.slices) : offer ? flightList(offer.slices) : null,
      o.guest ? h('p', { class: 'field-hint' }, 'Keep the reference: with it and the first passenger’s last name you can find this booking under “Manage booking”.') : null,
      h('div', { class: 'bk-actions' }, manage, newSearch()),
    );
    app.announce('Your booking is confirmed.');
  }

  /** Separate tickets booked: each seller's reference and e-tickets, the totals. */
  function renderGroupDone(o: BkOrder, last: string): void {
    const firstRef = o.parts.find((p) => p.booking_reference)?.booking_reference ?? o.booking_reference ?? '';
    const manage = o.guest
      ? h('a', { class: 'btn btn-secondary bk-manage', href: `/manage-booking?${new URLSearchParams({ reference: firstRef, last_name: last }).toString()}` }, 'Manage this booking')
      : h('a', { class: 'btn btn-secondary bk-trips', href: `/trips?id=${encodeURIComponent(o.id)}` }, 'View in My trips');
    const confirmed = o.status === 'confirmed';
    show(
      'done',
      confirmed ? 'Your booking is confirmed' : 'Your booking is being finalised',
      h(
        'div',
        { role: 'status', class: 'bk-done' },
        notice(
          confirmed
            ? `Booked as ${o.parts.length} separate tickets with ${sellerNames(o.parts)}, each with its own reference. One confirmation naming them all is on its way to ${o.contact.email || 'you'}.`
            : 'The tickets are issued; the payments are being completed. You will get an e-mail.',
          'success',
        ),
      ),
      h('p', { class: 'bk-ref-label' }, 'Booking references'),
      h('p', { class: 'bk-ref', 'data-reference': o.booking_reference ?? '' }, o.booking_reference ?? '—'),
      partsList(o, { flights: true }),
      h('p', { class: 'bk-total-paid' }, `Total paid: ${totalsText(o.total, o.totals)}, in ${o.parts.length} separate charges on your card.`),
      o.guest ? h('p', { class: 'field-hint' }, 'Keep the references: with any one of them and the first passenger’s last name you can find this trip under “Manage booking”.') : null,
      h('div', { class: 'bk-actions' }, manage, newSearch()),
    );
    app.announce('Your booking is confirmed.');
  }

  void loadOffer();
  renderSteps();

  return {
    el,
    heading,
    destroy() {
      destroyed = true;
      stopTimer();
    },
  };
}
