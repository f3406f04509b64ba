// The webhooks page (/account/webhooks) against an in-memory /api/v1/me/webhooks that answers
// as src/api/webhooks_api.c does (201 with the secret once, 202 for test and replay, 409 for a
// replay while disabled, 400 problem+json naming the field): list, add with the secret shown
// once, send a test, the delivery log with replay, secret rotation, enable, delete.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ProfileStore, type App } from './app';
import { resolve, type RouteContext, type Router } from './router';
import type { Session } from './session';
import { press } from './testUtils';
import { webhooksView } from './views/webhooks';
import { attemptText, deliveryText, eventTypesText, statusText, validateWebhook, WebhooksApi, type WebhookDelivery, type WebhookEndpoint } from './webhooksApi';

class FakeWebhooks {
  endpoints: (WebhookEndpoint & { secret: string })[] = [];
  deliveries: Record<string, WebhookDelivery[]> = {};
  calls: { method: string; path: string; body: unknown }[] = [];
  private seq = 0;

  session(): Session {
    return { signedIn: true, authFetch: (path: string, init: RequestInit = {}) => this.handle(path, init) } as unknown as Session;
  }

  endpoint(over: Partial<WebhookEndpoint> = {}): WebhookEndpoint & { secret: string } {
    const e = {
      id: `whe_${++this.seq}`,
      url: 'https://hooks.example.com/contrail',
      description: 'Travel desk',
      event_types: ['*'],
      status: 'enabled' as const,
      disabled_reason: null,
      failing_since: null,
      created_at: '2026-12-01T10:00:00Z',
      updated_at: '2026-12-01T10:00:00Z',
      previous_secret_expires_at: null,
      secret: `whsec_${this.seq}`,
      ...over,
    };
    this.endpoints.push(e);
    this.deliveries[e.id] = [];
    return e;
  }

  delivery(endpointId: string, over: Partial<WebhookDelivery> = {}): WebhookDelivery {
    const d: WebhookDelivery = {
      id: `whd_${++this.seq}`,
      event_id: `evt_${this.seq}`,
      message_id: `msg_${this.seq}`,
      event_type: 'order.confirmed',
      payload: {},
      status: 'failed',
      attempt_count: 2,
      next_attempt_at: null,
      last_http_status: 500,
      last_error: null,
      delivered_at: null,
      created_at: '2026-12-02T08:00:00Z',
      attempts: [
        { attempt: 1, started_at: '2026-12-02T08:00:00Z', duration_ms: 12, http_status: 500, error: null },
        { attempt: 2, started_at: '2026-12-02T08:00:05Z', duration_ms: 9, http_status: 500, error: null },
      ],
      ...over,
    };
    this.deliveries[endpointId]!.unshift(d);
    return d;
  }

