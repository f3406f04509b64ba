/** Page chrome shared by the non-search pages. */

import { BELL_ICON } from '../bell';
import { h, icon, ICONS } from '../dom';
import type { RouteName } from '../router';

function sky(): HTMLElement {
  return h('div', { class: 'hero-sky', 'aria-hidden': 'true' }, h('span', { class: 'trail trail-1' }), h('span', { class: 'trail trail-2' }), h('span', { class: 'trail trail-3' }));
}

export type Tone = 'success' | 'info' | 'error' | 'warning';

/** A visible message box (not a live region: announce separately if needed). */
export function notice(text: string | Node, tone: Tone = 'info', extraClass = ''): HTMLElement {
  const path = tone === 'success' ? ICONS.check : tone === 'info' ? ICONS.info : ICONS.alert;
  return h('div', { class: `notice notice-${tone} ${extraClass}`.trim() }, icon(path, 20, 'icon notice-icon'), h('div', { class: 'notice-body' }, text));
}

/** Centered card on the sky band: sign in, sign up, reset, verify. */
export function authPage(title: string, lede: string): { el: HTMLElement; card: HTMLElement; heading: HTMLElement; body: HTMLElement } {
  const heading = h('h1', { class: 'auth-title', tabindex: '-1' }, title);
  const body = h('div', { class: 'auth-body' });
  heading.id = 'page-title';
  const card = h('section', { class: 'auth-card', 'aria-labelledby': 'page-title' }, heading, lede ? h('p', { class: 'auth-lede' }, lede) : null, body);
  const el = h('div', { class: 'page page-auth' }, h('div', { class: 'auth-band' }, sky()), h('div', { class: 'container auth-wrap' }, card));
  return { el, card, heading, body };
}

const ACCOUNT_TABS: { route: RouteName; href: string; label: string; icon: string }[] = [
  { route: 'account', href: '/account', label: 'Profile', icon: ICONS.user },
  { route: 'travellers', href: '/account/travellers', label: 'Travellers', icon: ICONS.users },
  { route: 'security', href: '/account/security', label: 'Security', icon: ICONS.shield },
  { route: 'api-keys', href: '/account/api-keys', label: 'API keys', icon: ICONS.key },
  { route: 'webhooks', href: '/account/webhooks', label: 'Webhooks', icon: ICONS.mail },
  { route: 'price-alerts', href: '/account/price-alerts', label: 'Price alerts', icon: ICONS.mail },
  { route: 'notifications', href: '/account/notifications', label: 'Notifications', icon: BELL_ICON },
];

/** Band with title + account sub-navigation + content column. */
export function accountPage(
  route: RouteName,
  title: string,
  lede: string,
): { el: HTMLElement; heading: HTMLElement; main: HTMLElement; lede: HTMLElement } {
  const heading = h('h1', { id: 'page-title', tabindex: '-1' }, title);
  const ledeEl = h('p', { class: 'page-lede' }, lede);
  const tabs = h(
    'nav',
    { class: 'account-nav', 'aria-label': 'Account sections' },
    h(
      'ul',
      {},
      ACCOUNT_TABS.map((t) =>
        h(
          'li',
          {},
          h('a', { href: t.href, class: `account-tab${t.route === route ? ' is-current' : ''}`, 'aria-current': t.route === route ? 'page' : null }, icon(t.icon, 18), h('span', {}, t.label)),
        ),
      ),
    ),
  );
  const main = h('div', { class: 'account-main' });
  const el = h(
    'div',
    { class: 'page page-account' },
    h('div', { class: 'page-band' }, sky(), h('div', { class: 'container page-band-inner' }, h('p', { class: 'eyebrow' }, 'Your account'), heading, ledeEl)),
    h('div', { class: 'container account-layout' }, tabs, main),
  );
  return { el, heading, main, lede: ledeEl };
}

/** A white section card with a heading. */
export function card(title: string, opts: { description?: string; id?: string; danger?: boolean } = {}): { el: HTMLElement; body: HTMLElement; heading: HTMLElement } {
  const id = opts.id ?? `card-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  const heading = h('h2', { id: `${id}-title`, class: 'card-title' }, title);
  const body = h('div', { class: 'card-body' });
  const el = h(
    'section',
    { class: `card${opts.danger ? ' card-danger' : ''}`, id, 'aria-labelledby': `${id}-title` },
    h('header', { class: 'card-head' }, heading, opts.description ? h('p', { class: 'card-desc' }, opts.description) : null),
    body,
  );
  return { el, body, heading };
}

export function loading(text: string): HTMLElement {
  return h('div', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('span', {}, text));
}
