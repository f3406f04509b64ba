/**
 * The account page's Notifications card: which kinds of notification (bookings, price alerts,
 * account security, trip changes) reach the user on which channel (e-mail, in the app, SMS),
 * read from and saved to GET/PUT /api/v1/me/notification-preferences. A table of checkboxes,
 * one row per kind; SMS needs a verified phone number (the phone card above), so its boxes are
 * disabled until there is one. The same settings the e-mails' one-click unsubscribe turns off.
 */

import {
  NOTIFICATION_CHANNELS,
  NOTIFICATION_KINDS,
  type NotificationChannel,
  type NotificationKind,
  type NotificationPrefs,
  type Profile,
} from '../accountApi';
import type { App } from '../app';
import { h } from '../dom';
import { button } from '../forms';
import { describeError } from '../problems';
import { SessionExpiredError } from '../session';
import { card, loading, notice } from './shell';
import { KIND_LABELS } from './notifications';

export const CHANNEL_LABELS: Record<NotificationChannel, string> = { email: 'E-mail', in_app: 'In the app', sms: 'SMS' };

const KIND_HINTS: Record<NotificationKind, string> = {
  booking: 'Confirmations and cancellations.',
  price_alert: 'When a price you track drops.',
  account_security: 'Password changes and other notices about your account.',
  trip: 'Price and schedule changes of trips you booked.',
};

export function notificationPrefsSection(app: App, p: Profile): HTMLElement {
  const c = card('Notifications', { id: 'notification-prefs', description: 'Choose what reaches you, and how.' });
  const holder = h('div', {}, loading('Loading your notification settings…'));
  c.body.append(holder);
  const smsOk = p.phone_verified === true && !!p.phone;

  const render = (prefs: NotificationPrefs) => {
    const boxes = new Map<string, HTMLInputElement>();
    const rows = NOTIFICATION_KINDS.map((k) =>
      h(
        'tr',
        {},
        h('th', { scope: 'row' }, h('span', { class: 'pref-kind' }, KIND_LABELS[k]), h('span', { class: 'field-hint' }, KIND_HINTS[k])),
        NOTIFICATION_CHANNELS.map((ch) => {
          const box = h('input', { type: 'checkbox', name: `${k}.${ch}`, 'aria-label': `${KIND_LABELS[k]}: ${CHANNEL_LABELS[ch]}` });
          box.checked = prefs[k][ch];
          if (ch === 'sms' && !smsOk) box.disabled = true;
          boxes.set(`${k}.${ch}`, box);
          return h('td', {}, box);
        }),
      ),
    );
    const table = h(
      'table',
      { class: 'prefs-table' },
      h('caption', { class: 'visually-hidden' }, 'Notifications by kind and channel'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Kind'), NOTIFICATION_CHANNELS.map((ch) => h('th', { scope: 'col' }, CHANNEL_LABELS[ch])))),
      h('tbody', {}, rows),
    );
    const submit = button('Save notification settings', { type: 'submit' });
    const status = h('p', { class: 'form-status', role: 'status', 'aria-live': 'polite' });
    const form = h(
      'form',
      { class: 'prefs-form', 'aria-labelledby': c.heading.id },
      table,
      smsOk ? null : h('p', { class: 'field-hint' }, 'SMS needs a verified phone number: add one above.'),
      h('div', { class: 'form-actions' }, submit),
      status,
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const kinds: Partial<Record<NotificationKind, Partial<Record<NotificationChannel, boolean>>>> = {};
      for (const k of NOTIFICATION_KINDS) {
        kinds[k] = {};
        for (const ch of NOTIFICATION_CHANNELS) {
          const box = boxes.get(`${k}.${ch}`)!;
          if (!box.disabled) kinds[k]![ch] = box.checked;
        }
      }
      submit.disabled = true;
      status.classList.remove('is-visible');
      status.textContent = 'Saving…';
      app.api.setNotificationPreferences(kinds).then(
        (saved) => {
          submit.disabled = false;
          for (const k of NOTIFICATION_KINDS) for (const ch of NOTIFICATION_CHANNELS) boxes.get(`${k}.${ch}`)!.checked = saved[k][ch];
          status.textContent = 'Your notification settings have been saved.';
          status.classList.add('is-visible');
        },
        (err: unknown) => {
          submit.disabled = false;
          status.textContent = '';
          if (!(err instanceof SessionExpiredError)) form.append(notice(describeError(err), 'error'));
        },
      );
    });
    holder.replaceChildren(form);
  };

  app.api.notificationPreferences().then(render, (err: unknown) => {
    if (err instanceof SessionExpiredError) return;
    holder.replaceChildren(notice(describeError(err), 'error'));
  });
  return c.el;
}
