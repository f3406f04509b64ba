import { beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from './api';
import { REFRESH_STORAGE_KEY, Session, SessionExpiredError, type SessionChange } from './session';
import { FakeAuthServer, ManualTimers, MemoryStorage } from './testServer';
import { flush } from './testUtils';

const EMAIL = 'ada@example.com';
const PASSWORD = 'correct horse battery';

let server: FakeAuthServer;
let storage: MemoryStorage;
let timers: ManualTimers;

function makeSession(): Session {
  return new Session({ fetchFn: server.fetch, storage, now: () => server.now, setTimer: timers.set, clearTimer: timers.clear });
}

function stored(): { refresh_token: string; user_id: string } | null {
  const raw = storage.getItem(REFRESH_STORAGE_KEY);
  return raw ? JSON.parse(raw) : null;
}

function refreshBodies(): string[] {
  return server.calls.filter((c) => c.path === '/api/v1/sessions/refresh').map((c) => (c.body as { refresh_token: string }).refresh_token);
}

beforeEach(() => {
  server = new FakeAuthServer();
  storage = new MemoryStorage();
  timers = new ManualTimers();
});

describe('sign-in', () => {
  it('keeps the refresh token in storage and the access token only in memory', async () => {
    const s = makeSession();
    const changes: SessionChange[] = [];
    s.onChange((c) => changes.push(c));
    await s.signIn(EMAIL, PASSWORD);
    expect(s.signedIn).toBe(true);
    expect(s.userId).toBe('usr_1');
    expect(stored()).toEqual({ refresh_token: 'rt-1', user_id: 'usr_1' });
    expect(storage.getItem(REFRESH_STORAGE_KEY)).not.toContain('at-1');
    expect(changes).toEqual([{ signedIn: true, reason: 'signin' }]);
    // Public endpoint: never an Authorization header.
    expect(server.calls[0]).toMatchObject({ path: '/api/v1/sessions', auth: null });
  });

  it('rejects wrong credentials with ApiError 401 and stays signed out', async () => {
    const s = makeSession();
    const err = await s.signIn(EMAIL, 'wrong password!').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(401);
    expect(s.signedIn).toBe(false);
    expect(stored()).toBeNull();
  });

  it('schedules a refresh a minute before the access token expires', async () => {
    const s = makeSession();
    await s.signIn(EMAIL, PASSWORD);
    expect(timers.delays).toEqual([(900 - 60) * 1000]);
    timers.runAll();
    await flush();
    expect(server.count('/api/v1/sessions/refresh')).toBe(1);
    expect(stored()?.refresh_token).toBe('rt-2');
    expect(timers.delays).toEqual([(900 - 60) * 1000]); // re-armed for the new token
  });
});

describe('refresh rotation', () => {
  it('replaces the old refresh token with the new one and never sends a spent token again', async () => {
    const s = makeSession();
    await s.signIn(EMAIL, PASSWORD);
    await s.refresh();
    expect(stored()?.refresh_token).toBe('rt-2');
    expect(s.currentRefreshToken).toBe('rt-2');
    await s.refresh();
    await s.refresh();
    expect(refreshBodies()).toEqual(['rt-1', 'rt-2', 'rt-3']);
    expect(server.reuses).toBe(0);
    expect(server.isLive('rt-4')).toBe(true);
    expect(server.isLive('rt-1')).toBe(false);
  });

  it('uses the new access token after a refresh', async () => {
    const s = makeSession();
    await s.signIn(EMAIL, PASSWORD);
    await s.refresh();
    const res = await s.authFetch('/me');
    expect(res.status).toBe(200);
    expect(server.calls.at(-1)?.auth).toBe('Bearer at-2');
  });

  it('after a reload, refreshes with the stored token before the first call', async () => {
    const first = makeSession();
    await first.signIn(EMAIL, PASSWORD);
    const reloaded = makeSession(); // same storage, no access token in memory
    expect(reloaded.signedIn).toBe(true);
    const res = await reloaded.authFetch('/me');
    expect(res.status).toBe(200);
    expect(refreshBodies()).toEqual(['rt-1']);
    expect(stored()?.refresh_token).toBe('rt-2');
  });

  it('refreshes before a call when the access token is about to expire', async () => {
    const s = makeSession();
    await s.signIn(EMAIL, PASSWORD);
    server.now += 890_000; // 10 s left: inside the skew window
    const res = await s.authFetch('/me');
    expect(res.status).toBe(200);
    expect(server.count('/api/v1/sessions/refresh')).toBe(1);
    expect(server.count('/api/v1/me')).toBe(1); // no wasted 401 round trip
  });
});

describe('concurrent callers', () => {
  it('five parallel calls hitting 401 trigger exactly one refresh', async () => {
    const s = makeSession();
    await s.signIn(EMAIL, PASSWORD);
    server.expireAllAccess();
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => s.authFetch('/me')));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(server.count('/api/v1/sessions/refresh')).toBe(1);
    expect(server.reuses).toBe(0);
    expect(s.signedIn).toBe(true);
  });

  it('a 401 that arrives after the rotation finished retries with the new token instead of refreshing again', async () => {
    // Hold the answers to calls made with the first access token, release them one by one.
    const held: (() => void)[] = [];
    const fetchFn = async (url: string, init?: RequestInit) => {
      const auth = new Headers(init?.headers).get('authorization');
      if (url.endsWith('/me') && auth === 'Bearer at-1') await new Promise<void>((r) => held.push(r));
      return server.fetch(url, init);
    };
    const s = new Session({ fetchFn, storage, now: () => server.now, setTimer: timers.set, clearTimer: timers.clear });
    await s.signIn(EMAIL, PASSWORD);
    const a = s.authFetch('/me');
    const b = s.authFetch('/me');
    await flush();
    expect(held).toHaveLength(2);
    server.expireAllAccess();
    held[0]!(); // A: 401 → refresh → retry with at-2
    expect((await a).status).toBe(200);
    expect(server.count('/api/v1/sessions/refresh')).toBe(1);
    held[1]!(); // B: 401 arrives late, after the rotation
    expect((await b).status).toBe(200);
    expect(server.count('/api/v1/sessions/refresh')).toBe(1);
    expect(server.calls.at(-1)?.auth).toBe('Bearer at-2');
    expect(server.reuses).toBe(0);
  });

  it('a call waiting for an in-flight refresh uses its result', async () => {
    const s = makeSession();
    await s.signIn(EMAIL, PASSWORD);
    server.expireAllAccess();
    server.holdRefresh = true;
    const a = s.authFetch('/me');
    await flush(); // A got its 401 and is waiting on the held refresh
    const b = s.authFetch('/me');
    const c = s.authFetch('/me');
    server.release();
    const statuses = (await Promise.all([a, b, c])).map((r) => r.status);
    expect(statuses).toEqual([200, 200, 200]);
    expect(server.count('/api/v1/sessions/refresh')).toBe(1);
    expect(server.reuses).toBe(0);
  });

  it('parallel calls right after a reload share one refresh', async () => {
    await makeSession().signIn(EMAIL, PASSWORD);
    const s = makeSession();
    server.holdRefresh = true;
    const all = Promise.all([s.authFetch('/me'), s.authFetch('/me'), s.refresh(), s.getAccessToken()]);
    await flush();
    server.release();
    await all;
    expect(server.count('/api/v1/sessions/refresh')).toBe(1);
    expect(server.reuses).toBe(0);
  });
});

