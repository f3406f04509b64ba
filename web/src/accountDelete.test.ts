// Account erasure (issue 18): an account made through an identity provider has no password,
// so its delete card asks for none and explains the recent sign-in the server wants; an
// account with a password still confirms with it.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AccountApi, type Profile } from './accountApi';
import { ProfileStore, type App } from './app';
import { resolve, type RouteContext, type Router } from './router';
import { Session } from './session';
import { FakeAuthServer, ManualTimers, MemoryStorage } from './testServer';
import { accountView } from './views/account';

const PROFILE: Profile = {
  id: 'usr_1',
  email: 'alice@idp.test',
  role: 'user',
  email_verified: true,
  name: 'Alice',
  home_airport: null,
  currency: null,
  cabin: null,
  notifications: { email: true, webhook: false, in_app: true },
  created_at: 0,
};

function ctxFor(href: string): RouteContext {
  const r = resolve(href, true);
  if (r.kind !== 'render') throw new Error('unexpected redirect');
  return { route: r.route, url: r.url, flash: null, initial: false };
}

async function openAccount(profile: Profile): Promise<{ app: App; card: HTMLElement }> {
  const server = new FakeAuthServer();
  const timers = new ManualTimers();
  const session = new Session({ fetchFn: server.fetch, storage: new MemoryStorage(), now: () => server.now, setTimer: timers.set, clearTimer: timers.clear });
  await session.signIn('ada@example.com', 'correct horse battery');
  const app: App = {
    session,
    api: new AccountApi(session, server.fetch),
    profile: new ProfileStore(async () => profile),
    router: { navigate: vi.fn(), refresh: vi.fn(), route: null } as unknown as Router,
    announce: vi.fn(),
    toast: vi.fn(),
    today: () => '2026-12-04',
    download: vi.fn(),
  };
  const view = accountView(app, ctxFor('/account'));
  document.body.append(view.el);
  await vi.waitFor(() => expect(view.el.querySelector('#card-delete-account')).not.toBeNull());
  return { app, card: view.el.querySelector<HTMLElement>('#card-delete-account')! };
}

afterEach(() => {
  document.body.replaceChildren();
  vi.restoreAllMocks();
});

describe('deleting an account', () => {
  it('asks for no password when the account has none, and sends none', async () => {
    const { app, card } = await openAccount({ ...PROFILE, has_password: false });
    expect(card.querySelector('input[type="password"]')).toBeNull();
    expect(card.textContent).toContain('no password');
    const del = vi.spyOn(app.api, 'deleteMe').mockResolvedValue(undefined);
    const button = Array.from(card.querySelectorAll('button')).find((b) => b.textContent?.includes('permanently'))!;
    button.click();
    await vi.waitFor(() => expect(app.router.navigate).toHaveBeenCalled());
    expect(del).toHaveBeenCalledWith();
  });

  it('shows the server refusal (a sign-in too old) and keeps the account', async () => {
    const { app, card } = await openAccount({ ...PROFILE, has_password: false });
    const { ApiError } = await import('./api');
    vi.spyOn(app.api, 'deleteMe').mockRejectedValue(
      new ApiError(400, { type: 'about:blank', title: 'Invalid request', status: 400, detail: 'password: this account has no password: sign in again with your identity provider, then delete it within 10 minutes' }),
    );
    const button = Array.from(card.querySelectorAll('button')).find((b) => b.textContent?.includes('permanently'))!;
    button.click();
    await vi.waitFor(() => expect(card.querySelector('[role="alert"]')?.hasAttribute('hidden')).toBe(false));
    expect(card.querySelector('[role="alert"]')!.textContent).toContain('sign in again');
    expect(app.router.navigate).not.toHaveBeenCalled();
  });

  it('still confirms with the password when the account has one', async () => {
    const { card } = await openAccount({ ...PROFILE, has_password: true });
    expect(card.querySelector('input[type="password"]')).not.toBeNull();
  });
});