  private static json(b: unknown, status = 200): Response {
    return new Response(b === null ? null : JSON.stringify(b), { status, headers: { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json' } });
  }

  private static view(e: WebhookEndpoint & { secret?: string }): WebhookEndpoint {
    const { secret: _secret, ...rest } = e;
    return rest;
  }

  private async handle(path: string, init: RequestInit): Promise<Response> {
    const method = (init.method ?? 'GET').toUpperCase();
    const body: unknown = typeof init.body === 'string' ? JSON.parse(init.body) : null;
    this.calls.push({ method, path, body });
    const J = FakeWebhooks.json;
    const u = new URL(path, 'http://x.invalid');
    const parts = u.pathname.split('/').slice(4); // ['webhooks', id?, ...]
    const [, id, sub, deliveryId, act] = parts;
    if (!id && method === 'GET') return J({ items: this.endpoints.map(FakeWebhooks.view) });
    if (!id && method === 'POST') {
      const b = body as { url: string; description?: string; event_types?: string[] };
      if (!b.url.startsWith('https://')) return J({ status: 400, title: 'Bad request', detail: 'url: must be https://', errors: [{ field: 'url', message: 'must be https:// to a public address' }] }, 400);
      const e = this.endpoint({ url: b.url, description: b.description ?? '', event_types: b.event_types ?? ['*'] });
      this.endpoints.pop();
      this.endpoints.unshift(e);
      return J(e, 201);
    }
    const e = this.endpoints.find((x) => x.id === id);
    if (!e) return J({ status: 404, title: 'Not found' }, 404);
    if (method === 'DELETE' && !sub) {
      this.endpoints = this.endpoints.filter((x) => x !== e);
      return J(null, 204);
    }
    if (sub === 'deliveries' && method === 'GET') return J({ items: this.deliveries[e.id] });
    if (sub === 'deliveries' && act === 'replay') {
      if (e.status !== 'enabled') return J({ status: 409, title: 'Conflict', detail: 'the endpoint is disabled: enable it first' }, 409);
      const d = this.deliveries[e.id]!.find((x) => x.id === deliveryId)!;
      d.status = 'pending';
      d.next_attempt_at = '2026-12-06T22:00:00Z';
      return J(d, 202);
    }
    if (sub === 'test') return J(this.delivery(e.id, { event_type: 'webhook.test', status: 'delivered', attempt_count: 1, last_http_status: 204, attempts: [] }), 202);
    if (sub === 'rotate-secret') {
      e.secret = `whsec_rotated_${++this.seq}`;
      e.previous_secret_expires_at = '2026-12-07T22:00:00Z';
      return J(e);
    }
    if (sub === 'enable') {
      e.status = 'enabled';
      e.disabled_reason = null;
      return J(FakeWebhooks.view(e));
    }
    return J({ status: 405, title: 'Method not allowed' }, 405);
  }
}

function makeApp(session: Session): App {
  return {
    session,
    api: {} as App['api'],
    profile: new ProfileStore(async () => {
      throw new Error('no profile');
    }),
    router: { navigate: vi.fn(), refresh: vi.fn(), route: null } as unknown as Router,
    announce: vi.fn(),
    toast: vi.fn(),
    today: () => '2026-12-06',
    download: vi.fn(),
  };
}

function ctxFor(href: string): RouteContext {
  const r = resolve(href, true);
  if (r.kind !== 'render') throw new Error('unexpected redirect');
  return { route: r.route, url: r.url, flash: null, initial: false };
}

function buttonNamed(root: ParentNode, name: string): HTMLButtonElement {
  const b = Array.from(root.querySelectorAll('button')).find((x) => (x.getAttribute('aria-label') ?? x.textContent?.trim()) === name);
  if (!b) throw new Error(`no button ${name}`);
  return b;
}

function submit(form: HTMLFormElement): void {
  form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
}

async function open(fake: FakeWebhooks): Promise<ReturnType<typeof webhooksView>> {
  const session = fake.session();
  const view = webhooksView(makeApp(session), ctxFor('/account/webhooks'), new WebhooksApi(session));
  document.body.append(view.el);
  await vi.waitFor(() => expect(view.el.querySelector('#webhooks .loading')).toBeNull());
  return view;
}

afterEach(() => {
  document.body.replaceChildren();
});

describe('webhooks: the rules and texts', () => {
  it('checks a new endpoint as the server does, leaving addresses to it', () => {
    expect(validateWebhook({ url: '', description: '', eventTypes: ['*'] }).url).toMatch(/Enter the address/);
    expect(validateWebhook({ url: 'hooks.example.com', description: '', eventTypes: ['*'] }).url).toMatch(/https:\/\//);
    expect(validateWebhook({ url: 'ftp://hooks.example.com/x', description: '', eventTypes: ['*'] }).url).toMatch(/https:\/\//);
    expect(validateWebhook({ url: 'https://u:p@hooks.example.com/x', description: '', eventTypes: ['*'] }).url).toMatch(/user name and password/);
    expect(validateWebhook({ url: 'https://hooks.example.com/x', description: 'x'.repeat(201), eventTypes: ['*'] }).description).toMatch(/200/);
    expect(validateWebhook({ url: 'https://hooks.example.com/x', description: 'x'.repeat(200), eventTypes: [] }).event_types).toMatch(/at least one/);
    expect(validateWebhook({ url: 'https://hooks.example.com/x', description: 'x'.repeat(200), eventTypes: ['trip.*'] })).toEqual({});
  });

  it('says why an endpoint is disabled and how a delivery went', () => {
    expect(statusText({ status: 'enabled', disabled_reason: null })).toBe('Enabled');
    expect(statusText({ status: 'disabled', disabled_reason: 'gone' })).toMatch(/410 Gone/);
    expect(statusText({ status: 'disabled', disabled_reason: 'retries_exhausted' })).toMatch(/every retry/);
    expect(statusText({ status: 'disabled', disabled_reason: 'failing' })).toMatch(/5 days/);
    expect(eventTypesText(['order.confirmed', 'trip.*'])).toBe('Booking confirmed, Every booked-trip event');
    expect(deliveryText({ status: 'failed', attempt_count: 10, last_http_status: 500, last_error: null })).toBe('Failed · 10 attempts · HTTP 500');
    expect(deliveryText({ status: 'pending', attempt_count: 1, last_http_status: null, last_error: 'connection refused' })).toBe('Pending · 1 attempt · connection refused');
    expect(deliveryText({ status: 'delivered', attempt_count: 1, last_http_status: 204, last_error: null })).toBe('Delivered · 1 attempt');
    expect(attemptText({ attempt: 2, started_at: '', duration_ms: 35, http_status: 500, error: null })).toBe('#2 · HTTP 500 · 35 ms');
  });
});

describe('webhooks page', () => {
  it('lists the endpoints with their status and events; empty says so', async () => {
    const fake = new FakeWebhooks();
    fake.endpoint({ event_types: ['order.confirmed', 'price_alert.triggered'] });
    fake.endpoint({ url: 'https://old.example.com/h', status: 'disabled', disabled_reason: 'gone' });
    const view = await open(fake);
    const items = view.el.querySelectorAll('.webhook');
    expect(items).toHaveLength(2);
    expect(items[0]!.querySelector('.key-name')?.textContent).toBe('https://hooks.example.com/contrail');
    expect(items[0]!.textContent).toContain('Booking confirmed, Price alert');
    expect(items[0]!.textContent).not.toContain('whsec_');
    expect(items[1]!.textContent).toContain('Disabled: it answered 410 Gone');
    expect(buttonNamed(items[1]!, 'Enable https://old.example.com/h')).toBeTruthy();
    expect(() => buttonNamed(items[0]!, 'Enable https://hooks.example.com/contrail')).toThrow();
    expect(view.el.querySelector('.account-nav a[aria-current="page"]')?.textContent).toBe('Webhooks');
    document.body.replaceChildren(); // one page at a time: ids are the document's
    const empty = await open(new FakeWebhooks());
    expect(empty.el.querySelector('#webhooks .empty-title')?.textContent).toBe('No webhook endpoints yet');
  });

  it('checks the form before calling the server, then shows the server naming the field', async () => {
    const fake = new FakeWebhooks();
    const view = await open(fake);
    const form = view.el.querySelector<HTMLFormElement>('#webhook-form form')!;
    submit(form);
    expect(fake.calls.filter((c) => c.method === 'POST')).toHaveLength(0);
    const url = view.el.querySelector<HTMLInputElement>('input[name="url"]')!;
    expect(url.getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(url);
    // "Every event" off and nothing chosen: refused on the events.
    url.value = 'https://hooks.example.com/x';
    const every = view.el.querySelector<HTMLInputElement>('input[name="every"]')!;
    every.checked = false;
    every.dispatchEvent(new Event('change'));
    submit(form);
    expect(view.el.querySelector('[data-field="event_types"] .field-error')?.textContent).toBe('Choose at least one kind of event.');
    expect(fake.calls.filter((c) => c.method === 'POST')).toHaveLength(0);
    // http:// passes the client (the server decides about loopback) and the server's 400 lands on the field.
    every.checked = true;
    every.dispatchEvent(new Event('change'));
    url.value = 'http://hooks.example.com/x';
    submit(form);
    await vi.waitFor(() => expect(url.getAttribute('aria-invalid')).toBe('true'));
    expect(url.closest('.field')?.querySelector('.field-error')?.textContent).toMatch(/https:\/\/ to a public address/);
    expect(view.el.querySelector('.key-secret')).toBeNull();
  });

  it('adds an endpoint with the chosen events and shows its secret once', async () => {
    const fake = new FakeWebhooks();
    const view = await open(fake);
    view.el.querySelector<HTMLInputElement>('input[name="url"]')!.value = 'https://hooks.example.com/new';
    view.el.querySelector<HTMLInputElement>('input[name="description"]')!.value = 'Ops';
    const every = view.el.querySelector<HTMLInputElement>('input[name="every"]')!;
    every.checked = false;
    every.dispatchEvent(new Event('change'));
    for (const t of ['order.confirmed', 'trip.schedule_changed']) view.el.querySelector<HTMLInputElement>(`input[name="event_types"][value="${t}"]`)!.checked = true;
    submit(view.el.querySelector<HTMLFormElement>('#webhook-form form')!);
    await vi.waitFor(() => expect(view.el.querySelectorAll('.webhook')).toHaveLength(1));
    expect(fake.calls.at(-1)).toEqual({ method: 'POST', path: '/api/v1/me/webhooks', body: { url: 'https://hooks.example.com/new', event_types: ['order.confirmed', 'trip.schedule_changed'], description: 'Ops' } });
    const secret = view.el.querySelector('#webhook-form .key-secret code')!;
    expect(secret.textContent).toBe(fake.endpoints[0]!.secret);
    expect(document.activeElement).toBe(secret);
    expect(view.el.querySelector('.webhook-list')!.textContent).not.toContain('whsec_');
    buttonNamed(view.el, 'I have stored it').click();
    expect(view.el.textContent).not.toContain('whsec_');
    expect(document.activeElement?.textContent).toBe('https://hooks.example.com/new');
    // The form is fresh again: "Every event" on, the others off and disabled.
    expect(every.checked).toBe(true);
    expect(view.el.querySelector<HTMLInputElement>('input[name="event_types"][value="order.confirmed"]')!.disabled).toBe(true);
  });

  it('sends a test and shows the delivery log; replays a delivery', async () => {
    const fake = new FakeWebhooks();
    const ep = fake.endpoint();
    const old = fake.delivery(ep.id);
    const view = await open(fake);
    buttonNamed(view.el, `Send a test event to ${ep.url}`).click();
    await vi.waitFor(() => expect(view.el.querySelectorAll('.webhook-delivery')).toHaveLength(2));
    expect(fake.calls.some((c) => c.method === 'POST' && c.path === `/api/v1/me/webhooks/${ep.id}/test`)).toBe(true);
    expect(fake.calls.some((c) => c.method === 'GET' && c.path === `/api/v1/me/webhooks/${ep.id}/deliveries?limit=20`)).toBe(true);
    const toggle = buttonNamed(view.el, `Delivery log of ${ep.url}`);
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    const rows = view.el.querySelectorAll('.webhook-delivery');
    expect(rows[0]!.textContent).toContain('Test event');
    expect(rows[0]!.textContent).toContain('Delivered · 1 attempt');
    expect(rows[1]!.textContent).toContain('Failed · 2 attempts · HTTP 500');
    expect(rows[1]!.querySelector('.webhook-attempts')!.textContent).toContain('#2 · HTTP 500 · 9 ms');
    expect(rows[1]!.textContent).toContain(old.message_id);
    rows[1]!.querySelector<HTMLButtonElement>('button')!.click();
    await vi.waitFor(() => expect(view.el.querySelector(`[data-delivery-id="${old.id}"]`)?.textContent).toContain('Pending'));
    expect(fake.calls.some((c) => c.method === 'POST' && c.path === `/api/v1/me/webhooks/${ep.id}/deliveries/${old.id}/replay`)).toBe(true);
    expect(view.el.querySelector('.page-status')?.textContent).toMatch(/sent again \(same webhook-id\)/);
    toggle.click();
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    expect(view.el.querySelector('.webhook-log')?.hasAttribute('hidden')).toBe(true);
  });

  it('shows the 409 of a replay while disabled, and enabling lets it through', async () => {
    const fake = new FakeWebhooks();
    const ep = fake.endpoint({ status: 'disabled', disabled_reason: 'retries_exhausted' });
    const d = fake.delivery(ep.id);
    const view = await open(fake);
    buttonNamed(view.el, `Delivery log of ${ep.url}`).click();
    await vi.waitFor(() => expect(view.el.querySelector('.webhook-delivery')).not.toBeNull());
    view.el.querySelector<HTMLButtonElement>('.webhook-delivery button')!.click();
    await vi.waitFor(() => expect(view.el.querySelector('.webhook .form-alert')?.textContent).toMatch(/disabled: enable it first/));
    buttonNamed(view.el, `Enable ${ep.url}`).click();
    await vi.waitFor(() => expect(view.el.querySelector('.webhook')?.textContent).toContain('Enabled'));
    expect(() => buttonNamed(view.el, `Enable ${ep.url}`)).toThrow();
    buttonNamed(view.el, `Delivery log of ${ep.url}`).click();
    await vi.waitFor(() => expect(view.el.querySelector('.webhook-delivery')).not.toBeNull());
    view.el.querySelector<HTMLButtonElement>('.webhook-delivery button')!.click();
    await vi.waitFor(() => expect(view.el.querySelector(`[data-delivery-id="${d.id}"]`)?.textContent).toContain('Pending'));
  });

  it('rotates the secret, shows the new one once and when the old one stops', async () => {
    const fake = new FakeWebhooks();
    const ep = fake.endpoint();
    const view = await open(fake);
    buttonNamed(view.el, `Rotate the secret of ${ep.url}`).click();
    await vi.waitFor(() => expect(view.el.querySelector('.webhook .key-secret code')).not.toBeNull());
    expect(view.el.querySelector('.webhook .key-secret code')!.textContent).toBe(fake.endpoints[0]!.secret);
    expect(fake.endpoints[0]!.secret).toMatch(/^whsec_rotated_/);
    expect(view.el.querySelector('.webhook .key-facts')!.textContent).toMatch(/previous secret signs until/);
    buttonNamed(view.el, 'I have stored it').click();
    expect(view.el.textContent).not.toContain('whsec_');
  });

  it('deletes after an inline confirmation; Escape keeps it', async () => {
    const fake = new FakeWebhooks();
    const ep = fake.endpoint();
    const view = await open(fake);
    buttonNamed(view.el, `Delete ${ep.url}`).click();
    const yes = buttonNamed(view.el, `Yes, delete ${ep.url}`);
    expect(document.activeElement).toBe(yes);
    press(yes, 'Escape');
    expect(view.el.querySelector('.confirm-box')).toBeNull();
    expect(fake.calls.some((c) => c.method === 'DELETE')).toBe(false);
    buttonNamed(view.el, `Delete ${ep.url}`).click();
    buttonNamed(view.el, `Yes, delete ${ep.url}`).click();
    await vi.waitFor(() => expect(view.el.querySelector('#webhooks .empty-title')?.textContent).toBe('No webhook endpoints yet'));
    expect(fake.calls.at(-1)).toMatchObject({ method: 'DELETE', path: `/api/v1/me/webhooks/${ep.id}` });
    expect(fake.endpoints).toHaveLength(0);
  });
});
