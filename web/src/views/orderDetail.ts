/**
 * Pieces shared by the booking pages: the flight list of an offer or order,
 * an order's details card (reference, status, passengers, tickets, total)
 * with the two-step cancellation (quote, then confirm), and the countdown
 * text. Used by the booking flow (book.ts), "My trips" and "Manage booking".
 */

import type { App } from '../app';
import { ApiError } from '../api';
import { BookingApi, formatBkMoney, reasonText, type BkLeg, type BkOrder, type CancelQuote } from '../bookingApi';
import { h } from '../dom';
import { describeError } from '../problems';
import { notice } from './shell';

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
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(iso);
  if (!m) return iso;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  const day = d.toLocaleDateString('en-GB', { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' });
  return `${day}, ${m[4]}:${m[5]}`;
}

/** "14:05" for 845 s; "0:00" when over. */
export function countdownText(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${r}` : `${m}:${r}`;
}

export function flightList(slices: { legs: BkLeg[] }[]): HTMLElement {
  return h(
    'ol',
    { class: 'bk-slices' },
    slices.map((s, i) =>
      h(
        'li',
        { class: 'bk-slice' },
        slices.length > 1 ? h('p', { class: 'bk-slice-title' }, i === 0 ? 'Outbound' : slices.length === 2 ? 'Return' : `Flight ${i + 1}`) : null,
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
      ),
    ),
  );
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
    const dl = h(
      'dl',
      { class: 'bk-facts' },
      row('Status', statusLabel(order.status), `bk-status bk-status-${order.status}`),
      row('Booked with', order.provider.name, 'bk-provider'),
      order.booking_reference ? row('Booking reference', order.booking_reference, 'bk-reference') : [],
      row('Passengers', order.passengers.map((p) => `${p.given_name} ${p.family_name}`).join(', ')),
      order.tickets.length ? row('E-tickets', order.tickets.join(', '), 'bk-tickets') : [],
      row('Total', formatBkMoney(order.total), 'bk-total'),
      order.refunded ? row('Refunded', formatBkMoney(order.refunded), 'bk-refunded') : [],
      order.reason && order.status !== 'confirmed' ? row('Why', reasonText(order.reason)) : [],
    );
    const actions = h('div', { class: 'bk-actions' });
    const msg = h('div', { class: 'bk-cancel-box', role: 'region', 'aria-label': 'Cancellation' });
    if (order.status === 'confirmed') {
      const cancel = h('button', { type: 'button', class: 'btn btn-danger-ghost bk-cancel' }, 'Cancel booking');
      cancel.addEventListener('click', () => void quote(cancel, msg));
      actions.append(cancel);
    }
    el.replaceChildren(h('header', { class: 'card-head' }, title), h('div', { class: 'card-body' }, order.slices.length ? flightList(order.slices) : null, dl, actions, msg));
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
    const heading = h('h3', { class: 'bk-quote-title', tabindex: '-1' }, 'Cancel this booking?');
    const yes = h('button', { type: 'button', class: 'btn btn-danger bk-cancel-confirm' }, `Cancel and refund ${formatBkMoney(q.refund)}`);
    const no = h('button', { type: 'button', class: 'btn btn-ghost bk-cancel-keep' }, 'Keep booking');
    const status = h('p', { class: 'bk-quote-status', role: 'status' });
    no.addEventListener('click', () => {
      box.replaceChildren();
      btn.disabled = false;
      btn.focus();
    });
    yes.addEventListener('click', () => void confirm(q, yes, no, status, btn, box));
    box.replaceChildren(
      heading,
      h(
        'p',
        { class: 'bk-quote' },
        `You get back ${formatBkMoney(q.refund)} (${q.refund_percent} % of the fare, under the airline's or agency's rules). `,
        q.expires_at ? `This quote is valid until ${legTime(q.expires_at)} UTC.` : '',
      ),
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
    const done = h('div', { role: 'status', class: 'bk-cancelled' }, notice(`Your booking is cancelled.${order.refunded ? ` ${formatBkMoney(order.refunded)} is refunded to your card.` : ''}`, 'success'));
    el.querySelector('.card-body')?.prepend(done);
    app.announce('Your booking is cancelled.');
    (el.querySelector('h2') as HTMLElement | null)?.focus();
    opts.onChange?.(order);
  }

  render();
  return el;
}
