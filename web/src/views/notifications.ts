/**
 * /account/notifications: the in-app inbox (GET /api/v1/me/notifications): newest first, 20 at
 * a time with "Show more", unread ones marked and each with "Mark as read", and "Mark all as
 * read". A change tells the header's bell (NOTIFICATIONS_CHANGED). Which notifications arrive
 * on which channel is set on the account page (Notifications card).
 */

import type { AppNotification, NotificationKind } from '../accountApi';
import type { App, View } from '../app';
import { NOTIFICATIONS_CHANGED } from '../bell';
import { formatIsoInstant } from '../dates';
import { h } from '../dom';
import { button } from '../forms';
import { describeError } from '../problems';
import type { RouteContext } from '../router';
import { SessionExpiredError } from '../session';
import { accountPage, card, loading, notice } from './shell';

const PAGE = 20;

export const KIND_LABELS: Record<NotificationKind, string> = {
  booking: 'Bookings',
  price_alert: 'Price alerts',
  account_security: 'Account security',
  trip: 'Trip changes',
};

export function notificationsView(app: App, ctx: RouteContext): View {
  const page = accountPage('notifications', 'Notifications', 'Bookings, price alerts and account notices, newest first.');
  if (ctx.flash) page.main.append(notice(ctx.flash, 'success', 'page-flash'));
  const c = card('Your notifications', { id: 'notifications' });
  const readAll = button('Mark all as read', { variant: 'secondary' });
  readAll.classList.add('notifications-read-all');
  c.el.querySelector('.card-head')!.append(readAll);
  c.el.querySelector('.card-head')!.classList.add('card-head-row');
  const status = h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
  const list = h('ul', { class: 'notification-list' });
  const more = button('Show more', { variant: 'secondary' });
  more.hidden = true;
  const body = h('div', {}, loading('Loading your notifications…'));
  c.body.append(status, body);
  page.main.append(c.el);
  const doc = page.el.ownerDocument;
  let shown = 0;
  let unread = 0;

  const changed = () => doc.dispatchEvent(new CustomEvent(NOTIFICATIONS_CHANGED));
  const setUnread = (n: number) => {
    unread = n;
    readAll.disabled = n === 0;
    page.lede.textContent = n > 0 ? `${n} unread.` : 'Nothing unread.';
  };

  const fail = (err: unknown) => {
    if (err instanceof SessionExpiredError) return;
    status.textContent = '';
    body.replaceChildren(notice(describeError(err), 'error'));
  };

  const markRead = (li: HTMLElement, n: AppNotification, btn: HTMLButtonElement) => {
    btn.disabled = true;
    app.api.markNotificationRead(n.id).then(
      (left) => {
        n.read = true;
        li.classList.remove('is-unread');
        li.querySelector('.notification-state')?.remove();
        btn.remove();
        setUnread(left);
        status.textContent = 'Marked as read.';
        changed();
      },
      (err: unknown) => {
        btn.disabled = false;
        if (!(err instanceof SessionExpiredError)) app.toast(describeError(err));
      },
    );
  };

  const item = (n: AppNotification): HTMLElement => {
    const title = n.link ? h('a', { href: n.link, class: 'notification-title' }, n.title) : h('span', { class: 'notification-title' }, n.title);
    const li = h(
      'li',
      { class: `notification${n.read ? '' : ' is-unread'}`, 'data-id': n.id },
      h(
        'div',
        { class: 'notification-main' },
        n.read ? null : h('span', { class: 'notification-state' }, 'Unread: '),
        title,
        n.body ? h('p', { class: 'notification-body' }, n.body) : null,
        h('p', { class: 'notification-meta' }, `${KIND_LABELS[n.kind] ?? n.kind} · `, h('time', { datetime: n.created_at }, formatIsoInstant(n.created_at))),
      ),
    );
    if (!n.read) {
      const btn = button('Mark as read', { variant: 'ghost' });
      btn.classList.add('notification-read');
      btn.setAttribute('aria-label', `Mark “${n.title}” as read`);
      btn.addEventListener('click', () => markRead(li, n, btn));
      li.append(btn);
    }
    return li;
  };

  const load = (offset: number) =>
    app.api.listNotifications(PAGE, offset).then((p) => {
      if (offset === 0) list.replaceChildren();
      list.append(...p.items.map(item));
      shown = offset + p.items.length;
      more.hidden = shown >= p.total;
      setUnread(p.unread_count);
      if (p.total === 0) body.replaceChildren(h('p', { class: 'empty-state' }, 'No notifications yet. Bookings, price alerts and account notices will appear here.'));
      else body.replaceChildren(list, h('div', { class: 'form-actions' }, more));
    }, fail);

  more.addEventListener('click', () => void load(shown));
  readAll.addEventListener('click', () => {
    if (unread === 0) return;
    readAll.disabled = true;
    app.api.markAllNotificationsRead().then(
      () => {
        for (const li of Array.from(list.querySelectorAll<HTMLElement>('.notification.is-unread'))) {
          li.classList.remove('is-unread');
          li.querySelector('.notification-state')?.remove();
          li.querySelector('.notification-read')?.remove();
        }
        setUnread(0);
        status.textContent = 'All notifications marked as read.';
        changed();
      },
      (err: unknown) => {
        readAll.disabled = false;
        if (!(err instanceof SessionExpiredError)) app.toast(describeError(err));
      },
    );
  });
  void load(0);
  return { el: page.el, heading: page.heading };
}
