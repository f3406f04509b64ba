// Country pickers of the saved-traveller form: nationality and a document's issuing country
// chosen by name, their ISO alpha-2 codes sent.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from './api';
import { AccountApi, type Profile, type Traveller } from './accountApi';
import { ProfileStore, type App } from './app';
import { countryOptions, countrySelectOptions, ISO_COUNTRY_CODES } from './countries';
import { resolve, type RouteContext, type Router } from './router';
import { Session } from './session';
import { FakeAuthServer, ManualTimers, MemoryStorage } from './testServer';
import { travellerBody, validateTraveller } from './validators';
import { travellersView } from './views/travellers';

const PROFILE: Profile = {
  id: 'usr_1',
  email: 'ada@example.com',
  role: 'user',
  email_verified: true,
  name: 'Ada Lovelace',
  home_airport: null,
  currency: null,
  cabin: null,
  notifications: { email: true, webhook: false, in_app: true },
  created_at: 0,
};

function ctxFor(href: string): RouteContext {
  const r = resolve(href, true);
  if (r.kind !== 'render') throw new Error('unexpected redirect');
  return { route: r.route, url: r.url, flash: null, initial: false };
}

async function open(list: Traveller[]): Promise<{ app: App; view: ReturnType<typeof travellersView> }> {
  const server = new FakeAuthServer();
  const timers = new ManualTimers();
  const session = new Session({ fetchFn: server.fetch, storage: new MemoryStorage(), now: () => server.now, setTimer: timers.set, clearTimer: timers.clear });
  await session.signIn('ada@example.com', 'correct horse battery');
  const app: App = {
    session,
    api: new AccountApi(session, server.fetch),
    profile: new ProfileStore(async () => PROFILE),
    router: { navigate: vi.fn(), refresh: vi.fn(), route: null } as unknown as Router,
    announce: vi.fn(),
    toast: vi.fn(),
    today: () => '2026-11-23',
    download: vi.fn(),
  };
  vi.spyOn(app.api, 'listTravellers').mockResolvedValue(list);
  const view = travellersView(app, ctxFor('/account/travellers'));
  document.body.append(view.el);
  await vi.waitFor(() => expect(view.el.querySelector('#travellers .loading')).toBeNull());
  return { app, view };
}

function selectByLabel(root: ParentNode, label: string): HTMLSelectElement {
  const l = Array.from(root.querySelectorAll('label')).find((x) => x.textContent?.replace(/\s*\(optional\)/, '').trim() === label);
  if (!l) throw new Error(`no label ${label}`);
  const el = root.querySelector(`#${l.htmlFor}`);
  if (!(el instanceof HTMLSelectElement)) throw new Error(`${label} is not a <select>`);
  return el;
}

function choose(select: HTMLSelectElement, name: string): void {
  const o = Array.from(select.options).find((x) => x.text === name);
  if (!o) throw new Error(`no option ${name}`);
  select.value = o.value;
  select.dispatchEvent(new Event('change', { bubbles: true }));
}

function buttonNamed(root: ParentNode, name: string): HTMLButtonElement {
  const b = Array.from(root.querySelectorAll('button')).find((x) => (x.getAttribute('aria-label') ?? x.textContent?.trim()) === name);
  if (!b) throw new Error(`no button ${name}`);
  return b;
}

function submit(form: HTMLFormElement): void {
  form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
}

afterEach(() => {
  document.body.replaceChildren();
  vi.restoreAllMocks();
});

