/**
 * /account/webhooks: the user's webhook endpoints over /api/v1/me/webhooks (docs/webhooks.md).
 * The list shows each endpoint's address, events and status, with its actions: send a test
 * event, open the delivery log (each delivery's status, attempts and a Replay button), rotate
 * the signing secret (shown once), re-enable a disabled endpoint and delete after an inline
 * confirmation. A form adds an endpoint and shows its secret once. Every call goes through
 * WebhooksApi (injectable for the tests); a failure is shown next to what was clicked.
 */

import type { App, View } from '../app';
import { formatIsoInstant } from '../dates';
import { h, icon, ICONS, nextId } from '../dom';
import { button, field, FormController } from '../forms';
import { describeError } from '../problems';
import type { RouteContext } from '../router';
import { SessionExpiredError } from '../session';
import {
  attemptText,
  DESCRIPTION_MAX,
  deliveryText,
  EVENT_LABELS,
  eventTypesText,
  statusText,
  validateWebhook,
  WEBHOOK_EVENT_TYPES,
  WebhooksApi,
  type NewWebhookEndpoint,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookField,
} from '../webhooksApi';
import { accountPage, card, loading, notice } from './shell';
import './account-security.css';
import './webhooks.css';

const FIELD_LABELS: Record<WebhookField, string> = { url: 'Address (URL)', description: 'Description', event_types: 'Events' };

/** "4 Dec 2026, 21:30" of an ISO time ("" for none). */
function when(iso: string | null): string {
  return iso ? formatIsoInstant(iso) : '';
}

/** The one-time secret box (after create and rotate); `done` is called when dismissed. */
function secretBox(title: string, secret: string, announce: (t: string) => void, done: () => void): HTMLElement {
  const code = h('code', { class: 'key-secret-code webhook-secret', tabindex: '0', 'aria-label': 'The signing secret' }, secret);
  const copy = button('Copy', { variant: 'secondary', attrs: { 'aria-label': 'Copy the signing secret' } });
  const ok = button('I have stored it', { variant: 'ghost' });
  const heading = h('p', { class: 'key-secret-title', id: nextId('wh-secret') }, h('strong', {}, title));
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(secret);
      announce('The secret was copied.');
    } catch {
      getSelection()?.selectAllChildren(code);
      announce('Copying is not allowed here: the secret is selected, copy it with your keyboard.');
    }
  });
  ok.addEventListener('click', done);
  return h(
    'div',
    { class: 'key-secret', role: 'group', 'aria-labelledby': heading.id },
    heading,
    h('p', {}, 'Verify each request with it (Standard Webhooks: the webhook-signature header). Copy it now: it is shown only this once.'),
    h('div', { class: 'key-secret-value' }, code, copy),
    h('div', { class: 'form-actions' }, ok),
  );
}

