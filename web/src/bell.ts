/**
 * The header's notification bell: a link to /account/notifications with the signed-in user's
 * unread count (GET /api/v1/me/notifications?limit=1 answers unread_count), polled every
 * 30 seconds while signed in, refreshed at once after each navigation (NavHandle.update) and
 * when a page changes what is read (the NOTIFICATIONS_CHANGED event on the document). The
 * count is in the link's accessible name ("Notifications, 3 unread") and shown as a badge
 * (hidden at 0; "99+" above 99). A failed poll keeps the last count.
 */

import type { App } from './app';
import { h, icon } from './dom';
import './views/notifications.css';

export const BELL_ICON = 'M12 22a2 2 0 0 0 2-2h-4a2 2 0 0 0 2 2zm6-6V11c0-3.1-1.6-5.6-4.5-6.3V4a1.5 1.5 0 0 0-3 0v.7C7.6 5.4 6 7.9 6 11v5l-2 2v1h16v-1l-2-2z';

/** Dispatched on the document by pages that mark notifications read. */
export const NOTIFICATIONS_CHANGED = 'contrail:notifications-changed';

export interface BellHandle {
  el: HTMLLIElement;
  /** Asks the server for the count now (no-op when signed out). */
  refresh(): Promise<void>;
  destroy(): void;
}

export interface BellOptions {
  intervalMs?: number;
  setInterval?: (fn: () => void, ms: number) => unknown;
  clearInterval?: (id: unknown) => void;
}

export function mountBell(app: App, opts: BellOptions = {}): BellHandle {
  const every = opts.intervalMs ?? 30_000;
  const setI = opts.setInterval ?? ((fn: () => void, ms: number) => window.setInterval(fn, ms));
  const clearI = opts.clearInterval ?? ((id: unknown) => window.clearInterval(id as number));
  const badge = h('span', { class: 'bell-count', 'aria-hidden': 'true', hidden: true });
  const link = h('a', { class: 'nav-link bell', href: '/account/notifications', 'aria-label': 'Notifications' }, icon(BELL_ICON, 22), badge);
  const el = h('li', { class: 'nav-bell', hidden: true }, link);
  let timer: unknown = null;
  let seq = 0;

  const show = (unread: number) => {
    badge.textContent = unread > 99 ? '99+' : String(unread);
    badge.hidden = unread <= 0;
    link.setAttribute('aria-label', unread > 0 ? `Notifications, ${unread} unread` : 'Notifications');
    link.classList.toggle('has-unread', unread > 0);
  };

  async function refresh(): Promise<void> {
    const signedIn = app.session.signedIn;
    el.hidden = !signedIn;
    if (!signedIn) {
      show(0);
      return;
    }
    const mine = ++seq;
    try {
      const page = await app.api.listNotifications(1, 0);
      if (mine === seq && app.session.signedIn) show(page.unread_count);
    } catch {
      /* keep the last count; the next poll tries again */
    }
  }

  const onChanged = () => void refresh();
  el.ownerDocument.addEventListener(NOTIFICATIONS_CHANGED, onChanged);
  timer = setI(() => void refresh(), every);
  void refresh();

  return {
    el,
    refresh,
    destroy() {
      if (timer !== null) clearI(timer);
      timer = null;
      el.ownerDocument.removeEventListener(NOTIFICATIONS_CHANGED, onChanged);
    },
  };
}
