import { afterEach, describe, expect, it, vi } from 'vitest';
import { AccountApi, type Profile } from './accountApi';
import { ProfileStore, type App } from './app';
import { mountBell, NOTIFICATIONS_CHANGED } from './bell';
import { mountNav } from './nav';
import { resolve, type RouteContext, type Router } from './router';
import { Session } from './session';
import { FakeAuthServer, ManualTimers, MemoryStorage } from './testServer';
import { flush } from './testUtils';
import { notificationPrefsSection } from './views/notificationPrefs';
import { notificationsView } from './views/notifications';

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
  phone: null,
  phone_verified: false,
  phone_pending: null,
};

function note(id: string, title: string, read = false) {
  return { id, kind: 'booking', title, body: 'LHR to JFK, departing 2026-12-10', link: '/trips', created_at: '2026-12-04T21:30:00.000Z', read };
}

async function makeApp(signedIn = true): Promise<{ app: App; server: FakeAuthServer }> {
  const server = new FakeAuthServer();
  const timers = new ManualTimers();
  const session = new Session({ fetchFn: server.fetch, storage: new MemoryStorage(), now: () => server.now, setTimer: timers.set, clearTimer: timers.clear });
  if (signedIn) await session.signIn('ada@example.com', 'correct horse battery');
  const app: App = {
    session,
    api: new AccountApi(session, server.fetch),
    profile: new ProfileStore(async () => PROFILE),
    router: { navigate: vi.fn(), refresh: vi.fn(), route: null } as unknown as Router,
    announce: vi.fn(),
    toast: vi.fn(),
    today: () => '2026-11-23',
    download: vi.fn(),
  };
  return { app, server };
}

function ctxFor(href: string): RouteContext {
  const r = resolve(href, true);
  if (r.kind !== 'render') throw new Error('unexpected redirect');
  return { route: r.route, url: r.url, flash: null, initial: false };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await flush();
}

afterEach(() => document.body.replaceChildren());

describe('the header bell', () => {
  it('is hidden when signed out and asks nothing', async () => {
    const { app, server } = await makeApp(false);
    const bell = mountBell(app, { setInterval: () => 0, clearInterval: () => {} });
    await settle();
    expect(bell.el.hidden).toBe(true);
    expect(server.count('/api/v1/me/notifications')).toBe(0);
    bell.destroy();
  });

  it('shows the unread count in its name and badge, polls, and refreshes on a change', async () => {
    const { app, server } = await makeApp();
    server.notifications = [note('ntf_2', 'Booking B confirmed'), note('ntf_1', 'Booking A confirmed')];
    let tick: (() => void) | null = null;
    const bell = mountBell(app, { setInterval: (fn) => ((tick = fn), 1), clearInterval: () => {} });
    document.body.append(bell.el);
    await settle();
    const link = bell.el.querySelector('a')!;
    expect(bell.el.hidden).toBe(false);
    expect(link.getAttribute('href')).toBe('/account/notifications');
    expect(link.getAttribute('aria-label')).toBe('Notifications, 2 unread');
    expect(bell.el.querySelector('.bell-count')!.textContent).toBe('2');
    // A new notification arrives: the next poll shows it.
    server.notifications.unshift(note('ntf_3', 'Booking C confirmed'));
    tick!();
    await settle();
    expect(link.getAttribute('aria-label')).toBe('Notifications, 3 unread');
    // Read elsewhere: the page's event refreshes at once.
    server.notifications.forEach((n) => (n.read = true));
    document.dispatchEvent(new CustomEvent(NOTIFICATIONS_CHANGED));
    await settle();
    expect(link.getAttribute('aria-label')).toBe('Notifications');
    expect((bell.el.querySelector('.bell-count') as HTMLElement).hidden).toBe(true);
    bell.destroy();
  });

  it('sits in the header beside the account menu, which links to the page', async () => {
    const { app, server } = await makeApp();
    server.notifications = [note('ntf_1', 'Booking A confirmed')];
    const nav = document.createElement('nav');
    const ul = document.createElement('ul');
    nav.append(ul);
    document.body.append(nav);
    const handle = mountNav(ul, app, () => 'home', { setInterval: () => 0, clearInterval: () => {} });
    await settle();
    expect(ul.querySelector('.nav-bell a')!.getAttribute('aria-label')).toBe('Notifications, 1 unread');
    expect(ul.querySelector('#user-menu a[href="/account/notifications"]')).not.toBeNull();
    handle.destroy();
  });
});

