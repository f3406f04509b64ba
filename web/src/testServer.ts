/**
 * An in-memory stand-in for the account endpoints of the C server, used by
 * the unit tests (not bundled). It follows src/accounts/sessions.c:
 * refresh tokens rotate on every use, and presenting a spent one revokes its
 * whole family (and is counted in `reuses`, which tests expect to stay 0).
 */

export interface RecordedCall {
  method: string;
  path: string;
  auth: string | null;
  body: unknown;
}

interface RefreshRow {
  family: string;
  used: boolean;
  revoked: boolean;
  userId: string;
}

function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(body === null ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json', ...headers },
  });
}

function problem(status: number, detail: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Response {
  return json({ type: 'about:blank', title: 'Error', status, detail, ...extra }, status, headers);
}

export class FakeAuthServer {
  /** Milliseconds; move it to expire access tokens. */
  now = 1_000_000;
  accessTtl = 900;
  calls: RecordedCall[] = [];
  reuses = 0;
  /** Makes the next refresh calls fail with this status (or 'network'). */
  failRefresh: number | 'network' | null = null;
  /** Hold refresh responses until release() (to interleave requests). */
  holdRefresh = false;
  private held: (() => void)[] = [];

  private seq = 0;
  private readonly users = new Map<string, { id: string; password: string }>([['ada@example.com', { id: 'usr_1', password: 'correct horse battery' }]]);
  private readonly access = new Map<string, { userId: string; exp: number }>();
  private readonly refresh = new Map<string, RefreshRow>();

  readonly fetch = async (input: string, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(input, 'http://contrail.test');
    const method = (init.method ?? 'GET').toUpperCase();
    const headers = new Headers(init.headers);
    const body: unknown = typeof init.body === 'string' ? JSON.parse(init.body) : null;
    this.calls.push({ method, path: url.pathname, auth: headers.get('authorization'), body });
    // Let concurrent callers interleave like real network requests.
    await Promise.resolve();
    this.pageLimit = Number(url.searchParams.get('limit') ?? 20);
    this.pageOffset = Number(url.searchParams.get('offset') ?? 0);
    return this.handle(method, url.pathname, headers, body as Record<string, unknown> | null);
  };

  count(path: string): number {
    return this.calls.filter((c) => c.path === path).length;
  }

  /** Release held refresh responses. */
  release(): void {
    this.holdRefresh = false;
    for (const r of this.held.splice(0)) r();
  }

  /** A session started by the server itself (the OIDC callback): its refresh token. */
  startExternalSession(userId: string): string {
    return String(this.issue(userId).refresh_token);
  }

  /** Invalidate every access token (as if they expired on the server). */
  expireAllAccess(): void {
    this.access.clear();
  }

  isLive(refreshToken: string): boolean {
    const row = this.refresh.get(refreshToken);
    return !!row && !row.used && !row.revoked;
  }

  private issue(userId: string, family?: string): Record<string, unknown> {
    this.seq += 1;
    const at = `at-${this.seq}`;
    const rt = `rt-${this.seq}`;
    this.access.set(at, { userId, exp: this.now + this.accessTtl * 1000 });
    this.refresh.set(rt, { family: family ?? `fam-${this.seq}`, used: false, revoked: false, userId });
    return { access_token: at, token_type: 'Bearer', expires_in: this.accessTtl, refresh_token: rt, user_id: userId };
  }

  private revokeFamily(family: string): void {
    for (const row of this.refresh.values()) if (row.family === family) row.revoked = true;
  }

  /** The in-app inbox, newest first (src/api/notifications.c's contract). */
  notifications: { id: string; kind: string; title: string; body: string | null; link: string | null; created_at: string; read: boolean }[] = [];
  /** Preferences the user set: "kind.channel" → enabled (defaults: e-mail and in-app on). */
  readonly prefs = new Map<string, boolean>();

  private notificationRoute(method: string, path: string, body: Record<string, unknown> | null): Response | null {
    const unread = () => this.notifications.filter((n) => !n.read).length;
    if (method === 'GET' && path === '/api/v1/me/notifications') {
      return json({ items: this.notifications.slice(this.pageOffset, this.pageOffset + this.pageLimit), total: this.notifications.length, unread_count: unread(), limit: this.pageLimit, offset: this.pageOffset });
    }
    if (method === 'POST' && path === '/api/v1/me/notifications/read-all') {
      const marked = unread();
      this.notifications.forEach((n) => (n.read = true));
      return json({ marked, unread_count: 0 });
    }
    const one = /^\/api\/v1\/me\/notifications\/([^/]+)\/read$/.exec(path);
    if (method === 'POST' && one) {
      const n = this.notifications.find((x) => x.id === decodeURIComponent(one[1]!));
      if (!n) return problem(404, 'no such notification');
      n.read = true;
      return json({ marked: 1, unread_count: unread() });
    }
    if (path === '/api/v1/me/notification-preferences' && (method === 'GET' || method === 'PUT')) {
      const kinds = ['booking', 'price_alert', 'account_security', 'trip'];
      if (method === 'PUT') {
        const given = (body?.kinds ?? {}) as Record<string, Record<string, unknown>>;
        for (const [k, chans] of Object.entries(given)) {
          if (!kinds.includes(k)) return problem(400, `kinds.${k}: unknown kind`, { errors: [{ field: `kinds.${k}`, message: 'unknown kind' }] });
          for (const [c, v] of Object.entries(chans)) this.prefs.set(`${k}.${c}`, v === true);
        }
      }
      const out: Record<string, Record<string, boolean>> = {};
      for (const k of kinds) out[k] = { email: this.prefs.get(`${k}.email`) ?? true, in_app: this.prefs.get(`${k}.in_app`) ?? true, sms: this.prefs.get(`${k}.sms`) ?? false };
      return json({ kinds: out });
    }
    return null;
  }

  private pageLimit = 20;
  private pageOffset = 0;

  private async handle(method: string, path: string, headers: Headers, body: Record<string, unknown> | null): Promise<Response> {
    if (method === 'POST' && path === '/api/v1/sessions') {
      if (headers.get('authorization')) return problem(401, 'unexpected credentials on a public route');
      const user = this.users.get(String(body?.email));
      if (!user || user.password !== body?.password) return problem(401, 'e-mail or password is not correct');
      return json(this.issue(user.id));
    }
    if (method === 'POST' && path === '/api/v1/sessions/refresh') {
      if (this.holdRefresh) await new Promise<void>((r) => this.held.push(r));
      if (this.failRefresh === 'network') throw new TypeError('Failed to fetch');
      if (this.failRefresh) return problem(this.failRefresh, 'refresh failed');
      const token = String(body?.refresh_token);
      const row = this.refresh.get(token);
      if (!row || row.revoked) return problem(401, 'the refresh token is invalid or was revoked');
      if (row.used) {
        this.reuses += 1;
        this.revokeFamily(row.family);
        return problem(401, 'the refresh token is invalid or was revoked');
      }
      row.used = true;
      return json(this.issue(row.userId, row.family));
    }
    if (method === 'POST' && path === '/api/v1/sessions/revoke') {
      const row = this.refresh.get(String(body?.refresh_token));
      if (row) this.revokeFamily(row.family);
      return new Response(null, { status: 204 });
    }
    if (path.startsWith('/api/v1/me')) {
      const auth = headers.get('authorization') ?? '';
      const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
      const a = this.access.get(token);
      if (!a || a.exp <= this.now) {
        return problem(401, 'the access token is invalid or expired', {}, { 'www-authenticate': 'Bearer realm="contrail"' });
      }
      const inbox = this.notificationRoute(method, path, body);
      if (inbox) return inbox;
      return json({ id: a.userId, email: 'ada@example.com', role: 'user', email_verified: false, name: 'Ada', notifications: { email: true, webhook: false, in_app: true } });
    }
    return problem(404, 'no such route');
  }
}

/** A Storage-like map. */
export class MemoryStorage {
  readonly map = new Map<string, string>();
  getItem(k: string): string | null {
    return this.map.get(k) ?? null;
  }
  setItem(k: string, v: string): void {
    this.map.set(k, v);
  }
  removeItem(k: string): void {
    this.map.delete(k);
  }
}

/** Timers that run only when the test says so. */
export class ManualTimers {
  private next = 1;
  readonly pending = new Map<number, { fn: () => void; ms: number }>();
  readonly set = (fn: () => void, ms: number): unknown => {
    const id = this.next++;
    this.pending.set(id, { fn, ms });
    return id;
  };
  readonly clear = (h: unknown): void => {
    this.pending.delete(h as number);
  };
  runAll(): void {
    const due = [...this.pending.values()];
    this.pending.clear();
    for (const t of due) t.fn();
  }
  get delays(): number[] {
    return [...this.pending.values()].map((t) => t.ms);
  }
}