describe('refresh failure', () => {
  it('signs out cleanly when the server refuses the refresh token', async () => {
    const s = makeSession();
    await s.signIn(EMAIL, PASSWORD);
    const changes: SessionChange[] = [];
    s.onChange((c) => changes.push(c));
    server.expireAllAccess();
    server.failRefresh = 401;
    const results = await Promise.allSettled([s.authFetch('/me'), s.authFetch('/me')]);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(SessionExpiredError);
    }
    expect(server.count('/api/v1/sessions/refresh')).toBe(1);
    expect(s.signedIn).toBe(false);
    expect(stored()).toBeNull();
    expect(timers.pending.size).toBe(0);
    expect(changes).toEqual([{ signedIn: false, reason: 'expired' }]);
    // Nothing more goes to the network once signed out.
    const before = server.calls.length;
    await expect(s.authFetch('/me')).rejects.toBeInstanceOf(SessionExpiredError);
    expect(server.calls.length).toBe(before);
  });

  it('signs out when a reused (revoked) token is rejected', async () => {
    const s = makeSession();
    await s.signIn(EMAIL, PASSWORD);
    // Someone else (a copy of the token) rotates it first.
    await server.fetch('/api/v1/sessions/refresh', { method: 'POST', body: JSON.stringify({ refresh_token: 'rt-1' }) });
    await expect(s.refresh()).rejects.toBeInstanceOf(SessionExpiredError);
    expect(server.reuses).toBe(1);
    expect(server.isLive('rt-2')).toBe(false); // the family was revoked
    expect(s.signedIn).toBe(false);
  });

  it('keeps the session on a network error (the token may still be good)', async () => {
    const s = makeSession();
    await s.signIn(EMAIL, PASSWORD);
    server.failRefresh = 'network';
    await expect(s.refresh()).rejects.toBeInstanceOf(TypeError);
    expect(s.signedIn).toBe(true);
    expect(stored()?.refresh_token).toBe('rt-1');
    server.failRefresh = null;
    await s.refresh();
    expect(stored()?.refresh_token).toBe('rt-2');
  });

  it('keeps the session on a 503 and reports it as an ApiError', async () => {
    const s = makeSession();
    await s.signIn(EMAIL, PASSWORD);
    server.failRefresh = 503;
    const err = await s.refresh().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(s.signedIn).toBe(true);
  });

  it('signs out when even a fresh access token is refused', async () => {
    const s = makeSession();
    await s.signIn(EMAIL, PASSWORD);
    server.accessTtl = 0; // every new access token is dead on arrival
    server.expireAllAccess();
    await expect(s.authFetch('/me')).rejects.toBeInstanceOf(SessionExpiredError);
    expect(s.signedIn).toBe(false);
  });
});

