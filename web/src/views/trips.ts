/**
 * "My trips" (/trips, signed in: GET /api/v1/orders newest first, and
 * /trips?id=… for one order with its cancellation) and "Manage booking"
 * (/manage-booking, anyone: GET /api/v1/orders/lookup with the booking
 * reference and the first passenger's last name). Separate tickets are one
 * trip with each seller named; any one ticket's reference finds it.
 */

import type { App, View } from '../app';
import { ApiError } from '../api';
import { formatTotal, sellerNames, type BkOrder } from '../bookingApi';
import { h } from '../dom';
import { field } from '../forms';
import { describeError } from '../problems';
import type { RouteContext } from '../router';
import { bookingApi, legTime, orderCard, statusLabel } from './orderDetail';
import { loading, notice } from './shell';

function page(title: string, lede: string): { el: HTMLElement; heading: HTMLElement; main: HTMLElement } {
  const heading = h('h1', { id: 'page-title', tabindex: '-1' }, title);
  const main = h('div', { class: 'bk-main' });
  const el = h(
    'div',
    { class: 'page page-trips' },
    h('div', { class: 'page-band' }, h('div', { class: 'container page-band-inner' }, h('p', { class: 'eyebrow' }, 'Bookings'), heading, h('p', { class: 'page-lede' }, lede))),
    h('div', { class: 'container bk-layout' }, main),
  );
  return { el, heading, main };
}

function route(o: BkOrder): string {
  const legs = o.slices.flatMap((s) => s.legs);
  if (legs.length === 0) return 'Flight';
  const stops = [legs[0]!.from, ...legs.map((l) => l.to)];
  return stops.join(' → ');
}

export function tripsView(app: App, ctx: RouteContext): View {
  const id = ctx.url.searchParams.get('id');
  const { el, heading, main } = page(id ? 'Your trip' : 'My trips', id ? 'The booking, its e-tickets and how to cancel it.' : 'Your bookings, newest first.');
  const api = bookingApi(app);
  let destroyed = false;

  async function loadOne(orderId: string): Promise<void> {
    main.replaceChildren(loading('Loading the booking…'));
    try {
      const o = await api.getOrder(orderId);
      if (destroyed) return;
      main.replaceChildren(orderCard(app, o, { asGuest: false }), h('p', {}, h('a', { href: '/trips' }, 'All my trips')));
    } catch (err) {
      if (destroyed) return;
      main.replaceChildren(
        h('div', { role: 'alert' }, notice(err instanceof ApiError && err.status === 404 ? 'No such booking in your account.' : describeError(err), 'error')),
        h('p', {}, h('a', { href: '/trips' }, 'All my trips')),
      );
    }
  }

  async function loadList(offset = 0): Promise<void> {
    main.replaceChildren(loading('Loading your trips…'));
    try {
      const { orders, total } = await api.listOrders(20, offset);
      if (destroyed) return;
      if (orders.length === 0) {
        main.replaceChildren(notice('No bookings yet. Find a flight and book it: it will be listed here.', 'info', 'trips-empty'), h('p', {}, h('a', { class: 'btn btn-primary', href: '/' }, 'Search flights')));
        return;
      }
      const list = h(
        'ul',
        { class: 'trips-list' },
        orders.map((o) =>
          h(
            'li',
            { class: 'trip', 'data-order-id': o.id, 'data-status': o.status },
            h('a', { class: 'trip-link', href: `/trips?id=${encodeURIComponent(o.id)}` }, h('span', { class: 'trip-route' }, route(o)), h('span', { class: 'trip-ref' }, o.booking_reference ?? 'No reference')),
            h('span', { class: `trip-status bk-status-${o.status}` }, statusLabel(o.status)),
            h('span', { class: 'trip-provider' }, o.parts.length > 0 ? `Separate tickets: ${sellerNames(o.parts)}` : o.provider.name),
            h('span', { class: 'trip-total' }, formatTotal(o.total, o.totals)),
            o.slices[0]?.legs[0] ? h('span', { class: 'trip-date' }, legTime(o.slices[0].legs[0].departs_at)) : null,
          ),
        ),
      );
      const pager =
        total > 20
          ? h(
              'nav',
              { class: 'results-pager', 'aria-label': 'Trip pages' },
              h('button', { type: 'button', class: 'btn btn-secondary', disabled: offset === 0, onclick: () => void loadList(Math.max(0, offset - 20)) }, 'Newer'),
              h('button', { type: 'button', class: 'btn btn-secondary', disabled: offset + 20 >= total, onclick: () => void loadList(offset + 20) }, 'Older'),
            )
          : null;
      main.replaceChildren(list, pager ?? '');
    } catch (err) {
      if (destroyed) return;
      main.replaceChildren(h('div', { role: 'alert' }, notice(describeError(err), 'error')), h('button', { type: 'button', class: 'btn btn-primary', onclick: () => void loadList(offset) }, 'Try again'));
    }
  }

  if (id) void loadOne(id);
  else void loadList();
  return {
    el,
    heading,
    destroy() {
      destroyed = true;
    },
  };
}

