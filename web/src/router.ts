/**
 * Client-side routing with the History API. The C server answers every
 * non-file, non-/api path with index.html, so deep links and reloads work: with
 * HTTP 200 for the paths of ROUTES (the build writes them to dist/routes.json),
 * 404 for any other.
 *
 * The pure part (route table, guards, link interception rules) is separate
 * from the `Router` class that listens to clicks and popstate.
 */

export type RouteName =
  | 'home'
  | 'search'
  | 'explore'
  | 'sign-up'
  | 'sign-in'
  | 'verify-email'
  | 'reset-password'
  | 'account'
  | 'travellers'
  | 'security'
  | 'api-keys'
  | 'webhooks'
  | 'price-alerts'
  | 'notifications'
  | 'book'
  | 'trips'
  | 'manage-booking'
  | 'not-found';

export interface RouteDef {
  name: RouteName;
  path: string;
  /** Document title (without the " — Contrail" suffix). */
  title: string;
  /** Signed-in users only: others go to /sign-in?next=… */
  auth?: boolean;
  /** Signed-out users only: signed-in users go to /account. */
  guest?: boolean;
}

export const ROUTES: readonly RouteDef[] = [
  { name: 'home', path: '/', title: 'Flight search' },
  { name: 'search', path: '/search', title: 'Flight results' },
  { name: 'explore', path: '/explore', title: 'Explore destinations' },
  { name: 'sign-up', path: '/sign-up', title: 'Create an account', guest: true },
  { name: 'sign-in', path: '/sign-in', title: 'Sign in', guest: true },
  { name: 'verify-email', path: '/verify-email', title: 'Confirm your e-mail' },
  { name: 'reset-password', path: '/reset-password', title: 'Reset your password' },
  { name: 'account', path: '/account', title: 'Your account', auth: true },
  { name: 'travellers', path: '/account/travellers', title: 'Saved travellers', auth: true },
  { name: 'security', path: '/account/security', title: 'Security activity', auth: true },
  { name: 'api-keys', path: '/account/api-keys', title: 'API keys', auth: true },
  { name: 'webhooks', path: '/account/webhooks', title: 'Webhooks', auth: true },
  { name: 'price-alerts', path: '/account/price-alerts', title: 'Price alerts', auth: true },
  { name: 'notifications', path: '/account/notifications', title: 'Notifications', auth: true },
  { name: 'book', path: '/book', title: 'Book your flight' },
  { name: 'trips', path: '/trips', title: 'My trips', auth: true },
  { name: 'manage-booking', path: '/manage-booking', title: 'Manage booking' },
];

const NOT_FOUND: RouteDef = { name: 'not-found', path: '', title: 'Page not found' };

export const SIGN_IN_PATH = '/sign-in';
export const AFTER_SIGN_IN_PATH = '/account';

/** '/account/' → '/account'; '' → '/'. Case-sensitive like the server. */
export function normalizePath(pathname: string): string {
  let p = pathname || '/';
  if (!p.startsWith('/')) p = `/${p}`;
  if (p.length > 1) p = p.replace(/\/+$/, '') || '/';
  return p;
}

export function matchRoute(pathname: string): RouteDef {
  const p = normalizePath(pathname);
  return ROUTES.find((r) => r.path === p) ?? NOT_FOUND;
}

export function pathFor(name: RouteName): string {
  return ROUTES.find((r) => r.name === name)?.path ?? '/';
}

/**
 * A `next` parameter is followed only when it is a local path of this app
 * (no scheme, no "//host", no backslashes), so sign-in cannot be used to
 * send users to another site.
 */
export function safeNext(next: string | null | undefined, fallback = AFTER_SIGN_IN_PATH): string {
  if (!next || next.length > 512) return fallback;
  if (!next.startsWith('/') || next.startsWith('//') || next.includes('\\') || /[\u0000-\u001f]/.test(next)) return fallback;
  try {
    const u = new URL(next, 'http://contrail.invalid');
    if (u.origin !== 'http://contrail.invalid') return fallback;
    const route = matchRoute(u.pathname);
    if (route.name === 'not-found' || route.guest) return fallback;
    return `${normalizePath(u.pathname)}${u.search}${u.hash}`;
  } catch {
    return fallback;
  }
}

export type Resolution = { kind: 'render'; route: RouteDef; url: URL } | { kind: 'redirect'; to: string };