describe('countries', () => {
  it('names every ISO code and sorts them by name', () => {
    const list = countryOptions();
    expect(ISO_COUNTRY_CODES).toHaveLength(250);
    expect(new Set(ISO_COUNTRY_CODES).size).toBe(250);
    expect(list).toHaveLength(250);
    expect(list).toContainEqual({ code: 'CH', name: 'Switzerland' });
    expect(list).toContainEqual({ code: 'GB', name: 'United Kingdom' });
    expect(list.every((c) => /^[A-Z]{2}$/.test(c.code) && c.name !== c.code)).toBe(true);
    const names = list.map((c) => c.name);
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' })));
    expect(names[0]).toBe('Afghanistan');
  });

  it('names countries in another locale', () => {
    expect(countryOptions('de')).toContainEqual({ code: 'DE', name: 'Deutschland' });
  });

  it('keeps a saved code that is not in the list', () => {
    const opts = countrySelectOptions('Not specified', 'ZZ');
    expect(opts[0]).toEqual({ value: '', label: 'Not specified' });
    expect(opts[1]).toEqual({ value: 'ZZ', label: 'ZZ' });
    expect(countrySelectOptions('Not specified', 'CH').filter((o) => o.value === 'CH')).toHaveLength(1);
  });

  it('falls back to the codes without Intl.DisplayNames', () => {
    vi.spyOn(Intl, 'DisplayNames').mockImplementation(() => {
      throw new RangeError('no region data');
    });
    expect(countryOptions('fr-CA')).toContainEqual({ code: 'CH', name: 'CH' });
  });
});

describe('nationality in the traveller body', () => {
  const base = { given_name: 'Ada', family_name: 'Lovelace', birth_date: '1990-12-10', gender: '', has_document: false, doc_type: 'passport', doc_number: '', doc_country: '', doc_expiry: '' };

  it('is sent as a code when chosen, left out when not', () => {
    expect(travellerBody({ ...base, nationality: 'IE' }).nationality).toBe('IE');
    expect('nationality' in travellerBody({ ...base, nationality: '' })).toBe(false);
    expect(validateTraveller({ ...base, nationality: 'Ireland' }, '2026-11-23').nationality).toBe('Choose a country from the list.');
    expect(validateTraveller({ ...base, nationality: 'IE' }, '2026-11-23')).toEqual({});
  });
});

