/**
 * Webhooks: the client of /api/v1/me/webhooks (docs/webhooks.md) and the pure helpers the
 * webhooks page uses: the client-side rules of a new endpoint (as src/webhooks/endpoints.c
 * checks them, the server having the last word on addresses), and how an endpoint's status,
 * a delivery and its attempts read on screen.
 */

import { ApiError } from './api';
import type { Session } from './session';

const API_PREFIX = '/api/v1';

/** The event types an endpoint may subscribe to (src/webhooks/endpoints.c). */
export const WEBHOOK_EVENT_TYPES = ['order.confirmed', 'order.cancelled', 'price_alert.triggered', 'trip.price_drop', 'trip.schedule_changed'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const EVENT_LABELS: Record<string, string> = {
  '*': 'Every event',
  'trip.*': 'Every booked-trip event',
  'order.confirmed': 'Booking confirmed',
  'order.cancelled': 'Booking cancelled',
  'price_alert.triggered': 'Price alert',
  'trip.price_drop': 'Booked trip got cheaper',
  'trip.schedule_changed': 'Booked trip schedule change',
  'webhook.test': 'Test event',
};

export interface WebhookEndpoint {
  id: string;
  url: string;
  description: string;
  event_types: string[];
  status: 'enabled' | 'disabled';
  disabled_reason: string | null;
  failing_since: string | null;
  created_at: string;
  updated_at: string;
  previous_secret_expires_at: string | null;
}

export interface NewWebhookEndpoint extends WebhookEndpoint {
  secret: string;
}

export interface WebhookAttempt {
  attempt: number;
  started_at: string;
  duration_ms: number;
  http_status: number | null;
  error: string | null;
}

export interface WebhookDelivery {
  id: string;
  event_id: string;
  message_id: string;
  event_type: string;
  payload: unknown;
  status: 'pending' | 'delivered' | 'failed';
  attempt_count: number;
  next_attempt_at: string | null;
  last_http_status: number | null;
  last_error: string | null;
  delivered_at: string | null;
  created_at: string;
  attempts: WebhookAttempt[];
}

export interface WebhookInput {
  url: string;
  description?: string;
  event_types?: string[];
}

export type WebhookField = 'url' | 'description' | 'event_types';

/** At most this many characters of description (the server's limit). */
export const DESCRIPTION_MAX = 200;

/**
 * The client rules of a new endpoint: an http(s) URL without credentials, a short
 * description, at least one event type. Whether the host is public (or loopback allowed)
 * only the server can say: its 400 names `url`.
 */
export function validateWebhook(w: { url: string; description: string; eventTypes: string[] }): Partial<Record<WebhookField, string>> {
  const e: Partial<Record<WebhookField, string>> = {};
  if (w.url === '') e.url = 'Enter the address Contrail should send events to.';
  else {
    let u: URL | null = null;
    try {
      u = new URL(w.url);
    } catch {
      u = null;
    }
    if (u === null || (u.protocol !== 'https:' && u.protocol !== 'http:') || u.hostname === '') e.url = 'Enter a full address starting with https://, such as https://hooks.example.com/contrail.';
    else if (u.username !== '' || u.password !== '') e.url = 'Leave the user name and password out of the address.';
  }
  if ([...w.description].length > DESCRIPTION_MAX) e.description = `The description is too long (at most ${DESCRIPTION_MAX} characters).`;
  if (w.eventTypes.length === 0) e.event_types = 'Choose at least one kind of event.';
  return e;
}

/** "Enabled", "Disabled: it answered 410 Gone" ... */
export function statusText(e: Pick<WebhookEndpoint, 'status' | 'disabled_reason'>): string {
  if (e.status === 'enabled') return 'Enabled';
  switch (e.disabled_reason) {
    case 'gone':
      return 'Disabled: it answered 410 Gone';
    case 'retries_exhausted':
      return 'Disabled: a delivery failed every retry';
    case 'failing':
      return 'Disabled: no successful delivery for 5 days';
    default:
      return 'Disabled';
  }
}

/** "Booking confirmed, Price alert" or "Every event". */
export function eventTypesText(types: readonly string[]): string {
  return types.map((t) => EVENT_LABELS[t] ?? t).join(', ') || 'no events';
}

/** "Delivered", "Pending, next try 21:40", "Failed" with the last answer. */
export function deliveryText(d: Pick<WebhookDelivery, 'status' | 'attempt_count' | 'last_http_status' | 'last_error'>): string {
  const tries = `${d.attempt_count} attempt${d.attempt_count === 1 ? '' : 's'}`;
  const last = d.last_http_status !== null ? `HTTP ${d.last_http_status}` : d.last_error ? d.last_error : '';
  const label = d.status === 'delivered' ? 'Delivered' : d.status === 'failed' ? 'Failed' : 'Pending';
  return [label, tries, d.status === 'delivered' ? '' : last].filter((s) => s !== '').join(' · ');
}

/** One attempt in a line: "#2 · HTTP 500 · 35 ms" or "#1 · connection refused · 3 ms". */
export function attemptText(a: WebhookAttempt): string {
  const what = a.http_status !== null ? `HTTP ${a.http_status}` : (a.error ?? 'no answer');
  return `#${a.attempt} · ${what} · ${a.duration_ms} ms`;
}

export class WebhooksApi {
  private readonly session: Session;

  constructor(session: Session) {
    this.session = session;
  }

  private async call(path: string, method = 'GET', body?: unknown): Promise<Response> {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.headers = { 'Content-Type': 'application/json' };
      init.body = JSON.stringify(body);
    }
    const res = await this.session.authFetch(`${API_PREFIX}${path}`, init);
    if (!res.ok) throw await ApiError.fromResponse(res);
    return res;
  }

  private static path(id: string, rest = ''): string {
    return `/me/webhooks/${encodeURIComponent(id)}${rest}`;
  }

  async list(): Promise<WebhookEndpoint[]> {
    const raw = (await (await this.call('/me/webhooks')).json()) as { items?: WebhookEndpoint[] };
    return Array.isArray(raw.items) ? raw.items : [];
  }

  async create(input: WebhookInput): Promise<NewWebhookEndpoint> {
    return (await (await this.call('/me/webhooks', 'POST', input)).json()) as NewWebhookEndpoint;
  }

  async remove(id: string): Promise<void> {
    await this.call(WebhooksApi.path(id), 'DELETE');
  }

  async deliveries(id: string, limit = 20): Promise<WebhookDelivery[]> {
    const raw = (await (await this.call(WebhooksApi.path(id, `/deliveries?limit=${limit}`))).json()) as { items?: WebhookDelivery[] };
    return Array.isArray(raw.items) ? raw.items : [];
  }

  async replay(id: string, deliveryId: string): Promise<WebhookDelivery> {
    return (await (await this.call(WebhooksApi.path(id, `/deliveries/${encodeURIComponent(deliveryId)}/replay`), 'POST')).json()) as WebhookDelivery;
  }

  async rotateSecret(id: string): Promise<NewWebhookEndpoint> {
    return (await (await this.call(WebhooksApi.path(id, '/rotate-secret'), 'POST')).json()) as NewWebhookEndpoint;
  }

  async enable(id: string): Promise<WebhookEndpoint> {
    return (await (await this.call(WebhooksApi.path(id, '/enable'), 'POST')).json()) as WebhookEndpoint;
  }

  async test(id: string): Promise<WebhookDelivery> {
    return (await (await this.call(WebhooksApi.path(id, '/test'), 'POST')).json()) as WebhookDelivery;
  }
}