describe('the notifications page', () => {
  it('lists newest first, marks one read, then all', async () => {
    const { app, server } = await makeApp();
    server.notifications = [note('ntf_3', 'Booking C confirmed'), note('ntf_2', 'Booking B cancelled'), note('ntf_1', 'Booking A confirmed', true)];
    const changed = vi.fn();
    document.addEventListener(NOTIFICATIONS_CHANGED, changed);
    const view = notificationsView(app, ctxFor('/account/notifications'));
    document.body.append(view.el);
    await settle();
    const items = Array.from(view.el.querySelectorAll<HTMLElement>('.notification'));
    expect(items.map((li) => li.querySelector('.notification-title')!.textContent)).toEqual(['Booking C confirmed', 'Booking B cancelled', 'Booking A confirmed']);
    expect(items.map((li) => li.classList.contains('is-unread'))).toEqual([true, true, false]);
    expect(items[0]!.querySelector('a')!.getAttribute('href')).toBe('/trips');
    expect(items[0]!.textContent).toContain('Bookings');
    expect(items[2]!.querySelector('.notification-read')).toBeNull();
    expect(view.el.textContent).toContain('2 unread.');

    const first = items[0]!.querySelector<HTMLButtonElement>('.notification-read')!;
    expect(first.getAttribute('aria-label')).toBe('Mark “Booking C confirmed” as read');
    first.click();
    await settle();
    expect(server.calls.some((c) => c.method === 'POST' && c.path === '/api/v1/me/notifications/ntf_3/read')).toBe(true);
    expect(items[0]!.classList.contains('is-unread')).toBe(false);
    expect(items[0]!.querySelector('.notification-read')).toBeNull();
    expect(view.el.textContent).toContain('1 unread.');
    expect(changed).toHaveBeenCalledTimes(1);

    const all = view.el.querySelector<HTMLButtonElement>('.notifications-read-all')!;
    all.click();
    await settle();
    expect(server.notifications.every((n) => n.read)).toBe(true);
    expect(view.el.querySelectorAll('.notification.is-unread').length).toBe(0);
    expect(all.disabled).toBe(true);
    expect(view.el.textContent).toContain('Nothing unread.');
    expect(changed).toHaveBeenCalledTimes(2);
    document.removeEventListener(NOTIFICATIONS_CHANGED, changed);
  });

  it('pages with Show more and says when there is nothing', async () => {
    const { app, server } = await makeApp();
    server.notifications = Array.from({ length: 25 }, (_, i) => note(`ntf_${25 - i}`, `Notice ${25 - i}`, true));
    const view = notificationsView(app, ctxFor('/account/notifications'));
    await settle();
    expect(view.el.querySelectorAll('.notification').length).toBe(20);
    const more = Array.from(view.el.querySelectorAll('button')).find((b) => b.textContent === 'Show more')!;
    expect(more.hidden).toBe(false);
    more.click();
    await settle();
    expect(view.el.querySelectorAll('.notification').length).toBe(25);
    expect(more.hidden).toBe(true);

    server.notifications = [];
    const empty = notificationsView(app, ctxFor('/account/notifications'));
    await settle();
    expect(empty.el.textContent).toContain('No notifications yet');
  });
});

describe('the account page notification settings', () => {
  it('shows every kind and channel from the server and saves the changes', async () => {
    const { app, server } = await makeApp();
    server.prefs.set('price_alert.email', false);
    const el = notificationPrefsSection(app, PROFILE);
    document.body.append(el);
    await settle();
    const box = (k: string, c: string) => el.querySelector<HTMLInputElement>(`input[name="${k}.${c}"]`)!;
    expect(el.querySelectorAll('tbody tr').length).toBe(4);
    expect(el.textContent).toContain('Price alerts');
    expect(box('booking', 'email').checked).toBe(true);
    expect(box('price_alert', 'email').checked).toBe(false);
    expect(box('booking', 'in_app').getAttribute('aria-label')).toBe('Bookings: In the app');
    // SMS needs a verified phone.
    expect(box('booking', 'sms').disabled).toBe(true);
    expect(el.textContent).toContain('SMS needs a verified phone number');

    box('booking', 'email').checked = false;
    box('price_alert', 'email').checked = true;
    el.querySelector('form')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await settle();
    const put = server.calls.find((c) => c.method === 'PUT' && c.path === '/api/v1/me/notification-preferences')!;
    const kinds = (put.body as { kinds: Record<string, Record<string, boolean>> }).kinds;
    expect(kinds.booking).toEqual({ email: false, in_app: true });
    expect(kinds.price_alert!.email).toBe(true);
    expect(server.prefs.get('booking.email')).toBe(false);
    expect(el.textContent).toContain('Your notification settings have been saved.');
    expect(el.querySelector('.form-status')!.classList.contains('is-visible')).toBe(true);
  });

  it('lets a verified phone turn SMS on', async () => {
    const { app, server } = await makeApp();
    const el = notificationPrefsSection(app, { ...PROFILE, phone: '+447700900123', phone_verified: true });
    await settle();
    const sms = el.querySelector<HTMLInputElement>('input[name="trip.sms"]')!;
    expect(sms.disabled).toBe(false);
    expect(sms.checked).toBe(false);
    sms.checked = true;
    el.querySelector('form')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await settle();
    expect(server.prefs.get('trip.sms')).toBe(true);
  });
});
