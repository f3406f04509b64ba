/** /account: profile & preferences, password, data export, account deletion. */

import { ApiError, type Place } from '../api';
import type { Cabin, Profile, ProfilePatch } from '../accountApi';
import type { App, View } from '../app';
import { h, ICONS, nextId, setDescribedBy } from '../dom';
import { button, field, FormController, passwordField, switchField, type Field } from '../forms';
import { cabinLabel, CURRENCIES, currencyLabel, isSearchCabin, SEARCH_CABINS } from '../options';
import { createPlaceCombobox, placeholderPlace, resolvePlace } from '../places';
import { describeError } from '../problems';
import type { RouteContext } from '../router';
import { SessionExpiredError } from '../session';
import { validateNewPassword, validateProfile, validateRequired, type ProfileField } from '../validators';
import { phoneSection } from './phone';
import { notificationPrefsSection } from './notificationPrefs';
import { accountPage, card, loading, notice } from './shell';

export function accountView(app: App, ctx: RouteContext): View {
  const page = accountPage('account', 'Your account', 'Your profile, travel preferences and privacy settings.');
  const cleanups: (() => void)[] = [];
  if (ctx.flash) page.main.append(notice(ctx.flash, 'success', 'page-flash'));
  const holder = h('div', { class: 'account-sections' }, loading('Loading your profile…'));
  page.main.append(holder);

  const render = (p: Profile) => {
    page.lede.replaceChildren(
      h('span', { class: 'lede-email' }, p.email),
      ' ',
      p.email_verified ? h('span', { class: 'badge badge-ok' }, 'Confirmed') : h('span', { class: 'badge badge-warn' }, 'Not confirmed yet'),
    );
    const profileCard = profileSection(app, p, cleanups);
    holder.replaceChildren(profileCard, phoneSection(app, p), notificationPrefsSection(app, p), passwordSection(app, p), dataSection(app), deleteSection(app, p));
  };

  app.profile.load(true).then(render, (err: unknown) => {
    if (err instanceof SessionExpiredError) return; // main.ts sends the user to sign in
    const retry = button('Try again', { variant: 'secondary' });
    retry.addEventListener('click', () => {
      holder.replaceChildren(loading('Loading your profile…'));
      app.profile.load(true).then(render, () => holder.replaceChildren(notice(describeError(err), 'error')));
    });
    holder.replaceChildren(notice(h('span', {}, describeError(err), ' '), 'error'), retry);
  });

  return { el: page.el, heading: page.heading, destroy: () => cleanups.forEach((f) => f()) };
}

/* -------------------------------------------------------------------- */
/* Profile and preferences                                              */
/* -------------------------------------------------------------------- */