describe('traveller form country pickers', () => {
  it('picks nationality and issuing country by name and sends their codes', async () => {
    const { app, view } = await open([]);
    const created: Traveller = { id: 'trv_9', given_name: 'Grace', family_name: 'Hopper', birth_date: '1990-12-09', nationality: 'IE', document: { type: 'passport', number: 'P1234567', country: 'GB', expiry: '2031-05-01' } };
    const create = vi.spyOn(app.api, 'createTraveller').mockResolvedValue(created);
    buttonNamed(view.el, 'Add traveller').click();
    const nationality = selectByLabel(view.el, 'Nationality');
    const country = selectByLabel(view.el, 'Issuing country');
    expect(nationality.options[0]!.text).toBe('Not specified');
    expect(nationality.value).toBe('');
    expect(country.options[0]!.text).toBe('Choose a country');
    expect(country.options).toHaveLength(251);
    expect(Array.from(country.options).find((o) => o.value === 'CH')?.text).toBe('Switzerland');
    const f = view.el.querySelector<HTMLFormElement>('#traveller-form form')!;
    (f.querySelector('[name="given_name"]') as HTMLInputElement).value = 'Grace';
    (f.querySelector('[name="family_name"]') as HTMLInputElement).value = 'Hopper';
    (f.querySelector('[name="birth_date"]') as HTMLInputElement).value = '1990-12-09';
    choose(nationality, 'Ireland');
    const hasDoc = f.querySelector<HTMLInputElement>('input[name="has_document"]')!;
    hasDoc.checked = true;
    hasDoc.dispatchEvent(new Event('change', { bubbles: true }));
    (f.querySelector('[name="doc_number"]') as HTMLInputElement).value = 'P1234567';
    choose(country, 'United Kingdom');
    (f.querySelector('[name="doc_expiry"]') as HTMLInputElement).value = '2031-05-01';
    submit(f);
    await vi.waitFor(() => expect(view.el.querySelectorAll('.traveller')).toHaveLength(1));
    expect(create).toHaveBeenCalledWith(expect.objectContaining({ nationality: 'IE', document: { type: 'passport', number: 'P1234567', country: 'GB', expiry: '2031-05-01' } }));
    const card = view.el.querySelector('.traveller')!.textContent!;
    expect(card).toContain('Ireland');
    expect(card).toContain('United Kingdom');
  });

  it('asks for the issuing country when a document is saved without one', async () => {
    const { app, view } = await open([]);
    const create = vi.spyOn(app.api, 'createTraveller');
    buttonNamed(view.el, 'Add traveller').click();
    const f = view.el.querySelector<HTMLFormElement>('#traveller-form form')!;
    (f.querySelector('[name="given_name"]') as HTMLInputElement).value = 'Grace';
    (f.querySelector('[name="family_name"]') as HTMLInputElement).value = 'Hopper';
    (f.querySelector('[name="birth_date"]') as HTMLInputElement).value = '1990-12-09';
    const hasDoc = f.querySelector<HTMLInputElement>('input[name="has_document"]')!;
    hasDoc.checked = true;
    hasDoc.dispatchEvent(new Event('change', { bubbles: true }));
    (f.querySelector('[name="doc_number"]') as HTMLInputElement).value = 'P1234567';
    (f.querySelector('[name="doc_expiry"]') as HTMLInputElement).value = '2031-05-01';
    submit(f);
    expect(create).not.toHaveBeenCalled();
    const country = selectByLabel(view.el, 'Issuing country');
    expect(country.getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(country);
  });

  it('preselects the saved countries when editing, and clears a nationality', async () => {
    const saved: Traveller = { id: 'trv_1', given_name: 'Ada', family_name: 'Lovelace', birth_date: '1990-03-12', nationality: 'DE', document: { type: 'passport', number: 'C01X00T47', country: 'GB', expiry: '2031-05-01' } };
    const { app, view } = await open([saved]);
    expect(view.el.querySelector('.traveller')!.textContent).toContain('Germany');
    const update = vi.spyOn(app.api, 'updateTraveller').mockResolvedValue({ ...saved, nationality: null });
    buttonNamed(view.el, 'Edit Ada Lovelace').click();
    const nationality = selectByLabel(view.el, 'Nationality');
    expect(nationality.value).toBe('DE');
    expect(nationality.selectedOptions[0]!.text).toBe('Germany');
    expect(selectByLabel(view.el, 'Issuing country').value).toBe('GB');
    choose(nationality, 'Not specified');
    submit(view.el.querySelector<HTMLFormElement>('#traveller-form form')!);
    await vi.waitFor(() => expect(update).toHaveBeenCalled());
    const body = update.mock.calls[0]![1];
    expect('nationality' in body).toBe(false);
    expect(body.document?.country).toBe('GB');
  });

  it('puts a server error on nationality onto its picker', async () => {
    const { app, view } = await open([]);
    vi.spyOn(app.api, 'createTraveller').mockRejectedValue(new ApiError(400, { status: 400, errors: [{ field: 'nationality', message: 'must be an ISO 3166-1 alpha-2 code' }] }));
    buttonNamed(view.el, 'Add traveller').click();
    const f = view.el.querySelector<HTMLFormElement>('#traveller-form form')!;
    (f.querySelector('[name="given_name"]') as HTMLInputElement).value = 'Grace';
    (f.querySelector('[name="family_name"]') as HTMLInputElement).value = 'Hopper';
    (f.querySelector('[name="birth_date"]') as HTMLInputElement).value = '1990-12-09';
    choose(selectByLabel(view.el, 'Nationality'), 'Ireland');
    submit(f);
    const nationality = selectByLabel(view.el, 'Nationality');
    await vi.waitFor(() => expect(nationality.getAttribute('aria-invalid')).toBe('true'));
    expect(document.activeElement).toBe(nationality);
  });
});
