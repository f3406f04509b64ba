import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { matchRoute, normalizePath, resolve, Router, safeNext, shouldIntercept, type RouteContext } from './router';

describe('matchRoute', () => {
  it.each([
    ['/', 'home'],
    ['', 'home'],
    ['/sign-up', 'sign-up'],
    ['/sign-in/', 'sign-in'],
    ['/verify-email', 'verify-email'],
    ['/reset-password', 'reset-password'],
    ['/account', 'account'],
    ['/account/', 'account'],
    ['/account/travellers', 'travellers'],
    ['/account/security', 'security'],
    ['/account/nope', 'not-found'],
    ['/Account', 'not-found'],
    ['/search', 'search'],
    ['/search/', 'search'],
    ['/searches', 'not-found'],
  ])('%s → %s', (path, name) => {
    expect(matchRoute(path).name).toBe(name);
  });

  it('normalizes trailing slashes', () => {
    expect(normalizePath('/account/travellers///')).toBe('/account/travellers');
    expect(normalizePath('/')).toBe('/');
    expect(normalizePath('account')).toBe('/account');
  });
});

describe('resolve (guards)', () => {
  it('sends signed-out users from account pages to sign-in with next', () => {
    expect(resolve('/account', false)).toEqual({ kind: 'redirect', to: '/sign-in?next=%2Faccount' });
    expect(resolve('/account/travellers?x=1', false)).toEqual({ kind: 'redirect', to: '/sign-in?next=%2Faccount%2Ftravellers%3Fx%3D1' });
  });

  it('renders account pages for signed-in users', () => {
    const r = resolve('/account/security', true);
    expect(r.kind).toBe('render');
    expect(r.kind === 'render' && r.route.name).toBe('security');
  });

  it('sends signed-in users away from sign-in / sign-up, honouring a safe next', () => {
    expect(resolve('/sign-in', true)).toEqual({ kind: 'redirect', to: '/account' });
    expect(resolve('/sign-up?next=%2Faccount%2Ftravellers', true)).toEqual({ kind: 'redirect', to: '/account/travellers' });
    expect(resolve('/sign-in?next=https%3A%2F%2Fevil.example', true)).toEqual({ kind: 'redirect', to: '/account' });
  });

  it('renders public pages for everybody, keeping the query', () => {
    for (const signedIn of [true, false]) {
      const r = resolve('/verify-email?token=abc', signedIn);
      expect(r.kind === 'render' && r.url.searchParams.get('token')).toBe('abc');
      expect(resolve('/', signedIn).kind).toBe('render');
      expect(resolve('/reset-password?token=t', signedIn).kind).toBe('render');
    }
  });

  it('renders not-found for unknown paths', () => {
    const r = resolve('/nowhere', false);
    expect(r.kind === 'render' && r.route.name).toBe('not-found');
  });
});

describe('safeNext', () => {
  it.each(['/account', '/account/travellers', '/account/security?x=1', '/', '/?from=ZRH'])('follows %s', (n) => {
    expect(safeNext(n)).toBe(n);
  });
  it.each([
    null,
    '',
    'account',
    '//evil.example/account',
    '/\\evil.example',
    'https://evil.example/',
    'javascript:alert(1)',
    '/sign-in', // would loop
    '/nowhere',
    '/account\n',
  ])('refuses %j', (n) => {
    expect(safeNext(n)).toBe('/account');
  });
});

describe('shouldIntercept', () => {
  const origin = window.location.origin;
  const click = { button: 0, metaKey: false, ctrlKey: false, shiftKey: false, altKey: false, defaultPrevented: false };
  const link = (href: string, attrs: Record<string, string> = {}) => {
    const a = document.createElement('a');
    a.setAttribute('href', href);
    for (const [k, v] of Object.entries(attrs)) a.setAttribute(k, v);
    return a;
  };

  it('takes plain clicks on app links', () => {
    expect(shouldIntercept(click, link('/account'), origin)).toBe(true);
    expect(shouldIntercept(click, link('/?from=ZRH'), origin)).toBe(true);
  });

  it('leaves modified clicks, other targets, downloads, anchors, APIs and other sites to the browser', () => {
    expect(shouldIntercept({ ...click, ctrlKey: true }, link('/account'), origin)).toBe(false);
    expect(shouldIntercept({ ...click, metaKey: true }, link('/account'), origin)).toBe(false);
    expect(shouldIntercept({ ...click, shiftKey: true }, link('/account'), origin)).toBe(false);
    expect(shouldIntercept({ ...click, button: 1 }, link('/account'), origin)).toBe(false);
    expect(shouldIntercept({ ...click, defaultPrevented: true }, link('/account'), origin)).toBe(false);
    expect(shouldIntercept(click, link('/account', { target: '_blank' }), origin)).toBe(false);
    expect(shouldIntercept(click, link('/account', { download: '' }), origin)).toBe(false);
    expect(shouldIntercept(click, link('#main'), origin)).toBe(false);
    expect(shouldIntercept(click, link('/api/v1/me/export'), origin)).toBe(false);
    expect(shouldIntercept(click, link('https://example.org/account'), origin)).toBe(false);
    expect(shouldIntercept(click, link('/assets/x.js'), origin)).toBe(false);
  });
});