function profileSection(app: App, p: Profile, cleanups: (() => void)[]): HTMLElement {
  const c = card('Profile and preferences', { description: 'Used to fill in searches and to tailor what we show you.' });

  const name = field({ label: 'Name', name: 'name', autocomplete: 'name', value: p.name ?? '', optional: true, attrs: { maxlength: '100' } });

  // Home airport: the same accessible combobox as the search form.
  const homeId = nextId('f-home');
  const homeInput = h('input', { id: homeId, class: 'field-input', type: 'text', name: 'home_airport_text', placeholder: 'City or airport' });
  const homeHint = h('p', { id: `${homeId}-hint`, class: 'field-hint' }, 'New searches start from here. Leave it empty for no default.');
  const homeError = h('p', { id: `${homeId}-error`, class: 'field-error', hidden: true });
  const homeLabel = h('label', { for: homeId, class: 'field-label' }, 'Home airport', h('span', { class: 'field-optional' }, ' (optional)'));
  const homeWrap = h('div', { class: 'field form-field field-place span-all', 'data-field': 'home_airport' }, homeLabel, h('div', { class: 'cb' }, homeInput), homeHint, homeError);
  setDescribedBy(homeInput, homeHint.id, true);
  let homeCode = p.home_airport ?? '';
  const combo = createPlaceCombobox(homeInput, { fetchFn: app.fetchFn, onSelect: (pl: Place | null) => (homeCode = pl?.code ?? '') });
  cleanups.push(() => combo.destroy());
  if (p.home_airport) {
    const ph = placeholderPlace(p.home_airport);
    combo.setValue(ph, { notify: false });
    void resolvePlace(p.home_airport, app.fetchFn).then((pl) => {
      if (combo.value === ph) combo.setValue(pl, { notify: false });
    });
  }
  const home: Field = { wrap: homeWrap, control: homeInput, error: homeError, label: homeLabel };

  homeWrap.querySelector('.cb')!.classList.add('cb-half');
  // The same currencies and cabins as the search pages (options.ts). A saved value outside
  // them is shown under its own name and kept unless the user picks another.
  const currencyOptions = [{ value: '', label: 'No preference' }, ...CURRENCIES.map((x) => ({ value: x.code, label: currencyLabel(x.code) }))];
  if (p.currency && !CURRENCIES.some((x) => x.code === p.currency)) currencyOptions.push({ value: p.currency, label: currencyLabel(p.currency) });
  const currency = field({ label: 'Currency', name: 'currency', type: 'select', options: currencyOptions, value: p.currency ?? '', hint: 'Prices will be shown in this currency.' });
  const cabinOptions: { value: string; label: string }[] = [{ value: '', label: 'No preference' }, ...SEARCH_CABINS];
  const unsearchable = p.cabin && !isSearchCabin(p.cabin) ? p.cabin : null;
  if (unsearchable) cabinOptions.push({ value: unsearchable, label: cabinLabel(unsearchable) });
  const searchable = SEARCH_CABINS.map((x) => x.label).join(' and ');
  const cabinHint = unsearchable
    ? `Preselected when you start a search. Searches offer ${searchable} for now, so ${cabinLabel(unsearchable)} is kept here but not preselected.`
    : 'Preselected when you start a search.';
  const cabin = field({ label: 'Cabin', name: 'cabin', type: 'select', options: cabinOptions, value: p.cabin ?? '', hint: cabinHint });

  // E-mail, in-app and SMS notifications are set per kind in the Notifications card
  // (notificationPrefs.ts); the webhook switch stays with the profile.
  const nHook = switchField({ name: 'notify_webhook', label: 'Webhook', hint: 'For partners: events sent to your API integration.', checked: p.notifications.webhook });
  const notifications = h('fieldset', { class: 'fieldset switches' }, h('legend', { class: 'field-label legend' }, 'Integrations'), h('div', { class: 'switch-grid' }, nHook.wrap));

  const submit = button('Save changes', { type: 'submit' });
  const form = h(
    'form',
    { class: 'grid-form', 'aria-labelledby': c.heading.id },
    name.wrap,
    h('div', { class: 'field form-field' }, h('span', { class: 'field-label', id: 'email-label' }, 'E-mail address'), h('p', { class: 'static-value', 'aria-labelledby': 'email-label' }, p.email)),
    homeWrap,
    currency.wrap,
    cabin.wrap,
    notifications,
  );
  const values = () => ({
    name: name.control.value.trim(),
    home_airport: homeInput.value.trim() === '' ? '' : homeCode,
    currency: currency.control.value,
    cabin: cabin.control.value,
  });
  const validate = () => {
    const v = values();
    const e = validateProfile(v);
    if (homeInput.value.trim() !== '' && !homeCode) e.home_airport = 'Pick an airport from the suggestions, or clear the field.';
    return e;
  };
  const ctl = new FormController<ProfileField>({ form, fields: { name, home_airport: home, currency, cabin }, order: ['name', 'home_airport', 'currency', 'cabin'], submit, validate });
  form.append(h('div', { class: 'form-actions span-all' }, submit));
  ctl.alert.classList.add('span-all');
  ctl.status.classList.add('span-all');

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (ctl.busy || !ctl.check()) return;
    const v = values();
    const patch: ProfilePatch = {
      name: v.name || null,
      home_airport: v.home_airport || null,
      currency: v.currency || null,
      cabin: (v.cabin || null) as Cabin | null,
      notifications: { webhook: nHook.control.checked },
    };
    ctl.setBusy(true, 'Saving…');
    try {
      const updated = await app.api.updateMe(patch);
      app.profile.set(updated);
      ctl.setBusy(false);
      ctl.succeed('Your profile has been saved.');
    } catch (err) {
      ctl.setBusy(false);
      if (err instanceof SessionExpiredError) return;
      ctl.showProblem(err, {
        fields: { name: 'name', home_airport: 'home_airport', currency: 'currency', cabin: 'cabin', notifications: undefined },
        labels: { name: 'Name', home_airport: 'Home airport', currency: 'Currency', cabin: 'Cabin' },
      });
    }
  });
  c.body.append(form);
  return c.el;
}

