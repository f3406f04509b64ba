/**
 * Typed calls for the account API (/api/v1/users, /password-resets, /me…).
 * Public endpoints use plain fetch (no Authorization header: a stale bearer
 * token would turn even a public call into a 401); everything under /me goes
 * through `Session.authFetch`. Non-2xx answers throw `ApiError`.
 */

import { API_PREFIX, ApiError, defaultFetch, type FetchFn } from './api';
import type { Cabin } from './options';
import type { Session } from './session';
import type { TravellerBody } from './validators';

export type { Cabin };

export interface Notifications {
  email: boolean;
  webhook: boolean;
  in_app: boolean;
}

export interface Profile {
  id: string;
  email: string;
  role: string;
  email_verified: boolean;
  /** false for an account made through an identity provider (it has no password). */
  has_password?: boolean;
  name: string | null;
  home_airport: string | null;
  currency: string | null;
  cabin: Cabin | null;
  notifications: Notifications;
  created_at: number;
  /** The verified phone number (E.164), null when none. */
  phone?: string | null;
  phone_verified?: boolean;
  /** A number waiting for its SMS code, null when none (or the code expired). */
  phone_pending?: string | null;
}

/** PUT /me/phone's answer: a code is on its way by SMS. */
export interface PhoneCodeSent {
  phone: string;
  expires_in: number;
  resend_in: number;
}

export interface ProfilePatch {
  name?: string | null;
  home_airport?: string | null;
  currency?: string | null;
  cabin?: Cabin | null;
  notifications?: Partial<Notifications>;
}

/** The kinds of notification and their channels (GET/PUT /me/notification-preferences). */
export const NOTIFICATION_KINDS = ['booking', 'price_alert', 'account_security', 'trip'] as const;
export const NOTIFICATION_CHANNELS = ['email', 'in_app', 'sms'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];
export type NotificationChannel = (typeof NOTIFICATION_CHANNELS)[number];
export type NotificationPrefs = Record<NotificationKind, Record<NotificationChannel, boolean>>;

/** One in-app notification (GET /me/notifications). */
export interface AppNotification {
  id: string;
  kind: NotificationKind;
  title: string;
  body: string | null;
  /** A path of this app ("/trips"), or null. */
  link: string | null;
  /** ISO 8601 instant (UTC). */
  created_at: string;
  read: boolean;
}

export interface NotificationPage {
  items: AppNotification[];
  total: number;
  unread_count: number;
}

export interface Traveller {
  id: string;
  given_name: string;
  family_name: string;
  birth_date: string;
  gender?: 'F' | 'M' | 'X' | null;
  /** ISO 3166-1 alpha-2. */
  nationality?: string | null;
  document?: { type: 'passport' | 'id_card'; number: string; country: string; expiry: string } | null;
}

export interface SecurityEvent {
  id: string;
  kind: string;
  ip?: string | null;
  detail?: string | null;
  /** Seconds since the epoch. */
  at: number;
  /** The client's User-Agent, as sent. */
  user_agent?: string | null;
  /** A readable device from it ("Chrome on Linux"). */
  device?: string | null;
}

/** The scopes an API key can hold (src/accounts/apikeys.c). */
export const API_KEY_SCOPES = ['search', 'offers', 'bookings', 'prices', 'webhooks'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export interface ApiKey {
  id: string;
  name: string;
  /** The 8 characters after "ck_" that tell keys apart. */
  prefix: string;
  scopes: string[];
  rate_per_minute: number;
  /** Seconds since the epoch. */
  created_at: number;
  revoked: boolean;
}

/** A key just made: the secret is in `key`, shown once. */
export interface NewApiKey extends ApiKey {
  key: string;
}

function toApiKey(raw: unknown): ApiKey {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const scopes = Array.isArray(r.scopes) ? r.scopes.filter((x): x is string => typeof x === 'string') : typeof r.scopes === 'string' ? r.scopes.split(/\s+/).filter(Boolean) : [];
  return {
    id: typeof r.id === 'string' ? r.id : '',
    name: typeof r.name === 'string' ? r.name : '',
    prefix: typeof r.prefix === 'string' ? r.prefix : '',
    scopes,
    rate_per_minute: typeof r.rate_per_minute === 'number' ? r.rate_per_minute : 0,
    created_at: typeof r.created_at === 'number' ? r.created_at : 0,
    revoked: r.revoked === true,
  };
}

export interface ExportFile {
  blob: Blob;
  filename: string;
}

/** Filename from `Content-Disposition: attachment; filename="x.json"`. */
export function filenameFromDisposition(header: string | null, fallback: string): string {
  if (!header) return fallback;
  const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header);
  if (star) {
    try {
      return sanitizeFilename(decodeURIComponent(star[1]!.trim()), fallback);
    } catch {
      /* fall through */
    }
  }
  const plain = /filename\s*=\s*"([^"]*)"|filename\s*=\s*([^;]+)/.exec(header);
  const name = plain?.[1] ?? plain?.[2]?.trim();
  return name ? sanitizeFilename(name, fallback) : fallback;
}