export function webhooksView(app: App, ctx: RouteContext, api: WebhooksApi = new WebhooksApi(app.session)): View {
  const page = accountPage('webhooks', 'Webhooks', 'Contrail can send your own server an HTTPS request, signed with a secret, when a booking is confirmed or cancelled, a price alert fires or a booked trip changes.');
  if (ctx.flash) page.main.append(notice(ctx.flash, 'success', 'page-flash'));
  let destroyed = false;
  let endpoints: WebhookEndpoint[] = [];
  const status = h('p', { class: 'form-status page-status', role: 'status', 'aria-live': 'polite' });
  const announce = (text: string): void => {
    status.textContent = text;
    status.classList.toggle('is-visible', text !== '');
  };

  /* ---- the create form ---- */
  const formCard = card('Add an endpoint', { id: 'webhook-form', description: 'Contrail signs every request; the secret is shown once, right after you add the endpoint.' });
  const url = field({ label: FIELD_LABELS.url, name: 'url', type: 'url', autocomplete: 'off', required: true, placeholder: 'https://hooks.example.com/contrail', hint: 'An https:// address on the public internet.' });
  const description = field({ label: FIELD_LABELS.description, name: 'description', optional: true, autocomplete: 'off', hint: 'What receives the events, for you to recognise it.', attrs: { maxlength: String(DESCRIPTION_MAX) } });
  const everyId = nextId('wh-every');
  const every = h('input', { type: 'checkbox', id: everyId, name: 'every', class: 'check-input', checked: true }) as HTMLInputElement;
  const typeBoxes = WEBHOOK_EVENT_TYPES.map((t) => {
    const id = nextId(`wh-type-${t}`);
    const box = h('input', { type: 'checkbox', id, name: 'event_types', value: t, class: 'check-input', disabled: true }) as HTMLInputElement;
    return { type: t, box, row: h('div', { class: 'check-row' }, box, h('label', { for: id }, EVENT_LABELS[t] ?? t, h('span', { class: 'scope-hint mono' }, ` — ${t}`))) };
  });
  every.addEventListener('change', () => {
    for (const b of typeBoxes) b.box.disabled = every.checked;
  });
  const typesError = h('p', { id: nextId('wh-types-error'), class: 'field-error', hidden: true });
  const typesLegend = h('legend', { class: 'field-label legend' }, FIELD_LABELS.event_types);
  const typesFieldset = h(
    'fieldset',
    { class: 'fieldset span-all', 'data-field': 'event_types' },
    typesLegend,
    h('div', { class: 'scope-options' }, h('div', { class: 'check-row' }, every, h('label', { for: everyId }, EVENT_LABELS['*'] ?? 'Every event')), typeBoxes.map((b) => b.row)),
    typesError,
  );
  const typesField = { wrap: typesFieldset, control: every, error: typesError, label: typesLegend as unknown as HTMLLabelElement };
  const submit = button('Add endpoint', { type: 'submit', iconPath: ICONS.plus });
  const form = h('form', { class: 'grid-form', novalidate: '', 'aria-labelledby': formCard.heading.id }, url.wrap, description.wrap, typesFieldset);
  const read = () => ({
    url: url.control.value.trim(),
    description: description.control.value.trim(),
    eventTypes: every.checked ? ['*'] : typeBoxes.filter((b) => b.box.checked).map((b) => b.type as string),
  });
  const ctl = new FormController<WebhookField>({ form, fields: { url, description, event_types: typesField }, order: ['url', 'description', 'event_types'], submit, validate: () => validateWebhook(read()) });
  form.append(h('div', { class: 'form-actions span-all' }, submit));
  ctl.alert.classList.add('span-all');
  ctl.status.remove();
  const newSecret = h('div', { class: 'key-secret-slot' });
  formCard.body.append(form, newSecret);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (ctl.busy || !ctl.check()) return;
    const input = read();
    ctl.setBusy(true, 'Adding…');
    try {
      const made = await api.create({ url: input.url, event_types: input.eventTypes, ...(input.description ? { description: input.description } : {}) });
      ctl.setBusy(false);
      ctl.clear();
      form.reset();
      for (const b of typeBoxes) b.box.disabled = true;
      endpoints = [made, ...endpoints];
      renderList();
      showNewSecret(made);
      announce(`The endpoint ${made.url} was added. Copy its secret now: it is shown only once.`);
    } catch (err) {
      ctl.setBusy(false);
      if (err instanceof SessionExpiredError) return;
      ctl.showProblem(err, { fields: { url: 'url', description: 'description', event_types: 'event_types' }, labels: FIELD_LABELS });
    }
  });

  function showNewSecret(made: NewWebhookEndpoint): void {
    newSecret.replaceChildren(
      secretBox(`The signing secret of ${made.url}`, made.secret, announce, () => {
        newSecret.replaceChildren();
        itemHeading(made.id)?.focus();
      }),
    );
    newSecret.querySelector<HTMLElement>('code')?.focus();
  }

  /* ---- the list ---- */
  const listCard = card('Your endpoints', { id: 'webhooks' });
  const list = h('ul', { class: 'key-list webhook-list', 'aria-labelledby': listCard.heading.id });
  listCard.body.append(loading('Loading your endpoints…'));

  const itemHeading = (id: string): HTMLElement | null => {
    const li = Array.from(list.children).find((el) => (el as HTMLElement).dataset.id === id);
    return li?.querySelector<HTMLElement>('.key-name') ?? null;
  };

  /** A busy-guarded action button: runs `act`, shows its failure in `alert`. */
  function action(label: string, aria: string, alert: HTMLElement, act: () => Promise<void>, variant: 'secondary' | 'ghost' | 'danger' = 'secondary'): HTMLButtonElement {
    const b = button(label, { variant, attrs: { 'aria-label': aria } });
    b.addEventListener('click', async () => {
      if (b.getAttribute('aria-disabled') === 'true') return;
      b.setAttribute('aria-disabled', 'true');
      b.classList.add('is-busy');
      alert.textContent = '';
      try {
        await act();
      } catch (err) {
        if (err instanceof SessionExpiredError) return;
        alert.textContent = describeError(err, { 409: 'The endpoint is disabled: enable it first.' });
      } finally {
        b.removeAttribute('aria-disabled');
        b.classList.remove('is-busy');
      }
    });
    return b;
  }

  function renderDelivery(ep: WebhookEndpoint, d: WebhookDelivery, alert: HTMLElement, reload: () => Promise<void>): HTMLElement {
    const attempts = d.attempts.length
      ? h('details', { class: 'webhook-attempts' }, h('summary', {}, 'Attempts'), h('ol', {}, d.attempts.map((a) => h('li', {}, `${attemptText(a)} · ${when(a.started_at)}`))))
      : null;
    const replay = action(
      'Replay',
      `Replay the ${EVENT_LABELS[d.event_type] ?? d.event_type} of ${when(d.created_at)}`,
      alert,
      async () => {
        await api.replay(ep.id, d.id);
        announce(`The ${EVENT_LABELS[d.event_type] ?? d.event_type} is being sent again (same webhook-id).`);
        await reload();
      },
      'ghost',
    );
    return h(
      'li',
      { class: `webhook-delivery is-${d.status}`, 'data-delivery-id': d.id },
      h(
        'div',
        { class: 'webhook-delivery-main' },
        h('p', { class: 'webhook-delivery-title' }, h('strong', {}, EVENT_LABELS[d.event_type] ?? d.event_type), ` · ${when(d.created_at)}`),
        h('p', { class: 'webhook-delivery-status' }, deliveryText(d)),
        h('p', { class: 'webhook-delivery-id mono' }, d.message_id),
        attempts,
      ),
      replay,
    );
  }

  /** The delivery log under an endpoint: a toggle that loads it, a Refresh button. */
  function deliveryLog(ep: WebhookEndpoint, alert: HTMLElement): { toggle: HTMLButtonElement; box: HTMLElement; open: () => Promise<void> } {
    const box = h('div', { class: 'webhook-log', id: nextId('wh-log') });
    box.hidden = true;
    const toggle = button('Delivery log', { variant: 'ghost', attrs: { 'aria-expanded': 'false', 'aria-controls': box.id, 'aria-label': `Delivery log of ${ep.url}` } });
    const reload = async (): Promise<void> => {
      const items = await api.deliveries(ep.id);
      if (destroyed || toggle.getAttribute('aria-expanded') !== 'true') return;
      const refresh = action('Refresh', `Refresh the delivery log of ${ep.url}`, alert, reload, 'ghost');
      box.replaceChildren(
        h('div', { class: 'webhook-log-head' }, h('h4', {}, 'Recent deliveries'), refresh),
        items.length === 0 ? h('p', { class: 'webhook-log-empty' }, 'Nothing sent yet. "Send test" sends a test event.') : h('ol', { class: 'webhook-deliveries' }, items.map((d) => renderDelivery(ep, d, alert, reload))),
      );
    };
    const open = async (): Promise<void> => {
      toggle.setAttribute('aria-expanded', 'true');
      box.hidden = false;
      if (!box.firstChild) box.replaceChildren(loading('Loading the deliveries…'));
      await reload().catch((err: unknown) => {
        box.replaceChildren(notice(describeError(err), 'error'));
      });
    };
    toggle.addEventListener('click', () => {
      if (toggle.getAttribute('aria-expanded') === 'true') {
        toggle.setAttribute('aria-expanded', 'false');
        box.hidden = true;
        box.replaceChildren();
        return;
      }
      void open();
    });
    return { toggle, box, open };
  }

  function confirmDelete(ep: WebhookEndpoint, li: HTMLElement, actions: HTMLElement, del: HTMLButtonElement, alert: HTMLElement): void {
    const question = h('p', { class: 'confirm-text', id: nextId('wh-confirm') }, `Delete ${ep.url}? Nothing more is sent to it and its delivery log goes too.`);
    const no = button('Keep', { variant: 'ghost', attrs: { 'aria-label': `No, keep ${ep.url}` } });
    const yes = action(
      'Delete',
      `Yes, delete ${ep.url}`,
      alert,
      async () => {
        await api.remove(ep.id);
        endpoints = endpoints.filter((x) => x.id !== ep.id);
        renderList();
        announce(`The endpoint ${ep.url} was deleted.`);
        listCard.heading.setAttribute('tabindex', '-1');
        listCard.heading.focus();
      },
      'danger',
    );
    const box = h('div', { class: 'confirm-box', role: 'group', 'aria-labelledby': question.id }, question, h('div', { class: 'confirm-actions' }, yes, no));
    const cancel = (): void => {
      box.remove();
      actions.hidden = false;
      del.focus();
    };
    no.addEventListener('click', cancel);
    box.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        cancel();
      }
    });
    actions.hidden = true;
    li.append(box);
    yes.focus();
  }

  function renderItem(ep: WebhookEndpoint): HTMLElement {
    const li = h('li', { class: `key webhook${ep.status === 'enabled' ? '' : ' is-disabled'}`, 'data-id': ep.id });
    const alert = h('div', { class: 'form-alert', role: 'alert' });
    const slot = h('div', { class: 'key-secret-slot' });
    const replace = (next: WebhookEndpoint): void => {
      endpoints = endpoints.map((x) => (x.id === next.id ? next : x));
      const fresh = renderItem(next);
      li.replaceWith(fresh);
      fresh.querySelector<HTMLElement>('.key-name')?.focus();
    };
    const log = deliveryLog(ep, alert);
    const test = action('Send test', `Send a test event to ${ep.url}`, alert, async () => {
      await api.test(ep.id);
      announce(`A test event is on its way to ${ep.url}.`);
      await log.open();
    });
    const rotate = action('Rotate secret', `Rotate the secret of ${ep.url}`, alert, async () => {
      const r = await api.rotateSecret(ep.id);
      endpoints = endpoints.map((x) => (x.id === r.id ? r : x));
      facts.replaceChildren(...factsOf(r));
      slot.replaceChildren(secretBox(`The new signing secret of ${ep.url}`, r.secret, announce, () => slot.replaceChildren()));
      slot.querySelector<HTMLElement>('code')?.focus();
      announce('The secret was rotated. The previous one keeps signing for 24 hours.');
    });
    const enable =
      ep.status === 'enabled'
        ? null
        : action('Enable', `Enable ${ep.url}`, alert, async () => {
            const r = await api.enable(ep.id);
            announce(`${ep.url} is enabled again; its waiting deliveries go out now.`);
            replace(r);
          });
    const del = button('Delete', { variant: 'ghost', iconPath: ICONS.trash, attrs: { 'aria-label': `Delete ${ep.url}` } });
    del.classList.add('btn-danger-ghost');
    const actions = h('div', { class: 'key-actions webhook-actions' }, test, log.toggle, rotate, enable, del);
    del.addEventListener('click', () => confirmDelete(ep, li, actions, del, alert));
    const facts = h('p', { class: 'key-facts' }, ...factsOf(ep));
    const name = h('h3', { class: 'key-name mono', tabindex: '-1' }, ep.url);
    li.append(
      icon(ICONS.mail, 22, 'icon key-icon'),
      h('div', { class: 'key-main' }, name, ep.description ? h('p', { class: 'webhook-description' }, ep.description) : null, facts, alert, slot, actions, log.box),
    );
    return li;
  }

  function factsOf(ep: WebhookEndpoint): (Node | string)[] {
    return [
      h('span', { class: `key-badge webhook-status is-${ep.status}` }, statusText(ep)),
      ` · ${eventTypesText(ep.event_types)}`,
      ep.created_at ? ` · added ${when(ep.created_at)}` : '',
      ep.previous_secret_expires_at ? ` · the previous secret signs until ${when(ep.previous_secret_expires_at)}` : '',
    ];
  }

  function renderList(): void {
    if (endpoints.length === 0) {
      listCard.body.replaceChildren(
        h('div', { class: 'empty' }, icon(ICONS.mail, 36, 'icon empty-icon'), h('p', { class: 'empty-title' }, 'No webhook endpoints yet'), h('p', { class: 'empty-text' }, 'Add one below to receive events on your own server.')),
      );
      return;
    }
    list.replaceChildren(...endpoints.map(renderItem));
    listCard.body.replaceChildren(list);
  }

  page.main.append(status, listCard.el, formCard.el);
  api
    .list()
    .then((items) => {
      if (destroyed) return;
      endpoints = items;
      renderList();
    })
    .catch((err: unknown) => {
      if (destroyed || err instanceof SessionExpiredError) return;
      listCard.body.replaceChildren(h('div', { role: 'alert' }, notice(describeError(err), 'error')));
    });
  return {
    el: page.el,
    heading: page.heading,
    destroy() {
      destroyed = true;
    },
  };
}
