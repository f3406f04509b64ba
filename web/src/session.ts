/**
 * Session handling: sign-in, token refresh and the `authFetch` wrapper every
 * account call goes through.
 *
 * ## Where the tokens live, and why
 *
 * The server answers `POST /api/v1/sessions` and `/sessions/refresh` with both
 * tokens in the JSON body (no cookies), so JavaScript has to keep them:
 *
 * - The **access token** (a JWT, 15 minutes) stays in memory only. It is sent
 *   as `Authorization: Bearer …` and disappears with the page.
 * - The **refresh token** (opaque, rotated on every use, 30 days) is kept in
 *   `sessionStorage`, so a reload or a client-side navigation keeps the user
 *   signed in, but closing the tab ends the session on this device. It is not
 *   in `localStorage` so it does not outlive the tab, is not shared by every
 *   tab (each tab has its own token family and refreshes on its own, so two
 *   tabs never race on one token) and is not left behind on shared computers.
 *
 * Trade-off: any script running on the page (i.e. a successful XSS) can read
 * `sessionStorage`, and therefore steal a refresh token and keep a session
 * alive elsewhere until the user signs out or changes the password. An
 * `HttpOnly; Secure; SameSite=Strict` cookie scoped to
 * `/api/v1/sessions` would keep the refresh token out of reach of scripts
 * (an XSS could still act *as* the user while the page is open, but could not
 * exfiltrate a long-lived credential). That needs server changes — see
 * web/README.md, "What the server should change". The mitigations here are:
 * no third-party scripts, no `innerHTML` with server or user data, a strict
 * CSP is possible (script-src 'self'), and rotation with reuse detection on
 * the server, which revokes a stolen token's family the first time both the
 * thief and the user use it.
 *
 * Known edge: browsers copy `sessionStorage` when a tab is *duplicated*. The
 * two tabs then hold the same refresh token; whichever refreshes second
 * presents a spent token, the server revokes the family and both tabs are
 * signed out (safely, with a "please sign in again" message).
 *
 * ## Refresh rules
 *
 * - Refresh about a minute before the access token expires (timer), when a
 *   call finds the token missing or about to expire, and on a 401.
 * - Only one refresh is ever in flight: concurrent callers share its promise.
 *   A caller whose 401 arrives after someone else already rotated the tokens
 *   retries with the new access token instead of refreshing again.
 * - The new refresh token replaces the old one *before* anyone can use it, and
 *   a spent token is never sent twice (a reuse would revoke the whole family).
 * - A refresh the server refuses (401/400: revoked, expired, reused) signs the
 *   user out locally and rejects with `SessionExpiredError`. Network errors and
 *   5xx/429 keep the session: the token may still be good, try again later.
 */

import { API_PREFIX, ApiError, defaultFetch, type FetchFn } from './api';

export const REFRESH_STORAGE_KEY = 'contrail.session';
/** Refresh this long before the access token expires. */
export const REFRESH_MARGIN_MS = 60_000;
/** A token this close to expiry is refreshed before use (clock skew, latency). */
export const EXPIRY_SKEW_MS = 15_000;

export interface TokenResponse {
  access_token: string;
  token_type?: string;
  expires_in: number;
  refresh_token: string;
  user_id: string;
}

export type SessionChangeReason = 'signin' | 'signout' | 'expired';

export interface SessionChange {
  signedIn: boolean;
  reason: SessionChangeReason;
}

/** The session ended (refresh refused, or signed out meanwhile): sign in again. */
export class SessionExpiredError extends Error {
  constructor(message = 'Your session has ended. Please sign in again.') {
    super(message);
    this.name = 'SessionExpiredError';
  }
}

type StorageLike = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export interface SessionOptions {
  fetchFn?: FetchFn;
  /** Where the refresh token is kept; null keeps it in memory only. Default: sessionStorage. */
  storage?: StorageLike | null;
  /** Milliseconds since the epoch (tests move it). */
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  /** Prefix for API URLs; '' means same origin. */
  baseUrl?: string;
  refreshMarginMs?: number;
}

interface StoredSession {
  refresh_token: string;
  user_id: string;
}

function defaultStorage(): StorageLike | null {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null; // e.g. storage disabled
  }
}

function isTokenResponse(v: unknown): v is TokenResponse {
  if (!v || typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.access_token === 'string' &&
    o.access_token !== '' &&
    typeof o.refresh_token === 'string' &&
    o.refresh_token !== '' &&
    typeof o.expires_in === 'number' &&
    typeof o.user_id === 'string'
  );
}

export class Session {
  private readonly fetchFn: FetchFn;
  private readonly storage: StorageLike | null;
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;
  private readonly baseUrl: string;
  private readonly marginMs: number;

  private accessToken: string | null = null;
  private accessExpiresAt = 0;
  private refreshToken: string | null = null;
  private currentUserId: string | null = null;
  /** Bumped whenever the session is replaced or cleared; stale refreshes are discarded. */
  private generation = 0;
  private refreshing: Promise<string> | null = null;
  private timer: unknown = null;
  private readonly listeners = new Set<(c: SessionChange) => void>();