function sanitizeFilename(name: string, fallback: string): string {
  const clean = name.replace(/[/\\\u0000-\u001f]/g, '').trim();
  return clean && clean !== '.' && clean !== '..' ? clean : fallback;
}

function toProfile(raw: unknown): Profile {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const n = (r.notifications && typeof r.notifications === 'object' ? r.notifications : {}) as Record<string, unknown>;
  const s = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  return {
    id: typeof r.id === 'string' ? r.id : '',
    email: typeof r.email === 'string' ? r.email : '',
    role: typeof r.role === 'string' ? r.role : 'user',
    email_verified: r.email_verified === true,
    has_password: r.has_password !== false,
    name: s(r.name),
    home_airport: s(r.home_airport),
    currency: s(r.currency),
    cabin: (s(r.cabin) as Cabin | null) ?? null,
    notifications: { email: n.email === true, webhook: n.webhook === true, in_app: n.in_app === true },
    created_at: typeof r.created_at === 'number' ? r.created_at : 0,
    phone: s(r.phone),
    phone_verified: r.phone_verified === true,
    phone_pending: s(r.phone_pending),
  };
}

function toPrefs(raw: unknown): NotificationPrefs {
  const kinds = ((raw as Record<string, unknown> | null)?.kinds ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const out = {} as NotificationPrefs;
  for (const k of NOTIFICATION_KINDS) {
    const c = kinds[k] ?? {};
    out[k] = { email: c.email !== false, in_app: c.in_app !== false, sms: c.sms === true };
  }
  return out;
}

function toNotificationPage(raw: unknown): NotificationPage {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const n = (v: unknown) => (typeof v === 'number' ? v : 0);
  return { items: items<AppNotification>(raw), total: n(r.total), unread_count: n(r.unread_count) };
}

function items<T>(raw: unknown): T[] {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  return Array.isArray(r.items) ? (r.items as T[]) : [];
}

export class AccountApi {
  private readonly session: Session;
  private readonly fetchFn: FetchFn;

  constructor(session: Session, fetchFn?: FetchFn) {
    this.session = session;
    this.fetchFn = fetchFn ?? defaultFetch();
  }

  /* ---- helpers ---- */

  private async publicPost(path: string, body: unknown): Promise<Response> {
    const res = await this.fetchFn(`${API_PREFIX}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
      credentials: 'same-origin',
    });
    if (!res.ok) throw await ApiError.fromResponse(res);
    return res;
  }

  private async authed(path: string, method = 'GET', body?: unknown): Promise<Response> {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.headers = { 'Content-Type': 'application/json' };
      init.body = JSON.stringify(body);
    }
    const res = await this.session.authFetch(`${API_PREFIX}${path}`, init);
    if (!res.ok) throw await ApiError.fromResponse(res);
    return res;
  }

  private static async json(res: Response): Promise<unknown> {
    try {
      return await res.json();
    } catch {
      throw new ApiError(res.status, null, 'The server sent an unreadable response');
    }
  }

  /* ---- public ---- */

  /**
   * POST /users → 202 whether or not the address already has an account (the server never
   * reveals registered addresses; the owner is told by e-mail). Not signed in yet: call
   * session.signIn next, which fails when the address belonged to someone already.
   */
  async register(input: { email: string; password: string; name?: string }): Promise<void> {
    const body: Record<string, string> = { email: input.email, password: input.password };
    if (input.name) body.name = input.name;
    await this.publicPost('/users', body);
  }

  async verifyEmail(token: string): Promise<void> {
    await this.publicPost('/users/verify-email', { token });
  }

  async requestPasswordReset(email: string): Promise<void> {
    await this.publicPost('/password-resets', { email });
  }

  async confirmPasswordReset(token: string, password: string): Promise<void> {
    await this.publicPost('/password-resets/confirm', { token, password });
  }

  /* ---- signed in ---- */

  async getMe(): Promise<Profile> {
    return toProfile(await AccountApi.json(await this.authed('/me')));
  }

  async updateMe(patch: ProfilePatch): Promise<Profile> {
    return toProfile(await AccountApi.json(await this.authed('/me', 'PUT', patch)));
  }

  async changePassword(current: string, next: string): Promise<void> {
    await this.authed('/me/password', 'PUT', { current_password: current, new_password: next });
  }

  /** Erasure: with the password, or without one for an account that has none (the server
   * then wants a sign-in with the identity provider in the last 10 minutes). */
  async deleteMe(password?: string): Promise<void> {
    await this.authed('/me', 'DELETE', password === undefined ? {} : { password });
  }

  async exportData(): Promise<ExportFile> {
    const res = await this.authed('/me/export');
    const blob = await res.blob();
    const type = blob.type || 'application/json';
    return {
      blob: blob.type ? blob : new Blob([blob], { type }),
      filename: filenameFromDisposition(res.headers.get('content-disposition'), 'contrail-data.json'),
    };
  }

  /** PUT /me/phone → 202: a 6-digit code is sent by SMS to `phone` (E.164). */
  async setPhone(phone: string): Promise<PhoneCodeSent> {
    const raw = (await AccountApi.json(await this.authed('/me/phone', 'PUT', { phone }))) as Record<string, unknown> | null;
    const n = (v: unknown, d: number) => (typeof v === 'number' ? v : d);
    return { phone: typeof raw?.phone === 'string' ? raw.phone : phone, expires_in: n(raw?.expires_in, 600), resend_in: n(raw?.resend_in, 60) };
  }

  /** POST /me/phone/verify → the profile with the number verified. */
  async verifyPhone(code: string): Promise<Profile> {
    return toProfile(await AccountApi.json(await this.authed('/me/phone/verify', 'POST', { code })));
  }

  async removePhone(): Promise<void> {
    await this.authed('/me/phone', 'DELETE');
  }

  async securityEvents(): Promise<SecurityEvent[]> {
    return items<SecurityEvent>(await AccountApi.json(await this.authed('/me/security-events')));
  }

  /** Every key of the user, revoked ones too (oldest first; the server pages by 100). */
  async listApiKeys(): Promise<ApiKey[]> {
    return items<unknown>(await AccountApi.json(await this.authed('/me/api-keys'))).map(toApiKey);
  }

  async createApiKey(input: { name: string; scopes: ApiKeyScope[]; rate_per_minute?: number }): Promise<NewApiKey> {
    const raw = await AccountApi.json(await this.authed('/me/api-keys', 'POST', input));
    const key = raw && typeof raw === 'object' ? (raw as Record<string, unknown>).key : undefined;
    return { ...toApiKey(raw), key: typeof key === 'string' ? key : '' };
  }

  async revokeApiKey(id: string): Promise<void> {
    await this.authed(`/me/api-keys/${encodeURIComponent(id)}`, 'DELETE');
  }

  async listTravellers(): Promise<Traveller[]> {
    return items<Traveller>(await AccountApi.json(await this.authed('/me/travellers')));
  }

  async createTraveller(t: TravellerBody): Promise<Traveller> {
    return (await AccountApi.json(await this.authed('/me/travellers', 'POST', t))) as Traveller;
  }

  async updateTraveller(id: string, t: TravellerBody): Promise<Traveller> {
    return (await AccountApi.json(await this.authed(`/me/travellers/${encodeURIComponent(id)}`, 'PUT', t))) as Traveller;
  }

  async deleteTraveller(id: string): Promise<void> {
    await this.authed(`/me/travellers/${encodeURIComponent(id)}`, 'DELETE');
  }
  /* ---- notifications (docs/notifications.md) ---- */

  /** The inbox, newest first, with the unread count. */
  async listNotifications(limit = 20, offset = 0): Promise<NotificationPage> {
    return toNotificationPage(await AccountApi.json(await this.authed(`/me/notifications?limit=${limit}&offset=${offset}`)));
  }

  /** Marks one read; answers the unread count left. */
  async markNotificationRead(id: string): Promise<number> {
    const r = (await AccountApi.json(await this.authed(`/me/notifications/${encodeURIComponent(id)}/read`, 'POST'))) as Record<string, unknown> | null;
    return typeof r?.unread_count === 'number' ? r.unread_count : 0;
  }

  async markAllNotificationsRead(): Promise<void> {
    await this.authed('/me/notifications/read-all', 'POST');
  }

  async notificationPreferences(): Promise<NotificationPrefs> {
    return toPrefs(await AccountApi.json(await this.authed('/me/notification-preferences')));
  }

  async setNotificationPreferences(prefs: Partial<Record<NotificationKind, Partial<Record<NotificationChannel, boolean>>>>): Promise<NotificationPrefs> {
    return toPrefs(await AccountApi.json(await this.authed('/me/notification-preferences', 'PUT', { kinds: prefs })));
  }
}
