/**
 * Pieces shared by the booking pages: the flight list of an offer or order,
 * an order's details card (reference, status, passengers, tickets, total)
 * with the two-step cancellation (quote, then confirm), and the countdown
 * text. Used by the booking flow (book.ts), "My trips" and "Manage booking".
 *
 * Separate tickets: `partsList` shows each ticket of a group order (seller,
 * reference, e-tickets, price in its currency, status and, when another
 * ticket failed, what was done with it); the order card and the cancellation
 * quote name each ticket's refund, and totals in several currencies are
 * written side by side ("$147.00 + €131.50"), never added up.
 */

import type { App } from '../app';
import { ApiError } from '../api';
import { BookingApi, formatBkMoney, formatMoneyList, formatTotal, reasonText, sellerNames, type BkLeg, type BkMoney, type BkOrder, type BkOrderPart, type CancelQuote } from '../bookingApi';
import { h } from '../dom';
import { describeError } from '../problems';
import { notice } from './shell';
import { formatWallClock } from '../dates';

/** The booking client for this app (the same fetch as the rest of the app). */
export function bookingApi(app: App): BookingApi {
  return new BookingApi(app.session, app.fetchFn);
}

const STATUS_LABELS: Record<string, string> = {
  pending: 'Being booked',
  held: 'Seats held',
  requires_action: 'Waiting for your bank',
  authorized: 'Payment authorised',
  ticketed: 'Ticketed, being finalised',
  confirmed: 'Confirmed',
  failed: 'Not booked',
  cancelled: 'Cancelled',
};

export function statusLabel(status: string): string {
  return STATUS_LABELS[status] ?? status;
}

/** "2026-12-01T08:10:00+00:00" → "Tue 1 Dec, 08:10" (the local time as written). */
export function legTime(iso: string): string {
  return formatWallClock(iso);
}