export function manageBookingView(app: App, ctx: RouteContext): View {
  const { el, heading, main } = page('Manage booking', 'Find a booking made without an account with its reference and the first passenger’s last name.');
  const api = bookingApi(app);
  let destroyed = false;
  const form = h('form', { class: 'bk-form bk-lookup', novalidate: true });
  const ref = field({ label: 'Booking reference', name: 'reference', value: ctx.url.searchParams.get('reference') ?? '', required: true, attrs: { autocapitalize: 'characters', spellcheck: 'false' } });
  const last = field({ label: 'Last name', name: 'last_name', autocomplete: 'family-name', value: ctx.url.searchParams.get('last_name') ?? '', required: true, hint: 'Of the first passenger.' });
  const alert = h('div', { class: 'form-alert', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Find booking');
  const result = h('div', { class: 'bk-lookup-result' });
  form.append(ref.wrap, last.wrap, alert, h('div', { class: 'bk-actions' }, submit));
  main.append(h('section', { class: 'card', 'aria-label': 'Find a booking' }, h('div', { class: 'card-body' }, form)), result);

  function mark(f: ReturnType<typeof field>, msg: string | null): void {
    f.error.textContent = msg ?? '';
    f.error.hidden = !msg;
    if (msg) {
      f.control.setAttribute('aria-invalid', 'true');
      f.control.setAttribute('aria-describedby', [f.control.getAttribute('aria-describedby'), f.error.id].filter(Boolean).join(' '));
    } else f.control.removeAttribute('aria-invalid');
  }

  async function find(): Promise<void> {
    const r = ref.control.value.trim();
    const l = last.control.value.trim();
    mark(ref, r ? null : 'Enter the booking reference.');
    mark(last, l ? null : 'Enter the last name.');
    if (!r || !l) {
      alert.textContent = 'Please fill in both fields.';
      (r ? last : ref).control.focus();
      return;
    }
    alert.textContent = '';
    submit.disabled = true;
    result.replaceChildren(loading('Looking for the booking…'));
    try {
      const o = await api.lookup(r, l);
      if (destroyed) return;
      // A signed-in user's own booking is managed as theirs; a guest booking as a guest.
      const asGuest = o.guest || !app.session.signedIn;
      const card = orderCard(app, o, { asGuest });
      result.replaceChildren(o.guest ? '' : h('p', { class: 'field-hint' }, 'This booking belongs to an account: sign in to cancel it.'), card);
      (card.querySelector('h2') as HTMLElement | null)?.focus();
    } catch (err) {
      if (destroyed) return;
      const msg = err instanceof ApiError && err.status === 404 ? 'No booking matches that reference and last name. Check both and try again.' : describeError(err);
      result.replaceChildren();
      alert.textContent = msg;
      ref.control.focus();
    } finally {
      submit.disabled = false;
    }
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void find();
  });
  if (ref.control.value && last.control.value) void find();
  return {
    el,
    heading,
    destroy() {
      destroyed = true;
    },
  };
}