  constructor(opts: SessionOptions = {}) {
    this.fetchFn = opts.fetchFn ?? defaultFetch();
    this.storage = opts.storage === undefined ? defaultStorage() : opts.storage;
    this.now = opts.now ?? (() => Date.now());
    this.setTimer = opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = opts.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
    this.baseUrl = opts.baseUrl ?? '';
    this.marginMs = opts.refreshMarginMs ?? REFRESH_MARGIN_MS;
    this.restore();
  }

  /* ------------------------------------------------------------------ */
  /* State                                                              */
  /* ------------------------------------------------------------------ */

  /** True while a refresh token is held (the access token may need a refresh). */
  get signedIn(): boolean {
    return this.refreshToken !== null;
  }

  get userId(): string | null {
    return this.currentUserId;
  }

  /** Exposed for tests and diagnostics; never log it. */
  get currentRefreshToken(): string | null {
    return this.refreshToken;
  }

  onChange(fn: (c: SessionChange) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(change: SessionChange): void {
    for (const fn of [...this.listeners]) {
      try {
        fn(change);
      } catch (err) {
        console.error(err);
      }
    }
  }

  private restore(): void {
    const raw = this.readStorage();
    if (!raw) return;
    try {
      const v = JSON.parse(raw) as Partial<StoredSession>;
      if (typeof v.refresh_token === 'string' && v.refresh_token && typeof v.user_id === 'string') {
        this.refreshToken = v.refresh_token;
        this.currentUserId = v.user_id;
        return;
      }
    } catch {
      /* fall through */
    }
    this.removeStorage();
  }

  private readStorage(): string | null {
    try {
      return this.storage?.getItem(REFRESH_STORAGE_KEY) ?? null;
    } catch {
      return null;
    }
  }

  private writeStorage(): void {
    try {
      if (this.refreshToken && this.currentUserId !== null) {
        const v: StoredSession = { refresh_token: this.refreshToken, user_id: this.currentUserId };
        this.storage?.setItem(REFRESH_STORAGE_KEY, JSON.stringify(v));
      } else {
        this.storage?.removeItem(REFRESH_STORAGE_KEY);
      }
    } catch {
      /* quota or disabled storage: the session still works until reload */
    }
  }

  private removeStorage(): void {
    try {
      this.storage?.removeItem(REFRESH_STORAGE_KEY);
    } catch {
      /* ignore */
    }
  }

  /** Install a new token pair (sign-in or refresh). */
  private adopt(t: TokenResponse): void {
    this.accessToken = t.access_token;
    // expires_in is relative, so the local clock's offset from the server's does not matter.
    this.accessExpiresAt = this.now() + Math.max(0, t.expires_in) * 1000;
    this.refreshToken = t.refresh_token;
    this.currentUserId = t.user_id;
    this.writeStorage();
    this.schedule();
  }

  /** Forget everything locally (no network). */
  private clear(reason: SessionChangeReason, notify = true): void {
    const had = this.refreshToken !== null || this.accessToken !== null;
    this.generation += 1;
    this.accessToken = null;
    this.accessExpiresAt = 0;
    this.refreshToken = null;
    this.currentUserId = null;
    this.cancelTimer();
    this.removeStorage();
    if (had && notify) this.emit({ signedIn: false, reason });
  }

  private cancelTimer(): void {
    if (this.timer !== null) {
      this.clearTimer(this.timer);
      this.timer = null;
    }
  }

  /** Refresh a little before the access token expires. */
  private schedule(): void {
    this.cancelTimer();
    if (!this.refreshToken || !this.accessToken) return;
    const delay = Math.max(0, this.accessExpiresAt - this.now() - this.marginMs);
    this.timer = this.setTimer(() => {
      this.timer = null;
      // Failures are handled inside refresh(): a refused token signs out,
      // a network error leaves the next call to try again.
      this.refresh().catch(() => undefined);
    }, delay);
  }

  private url(path: string): string {
    return path.startsWith('http') ? path : `${this.baseUrl}${path.startsWith('/api/') ? '' : API_PREFIX}${path}`;
  }

  private postJson(path: string, body: unknown): Promise<Response> {
    return this.fetchFn(this.url(path), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
      credentials: 'same-origin',
    });
  }

  /* ------------------------------------------------------------------ */
  /* Sign in / out                                                      */
  /* ------------------------------------------------------------------ */

  /** POST /sessions. Rejects with ApiError (401 wrong credentials, 429 throttled, …). */
  async signIn(email: string, password: string): Promise<void> {
    // A sign-in replaces any previous session of this tab.
    if (this.refreshToken) await this.signOut({ silent: true });
    const gen = ++this.generation;
    const res = await this.postJson('/sessions', { email, password });
    if (!res.ok) throw await ApiError.fromResponse(res);
    const body: unknown = await res.json().catch(() => null);
    if (!isTokenResponse(body)) throw new ApiError(res.status, null, 'The server sent an unreadable response');
    if (gen !== this.generation) return; // superseded meanwhile
    this.adopt(body);
    this.emit({ signedIn: true, reason: 'signin' });
  }

