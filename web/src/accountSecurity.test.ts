// The account's security pages: devices and addresses in the security log, the "Security"
// link in the user menu, and the API keys page (list, create with scopes and the secret shown
// once, revoke).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from './api';
import { AccountApi, type ApiKey, type NewApiKey, type Profile } from './accountApi';
import { ProfileStore, type App } from './app';
import { mountNav } from './nav';
import { resolve, type RouteContext, type Router } from './router';
import { Session } from './session';
import { FakeAuthServer, ManualTimers, MemoryStorage } from './testServer';
import { press } from './testUtils';
import { apiKeysView, maskedKey, validateKey } from './views/apiKeys';
import { deviceCell, securityView } from './views/security';

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
};

const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

function ctxFor(href: string): RouteContext {
  const r = resolve(href, true);
  if (r.kind !== 'render') throw new Error('unexpected redirect');
  return { route: r.route, url: r.url, flash: null, initial: false };
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

function buttonNamed(root: ParentNode, name: string): HTMLButtonElement {
  const b = Array.from(root.querySelectorAll('button')).find((x) => (x.getAttribute('aria-label') ?? x.textContent?.trim()) === name);
  if (!b) throw new Error(`no button ${name}`);
  return b;
}

function submit(form: HTMLFormElement): void {
  form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
}

afterEach(() => {
  document.body.replaceChildren();
  vi.restoreAllMocks();
});

describe('security page', () => {
  it('shows each event with its device (the raw User-Agent too) and address', async () => {
    const { app } = await makeApp();
    vi.spyOn(app.api, 'securityEvents').mockResolvedValue([
      { id: 'evt_2', kind: 'signin', ip: '203.0.113.9', at: 1_764_000_000, user_agent: CHROME, device: 'Chrome on Linux' },
      { id: 'evt_1', kind: 'registered', ip: '198.51.100.4', at: 1_763_999_000, user_agent: null, device: null },
    ]);
    const view = securityView(app, ctxFor('/account/security'));
    document.body.append(view.el);
    await vi.waitFor(() => expect(view.el.querySelector('.events-table')).not.toBeNull());
    const heads = Array.from(view.el.querySelectorAll('thead th')).map((th) => th.textContent);
    expect(heads).toEqual(['Event', 'When', 'Device', 'IP address']);
    const signin = view.el.querySelector<HTMLTableRowElement>('tr[data-kind="signin"]')!;
    const cells = Array.from(signin.cells).map((c) => c.textContent);
    expect(cells[2]).toContain('Chrome on Linux');
    expect(cells[2]).toContain(CHROME);
    expect(signin.cells[2]!.getAttribute('title')).toBe(CHROME);
    expect(cells[3]).toBe('203.0.113.9');
    const registered = view.el.querySelector<HTMLTableRowElement>('tr[data-kind="registered"]')!;
    expect(registered.cells[2]!.textContent).toBe('—');
    expect(registered.cells[3]!.textContent).toBe('198.51.100.4');
  });

  it('names a User-Agent the server could not read "Unknown device"', () => {
    expect(deviceCell({ user_agent: 'odd/1', device: null }).textContent).toBe('Unknown deviceodd/1');
    expect(deviceCell({}).textContent).toBe('—');
  });

  it('reads device and user_agent from GET /me/security-events', async () => {
    const { app } = await makeApp();
    const events = [{ id: 'evt_1', kind: 'signin', ip: '127.0.0.1', at: 1, user_agent: CHROME, device: 'Chrome on Linux' }];
    const authFetch = vi.spyOn(app.session, 'authFetch').mockResolvedValue(new Response(JSON.stringify({ items: events }), { headers: { 'content-type': 'application/json' } }));
    expect(await app.api.securityEvents()).toEqual(events);
    expect(authFetch).toHaveBeenCalledWith('/api/v1/me/security-events', expect.anything());
  });
});

describe('user menu', () => {
  it('links to the security page', async () => {
    const { app } = await makeApp();
    app.profile.set(PROFILE);
    const ul = document.createElement('ul');
    document.body.append(ul);
    const nav = mountNav(ul, app, () => 'security');
    const link = Array.from(ul.querySelectorAll<HTMLAnchorElement>('.user-menu a')).find((a) => a.textContent?.trim() === 'Security');
    expect(link?.getAttribute('href')).toBe('/account/security');
    expect(link?.getAttribute('aria-current')).toBe('page');
    nav.destroy();
  });

  it('has an API keys route for signed-in users only', () => {
    expect(resolve('/account/api-keys', true)).toMatchObject({ kind: 'render', route: { name: 'api-keys' } });
    expect(resolve('/account/api-keys', false).kind).toBe('redirect');
  });
});

describe('AccountApi keys', () => {
  it('lists, creates and revokes over /me/api-keys', async () => {
    const { app } = await makeApp();
    const calls: { method: string; path: string; body: unknown }[] = [];
    vi.spyOn(app.session, 'authFetch').mockImplementation(async (input: string, init: RequestInit = {}) => {
      const method = init.method ?? 'GET';
      const path = new URL(input, 'http://x').pathname;
      calls.push({ method, path, body: init.body ? JSON.parse(String(init.body)) : null });
      if (method === 'GET')
        return new Response(JSON.stringify({ items: [{ id: 'key_1', name: 'Old', prefix: 'ab12cd34', scopes: 'search prices', rate_per_minute: 600, created_at: 5, revoked: true }], total: 1 }), {
          headers: { 'content-type': 'application/json' },
        });
      if (method === 'POST')
        return new Response(JSON.stringify({ id: 'key_2', name: 'Monitor', prefix: 'ef56ab78', key: 'ck_ef56ab78_secret', scopes: 'search', rate_per_minute: 60, created_at: 9 }), {
          status: 201,
          headers: { 'content-type': 'application/json' },
        });
      return new Response(null, { status: 204 });
    });
    expect(await app.api.listApiKeys()).toEqual([{ id: 'key_1', name: 'Old', prefix: 'ab12cd34', scopes: ['search', 'prices'], rate_per_minute: 600, created_at: 5, revoked: true }]);
    const made = await app.api.createApiKey({ name: 'Monitor', scopes: ['search'], rate_per_minute: 60 });
    expect(made).toMatchObject({ id: 'key_2', key: 'ck_ef56ab78_secret', scopes: ['search'], revoked: false });
    await app.api.revokeApiKey('key_2');
    expect(calls).toEqual([
      { method: 'GET', path: '/api/v1/me/api-keys', body: null },
      { method: 'POST', path: '/api/v1/me/api-keys', body: { name: 'Monitor', scopes: ['search'], rate_per_minute: 60 } },
      { method: 'DELETE', path: '/api/v1/me/api-keys/key_2', body: null },
    ]);
  });
});

describe('API keys page', () => {
  const old: ApiKey = { id: 'key_1', name: 'Price monitor', prefix: 'ab12cd34', scopes: ['search', 'prices'], rate_per_minute: 600, created_at: 1_764_000_000, revoked: false };

  async function open(list: ApiKey[] = [old]): Promise<{ app: App; view: ReturnType<typeof apiKeysView> }> {
    const { app } = await makeApp();
    vi.spyOn(app.api, 'listApiKeys').mockResolvedValue(list);
    const view = apiKeysView(app, ctxFor('/account/api-keys'));
    document.body.append(view.el);
    await vi.waitFor(() => expect(view.el.querySelector('#api-keys .loading')).toBeNull());
    return { app, view };
  }

  it('lists keys by name, visible prefix and scopes, never a secret', async () => {
    const { view } = await open();
    const item = view.el.querySelector('.key[data-id="key_1"]')!;
    expect(item.querySelector('.key-name')?.textContent).toBe('Price monitor');
    expect(item.textContent).toContain('ck_ab12cd34_…');
    expect(item.textContent).toContain('Search, Prices');
    expect(buttonNamed(view.el, 'Revoke Price monitor')).toBeTruthy();
    expect(view.el.querySelector('.account-nav a[aria-current="page"]')?.textContent).toBe('API keys');
  });

  it('says so when there are no keys', async () => {
    const { view } = await open([]);
    expect(view.el.querySelector('#api-keys .empty-title')?.textContent).toBe('No API keys yet');
  });

  it('checks the form before calling the server', async () => {
    const { app, view } = await open();
    const create = vi.spyOn(app.api, 'createApiKey');
    submit(view.el.querySelector('#api-key-form form')!);
    expect(create).not.toHaveBeenCalled();
    const name = view.el.querySelector<HTMLInputElement>('input[name="name"]')!;
    expect(name.getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(name);
    expect(view.el.querySelector('[data-field="scopes"] .field-error')?.textContent).toBe('Choose at least one scope.');
    expect(validateKey({ name: 'x', scopes: ['search'], rate: '0' }).rate_per_minute).toMatch(/1 to 100000/);
    expect(validateKey({ name: 'x', scopes: ['search'], rate: '' })).toEqual({});
    expect(maskedKey({ prefix: 'abc' })).toBe('ck_abc_…');
    // Every scope the server knows is offered, the webhooks one (/api/v1/me/webhooks) too.
    const offered = [...view.el.querySelectorAll<HTMLInputElement>('input[name="scopes"]')].map((b) => b.value);
    expect(offered).toEqual(['search', 'offers', 'bookings', 'prices', 'webhooks']);
  });

  it('creates a key with its scopes and shows the secret once', async () => {
    const { app, view } = await open();
    const made: NewApiKey = { id: 'key_2', name: 'Travel desk', prefix: 'ef56ab78', key: 'ck_ef56ab78_s3cr3t', scopes: ['search', 'bookings'], rate_per_minute: 600, created_at: 1_764_000_100, revoked: false };
    const create = vi.spyOn(app.api, 'createApiKey').mockResolvedValue(made);
    view.el.querySelector<HTMLInputElement>('input[name="name"]')!.value = 'Travel desk';
    for (const s of ['search', 'bookings']) view.el.querySelector<HTMLInputElement>(`input[name="scopes"][value="${s}"]`)!.checked = true;
    submit(view.el.querySelector('#api-key-form form')!);
    await vi.waitFor(() => expect(view.el.querySelectorAll('.key')).toHaveLength(2));
    expect(create).toHaveBeenCalledWith({ name: 'Travel desk', scopes: ['search', 'bookings'] });
    const secret = view.el.querySelector('.key-secret code')!;
    expect(secret.textContent).toBe('ck_ef56ab78_s3cr3t');
    expect(document.activeElement).toBe(secret);
    expect(view.el.querySelector('.page-status')?.textContent).toMatch(/Travel desk was created.*only once/);
    // The list shows the prefix only; the form is empty again.
    expect(view.el.querySelector('.key-list')!.textContent).not.toContain('s3cr3t');
    expect(view.el.querySelector<HTMLInputElement>('input[name="name"]')!.value).toBe('');
    buttonNamed(view.el, 'I have stored it').click();
    expect(view.el.querySelector('.key-secret')).toBeNull();
    expect(view.el.textContent).not.toContain('s3cr3t');
    expect(document.activeElement?.textContent).toBe('Travel desk');
  });

  it('shows the server refusing a 21st key', async () => {
    const { app, view } = await open();
    vi.spyOn(app.api, 'createApiKey').mockRejectedValue(new ApiError(409, { status: 409, title: 'Conflict', detail: 'api_keys: at most 20 active keys per account: revoke one first' }));
    view.el.querySelector<HTMLInputElement>('input[name="name"]')!.value = 'One more';
    view.el.querySelector<HTMLInputElement>('input[name="scopes"][value="search"]')!.checked = true;
    submit(view.el.querySelector('#api-key-form form')!);
    await vi.waitFor(() => expect(view.el.querySelector('#api-key-form .form-alert')?.textContent).not.toBe(''));
    expect(view.el.querySelector('.key-secret')).toBeNull();
  });

  it('revokes after an inline confirmation; Escape keeps the key', async () => {
    const { app, view } = await open();
    const revoke = vi.spyOn(app.api, 'revokeApiKey').mockResolvedValue();
    buttonNamed(view.el, 'Revoke Price monitor').click();
    const yes = buttonNamed(view.el, 'Yes, revoke Price monitor');
    expect(document.activeElement).toBe(yes);
    press(yes, 'Escape');
    expect(view.el.querySelector('.confirm-box')).toBeNull();
    expect(document.activeElement).toBe(buttonNamed(view.el, 'Revoke Price monitor'));
    buttonNamed(view.el, 'Revoke Price monitor').click();
    buttonNamed(view.el, 'Yes, revoke Price monitor').click();
    await vi.waitFor(() => expect(view.el.querySelector('.key.is-revoked')).not.toBeNull());
    expect(revoke).toHaveBeenCalledWith('key_1');
    expect(view.el.querySelector('.key-badge')?.textContent).toBe('Revoked');
    expect(() => buttonNamed(view.el, 'Revoke Price monitor')).toThrow();
    expect(view.el.querySelector('.page-status')?.textContent).toBe('Price monitor was revoked.');
  });
});