/* -------------------------------------------------------------------- */
/* Password                                                             */
/* -------------------------------------------------------------------- */

type PasswordField = 'current' | 'next' | 'confirm';

function passwordSection(app: App, p: Profile): HTMLElement {
  const c = card('Password', { description: 'Changing it signs you out on every other device.' });
  // A hidden username field helps password managers pick the right entry.
  const user = h('input', { type: 'email', name: 'username', autocomplete: 'username', value: p.email, hidden: true, tabindex: '-1', 'aria-hidden': 'true' });
  const current = passwordField({ label: 'Current password', name: 'current_password', autocomplete: 'current-password', required: true });
  const next = passwordField({ label: 'New password', name: 'new_password', autocomplete: 'new-password', required: true, hint: 'At least 10 characters.' });
  const confirm = passwordField({ label: 'Repeat the new password', name: 'confirm_password', autocomplete: 'new-password', required: true });
  const submit = button('Change password', { type: 'submit', variant: 'secondary' });
  const form = h('form', { class: 'grid-form', 'aria-labelledby': c.heading.id }, user, current.wrap, h('div', { class: 'grid-break' }), next.wrap, confirm.wrap);
  const validate = () => {
    const e: Partial<Record<PasswordField, string>> = {};
    const cur = validateRequired(current.control.value, 'Enter your current password.');
    if (cur) e.current = cur;
    const nx = validateNewPassword(next.control.value, p.email);
    if (nx) e.next = nx;
    else if (next.control.value === current.control.value) e.next = 'Choose a password different from the current one.';
    if (confirm.control.value !== next.control.value) e.confirm = 'The two new passwords are not the same.';
    return e;
  };
  const ctl = new FormController<PasswordField>({ form, fields: { current, next, confirm }, order: ['current', 'next', 'confirm'], submit, validate });
  form.append(h('div', { class: 'form-actions span-all' }, submit));
  ctl.alert.classList.add('span-all');
  ctl.status.classList.add('span-all');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (ctl.busy || !ctl.check()) return;
    const nextPw = next.control.value;
    ctl.setBusy(true, 'Changing…');
    try {
      await app.api.changePassword(current.control.value, nextPw);
    } catch (err) {
      ctl.setBusy(false);
      if (err instanceof SessionExpiredError) return;
      ctl.showProblem(err, {
        fields: { current_password: 'current', new_password: 'next' },
        labels: { current: 'Current password', next: 'New password' },
      });
      return;
    }
    // The server ended every session, this one included: sign in again with the new password.
    try {
      await app.session.signIn(p.email, nextPw);
      ctl.setBusy(false);
      for (const f of [current, next, confirm]) f.control.value = '';
      ctl.succeed('Your password has been changed. You have been signed out on your other devices.');
    } catch {
      ctl.setBusy(false);
      app.session.forget('expired');
    }
  });
  c.body.append(form);
  return c.el;
}

/* -------------------------------------------------------------------- */
/* Export                                                               */
/* -------------------------------------------------------------------- */

function dataSection(app: App): HTMLElement {
  const c = card('Your data', { description: 'Download a copy of everything Contrail stores about you: profile, travellers, API keys and security events, as JSON.' });
  const btn = button('Download my data', { variant: 'secondary', iconPath: ICONS.download });
  const status = h('p', { class: 'form-status', role: 'status', 'aria-live': 'polite' });
  const alert = h('div', { class: 'form-alert', role: 'alert' });
  btn.addEventListener('click', async () => {
    if (btn.getAttribute('aria-disabled') === 'true') return;
    btn.setAttribute('aria-disabled', 'true');
    btn.classList.add('is-busy');
    alert.textContent = '';
    status.textContent = 'Preparing your data…';
    status.classList.add('is-visible');
    try {
      const file = await app.api.exportData();
      app.download(file.blob, file.filename);
      status.textContent = `Your data has been downloaded as ${file.filename}.`;
    } catch (err) {
      status.textContent = '';
      status.classList.remove('is-visible');
      if (!(err instanceof SessionExpiredError)) alert.textContent = describeError(err);
    } finally {
      btn.removeAttribute('aria-disabled');
      btn.classList.remove('is-busy');
    }
  });
  c.body.append(h('div', { class: 'form-actions' }, btn), alert, status);
  return c.el;
}

