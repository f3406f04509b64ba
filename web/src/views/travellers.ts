/**
 * /account/travellers: list, add, edit and delete saved travellers. Nationality and a
 * document's issuing country are picked from the countries by name (src/countries.ts); the
 * form sends their ISO alpha-2 codes.
 */

import { ApiError } from '../api';
import type { Traveller } from '../accountApi';
import type { App, View } from '../app';
import { initials } from '../app';
import { h, icon, ICONS, nextId } from '../dom';
import { button, field, FormController } from '../forms';
import { describeError } from '../problems';
import type { RouteContext } from '../router';
import { SessionExpiredError } from '../session';
import { countryOptions, fillCountrySelect } from '../countries';
import {
  normalizeTraveller,
  TRAVELLER_FIELDS,
  TRAVELLER_SERVER_FIELDS,
  travellerBody,
  validateTraveller,
  type TravellerField,
  type TravellerInput,
} from '../validators';
import { accountPage, card, loading, notice } from './shell';
import { formatDate as formatIsoDate } from '../dates';

export const GENDER_OPTIONS = [
  { value: '', label: 'Not specified' },
  { value: 'F', label: 'Female (F)' },
  { value: 'M', label: 'Male (M)' },
  { value: 'X', label: 'Unspecified (X)' },
] as const;

export const DOCUMENT_OPTIONS = [
  { value: 'passport', label: 'Passport' },
  { value: 'id_card', label: 'National ID card' },
] as const;

export const TRAVELLER_LABELS: Record<TravellerField, string> = {
  given_name: 'Given names',
  family_name: 'Family name',
  birth_date: 'Date of birth',
  gender: 'Gender',
  nationality: 'Nationality',
  doc_type: 'Document type',
  doc_number: 'Document number',
  doc_country: 'Issuing country',
  doc_expiry: 'Expiry date',
};

/** "Switzerland" for "CH"; the code itself when it has no name. */
export function countryLabel(code: string): string {
  return countryOptions().find((c) => c.code === code)?.name ?? code;
}

export function fullName(t: Pick<Traveller, 'given_name' | 'family_name'>): string {
  return `${t.given_name} ${t.family_name}`.trim();
}

/** "12 Mar 1990" from "1990-03-12", in the user's locale, without time-zone shifts. */
export function formatDate(iso: string, locale?: string): string {
  return formatIsoDate(iso, locale);
}

/** Last characters of a document number; the rest is masked on screen. */
export function maskNumber(n: string): string {
  return n.length <= 4 ? n : `•••• ${n.slice(-4)}`;
}

function toInput(t: Traveller | null): TravellerInput {
  return {
    given_name: t?.given_name ?? '',
    family_name: t?.family_name ?? '',
    birth_date: t?.birth_date ?? '',
    gender: t?.gender ?? '',
    nationality: t?.nationality ?? '',
    has_document: !!t?.document,
    doc_type: t?.document?.type ?? 'passport',
    doc_number: t?.document?.number ?? '',
    doc_country: t?.document?.country ?? '',
    doc_expiry: t?.document?.expiry ?? '',
  };
}

