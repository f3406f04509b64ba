/**
 * /account/api-keys: the user's partner API keys over /api/v1/me/api-keys: the list (active
 * and revoked), a form that creates a key with its scopes and shows the secret once, and
 * revocation after an inline confirmation.
 */

import { API_KEY_SCOPES, type ApiKey, type ApiKeyScope, type NewApiKey } from '../accountApi';
import type { App, View } from '../app';
import { h, icon, ICONS, nextId } from '../dom';
import { button, field, FormController } from '../forms';
import { describeError } from '../problems';
import type { RouteContext } from '../router';
import { SessionExpiredError } from '../session';
import { accountPage, card, loading, notice } from './shell';
import { formatWhen } from './security';
import './account-security.css';

export const SCOPE_LABELS: Record<ApiKeyScope, { label: string; hint: string }> = {
  search: { label: 'Search', hint: 'flight searches, calendar and explore' },
  offers: { label: 'Offers', hint: 'price and hold an itinerary' },
  bookings: { label: 'Bookings', hint: 'create, look up and cancel orders' },
  prices: { label: 'Prices', hint: 'price history and explore prices' },
  webhooks: { label: 'Webhooks', hint: 'register and manage webhook endpoints' },
};

type KeyField = 'name' | 'scopes' | 'rate_per_minute';

const KEY_LABELS: Record<KeyField, string> = { name: 'Name', scopes: 'Scopes', rate_per_minute: 'Requests per minute' };

export interface KeyInput {
  name: string;
  scopes: ApiKeyScope[];
  rate: string;
}

/** The client rules, as src/accounts/apikeys.c checks them. */
export function validateKey(k: KeyInput): Partial<Record<KeyField, string>> {
  const e: Partial<Record<KeyField, string>> = {};
  const bytes = new TextEncoder().encode(k.name).length;
  if (k.name === '') e.name = 'Enter a name that tells you where the key is used.';
  else if (bytes > 64) e.name = 'The name is too long (at most 64 characters).';
  if (k.scopes.length === 0) e.scopes = 'Choose at least one scope.';
  if (k.rate !== '') {
    const n = Number(k.rate);
    if (!Number.isInteger(n) || n < 1 || n > 100000) e.rate_per_minute = 'Enter a whole number from 1 to 100000.';
  }
  return e;
}

/** "ck_ab12cd34_…": the visible part of a key. */
export function maskedKey(k: Pick<ApiKey, 'prefix'>): string {
  return `ck_${k.prefix}_…`;
}

