/** /account/security: the user's security event log: what, when, from which device and address. */

import type { SecurityEvent } from '../accountApi';
import type { App, View } from '../app';
import { h, icon, ICONS } from '../dom';
import { button } from '../forms';
import { describeError } from '../problems';
import type { RouteContext } from '../router';
import { SessionExpiredError } from '../session';
import { accountPage, card, loading, notice } from './shell';
import { formatInstant } from '../dates';
import './account-security.css';

type Tone = 'ok' | 'warn' | 'info';

const EVENTS: Record<string, { label: string; tone: Tone; icon: string }> = {
  registered: { label: 'Account created', tone: 'ok', icon: ICONS.user },
  email_verified: { label: 'E-mail address confirmed', tone: 'ok', icon: ICONS.mail },
  signin: { label: 'Signed in', tone: 'ok', icon: ICONS.check },
  signin_failed: { label: 'Failed sign-in attempt', tone: 'warn', icon: ICONS.alert },
  signin_throttled: { label: 'Sign-ins paused after too many failures', tone: 'warn', icon: ICONS.alert },
  signout: { label: 'Signed out', tone: 'info', icon: ICONS.logout },
  refresh_reuse: { label: 'Session ended: a sign-in token was used twice', tone: 'warn', icon: ICONS.shield },
  password_changed: { label: 'Password changed', tone: 'info', icon: ICONS.key },
  password_change_failed: { label: 'Password change failed (wrong current password)', tone: 'warn', icon: ICONS.alert },
  reset_requested: { label: 'Password reset requested', tone: 'info', icon: ICONS.mail },
  password_reset: { label: 'Password reset with an e-mailed link', tone: 'info', icon: ICONS.key },
  api_key_created: { label: 'API key created', tone: 'info', icon: ICONS.key },
  api_key_revoked: { label: 'API key revoked', tone: 'info', icon: ICONS.key },
  role_changed: { label: 'Account role changed', tone: 'info', icon: ICONS.shield },
  phone_code_sent: { label: 'Phone verification code sent by SMS', tone: 'info', icon: ICONS.shield },
  phone_code_failed: { label: 'Phone verification code could not be sent', tone: 'warn', icon: ICONS.alert },
  phone_verified: { label: 'Phone number verified', tone: 'ok', icon: ICONS.check },
  phone_removed: { label: 'Phone number removed', tone: 'info', icon: ICONS.shield },
};

/** Human text for an event kind ("signin" → "Signed in"); unknown kinds are readable too. */
export function describeEvent(kind: string): { label: string; tone: Tone; icon: string } {
  const known = EVENTS[kind];
  if (known) return known;
  const text = kind.replace(/[_-]+/g, ' ').trim();
  return { label: text ? text.charAt(0).toUpperCase() + text.slice(1) : 'Event', tone: 'info', icon: ICONS.info };
}

export function formatWhen(seconds: number, locale?: string): string {
  return formatInstant(seconds, locale);
}

/** The device cell: the readable device, the raw User-Agent under it (small, and as a tooltip). */
export function deviceCell(ev: Pick<SecurityEvent, 'device' | 'user_agent'>): HTMLElement {
  const ua = ev.user_agent?.trim() ?? '';
  const device = ev.device?.trim() || (ua ? 'Unknown device' : '');
  if (!device) return h('td', { class: 'event-device' }, '—');
  return h('td', { class: 'event-device', title: ua || null }, h('span', { class: 'device-name' }, device), ua ? h('span', { class: 'device-ua' }, ua) : null);
}

export function securityView(app: App, ctx: RouteContext): View {
  const page = accountPage('security', 'Security activity', 'Sign-ins and changes to your account, newest first. If something looks unfamiliar, change your password.');
  if (ctx.flash) page.main.append(notice(ctx.flash, 'success', 'page-flash'));
  const c = card('Recent activity', { id: 'security-events' });
  const refresh = button('Refresh', { variant: 'secondary' });
  c.el.querySelector('.card-head')!.append(refresh);
  c.el.querySelector('.card-head')!.classList.add('card-head-row');
  const status = h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
  page.main.append(c.el, status);

  const render = (events: SecurityEvent[]) => {
    if (events.length === 0) {
      c.body.replaceChildren(h('div', { class: 'empty' }, h('p', { class: 'empty-title' }, 'No activity yet')));
      return;
    }
    const rows = events.map((ev) => {
      const d = describeEvent(ev.kind);
      const when = new Date(ev.at * 1000);
      return h(
        'tr',
        { class: `event event-${d.tone}`, 'data-kind': ev.kind },
        h('th', { scope: 'row' }, h('span', { class: 'event-label' }, h('span', { class: `event-icon tone-${d.tone}`, 'aria-hidden': 'true' }, icon(d.icon, 16)), h('span', {}, d.label))),
        h('td', {}, h('time', { datetime: Number.isNaN(when.getTime()) ? null : when.toISOString() }, formatWhen(ev.at))),
        deviceCell(ev),
        h('td', { class: 'mono' }, ev.ip || '—'),
      );
    });
    c.body.replaceChildren(
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'events-table' },
          h('caption', { class: 'visually-hidden' }, 'Recent security events, newest first'),
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Event'), h('th', { scope: 'col' }, 'When'), h('th', { scope: 'col' }, 'Device'), h('th', { scope: 'col' }, 'IP address'))),
          h('tbody', {}, rows),
        ),
      ),
    );
  };

  const load = async (announce: boolean) => {
    c.body.replaceChildren(loading('Loading activity…'));
    try {
      const events = await app.api.securityEvents();
      render(events);
      if (announce) status.textContent = `Activity updated: ${events.length} ${events.length === 1 ? 'event' : 'events'}.`;
    } catch (err) {
      if (err instanceof SessionExpiredError) return;
      c.body.replaceChildren(notice(describeError(err), 'error'));
    }
  };
  refresh.addEventListener('click', () => void load(true));
  void load(false);
  return { el: page.el, heading: page.heading };
}