export function travellersView(app: App, ctx: RouteContext): View {
  const page = accountPage('travellers', 'Saved travellers', 'Save the people you travel with to book faster. Names must match their travel documents.');
  if (ctx.flash) page.main.append(notice(ctx.flash, 'success', 'page-flash'));

  let travellers: Traveller[] = [];
  const status = h('p', { class: 'form-status page-status', role: 'status', 'aria-live': 'polite' });
  const listAlert = h('div', { class: 'form-alert', role: 'alert' });
  const listCard = card('Travellers', { id: 'travellers' });
  const list = h('ul', { class: 'traveller-list', 'aria-labelledby': listCard.heading.id });
  const addButton = button('Add traveller', { iconPath: ICONS.plus, attrs: { 'aria-expanded': 'false' } });
  listCard.el.querySelector('.card-head')!.append(addButton);
  listCard.el.querySelector('.card-head')!.classList.add('card-head-row');
  listCard.body.append(listAlert, loading('Loading travellers…'));

  /* ---- the add / edit form ---- */
  const formCard = card('Add a traveller', { id: 'traveller-form' });
  formCard.el.hidden = true;
  addButton.setAttribute('aria-controls', formCard.el.id);
  const f: Record<TravellerField, ReturnType<typeof field>> = {
    given_name: field({ label: TRAVELLER_LABELS.given_name, name: 'given_name', autocomplete: 'off', required: true, hint: 'As in the passport, including middle names.', attrs: { maxlength: '64' } }),
    family_name: field({ label: TRAVELLER_LABELS.family_name, name: 'family_name', autocomplete: 'off', required: true, attrs: { maxlength: '64' } }),
    birth_date: field({ label: TRAVELLER_LABELS.birth_date, name: 'birth_date', type: 'date', required: true, attrs: { min: '1900-01-01' } }),
    gender: field({ label: TRAVELLER_LABELS.gender, name: 'gender', type: 'select', options: GENDER_OPTIONS, optional: true }),
    doc_type: field({ label: TRAVELLER_LABELS.doc_type, name: 'doc_type', type: 'select', options: DOCUMENT_OPTIONS }),
    doc_number: field({ label: TRAVELLER_LABELS.doc_number, name: 'doc_number', autocomplete: 'off', hint: '5 to 20 letters and digits.', attrs: { maxlength: '24', autocapitalize: 'characters', spellcheck: 'false' } }),
    nationality: field({ label: TRAVELLER_LABELS.nationality, name: 'nationality', type: 'select', optional: true, options: [], hint: 'The country of citizenship, as in the passport.' }),
    doc_country: field({ label: TRAVELLER_LABELS.doc_country, name: 'doc_country', type: 'select', options: [], hint: 'The country that issued the document (type to jump to it).' }),
    doc_expiry: field({ label: TRAVELLER_LABELS.doc_expiry, name: 'doc_expiry', type: 'date' }),
  };
  const hasDocId = nextId('has-doc');
  const hasDoc = h('input', { type: 'checkbox', id: hasDocId, name: 'has_document', class: 'check-input' });
  const docFields = h('div', { class: 'doc-fields', id: `${hasDocId}-fields` }, f.doc_type.wrap, f.doc_number.wrap, f.doc_country.wrap, f.doc_expiry.wrap);
  hasDoc.setAttribute('aria-controls', docFields.id);
  const docFieldset = h(
    'fieldset',
    { class: 'fieldset doc-fieldset span-all' },
    h('legend', { class: 'field-label legend' }, 'Travel document'),
    h('div', { class: 'check-row' }, hasDoc, h('label', { for: hasDocId }, 'Save a passport or ID card for this traveller')),
    docFields,
  );
  const submit = button('Save traveller', { type: 'submit' });
  const cancel = button('Cancel', { variant: 'ghost' });
  const form = h('form', { class: 'grid-form', 'aria-labelledby': formCard.heading.id }, f.given_name.wrap, f.family_name.wrap, f.birth_date.wrap, f.gender.wrap, f.nationality.wrap, docFieldset);

  const read = (): TravellerInput =>
    normalizeTraveller({
      given_name: f.given_name.control.value,
      family_name: f.family_name.control.value,
      birth_date: f.birth_date.control.value,
      gender: f.gender.control.value,
      nationality: f.nationality.control.value,
      has_document: hasDoc.checked,
      doc_type: f.doc_type.control.value,
      doc_number: f.doc_number.control.value,
      doc_country: f.doc_country.control.value,
      doc_expiry: f.doc_expiry.control.value,
    });
  const ctl = new FormController<TravellerField>({ form, fields: f, order: TRAVELLER_FIELDS, submit, validate: () => validateTraveller(read(), app.today()) });
  form.append(h('div', { class: 'form-actions span-all' }, submit, cancel));
  ctl.alert.classList.add('span-all');
  ctl.status.remove(); // success is announced in the page status
  formCard.body.append(form);

  const syncDoc = () => {
    docFields.hidden = !hasDoc.checked;
    for (const k of ['doc_type', 'doc_number', 'doc_country', 'doc_expiry'] as const) {
      f[k].control.disabled = !hasDoc.checked;
      if (k !== 'doc_type') f[k].control.setAttribute('aria-required', String(hasDoc.checked));
    }
  };
  hasDoc.addEventListener('change', syncDoc);

  let editing: Traveller | null = null;
  let returnFocus: HTMLElement | null = null;

  const openForm = (t: Traveller | null, from: HTMLElement) => {
    editing = t;
    returnFocus = from;
    const v = toInput(t);
    f.given_name.control.value = v.given_name;
    f.family_name.control.value = v.family_name;
    f.birth_date.control.value = v.birth_date;
    f.gender.control.value = v.gender;
    fillCountrySelect(f.nationality.control as HTMLSelectElement, 'Not specified', v.nationality ?? '');
    hasDoc.checked = v.has_document;
    f.doc_type.control.value = v.doc_type;
    f.doc_number.control.value = v.doc_number;
    fillCountrySelect(f.doc_country.control as HTMLSelectElement, 'Choose a country', v.doc_country);
    f.doc_expiry.control.value = v.doc_expiry;
    const today = app.today();
    f.birth_date.control.setAttribute('max', today);
    f.doc_expiry.control.setAttribute('min', today);
    syncDoc();
    ctl.clear();
    formCard.heading.textContent = t ? `Edit ${fullName(t)}` : 'Add a traveller';
    submit.querySelector('.btn-text')!.textContent = t ? 'Save changes' : 'Save traveller';
    formCard.el.hidden = false;
    addButton.setAttribute('aria-expanded', String(!t));
    formCard.el.scrollIntoView?.({ block: 'nearest' });
    f.given_name.control.focus();
  };

  const closeForm = (focusTo?: HTMLElement | null) => {
    formCard.el.hidden = true;
    addButton.setAttribute('aria-expanded', 'false');
    editing = null;
    ctl.clear();
    (focusTo ?? returnFocus ?? addButton).focus();
  };

  addButton.addEventListener('click', () => {
    if (!formCard.el.hidden && !editing) closeForm(addButton);
    else openForm(null, addButton);
  });
  cancel.addEventListener('click', () => closeForm());
  form.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      closeForm();
    }
  });

  const announce = (text: string) => {
    status.textContent = text;
    status.classList.toggle('is-visible', text !== '');
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (ctl.busy || !ctl.check()) return;
    const input = read();
    const body = travellerBody(input);
    const target = editing;
    ctl.setBusy(true, 'Saving…');
    try {
      const saved = target ? await app.api.updateTraveller(target.id, body) : await app.api.createTraveller(body);
      ctl.setBusy(false);
      travellers = target ? travellers.map((t) => (t.id === target.id ? saved : t)) : [...travellers, saved];
      renderList();
      closeForm(itemFor(saved.id));
      announce(target ? `Changes to ${fullName(saved)} saved.` : `${fullName(saved)} was added to your travellers.`);
    } catch (err) {
      ctl.setBusy(false);
      if (err instanceof SessionExpiredError) return;
      if (err instanceof ApiError && err.status === 404) {
        ctl.show({}, 'This traveller no longer exists. It may have been deleted elsewhere.', { focus: false });
        void reload();
        return;
      }
      ctl.showProblem(err, { fields: TRAVELLER_SERVER_FIELDS, labels: TRAVELLER_LABELS });
    }
  });

  /* ---- the list ---- */
  const itemFor = (id: string): HTMLElement | null => {
    const li = Array.from(list.children).find((el) => (el as HTMLElement).dataset.id === id);
    return li?.querySelector<HTMLElement>('.traveller-name') ?? null;
  };

  function details(t: Traveller): HTMLElement {
    const dl = h('dl', { class: 'traveller-facts' }, h('div', {}, h('dt', {}, 'Born'), h('dd', {}, formatDate(t.birth_date))));
    if (t.gender) dl.append(h('div', {}, h('dt', {}, 'Gender'), h('dd', {}, t.gender)));
    if (t.nationality) dl.append(h('div', {}, h('dt', {}, 'Nationality'), h('dd', {}, countryLabel(t.nationality))));
    if (t.document) {
      const kind = t.document.type === 'id_card' ? 'ID card' : 'Passport';
      dl.append(
        h('div', {}, h('dt', {}, kind), h('dd', {}, h('span', { class: 'mono', 'aria-label': `ending in ${t.document.number.slice(-4).split('').join(' ')}` }, maskNumber(t.document.number)), ` · ${countryLabel(t.document.country)}`)),
        h('div', {}, h('dt', {}, 'Expires'), h('dd', {}, formatDate(t.document.expiry))),
      );
    }
    return dl;
  }

  function renderItem(t: Traveller): HTMLElement {
    const name = fullName(t);
    const nameEl = h('h3', { class: 'traveller-name', tabindex: '-1' }, name);
    const edit = button('Edit', { variant: 'secondary', iconPath: ICONS.edit, attrs: { 'aria-label': `Edit ${name}` } });
    const del = button('Delete', { variant: 'ghost', iconPath: ICONS.trash, attrs: { 'aria-label': `Delete ${name}` } });
    del.classList.add('btn-danger-ghost');
    const actions = h('div', { class: 'traveller-actions' }, edit, del);
    const li = h('li', { class: 'traveller', 'data-id': t.id }, h('span', { class: 'avatar avatar-lg', 'aria-hidden': 'true' }, initials(name)), h('div', { class: 'traveller-main' }, nameEl, details(t)), actions);
    edit.addEventListener('click', () => openForm(t, edit));
    del.addEventListener('click', () => confirmDelete(t, li, actions, del));
    return li;
  }

  function confirmDelete(t: Traveller, li: HTMLElement, actions: HTMLElement, del: HTMLButtonElement): void {
    const name = fullName(t);
    const yes = button(`Delete`, { variant: 'danger', attrs: { 'aria-label': `Yes, delete ${name}` } });
    const no = button('Keep', { variant: 'ghost', attrs: { 'aria-label': `No, keep ${name}` } });
    const question = h('p', { class: 'confirm-text', id: nextId('confirm') }, `Delete ${name}? This cannot be undone.`);
    const box = h('div', { class: 'confirm-box', role: 'group', 'aria-labelledby': question.id }, question, h('div', { class: 'confirm-actions' }, yes, no));
    actions.hidden = true;
    li.append(box);
    li.classList.add('is-confirming');
    yes.focus();
    const cancelConfirm = () => {
      box.remove();
      li.classList.remove('is-confirming');
      actions.hidden = false;
      del.focus();
    };
    no.addEventListener('click', cancelConfirm);
    box.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        cancelConfirm();
      }
    });
    yes.addEventListener('click', async () => {
      if (yes.getAttribute('aria-disabled') === 'true') return;
      yes.setAttribute('aria-disabled', 'true');
      yes.classList.add('is-busy');
      try {
        await app.api.deleteTraveller(t.id);
      } catch (err) {
        if (err instanceof SessionExpiredError) return;
        if (!(err instanceof ApiError && err.status === 404)) {
          yes.removeAttribute('aria-disabled');
          yes.classList.remove('is-busy');
          listAlert.textContent = `Could not delete ${name}. ${describeError(err)}`;
          return;
        }
      }
      if (editing?.id === t.id) closeForm(addButton);
      travellers = travellers.filter((x) => x.id !== t.id);
      renderList();
      listAlert.textContent = '';
      announce(`${name} was deleted.`);
      addButton.focus();
    });
  }

  function renderList(): void {
    listCard.body.replaceChildren(listAlert);
    if (travellers.length === 0) {
      listCard.body.append(
        h(
          'div',
          { class: 'empty' },
          icon(ICONS.passport, 36, 'icon empty-icon'),
          h('p', { class: 'empty-title' }, 'No saved travellers yet'),
          h('p', { class: 'empty-text' }, 'Add yourself and the people you travel with, and their details will be ready when you book.'),
        ),
      );
      return;
    }
    list.replaceChildren(...travellers.map(renderItem));
    listCard.body.append(list);
  }

  async function reload(): Promise<void> {
    try {
      travellers = await app.api.listTravellers();
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