describe('sign-out', () => {
  it('revokes the refresh token family and forgets everything', async () => {
    const s = makeSession();
    await s.signIn(EMAIL, PASSWORD);
    const changes: SessionChange[] = [];
    s.onChange((c) => changes.push(c));
    await s.signOut();
    expect(server.calls.at(-1)).toMatchObject({ path: '/api/v1/sessions/revoke', body: { refresh_token: 'rt-1' } });
    expect(server.isLive('rt-1')).toBe(false);
    expect(s.signedIn).toBe(false);
    expect(stored()).toBeNull();
    expect(timers.pending.size).toBe(0);
    expect(changes).toEqual([{ signedIn: false, reason: 'signout' }]);
  });

  it('waits for an in-flight refresh and revokes the new token, not the spent one', async () => {
    const s = makeSession();
    await s.signIn(EMAIL, PASSWORD);
    server.holdRefresh = true;
    const r = s.refresh();
    const out = s.signOut();
    await flush();
    server.release();
    await r;
    await out;
    const revoke = server.calls.find((c) => c.path === '/api/v1/sessions/revoke');
    expect(revoke?.body).toEqual({ refresh_token: 'rt-2' });
    expect(server.isLive('rt-2')).toBe(false);
    expect(s.signedIn).toBe(false);
  });

  it('still signs out locally when the network is down', async () => {
    const s = new Session({
      fetchFn: async (url, init) => {
        if (url.endsWith('/sessions/revoke')) throw new TypeError('offline');
        return server.fetch(url, init);
      },
      storage,
      now: () => server.now,
      setTimer: timers.set,
      clearTimer: timers.clear,
    });
    await s.signIn(EMAIL, PASSWORD);
    await s.signOut();
    expect(s.signedIn).toBe(false);
    expect(stored()).toBeNull();
  });
});

describe('storage', () => {
  it('ignores a corrupt stored value', () => {
    storage.setItem(REFRESH_STORAGE_KEY, '{not json');
    const s = makeSession();
    expect(s.signedIn).toBe(false);
    expect(storage.getItem(REFRESH_STORAGE_KEY)).toBeNull();
  });

  it('works without storage (memory only)', async () => {
    const s = new Session({ fetchFn: server.fetch, storage: null, now: () => server.now, setTimer: timers.set, clearTimer: timers.clear });
    await s.signIn(EMAIL, PASSWORD);
    expect(s.signedIn).toBe(true);
    expect((await s.authFetch('/me')).status).toBe(200);
  });

  it('authFetch before signing in rejects without calling the network', async () => {
    const s = makeSession();
    await expect(s.authFetch('/me')).rejects.toBeInstanceOf(SessionExpiredError);
    expect(server.calls).toHaveLength(0);
  });
});