/** Decide what to show for a URL, given whether the user is signed in. */
export function resolve(href: string, signedIn: boolean, base = 'http://contrail.invalid'): Resolution {
  const url = new URL(href, base);
  const route = matchRoute(url.pathname);
  if (route.auth && !signedIn) {
    const next = `${normalizePath(url.pathname)}${url.search}`;
    return { kind: 'redirect', to: `${SIGN_IN_PATH}?next=${encodeURIComponent(next)}` };
  }
  if (route.guest && signedIn) {
    return { kind: 'redirect', to: safeNext(url.searchParams.get('next')) };
  }
  return { kind: 'render', route, url };
}

/** Should a click on this link be handled in the page rather than by the browser? */
export function shouldIntercept(
  e: Pick<MouseEvent, 'button' | 'metaKey' | 'ctrlKey' | 'shiftKey' | 'altKey' | 'defaultPrevented'>,
  a: HTMLAnchorElement,
  origin: string,
): boolean {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return false;
  if (a.hasAttribute('download') || a.getAttribute('rel')?.split(/\s+/).includes('external')) return false;
  const target = a.getAttribute('target');
  if (target && target !== '_self') return false;
  const href = a.getAttribute('href');
  if (!href || href.startsWith('#')) return false;
  let url: URL;
  try {
    url = new URL(a.href, origin);
  } catch {
    return false;
  }
  if (url.origin !== origin) return false;
  if (url.pathname.startsWith('/api/')) return false;
  return matchRoute(url.pathname).name !== 'not-found';
}

/* -------------------------------------------------------------------- */
/* Router                                                               */
/* -------------------------------------------------------------------- */

export interface NavigateOptions {
  replace?: boolean;
  /** Message to show on the next page (e.g. "You're signed out."). */
  flash?: string;
}

export interface RouteContext {
  route: RouteDef;
  url: URL;
  /** One-time message handed over by the previous page. */
  flash: string | null;
  /** True for the first render after page load (don't move focus then). */
  initial: boolean;
}

export interface RouterOptions {
  win?: Window;
  isSignedIn: () => boolean;
  /** Show a route. Called for every navigation, including the first. */
  render: (ctx: RouteContext) => void;
}

export class Router {
  private readonly win: Window;
  private readonly opts: RouterOptions;
  private flash: string | null = null;
  private started = false;
  private current: RouteContext | null = null;
  private readonly offs: (() => void)[] = [];

  constructor(opts: RouterOptions) {
    this.opts = opts;
    this.win = opts.win ?? window;
  }

  get route(): RouteContext | null {
    return this.current;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    const onClick = (e: MouseEvent) => this.onClick(e);
    const onPop = () => this.apply(false);
    this.win.document.addEventListener('click', onClick);
    this.win.addEventListener('popstate', onPop);
    this.offs.push(
      () => this.win.document.removeEventListener('click', onClick),
      () => this.win.removeEventListener('popstate', onPop),
    );
    this.apply(true);
  }

  stop(): void {
    for (const off of this.offs.splice(0)) off();
    this.started = false;
  }

  /** Go to an app URL ("/account?x=1"). */
  navigate(to: string, opts: NavigateOptions = {}): void {
    const url = new URL(to, this.win.location.origin);
    const target = `${url.pathname}${url.search}${url.hash}`;
    if (opts.flash) this.flash = opts.flash;
    if (opts.replace) this.win.history.replaceState(null, '', target);
    else this.win.history.pushState(null, '', target);
    this.apply(false);
  }

  /** Re-run the guards for the current URL (e.g. after signing out). */
  refresh(opts: { flash?: string } = {}): void {
    if (opts.flash) this.flash = opts.flash;
    this.apply(false);
  }

  private apply(initial: boolean): void {
    const loc = this.win.location;
    const res = resolve(`${loc.pathname}${loc.search}${loc.hash}`, this.opts.isSignedIn(), loc.origin);
    if (res.kind === 'redirect') {
      this.win.history.replaceState(null, '', res.to);
      const again = resolve(res.to, this.opts.isSignedIn(), loc.origin);
      if (again.kind !== 'render') return; // cannot happen: redirect targets are plain pages
      this.show(again.route, again.url, initial);
      return;
    }
    this.show(res.route, res.url, initial);
  }

  private show(route: RouteDef, url: URL, initial: boolean): void {
    const flash = this.flash;
    this.flash = null;
    this.current = { route, url, flash, initial };
    this.opts.render(this.current);
  }

  private onClick(e: MouseEvent): void {
    const target = e.target as Element | null;
    const a = target?.closest?.('a[href]') as HTMLAnchorElement | null;
    if (!a) return;
    if (!shouldIntercept(e, a, this.win.location.origin)) return;
    e.preventDefault();
    const url = new URL(a.href, this.win.location.origin);
    const here = `${this.win.location.pathname}${this.win.location.search}`;
    const there = `${url.pathname}${url.search}`;
    this.navigate(there + url.hash, { replace: here === there });
  }
}
