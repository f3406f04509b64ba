import { afterEach, describe, expect, it, vi } from 'vitest';
import { AccountApi, type Profile } from './accountApi';
import { ProfileStore, type App } from './app';
import { OIDC_NEXT_KEY, oidcErrorMessage, oidcStartUrl, parseOidcReturn } from './oidc';
import { resolve, type RouteContext, type Router } from './router';
import { Session } from './session';
import { FakeAuthServer, ManualTimers, MemoryStorage } from './testServer';
import { signInView, signUpView } from './views/auth';

const PROFILE = { id: 'usr_1', email: 'alice@idp.test', name: 'Alice Example' } as unknown as Profile;

function ctxFor(href: string): RouteContext {
  const r = resolve(href, false);
  if (r.kind !== 'render') throw new Error('unexpected redirect');
  return { route: r.route, url: r.url, flash: null, initial: false };
}

function makeApp(): { app: App; server: FakeAuthServer; navigate: ReturnType<typeof vi.fn> } {
  const server = new FakeAuthServer();
  const timers = new ManualTimers();
  const session = new Session({ fetchFn: server.fetch, storage: new MemoryStorage(), now: () => server.now, setTimer: timers.set, clearTimer: timers.clear });
  const navigate = vi.fn();
  const app: App = {
    session,
    api: new AccountApi(session, server.fetch),
    profile: new ProfileStore(async () => PROFILE),
    router: { navigate, refresh: vi.fn(), route: null } as unknown as Router,
    announce: vi.fn(),
    toast: vi.fn(),
    today: () => '2026-12-04',
    download: vi.fn(),
  };
  return { app, server, navigate };
}

afterEach(() => {
  document.body.replaceChildren();
  sessionStorage.clear();
  vi.restoreAllMocks();
});

describe('parseOidcReturn', () => {
  it('reads a session, an error, or nothing', () => {
    expect(parseOidcReturn('#oidc_refresh=rt-1&user_id=usr_1&outcome=linked')).toEqual({ kind: 'session', refreshToken: 'rt-1', userId: 'usr_1', outcome: 'linked' });
    expect(parseOidcReturn('#oidc_error=denied')).toMatchObject({ kind: 'error', reason: 'denied', message: expect.stringMatching(/cancelled/) });
    expect(parseOidcReturn('')).toBeNull();
    expect(parseOidcReturn('#section-2')).toBeNull();
    expect(parseOidcReturn('#oidc_refresh=rt-1')).toBeNull(); // no user id: not a session
  });

  it('has a readable message for every reason the server sends, and a fallback', () => {
    for (const r of ['denied', 'provider_error', 'state', 'exchange', 'token', 'unverified_email', 'no_email', 'unavailable']) {
      expect(oidcErrorMessage(r)).not.toMatch(/_/);
    }
    expect(oidcErrorMessage('something-new')).toMatch(/could not sign you in/);
    expect(oidcErrorMessage('unverified_email')).toMatch(/password/);
  });
});

describe('Sign in with Sandbox ID', () => {
  it('is a real navigation to the server on the sign-in and sign-up pages, remembering next', () => {
    const { app } = makeApp();
    for (const view of [signInView(app, ctxFor('/sign-in?next=%2Ftrips')), signUpView(app, ctxFor('/sign-up?next=%2Ftrips'))]) {
      document.body.append(view.el);
      const link = view.el.querySelector<HTMLAnchorElement>('#oidc-sandbox')!;
      expect(link.textContent).toMatch(/with Sandbox ID/);
      expect(link.getAttribute('href')).toBe(oidcStartUrl());
      expect(link.getAttribute('href')).toBe('/api/v1/auth/oidc/sandbox/start');
      expect(link.getAttribute('rel')).toBe('external'); // the router leaves it to the browser
      link.addEventListener('click', (e) => e.preventDefault()); // jsdom cannot navigate
      link.click();
      expect(sessionStorage.getItem(OIDC_NEXT_KEY)).toBe('/trips');
      view.el.remove();
    }
  });

  it('adopts the session of a return, spends the handed-over token and goes to next', async () => {
    const { app, server, navigate } = makeApp();
    const handed = server.startExternalSession('usr_1');
    sessionStorage.setItem(OIDC_NEXT_KEY, '/trips');
    const replace = vi.spyOn(history, 'replaceState');
    const view = signInView(app, ctxFor(`/sign-in#oidc_refresh=${handed}&user_id=usr_1&outcome=created`));
    document.body.append(view.el);
    expect(replace).toHaveBeenCalledWith(null, '', '/sign-in'); // the token leaves the address bar
    await vi.waitFor(() => expect(navigate).toHaveBeenCalled());
    expect(navigate.mock.calls[0]![0]).toBe('/trips');
    expect(navigate.mock.calls[0]![1]).toEqual(expect.objectContaining({ flash: 'Your account is ready, Alice Example.' }));
    expect(app.session.signedIn).toBe(true);
    expect(app.session.currentRefreshToken).not.toBe(handed);
    expect(server.isLive(handed)).toBe(false); // rotated at once
    expect(sessionStorage.getItem(OIDC_NEXT_KEY)).toBeNull();
  });

  it('says so when the handed-over token is refused', async () => {
    const { app, navigate } = makeApp();
    const view = signInView(app, ctxFor('/sign-in#oidc_refresh=rt-unknown&user_id=usr_1&outcome=signin'));
    document.body.append(view.el);
    await vi.waitFor(() => expect(view.el.textContent).toMatch(/expired\. Please start again/));
    expect(navigate).not.toHaveBeenCalled();
    expect(app.session.signedIn).toBe(false);
  });

  it('shows a readable message for an error return, with the form still there', () => {
    const { app } = makeApp();
    const view = signInView(app, ctxFor('/sign-in#oidc_error=unverified_email'));
    document.body.append(view.el);
    const n = view.el.querySelector('.notice-error')!;
    expect(n.textContent).toMatch(/already exists.*not verified.*Sign in with your password/);
    expect(view.el.querySelector('form')).not.toBeNull();
  });
});