/** "14:05" for 845 s; "0:00" when over. */
export function countdownText(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${r}` : `${m}:${r}`;
}

/** "Outbound", "Return" (a round trip), "Flight 3" (multi-city); null for a one-way. */
export function sliceTitle(index: number, count: number): string | null {
  if (count <= 1) return null;
  return index === 0 ? 'Outbound' : count === 2 ? 'Return' : `Flight ${index + 1}`;
}

/**
 * The flights of an offer or order. `trip` places these slices in the whole
 * trip (a ticket of separate tickets): their indices and the trip's slice count.
 */
export function flightList(slices: { legs: BkLeg[] }[], trip?: { indexes: number[]; count: number }): HTMLElement {
  return h(
    'ol',
    { class: 'bk-slices' },
    slices.map((s, i) => {
      const title = trip ? sliceTitle(trip.indexes[i] ?? i, trip.count) : sliceTitle(i, slices.length);
      return h(
        'li',
        { class: 'bk-slice' },
        title ? h('p', { class: 'bk-slice-title' }, title) : null,
        h(
          'ul',
          { class: 'bk-legs' },
          s.legs.map((l) =>
            h(
              'li',
              { class: 'bk-leg' },
              h('span', { class: 'bk-leg-flight' }, `${l.carrier} ${l.flight_number}`),
              h('span', { class: 'bk-leg-route' }, `${l.from} → ${l.to}`),
              h('span', { class: 'bk-leg-times' }, `${legTime(l.departs_at)} – ${legTime(l.arrives_at)}`),
            ),
          ),
        ),
      );
    }),
  );
}

/** "ORD → DFW" for one slice's legs. */
function sliceRoute(legs: BkLeg[]): string {
  return legs.length ? `${legs[0]!.from} → ${legs[legs.length - 1]!.to}` : '';
}

/** "Outbound ORD → DFW" / "ORD → DFW, DFW → ORD": what a ticket flies, in a sentence. */
export function partRoute(part: { slices: { legs: BkLeg[] }[]; slice_indexes: number[] }, count: number): string {
  return part.slices
    .map((s, i) => {
      const t = sliceTitle(part.slice_indexes[i] ?? i, count);
      return `${t ? `${t.toLowerCase()} ` : ''}${sliceRoute(s.legs)}`;
    })
    .join(', ');
}

const sentence = (t: string): string => (t ? `${t[0]!.toUpperCase()}${t.slice(1)}${/[.!?]$/.test(t) ? '' : '.'}` : '');

/** What happened to one ticket of a failed or undone group, in words. */
export function partOutcomeText(p: BkOrderPart): string {
  if (p.outcome) return sentence(p.outcome);
  if (p.status === 'failed') return `Could not be booked: ${reasonText(p.reason) || 'the seller refused it.'}`;
  return statusLabel(p.status);
}

/**
 * Each ticket of a separate-tickets order: seller, what it flies, its
 * reference, e-tickets, price (its seller's currency), status and outcome.
 * `flights`: each ticket's flight list too (the order card and the confirmation).
 */
export function partsList(order: BkOrder, opts: { flights?: boolean } = {}): HTMLElement {
  const count = order.parts.reduce((n, p) => n + p.slices.length, 0);
  return h(
    'ol',
    { class: 'bk-parts', 'aria-label': 'Tickets' },
    order.parts.map((p, i) =>
      h(
        'li',
        { class: `bk-part bk-part-${p.status}`, 'data-part': String(i), 'data-status': p.status },
        h('h3', { class: 'bk-part-title' }, `Ticket ${i + 1} of ${order.parts.length}: `, h('span', { class: 'bk-part-seller' }, p.provider.name)),
        opts.flights && p.slices.length ? flightList(p.slices, { indexes: p.slice_indexes, count }) : h('p', { class: 'bk-part-route' }, sentence(partRoute(p, count))),
        h(
          'dl',
          { class: 'bk-facts bk-part-facts' },
          row('Status', statusLabel(p.status), `bk-part-status bk-status-${p.status}`),
          p.booking_reference ? row(`${p.provider.name} reference`, p.booking_reference, 'bk-part-ref') : [],
          p.tickets.length ? row('E-tickets', p.tickets.join(', '), 'bk-part-tickets') : [],
          row(p.status === 'failed' ? 'Price' : 'Charged by this seller', formatBkMoney(p.total), 'bk-part-total'),
          p.refunded ? row('Refunded', formatBkMoney(p.refunded), 'bk-part-refunded') : [],
          p.status === 'failed' || p.outcome ? row('What happened', partOutcomeText(p), 'bk-part-outcome') : [],
        ),
      ),
    ),
  );
}

/**
 * A failed separate-tickets order: which ticket failed and why, what was done
 * with the others, and that nothing was charged.
 */
export function groupFailure(order: BkOrder): HTMLElement {
  const count = order.parts.reduce((n, p) => n + p.slices.length, 0);
  return h(
    'div',
    { class: 'bk-group-failure' },
    h(
      'ul',
      { class: 'bk-part-outcomes', 'aria-label': 'What happened to each ticket' },
      order.parts.map((p, i) =>
        h(
          'li',
          { class: 'bk-part-outcome', 'data-part': String(i), 'data-status': p.status, 'data-failed': p.status === 'failed' && !p.outcome && p.reason !== 'separate_ticket_failed' ? 'true' : null },
          h('strong', {}, `Ticket ${i + 1}, ${p.provider.name}`),
          ` (${partRoute(p, count)}, ${formatBkMoney(p.total)}): ${partOutcomeText(p)}`,
        ),
      ),
    ),
    h('p', { class: 'bk-nothing-charged' }, 'Nothing was charged for any ticket of this trip.'),
  );
}

/** "$285.00 ($147.00 + $138.00)" or, across currencies, "$147.00 + €131.50". */
export function totalsText(total: BkMoney | null, totals: BkMoney[]): string {
  if (totals.length <= 1) return formatTotal(total, totals);
  return total ? `${formatBkMoney(total)} (${formatMoneyList(totals)})` : formatMoneyList(totals);
}

function row(label: string, value: Node | string, cls = ''): HTMLElement[] {
  return [h('dt', {}, label), h('dd', { class: cls }, value)];
}

export interface OrderCardOptions {
  /** Use plain calls (a guest's order found through the lookup). */
  asGuest: boolean;
  /** Called with the order after a cancellation. */
  onChange?: (order: BkOrder) => void;
}

/** An order's details, with "Cancel booking" (quote, then confirm) while it is confirmed. */
export function orderCard(app: App, initial: BkOrder, opts: OrderCardOptions): HTMLElement {
  const api = bookingApi(app);
  const el = h('section', { class: 'card bk-order', 'aria-labelledby': `order-${initial.id}-title`, 'data-order-id': initial.id });
  let order = initial;

  function render(): void {
    const title = h('h2', { class: 'card-title', id: `order-${order.id}-title`, tabindex: '-1' }, order.booking_reference ? `Booking ${order.booking_reference}` : 'Booking');
    const group = order.parts.length > 0;
    const partRefunds = order.parts.map((p) => p.refunded).filter((m): m is BkMoney => m !== null);
    const refunded = order.refunded ? formatBkMoney(order.refunded) : group && partRefunds.length ? formatMoneyList(partRefunds) : null;
    const dl = h(
      'dl',
      { class: 'bk-facts' },
      row('Status', statusLabel(order.status), `bk-status bk-status-${order.status}`),
      row('Booked with', group ? `${order.parts.length} separate tickets: ${sellerNames(order.parts)}` : order.provider.name, 'bk-provider'),
      order.booking_reference ? row(group ? 'Booking references' : 'Booking reference', order.booking_reference, 'bk-reference') : [],
      row('Passengers', order.passengers.map((p) => `${p.given_name} ${p.family_name}`).join(', ')),
      order.tickets.length ? row('E-tickets', order.tickets.join(', '), 'bk-tickets') : [],
      row('Total', group ? totalsText(order.total, order.totals) : formatBkMoney(order.total!), 'bk-total'),
      refunded ? row('Refunded', refunded, 'bk-refunded') : [],
      order.reason && order.status !== 'confirmed' ? row('Why', reasonText(order.reason)) : [],
    );
    const actions = h('div', { class: 'bk-actions' });
    const msg = h('div', { class: 'bk-cancel-box', role: 'region', 'aria-label': 'Cancellation' });
    if (order.status === 'confirmed') {
      const cancel = h('button', { type: 'button', class: 'btn btn-danger-ghost bk-cancel' }, 'Cancel booking');
      cancel.addEventListener('click', () => void quote(cancel, msg));
      actions.append(cancel);
    }
    const flights = group ? null : order.slices.length ? flightList(order.slices) : null;
    const parts = group
      ? [
          h('p', { class: 'bk-separate-note' }, 'Separate tickets: each seller issued its own ticket under its own reference and conditions, and charged your card separately.'),
          partsList(order, { flights: true }),
          order.status === 'failed' ? h('p', { class: 'bk-nothing-charged' }, 'Nothing was charged for any ticket of this trip.') : null,
        ]
      : [];
    el.replaceChildren(h('header', { class: 'card-head' }, title), h('div', { class: 'card-body' }, flights, dl, ...parts, actions, msg));
  }

  async function quote(btn: HTMLButtonElement, box: HTMLElement): Promise<void> {
    btn.disabled = true;
    box.replaceChildren(h('p', { role: 'status' }, 'Asking the airline or agency what you would get back…'));
    let q: CancelQuote;
    try {
      q = await api.quoteCancellation(order.id, opts.asGuest);
    } catch (err) {
      btn.disabled = false;
      box.replaceChildren(h('div', { role: 'alert' }, notice(describeError(err, { 409: 'This booking can no longer be cancelled online.' }), 'error')));
      return;
    }
    const group = order.parts.length > 0;
    const partRefunds = q.parts.map((x) => x.refund);
    const refundText = q.refund ? formatBkMoney(q.refund) : formatMoneyList(partRefunds);
    const heading = h('h3', { class: 'bk-quote-title', tabindex: '-1' }, group ? `Cancel all ${order.parts.length} tickets?` : 'Cancel this booking?');
    const yes = h('button', { type: 'button', class: 'btn btn-danger bk-cancel-confirm' }, group ? `Cancel all tickets and refund ${refundText}` : `Cancel and refund ${refundText}`);
    const no = h('button', { type: 'button', class: 'btn btn-ghost bk-cancel-keep' }, 'Keep booking');
    const status = h('p', { class: 'bk-quote-status', role: 'status' });
    no.addEventListener('click', () => {
      box.replaceChildren();
      btn.disabled = false;
      btn.focus();
    });
    yes.addEventListener('click', () => void confirm(q, yes, no, status, btn, box));
    const perPart = group
      ? h(
          'ul',
          { class: 'bk-quote-parts', 'aria-label': 'Refund per ticket' },
          order.parts.map((p, i) => {
            const x = q.parts.find((y) => y.order_id === p.id) ?? q.parts[i];
            return h('li', { class: 'bk-quote-part', 'data-part': String(i) }, x ? `${p.provider.name}: ${formatBkMoney(x.refund)} back (${x.refund_percent} % of its fare, under its rules)` : `${p.provider.name}: refunded under its rules`);
          }),
        )
      : null;
    box.replaceChildren(
      heading,
      h(
        'p',
        { class: 'bk-quote' },
        group
          ? `You get back ${refundText} in all: each seller refunds its own ticket to your card. `
          : `You get back ${refundText} (${q.refund_percent} % of the fare, under the airline's or agency's rules). `,
        q.expires_at ? `This quote is valid until ${legTime(q.expires_at)} UTC.` : '',
      ),
      ...(perPart ? [perPart] : []),
      h('div', { class: 'bk-actions' }, yes, no),
      status,
    );
    heading.focus();
  }

  async function confirm(q: CancelQuote, yes: HTMLButtonElement, no: HTMLButtonElement, status: HTMLElement, btn: HTMLButtonElement, box: HTMLElement): Promise<void> {
    yes.disabled = true;
    no.disabled = true;
    status.textContent = 'Cancelling…';
    try {
      order = await api.confirmCancellation(order.id, q.id, opts.asGuest);
    } catch (err) {
      yes.disabled = false;
      no.disabled = false;
      status.textContent = '';
      if (err instanceof ApiError && err.status === 410) {
        box.replaceChildren(h('div', { role: 'alert' }, notice('The quote expired. Ask for a new one: the refund may have changed.', 'warning')));
        btn.disabled = false;
        return;
      }
      box.append(h('div', { role: 'alert' }, notice(describeError(err), 'error')));
      return;
    }
    render();
    const refunds = order.parts.map((p) => p.refunded).filter((m): m is BkMoney => m !== null);
    const back = order.refunded ? formatBkMoney(order.refunded) : refunds.length ? formatMoneyList(refunds) : null;
    const text = order.parts.length > 0 ? `Your ${order.parts.length} tickets are cancelled.${back ? ` ${back} ${order.refunded ? 'is' : 'are'} refunded to your card.` : ''}` : `Your booking is cancelled.${back ? ` ${back} is refunded to your card.` : ''}`;
    const done = h('div', { role: 'status', class: 'bk-cancelled' }, notice(text, 'success'));
    el.querySelector('.card-body')?.prepend(done);
    app.announce('Your booking is cancelled.');
    (el.querySelector('h2') as HTMLElement | null)?.focus();
    opts.onChange?.(order);
  }

  render();
  return el;
}