describe('Router', () => {
  let rendered: RouteContext[];
  let signedIn: boolean;
  let router: Router;

  beforeEach(() => {
    rendered = [];
    signedIn = false;
    window.history.replaceState(null, '', '/');
    router = new Router({ win: window, isSignedIn: () => signedIn, render: (ctx) => rendered.push(ctx) });
  });
  afterEach(() => {
    router.stop();
    document.body.replaceChildren();
  });

  it('renders the current URL on start, marked initial', () => {
    window.history.replaceState(null, '', '/sign-up?next=%2Faccount');
    router.start();
    expect(rendered).toHaveLength(1);
    expect(rendered[0]!.route.name).toBe('sign-up');
    expect(rendered[0]!.initial).toBe(true);
    expect(rendered[0]!.url.searchParams.get('next')).toBe('/account');
  });

  it('redirects a protected deep link with replaceState (no extra history entry)', () => {
    window.history.replaceState(null, '', '/account/travellers');
    const before = window.history.length;
    router.start();
    expect(window.location.pathname).toBe('/sign-in');
    expect(window.location.search).toBe('?next=%2Faccount%2Ftravellers');
    expect(window.history.length).toBe(before);
    expect(rendered.map((r) => r.route.name)).toEqual(['sign-in']);
  });

  it('navigate() pushes a history entry, passes a flash once, and popstate goes back', () => {
    router.start();
    const before = window.history.length;
    router.navigate('/sign-in', { flash: 'Hello' });
    expect(window.location.pathname).toBe('/sign-in');
    expect(window.history.length).toBe(before + 1);
    expect(rendered.at(-1)).toMatchObject({ flash: 'Hello', initial: false });
    router.navigate('/reset-password');
    expect(rendered.at(-1)!.flash).toBeNull();

    window.history.replaceState(null, '', '/');
    window.dispatchEvent(new PopStateEvent('popstate'));
    expect(rendered.at(-1)!.route.name).toBe('home');
  });

  it('intercepts clicks on app links and ignores others', () => {
    router.start();
    const a = document.createElement('a');
    a.href = '/sign-up';
    a.textContent = 'Create an account';
    const ext = document.createElement('a');
    ext.href = 'https://example.org/';
    document.body.append(a, ext);
    const ev = new MouseEvent('click', { bubbles: true, cancelable: true, button: 0 });
    a.dispatchEvent(ev);
    expect(ev.defaultPrevented).toBe(true);
    expect(window.location.pathname).toBe('/sign-up');
    expect(rendered.at(-1)!.route.name).toBe('sign-up');

    const ev2 = new MouseEvent('click', { bubbles: true, cancelable: true, button: 0 });
    ext.addEventListener('click', (e) => e.preventDefault()); // keep jsdom from navigating
    const n = rendered.length;
    ext.dispatchEvent(ev2);
    expect(rendered.length).toBe(n);
  });

  it('refresh() re-applies the guards after signing out', () => {
    signedIn = true;
    window.history.replaceState(null, '', '/account');
    router.start();
    expect(rendered.at(-1)!.route.name).toBe('account');
    signedIn = false;
    router.refresh({ flash: 'Your session has ended.' });
    expect(window.location.pathname).toBe('/sign-in');
    expect(rendered.at(-1)).toMatchObject({ flash: 'Your session has ended.' });
    expect(rendered.at(-1)!.route.name).toBe('sign-in');
  });
});