/* -------------------------------------------------------------------- */
/* Delete account                                                       */
/* -------------------------------------------------------------------- */

/* An account made through an identity provider has no password: it confirms by a recent
 * sign-in with the provider (the server checks it; its refusal says what to do). */
function deleteWithoutPassword(app: App, c: { el: HTMLElement; body: HTMLElement }): HTMLElement {
  const note = h('p', { class: 'form-note' }, 'Your account has no password: you signed in with an identity provider. If you signed in more than 10 minutes ago, sign out and sign in again with it first.');
  const status = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const submit = button('Delete my account permanently', { variant: 'danger' });
  submit.addEventListener('click', async () => {
    submit.disabled = true;
    status.hidden = true;
    try {
      await app.api.deleteMe();
    } catch (err) {
      submit.disabled = false;
      if (err instanceof SessionExpiredError) return;
      status.textContent = describeError(err);
      status.hidden = false;
      return;
    }
    app.session.forget('signout');
    app.profile.clear();
    app.router.navigate('/', { flash: 'Your account and all its data have been deleted.' });
  });
  c.body.append(note, status, submit);
  return c.el;
}

function deleteSection(app: App, p: Profile): HTMLElement {
  const c = card('Delete account', {
    danger: true,
    description: 'This permanently deletes your account, saved travellers and API keys. It cannot be undone. Download your data first if you want a copy.',
  });
  if (p.has_password === false) return deleteWithoutPassword(app, c);
  const panelId = nextId('delete-panel');
  const open = button('Delete account…', { variant: 'danger', attrs: { 'aria-expanded': 'false', 'aria-controls': panelId } });
  const password = passwordField({ label: 'Enter your password to confirm', name: 'delete_password', autocomplete: 'current-password', required: true });
  const submit = button('Delete my account permanently', { type: 'submit', variant: 'danger' });
  const cancel = button('Cancel', { variant: 'ghost' });
  const form = h('form', { class: 'stack-form danger-form', id: panelId, hidden: true, 'aria-label': 'Confirm account deletion' }, password.wrap);
  const ctl = new FormController<'password'>({
    form,
    fields: { password },
    order: ['password'],
    submit,
    validate: () => {
      const m = validateRequired(password.control.value, 'Enter your password to confirm.');
      return m ? { password: m } : {};
    },
  });
  form.append(h('div', { class: 'form-actions' }, submit, cancel));
  const setOpen = (on: boolean) => {
    form.hidden = !on;
    open.hidden = on;
    open.setAttribute('aria-expanded', String(on));
    if (on) password.control.focus();
    else {
      password.control.value = '';
      ctl.clear();
      open.focus();
    }
  };
  open.addEventListener('click', () => setOpen(true));
  cancel.addEventListener('click', () => setOpen(false));
  form.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') setOpen(false);
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (ctl.busy || !ctl.check()) return;
    ctl.setBusy(true, 'Deleting…');
    try {
      await app.api.deleteMe(password.control.value);
    } catch (err) {
      ctl.setBusy(false);
      if (err instanceof SessionExpiredError) return;
      if (err instanceof ApiError && err.status === 400) ctl.show({ password: 'That password is not correct.' });
      else ctl.showProblem(err, { fields: { password: 'password' }, labels: { password: 'Password' } });
      return;
    }
    // The account and its refresh tokens are gone: nothing to revoke.
    app.session.forget('signout');
    app.profile.clear();
    app.router.navigate('/', { flash: 'Your account and all its data have been deleted.' });
  });
  c.body.append(open, form);
  return c.el;
}