export function apiKeysView(app: App, ctx: RouteContext): View {
  const page = accountPage('api-keys', 'API keys', 'Keys let your own programs use the Contrail API. Give each one only the scopes it needs, and revoke it when it is no longer used.');
  if (ctx.flash) page.main.append(notice(ctx.flash, 'success', 'page-flash'));

  let keys: ApiKey[] = [];
  const status = h('p', { class: 'form-status page-status', role: 'status', 'aria-live': 'polite' });
  const announce = (text: string) => {
    status.textContent = text;
    status.classList.toggle('is-visible', text !== '');
  };

  /* ---- the create form ---- */
  const formCard = card('Create a key', { id: 'api-key-form', description: 'The secret is shown once, right after you create the key.' });
  const name = field({ label: KEY_LABELS.name, name: 'name', autocomplete: 'off', required: true, hint: 'For example "Price monitor" or "Travel desk".', attrs: { maxlength: '64' } });
  const rate = field({ label: KEY_LABELS.rate_per_minute, name: 'rate_per_minute', type: 'number', optional: true, hint: 'At most this many requests a minute; 600 when empty.', attrs: { min: '1', max: '100000', step: '1', inputmode: 'numeric', class: 'field-input input-short' } });
  const scopeBoxes = API_KEY_SCOPES.map((s) => {
    const id = nextId(`scope-${s}`);
    const box = h('input', { type: 'checkbox', id, name: 'scopes', value: s, class: 'check-input' });
    const row = h('div', { class: 'check-row' }, box, h('label', { for: id }, SCOPE_LABELS[s].label, h('span', { class: 'scope-hint' }, ` — ${SCOPE_LABELS[s].hint}`)));
    return { scope: s, box, row };
  });
  const scopesError = h('p', { id: nextId('scopes-error'), class: 'field-error', hidden: true });
  const scopesLegend = h('legend', { class: 'field-label legend' }, KEY_LABELS.scopes);
  const scopesFieldset = h('fieldset', { class: 'fieldset span-all', 'data-field': 'scopes' }, scopesLegend, h('div', { class: 'scope-options' }, scopeBoxes.map((b) => b.row)), scopesError);
  // FormController paints errors on a Field: the fieldset stands in, focus goes to the first box.
  const scopesField = { wrap: scopesFieldset, control: scopeBoxes[0]!.box, error: scopesError, label: scopesLegend as unknown as HTMLLabelElement };
  const submit = button('Create key', { type: 'submit', iconPath: ICONS.plus });
  const form = h('form', { class: 'grid-form', 'aria-labelledby': formCard.heading.id }, name.wrap, rate.wrap, scopesFieldset);
  const read = (): KeyInput => ({ name: name.control.value.trim(), scopes: scopeBoxes.filter((b) => b.box.checked).map((b) => b.scope), rate: rate.control.value.trim() });
  const ctl = new FormController<KeyField>({ form, fields: { name, scopes: scopesField, rate_per_minute: rate }, order: ['name', 'rate_per_minute', 'scopes'], submit, validate: () => validateKey(read()) });
  form.append(h('div', { class: 'form-actions span-all' }, submit));
  ctl.alert.classList.add('span-all');
  ctl.status.remove();
  const secretBox = h('div', { class: 'key-secret-slot' });
  formCard.body.append(form, secretBox);

  function showSecret(k: NewApiKey): void {
    const code = h('code', { class: 'key-secret-code', tabindex: '0', 'aria-label': `The secret of ${k.name}` }, k.key);
    const copy = button('Copy', { variant: 'secondary', attrs: { 'aria-label': `Copy the secret of ${k.name}` } });
    const done = button('I have stored it', { variant: 'ghost' });
    const heading = h('p', { class: 'key-secret-title', id: nextId('secret') }, h('strong', {}, `Your new key "${k.name}"`));
    const box = h(
      'div',
      { class: 'key-secret', role: 'group', 'aria-labelledby': heading.id },
      heading,
      h('p', {}, 'Copy it now: this is the only time it is shown. Contrail keeps only a hash of it, so a lost key cannot be shown again, only revoked and replaced.'),
      h('div', { class: 'key-secret-value' }, code, copy),
      h('div', { class: 'form-actions' }, done),
    );
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(k.key);
        announce('The secret was copied.');
      } catch {
        getSelection()?.selectAllChildren(code);
        announce('Copying is not allowed here: the secret is selected, copy it with your keyboard.');
      }
    });
    done.addEventListener('click', () => {
      secretBox.replaceChildren();
      itemFor(k.id)?.focus();
    });
    secretBox.replaceChildren(box);
    code.focus();
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (ctl.busy || !ctl.check()) return;
    const input = read();
    ctl.setBusy(true, 'Creating…');
    try {
      const created = await app.api.createApiKey({ name: input.name, scopes: input.scopes, ...(input.rate ? { rate_per_minute: Number(input.rate) } : {}) });
      ctl.setBusy(false);
      ctl.clear();
      form.reset();
      keys = [...keys, created];
      renderList();
      showSecret(created);
      announce(`The key ${created.name} was created. Copy its secret now: it is shown only once.`);
    } catch (err) {
      ctl.setBusy(false);
      if (err instanceof SessionExpiredError) return;
      ctl.showProblem(err, { fields: { name: 'name', scopes: 'scopes', rate_per_minute: 'rate_per_minute' }, labels: KEY_LABELS });
    }
  });

  /* ---- the list ---- */
  const listCard = card('Your keys', { id: 'api-keys' });
  const listAlert = h('div', { class: 'form-alert', role: 'alert' });
  const list = h('ul', { class: 'key-list', 'aria-labelledby': listCard.heading.id });
  listCard.body.append(listAlert, loading('Loading keys…'));

  const itemFor = (id: string): HTMLElement | null => {
    const li = Array.from(list.children).find((el) => (el as HTMLElement).dataset.id === id);
    return li?.querySelector<HTMLElement>('.key-name') ?? null;
  };

  function renderItem(k: ApiKey): HTMLElement {
    const nameEl = h('h3', { class: 'key-name', tabindex: '-1' }, k.name, k.revoked ? h('span', { class: 'key-badge' }, 'Revoked') : null);
    const facts = h(
      'p',
      { class: 'key-facts' },
      h('span', { class: 'mono' }, maskedKey(k)),
      ` · ${k.scopes.map((s) => SCOPE_LABELS[s as ApiKeyScope]?.label ?? s).join(', ') || 'no scopes'}`,
      ` · ${k.rate_per_minute} a minute`,
      k.created_at ? ` · created ${formatWhen(k.created_at)}` : '',
    );
    const li = h('li', { class: `key${k.revoked ? ' is-revoked' : ''}`, 'data-id': k.id }, icon(ICONS.key, 22, 'icon key-icon'), h('div', { class: 'key-main' }, nameEl, facts));
    if (!k.revoked) {
      const revoke = button('Revoke', { variant: 'ghost', attrs: { 'aria-label': `Revoke ${k.name}` } });
      revoke.classList.add('btn-danger-ghost');
      const actions = h('div', { class: 'key-actions' }, revoke);
      li.append(actions);
      revoke.addEventListener('click', () => confirmRevoke(k, li, actions, revoke));
    }
    return li;
  }

  function confirmRevoke(k: ApiKey, li: HTMLElement, actions: HTMLElement, revoke: HTMLButtonElement): void {
    const yes = button('Revoke', { variant: 'danger', attrs: { 'aria-label': `Yes, revoke ${k.name}` } });
    const no = button('Keep', { variant: 'ghost', attrs: { 'aria-label': `No, keep ${k.name}` } });
    const question = h('p', { class: 'confirm-text', id: nextId('confirm') }, `Revoke ${k.name}? Programs using it stop working at once. This cannot be undone.`);
    const box = h('div', { class: 'confirm-box', role: 'group', 'aria-labelledby': question.id }, question, h('div', { class: 'confirm-actions' }, yes, no));
    actions.hidden = true;
    li.append(box);
    yes.focus();
    const cancel = () => {
      box.remove();
      actions.hidden = false;
      revoke.focus();
    };
    no.addEventListener('click', cancel);
    box.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        cancel();
      }
    });
    yes.addEventListener('click', async () => {
      if (yes.getAttribute('aria-disabled') === 'true') return;
      yes.setAttribute('aria-disabled', 'true');
      yes.classList.add('is-busy');
      try {
        await app.api.revokeApiKey(k.id);
      } catch (err) {
        if (err instanceof SessionExpiredError) return;
        yes.removeAttribute('aria-disabled');
        yes.classList.remove('is-busy');
        listAlert.textContent = `Could not revoke ${k.name}. ${describeError(err)}`;
        return;
      }
      keys = keys.map((x) => (x.id === k.id ? { ...x, revoked: true } : x));
      renderList();
      listAlert.textContent = '';
      announce(`${k.name} was revoked.`);
      itemFor(k.id)?.focus();
    });
  }

  function renderList(): void {
    listCard.body.replaceChildren(listAlert);
    if (keys.length === 0) {
      listCard.body.append(
        h('div', { class: 'empty' }, icon(ICONS.key, 36, 'icon empty-icon'), h('p', { class: 'empty-title' }, 'No API keys yet'), h('p', { class: 'empty-text' }, 'Create one below to call the API from your own programs.')),
      );
      return;
    }
    // Active keys first, each group oldest first (the server's order).
    const sorted = [...keys.filter((k) => !k.revoked), ...keys.filter((k) => k.revoked)];
    list.replaceChildren(...sorted.map(renderItem));
    listCard.body.append(list);
  }

  async function reload(): Promise<void> {
    try {
      keys = await app.api.listApiKeys();
      renderList();
    } catch (err) {
      if (err instanceof SessionExpiredError) return;
      listCard.body.replaceChildren(listAlert);
      listAlert.textContent = describeError(err);
    }
  }

  page.main.append(status, listCard.el, formCard.el);
  void reload();
  return { el: page.el, heading: page.heading };
}
