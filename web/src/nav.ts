/**
 * Header navigation: "Sign in" when signed out; when signed in, a button
 * with the user's name (or e-mail) that discloses a small menu: Account,
 * My trips, Price alerts, Travellers, Security, Notifications, Sign out; and before it the
 * notification bell with the unread count (bell.ts).
 *
 * It follows the WAI disclosure pattern for site navigation (a button with
 * aria-expanded controlling a list of links) rather than role="menu", which
 * is meant for application menus. Keyboard: Enter/Space toggles, ArrowDown
 * opens and moves into the list, ArrowUp/ArrowDown/Home/End move between
 * items, Escape closes and returns focus to the button, Tab out closes.
 */

import { displayName, initials, type App } from './app';
import { BELL_ICON, mountBell, type BellOptions } from './bell';
import { h, icon, ICONS } from './dom';
import type { RouteName } from './router';

export interface NavHandle {
  update(): void;
  close(): void;
  destroy(): void;
}

export function mountNav(list: HTMLUListElement, app: App, currentRoute: () => RouteName | null, bellOptions: BellOptions = {}): NavHandle {
  const doc = list.ownerDocument;
  let menuOpen = false;
  let userButton: HTMLButtonElement | null = null;
  let menu: HTMLElement | null = null;

  const searchItem = h('li', {}, h('a', { class: 'nav-link', href: '/' }, 'Search'));
  const exploreLink = h('a', { class: 'nav-link', href: '/explore' }, 'Explore');
  const exploreItem = h('li', { class: 'nav-explore' }, exploreLink);
  const manageLink = h('a', { class: 'nav-link', href: '/manage-booking' }, 'Manage booking');
  const manageItem = h('li', { class: 'nav-manage' }, manageLink);
  const authItem = h('li', { class: 'nav-auth' });
  // Signed in: the bell with the unread count (bell.ts), beside the account menu.
  const bell = mountBell(app, bellOptions);
  list.replaceChildren(searchItem, exploreItem, manageItem, bell.el, authItem);

  // Small screens (CSS, max-width 640px): the links fold behind a "Menu" button (the WAI
  // disclosure pattern again). Opening moves focus to the first link; Escape, a link chosen,
  // a click outside or Tab out of the navigation closes it; Escape returns focus to the button.
  const navEl = list.parentElement;
  if (!list.id) list.id = 'site-nav-list';
  const navToggle = h(
    'button',
    { type: 'button', class: 'nav-toggle', 'aria-expanded': 'false', 'aria-controls': list.id },
    icon('M3 6h18v2H3V6zm0 5h18v2H3v-2zm0 5h18v2H3v-2z', 22),
    h('span', { class: 'nav-toggle-label' }, 'Menu'),
  );
  let navOpen = false;
  function setNavOpen(open: boolean, { focusButton = false }: { focusButton?: boolean } = {}): void {
    navOpen = open;
    navToggle.setAttribute('aria-expanded', String(open));
    navEl?.classList.toggle('is-open', open);
    if (open) list.querySelector<HTMLElement>('a, button')?.focus();
    else if (focusButton) navToggle.focus();
  }
  navToggle.addEventListener('click', () => setNavOpen(!navOpen));
  const onNavKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape' && navOpen && !e.defaultPrevented) {
      e.preventDefault();
      setNavOpen(false, { focusButton: true });
    }
  };
  const onNavClick = (e: MouseEvent) => {
    if (navOpen && (e.target as Element).closest('a')) setNavOpen(false);
  };
  const onNavFocusOut = (e: FocusEvent) => {
    const to = e.relatedTarget as Node | null;
    if (navOpen && to && navEl && !navEl.contains(to)) setNavOpen(false);
  };
  navEl?.insertBefore(navToggle, list);
  navEl?.addEventListener('keydown', onNavKey);
  list.addEventListener('click', onNavClick);
  navEl?.addEventListener('focusout', onNavFocusOut);

  function items(): HTMLElement[] {
    return menu ? Array.from(menu.querySelectorAll<HTMLElement>('a, button')) : [];
  }

  function setOpen(open: boolean, { focusButton = false }: { focusButton?: boolean } = {}): void {
    if (!userButton || !menu) return;
    menuOpen = open;
    userButton.setAttribute('aria-expanded', String(open));
    menu.hidden = !open;
    if (!open && focusButton) userButton.focus();
  }

  function onMenuKey(e: KeyboardEvent): void {
    const list = items();
    const i = list.indexOf(doc.activeElement as HTMLElement);
    let next = -1;
    if (e.key === 'ArrowDown') next = i < 0 ? 0 : (i + 1) % list.length;
    else if (e.key === 'ArrowUp') next = i < 0 ? list.length - 1 : (i - 1 + list.length) % list.length;
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = list.length - 1;
    else if (e.key === 'Escape') {
      e.preventDefault();
      setOpen(false, { focusButton: true });
      return;
    } else return;
    e.preventDefault();
    list[next]?.focus();
  }

  async function signOut(): Promise<void> {
    setOpen(false);
    await app.session.signOut();
    app.profile.clear();
    app.router.navigate('/', { flash: "You're signed out. See you soon." });
  }

  function renderSignedIn(): void {
    const p = app.profile.current;
    const name = displayName(p);
    const menuId = 'user-menu';
    userButton = h(
      'button',
      { type: 'button', class: 'user-button', 'aria-expanded': 'false', 'aria-controls': menuId },
      h('span', { class: 'avatar', 'aria-hidden': 'true' }, p ? initials(name) : ''),
      h('span', { class: 'visually-hidden' }, 'Account menu: '),
      h('span', { class: 'user-name' }, name),
      icon(ICONS.chevron, 18, 'icon user-chevron'),
    );
    if (!p) userButton.classList.add('is-loading');
    const route = currentRoute();
    const link = (href: string, text: string, path: string, r: RouteName) =>
      h('li', {}, h('a', { href, class: 'menu-item', 'aria-current': route === r ? 'page' : null }, icon(path, 18), h('span', {}, text)));
    menu = h(
      'div',
      { id: menuId, class: 'user-menu', hidden: true },
      h('div', { class: 'user-menu-head' }, h('span', { class: 'user-menu-name' }, name), p && p.name ? h('span', { class: 'user-menu-email' }, p.email) : null),
      h(
        'ul',
        { class: 'user-menu-list', 'aria-label': 'Account' },
        link('/account', 'Account', ICONS.user, 'account'),
        link('/trips', 'My trips', ICONS.passport, 'trips'),
        link('/account/price-alerts', 'Price alerts', ICONS.mail, 'price-alerts'),
        link('/account/travellers', 'Travellers', ICONS.users, 'travellers'),
        link('/account/security', 'Security', ICONS.shield, 'security'),
        link('/account/notifications', 'Notifications', BELL_ICON, 'notifications'),
        h(
          'li',
          { class: 'menu-sep' },
          h('button', { type: 'button', class: 'menu-item', onclick: () => void signOut() }, icon(ICONS.logout, 18), h('span', {}, 'Sign out')),
        ),
      ),
    );
    userButton.addEventListener('click', () => setOpen(!menuOpen));
    userButton.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        setOpen(true);
        const list = items();
        (e.key === 'ArrowDown' ? list[0] : list[list.length - 1])?.focus();
      } else if (e.key === 'Escape' && menuOpen) {
        e.preventDefault();
        setOpen(false, { focusButton: true });
      }
    });
    menu.addEventListener('keydown', onMenuKey);
    menu.addEventListener('click', (e) => {
      if ((e.target as Element).closest('a')) setOpen(false);
    });
    const wrap = h('div', { class: 'user-nav' }, userButton, menu);
    wrap.addEventListener('focusout', (e) => {
      const to = e.relatedTarget as Node | null;
      if (menuOpen && to && !wrap.contains(to)) setOpen(false);
    });
    authItem.replaceChildren(wrap);
  }

  function update(): void {
    menuOpen = false;
    userButton = null;
    menu = null;
    const route = currentRoute();
    const searchLink = searchItem.firstElementChild as HTMLAnchorElement;
    searchLink.classList.toggle('is-current', route === 'home');
    exploreLink.classList.toggle('is-current', route === 'explore');
    if (route === 'explore') exploreLink.setAttribute('aria-current', 'page');
    else exploreLink.removeAttribute('aria-current');
    manageLink.classList.toggle('is-current', route === 'manage-booking');
    if (route === 'manage-booking') manageLink.setAttribute('aria-current', 'page');
    else manageLink.removeAttribute('aria-current');
    // Signed-in users find their bookings under "My trips" in the account menu.
    manageItem.hidden = app.session.signedIn;
    if (route === 'home') searchLink.setAttribute('aria-current', 'page');
    else searchLink.removeAttribute('aria-current');
    void bell.refresh();
    if (app.session.signedIn) {
      renderSignedIn();
    } else {
      const onSignIn = route === 'sign-in' || route === 'sign-up';
      authItem.replaceChildren(
        h('a', { class: `nav-link nav-signin${onSignIn ? ' is-current' : ''}`, href: '/sign-in', id: 'sign-in-link', 'aria-current': route === 'sign-in' ? 'page' : null }, 'Sign in'),
      );
    }
  }

  const onDocClick = (e: MouseEvent) => {
    if (navOpen && navEl && !navEl.contains(e.target as Node)) setNavOpen(false);
    if (menuOpen && menu && userButton && !menu.contains(e.target as Node) && !userButton.contains(e.target as Node)) setOpen(false);
  };
  doc.addEventListener('click', onDocClick);
  const offProfile = app.profile.subscribe(() => update());
  const offSession = app.session.onChange(() => update());
  update();

  return {
    update,
    close: () => {
      setOpen(false);
      if (navOpen) setNavOpen(false);
    },
    destroy() {
      doc.removeEventListener('click', onDocClick);
      navEl?.removeEventListener('keydown', onNavKey);
      navEl?.removeEventListener('focusout', onNavFocusOut);
      list.removeEventListener('click', onNavClick);
      navToggle.remove();
      bell.destroy();
      offProfile();
      offSession();
    },
  };
}