  /**
   * Adopt a session the server started elsewhere (sign-in with an identity
   * provider hands over a refresh token in the URL fragment): rotate it at
   * once, so the token left in the browser history is spent. Rejects with
   * SessionExpiredError when the server refuses it.
   */
  async adoptRefreshToken(refreshToken: string, userId: string): Promise<void> {
    if (this.refreshToken) await this.signOut({ silent: true });
    this.generation += 1;
    this.refreshToken = refreshToken;
    this.currentUserId = userId;
    this.accessToken = null;
    this.accessExpiresAt = 0;
    await this.refresh();
    this.emit({ signedIn: true, reason: 'signin' });
  }

  /**
   * Sign out: revoke the refresh token's family on the server (best effort),
   * then forget the tokens. Never throws.
   */
  async signOut({ silent = false }: { silent?: boolean } = {}): Promise<void> {
    // Let an in-flight rotation finish so the token we revoke is the live one.
    if (this.refreshing) await this.refreshing.catch(() => undefined);
    const token = this.refreshToken;
    this.clear('signout', !silent);
    if (token) {
      try {
        await this.postJson('/sessions/revoke', { refresh_token: token });
      } catch {
        /* offline: the token is gone from this tab anyway and expires on its own */
      }
    }
  }

  /** Forget the session without calling the server (e.g. the account was deleted). */
  forget(reason: SessionChangeReason = 'signout'): void {
    this.clear(reason);
  }

  /* ------------------------------------------------------------------ */
  /* Refresh                                                            */
  /* ------------------------------------------------------------------ */

  /**
   * Rotate the refresh token and return the new access token. Concurrent
   * callers share one request.
   */
  refresh(): Promise<string> {
    if (!this.refreshing) {
      const p = this.doRefresh();
      this.refreshing = p;
      const done = () => {
        if (this.refreshing === p) this.refreshing = null;
      };
      p.then(done, done);
    }
    return this.refreshing;
  }

  private async doRefresh(): Promise<string> {
    const token = this.refreshToken;
    if (!token) throw new SessionExpiredError();
    const gen = this.generation;
    // Hand the token over exactly once: from here on it is spent, whatever happens.
    const res = await this.postJson('/sessions/refresh', { refresh_token: token });
    if (gen !== this.generation) {
      // Signed out or in again meanwhile: drop (and revoke) what this refresh produced.
      if (res.ok) {
        const stale: unknown = await res.json().catch(() => null);
        if (isTokenResponse(stale)) void this.postJson('/sessions/revoke', { refresh_token: stale.refresh_token }).catch(() => undefined);
      }
      throw new SessionExpiredError();
    }
    if (res.status === 401 || res.status === 400 || res.status === 403) {
      this.clear('expired');
      throw new SessionExpiredError();
    }
    if (!res.ok) throw await ApiError.fromResponse(res);
    const body: unknown = await res.json().catch(() => null);
    if (!isTokenResponse(body)) {
      // The old token is spent and we did not get a usable new one.
      this.clear('expired');
      throw new SessionExpiredError();
    }
    this.adopt(body);
    return body.access_token;
  }

  /** A usable access token, refreshing first when it is missing or about to expire. */
  async getAccessToken(): Promise<string> {
    if (this.refreshing) return this.refreshing;
    if (this.accessToken && this.accessExpiresAt - this.now() > EXPIRY_SKEW_MS) return this.accessToken;
    if (!this.refreshToken) throw new SessionExpiredError();
    return this.refresh();
  }

  /* ------------------------------------------------------------------ */
  /* authFetch                                                          */
  /* ------------------------------------------------------------------ */

  /**
   * `fetch` with `Authorization: Bearer <access token>`. Refreshes before the
   * call when needed and once after a 401, then retries once. Rejects with
   * SessionExpiredError when the session cannot be renewed (and signs out).
   * Other HTTP errors are returned as responses for the caller to handle.
   */
  async authFetch(path: string, init: RequestInit = {}): Promise<Response> {
    if (!this.refreshToken) throw new SessionExpiredError('Please sign in first.');
    const gen = this.generation;
    const used = await this.getAccessToken();
    let res = await this.send(path, init, used);
    if (res.status !== 401) return res;

    if (gen !== this.generation && !this.refreshToken) throw new SessionExpiredError();
    // Someone else may have rotated while this request was on the wire.
    const next = this.accessToken && this.accessToken !== used && !this.refreshing ? this.accessToken : await this.refresh();
    res = await this.send(path, init, next);
    if (res.status === 401) {
      // A brand-new token was refused too: the account or the signing key is gone.
      this.clear('expired');
      throw new SessionExpiredError();
    }
    return res;
  }

  private send(path: string, init: RequestInit, token: string): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('Authorization', `Bearer ${token}`);
    if (!headers.has('Accept')) headers.set('Accept', 'application/json');
    return this.fetchFn(this.url(path), { ...init, headers, credentials: 'same-origin' });
  }
}
