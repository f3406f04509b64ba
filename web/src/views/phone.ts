/**
 * The account page's phone number: type it, "Send code" (PUT /me/phone sends a 6-digit code by
 * SMS), then type the code and "Verify" (POST /me/phone/verify). The server keeps a verified
 * number until the new one is proven, allows five wrong codes per code and one code a minute;
 * its messages (wrong code with the attempts left, expired, throttled) appear on the field.
 */

import type { Profile } from '../accountApi';
import type { App } from '../app';
import { h } from '../dom';
import { button, field, FormController } from '../forms';
import { describeError } from '../problems';
import { SessionExpiredError } from '../session';
import { card } from './shell';

/** "+44 7700-900 123" → "+447700900123" (spaces, dashes, dots and brackets dropped). */
export function normalizePhone(text: string): string {
  return text.replace(/[\s\-.()]/g, '');
}

/** null when `text` is an E.164 number once normalised, else the message to show. */
export function validatePhone(text: string): string | null {
  const n = normalizePhone(text);
  if (n === '') return 'Enter your mobile number.';
  if (!n.startsWith('+')) return 'Start with + and the country code, such as +44 7700 900123.';
  if (!/^\+[1-9][0-9]{7,14}$/.test(n)) return 'Enter the number in international form: + and 8 to 15 digits, such as +44 7700 900123.';
  return null;
}

export function validateCode(text: string): string | null {
  return /^[0-9]{6}$/.test(text.trim()) ? null : 'Enter the 6 digits from the text message.';
}

export function phoneSection(app: App, p: Profile): HTMLElement {
  const c = card('Phone number', { description: 'For text messages about your trips and account security. We send a code to check that the number is yours.' });
  const state = h('p', { class: 'phone-state', 'data-testid': 'phone-state' });
  let current = p;
  const showState = (q: Profile) => {
    current = q;
    state.replaceChildren(
      q.phone ? h('span', {}, q.phone, ' ', q.phone_verified ? h('span', { class: 'badge badge-ok' }, 'Verified') : h('span', { class: 'badge badge-warn' }, 'Not verified')) : 'No phone number yet.',
    );
    remove.hidden = !q.phone;
  };

  const phone = field({ label: 'Mobile number', name: 'phone', type: 'tel', autocomplete: 'tel', value: p.phone_pending ?? p.phone ?? '', placeholder: '+44 7700 900123', hint: 'International form: + and the country code.' });
  const send = button('Send code', { type: 'submit', variant: 'secondary' });
  const phoneForm = h('form', { class: 'grid-form', 'aria-label': 'Phone number' }, phone.wrap);
  const phoneCtl = new FormController<'phone'>({
    form: phoneForm,
    fields: { phone },
    order: ['phone'],
    submit: send,
    validate: () => {
      const m = validatePhone(phone.control.value);
      return m ? { phone: m } : {};
    },
  });
  phoneForm.append(h('div', { class: 'form-actions span-all' }, send));

  const code = field({ label: 'Code from the text message', name: 'code', autocomplete: 'one-time-code', attrs: { inputmode: 'numeric', maxlength: '6', pattern: '[0-9]{6}' } });
  const verify = button('Verify', { type: 'submit' });
  const codeForm = h('form', { class: 'grid-form', 'aria-label': 'Verify the phone number', hidden: !p.phone_pending }, code.wrap);
  const codeCtl = new FormController<'code'>({
    form: codeForm,
    fields: { code },
    order: ['code'],
    submit: verify,
    validate: () => {
      const m = validateCode(code.control.value);
      return m ? { code: m } : {};
    },
  });
  codeForm.append(h('div', { class: 'form-actions span-all' }, verify));

  const remove = button('Remove the number', { variant: 'ghost' });
  const removeAlert = h('div', { class: 'form-alert', role: 'alert' });

  phoneForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (phoneCtl.busy || !phoneCtl.check()) return;
    const number = normalizePhone(phone.control.value);
    phoneCtl.setBusy(true, 'Sending…');
    try {
      const sent = await app.api.setPhone(number);
      phoneCtl.setBusy(false);
      phone.control.value = sent.phone;
      phoneCtl.succeed(`We sent a code to ${sent.phone}. It works for ${Math.round(sent.expires_in / 60)} minutes.`);
      codeForm.hidden = false;
      code.control.value = '';
      code.control.focus();
    } catch (err) {
      phoneCtl.setBusy(false);
      if (err instanceof SessionExpiredError) return;
      phoneCtl.showProblem(err, { fields: { phone: 'phone' }, labels: { phone: 'The number' }, statusMessages: { 503: 'We could not send the text message just now. Please try again in a moment.' } });
    }
  });

  codeForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (codeCtl.busy || !codeCtl.check()) return;
    codeCtl.setBusy(true, 'Checking…');
    try {
      const updated = await app.api.verifyPhone(code.control.value.trim());
      codeCtl.setBusy(false);
      app.profile.set(updated);
      showState(updated);
      codeForm.hidden = true;
      phoneCtl.succeed('Your phone number is verified.');
    } catch (err) {
      codeCtl.setBusy(false);
      if (err instanceof SessionExpiredError) return;
      codeCtl.showProblem(err, { fields: { code: 'code' }, labels: { code: 'The code' } });
    }
  });

  remove.addEventListener('click', async () => {
    removeAlert.textContent = '';
    try {
      await app.api.removePhone();
      const updated = { ...current, phone: null, phone_verified: false, phone_pending: null };
      app.profile.set(updated);
      showState(updated);
      codeForm.hidden = true;
      phone.control.value = '';
      phoneCtl.succeed('Your phone number has been removed.');
    } catch (err) {
      if (!(err instanceof SessionExpiredError)) removeAlert.textContent = describeError(err);
    }
  });

  showState(p);
  c.body.append(state, phoneForm, codeForm, h('div', { class: 'form-actions' }, remove), removeAlert);
  return c.el;
}
