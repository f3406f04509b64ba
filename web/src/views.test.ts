import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from './api';
import { AccountApi, type Profile, type Traveller } from './accountApi';
import { ProfileStore, type App } from './app';
import { field, FormController } from './forms';
import { mountNav } from './nav';
import { resolve, type RouteContext, type Router } from './router';
import { Session } from './session';
import { FakeAuthServer, ManualTimers, MemoryStorage } from './testServer';
import { flush, press } from './testUtils';
import { resetPasswordView, signInView, signUpView, verifyEmailView } from './views/auth';
import { travellersView } from './views/travellers';

const PROFILE: Profile = {
  id: 'usr_1',
  email: 'ada@example.com',
  role: 'user',
  email_verified: false,
  name: 'Ada Lovelace',
  home_airport: null,
  currency: null,
  cabin: null,
  notifications: { email: true, webhook: false, in_app: true },
  created_at: 0,
};

function ctxFor(href: string, signedIn = true): RouteContext {
  const r = resolve(href, signedIn);
  if (r.kind !== 'render') throw new Error('unexpected redirect');
  return { route: r.route, url: r.url, flash: null, initial: false };
}

async function makeApp(signedIn = true): Promise<{ app: App; server: FakeAuthServer; navigate: ReturnType<typeof vi.fn> }> {
  const server = new FakeAuthServer();
  const timers = new ManualTimers();
  const session = new Session({ fetchFn: server.fetch, storage: new MemoryStorage(), now: () => server.now, setTimer: timers.set, clearTimer: timers.clear });
  if (signedIn) await session.signIn('ada@example.com', 'correct horse battery');
  const api = new AccountApi(session, server.fetch);
  const navigate = vi.fn();
  const app: App = {
    session,
    api,
    profile: new ProfileStore(async () => PROFILE),
    router: { navigate, refresh: vi.fn(), route: null } as unknown as Router,
    announce: vi.fn(),
    toast: vi.fn(),
    today: () => '2026-11-23',
    download: vi.fn(),
  };
  return { app, server, navigate };
}

function submit(form: HTMLFormElement): void {
  form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
}

function inputByLabel(root: ParentNode, label: string): HTMLInputElement | HTMLSelectElement {
  const l = Array.from(root.querySelectorAll('label')).find((x) => x.textContent?.replace(/\s*\(optional\)/, '').trim() === label);
  if (!l) throw new Error(`no label ${label}`);
  const el = root.querySelector<HTMLInputElement>(`#${l.htmlFor}`);
  if (!el) throw new Error(`label ${label} points nowhere`);
  return el;
}

function describedText(el: Element): string {
  return (el.getAttribute('aria-describedby') ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map((id) => document.getElementById(id)?.textContent ?? '')
    .join(' | ');
}

afterEach(() => {
  document.body.replaceChildren();
  vi.restoreAllMocks();
});

describe('FormController', () => {
  let form: HTMLFormElement;
  let a: ReturnType<typeof field>;
  let b: ReturnType<typeof field>;
  let ctl: FormController<'a' | 'b'>;

  beforeEach(() => {
    form = document.createElement('form');
    a = field({ label: 'First', name: 'a', hint: 'A hint' });
    b = field({ label: 'Second', name: 'b' });
    form.append(a.wrap, b.wrap);
    document.body.append(form);
    ctl = new FormController({
      form,
      fields: { a, b },
      order: ['a', 'b'],
      validate: () => ({ ...(a.control.value ? {} : { a: 'Enter A.' }), ...(b.control.value ? {} : { b: 'Enter B.' }) }),
    });
  });

  it('labels every control', () => {
    expect(a.control.labels?.[0]?.textContent).toBe('First');
    expect(b.control.labels?.[0]?.textContent).toBe('Second');
  });

  it('marks invalid fields, describes them with the error and focuses the first', () => {
    expect(ctl.check()).toBe(false);
    for (const f of [a, b]) {
      expect(f.control.getAttribute('aria-invalid')).toBe('true');
      expect(f.error.hidden).toBe(false);
      expect((f.control.getAttribute('aria-describedby') ?? '').split(' ')).toContain(f.error.id);
    }
    expect(describedText(a.control)).toBe('A hint | Enter A.');
    expect(document.activeElement).toBe(a.control);
    expect(ctl.alert.getAttribute('role')).toBe('alert');
    expect(ctl.alert.textContent).toMatch(/2 highlighted fields/);
  });

  it('re-validates shown errors while the user fixes them, then clears aria', () => {
    ctl.check();
    a.control.value = 'x';
    a.control.dispatchEvent(new Event('input', { bubbles: true }));
    expect(a.control.hasAttribute('aria-invalid')).toBe(false);
    expect(a.control.getAttribute('aria-describedby')).toBe(`${a.control.id.replace(/$/, '')}-hint`);
    expect(b.control.getAttribute('aria-invalid')).toBe('true');
    b.control.value = 'y';
    b.control.dispatchEvent(new Event('input', { bubbles: true }));
    expect(b.control.hasAttribute('aria-describedby')).toBe(false);
    expect(ctl.alert.textContent).toBe('');
  });

  it('announces success in a polite status region', () => {
    ctl.succeed('Saved.');
    expect(ctl.status.getAttribute('role')).toBe('status');
    expect(ctl.status.getAttribute('aria-live')).toBe('polite');
    expect(ctl.status.textContent).toBe('Saved.');
  });

  it('keeps a busy submit button focusable (aria-disabled, not disabled)', () => {
    const btn = document.createElement('button');
    btn.innerHTML = '<span class="btn-text">Save</span>';
    form.append(btn);
    const c = new FormController<'a'>({ form, fields: { a }, order: ['a'], submit: btn });
    c.setBusy(true, 'Saving…');
    expect(btn.disabled).toBe(false);
    expect(btn.getAttribute('aria-disabled')).toBe('true');
    expect(btn.textContent).toBe('Saving…');
    c.setBusy(false);
    expect(btn.textContent).toBe('Save');
    expect(btn.hasAttribute('aria-disabled')).toBe(false);
  });
});

describe('sign-in page', () => {
  it('validates before calling the server, then signs in and follows next', async () => {
    const { app, server, navigate } = await makeApp(false);
    const view = signInView(app, ctxFor('/sign-in?next=%2Faccount%2Ftravellers', false));
    document.body.append(view.el);
    const form = view.el.querySelector('form')!;
    submit(form);
    expect(server.calls).toHaveLength(0);
    const email = inputByLabel(view.el, 'E-mail address');
    expect(document.activeElement).toBe(email);
    expect(describedText(email)).toMatch(/Enter your e-mail/);

    email.value = 'ada@example.com';
    inputByLabel(view.el, 'Password').value = 'correct horse battery';
    submit(form);
    await vi.waitFor(() => expect(navigate).toHaveBeenCalled());
    expect(navigate.mock.calls[0]![0]).toBe('/account/travellers');
    expect(app.session.signedIn).toBe(true);
  });

  it('shows the wrong-password error, clears and focuses the password', async () => {
    const { app } = await makeApp(false);
    const view = signInView(app, ctxFor('/sign-in', false));
    document.body.append(view.el);
    inputByLabel(view.el, 'E-mail address').value = 'ada@example.com';
    const pw = inputByLabel(view.el, 'Password');
    pw.value = 'not the password';
    submit(view.el.querySelector('form')!);
    const alert = view.el.querySelector('[role="alert"]')!;
    await vi.waitFor(() => expect(alert.textContent).toMatch(/not correct/));
    expect(pw.value).toBe('');
    expect(document.activeElement).toBe(pw);
  });
});

describe('sign-up page', () => {
  it('sends a registered address to sign-in with a check-your-e-mail note (the server never says it exists)', async () => {
    const { app, navigate } = await makeApp(false);
    vi.spyOn(app.api, 'register').mockResolvedValue(undefined);
    vi.spyOn(app.session, 'signIn').mockRejectedValue(new ApiError(401, { status: 401, detail: 'e-mail or password is not correct' }));
    const view = signUpView(app, ctxFor('/sign-up', false));
    document.body.append(view.el);
    inputByLabel(view.el, 'E-mail address').value = 'ada@example.com';
    inputByLabel(view.el, 'Password').value = 'a long enough password';
    submit(view.el.querySelector('form')!);
    await vi.waitFor(() => expect(navigate).toHaveBeenCalled());
    expect(navigate.mock.calls[0]![0]).toMatch(/^\/sign-in/);
    expect(navigate.mock.calls[0]![1]).toEqual(expect.objectContaining({ flash: expect.stringMatching(/Check your e-mail at ada@example\.com/) }));
  });

  it('puts a server 400 on the password field', async () => {
    const { app } = await makeApp(false);
    vi.spyOn(app.api, 'register').mockRejectedValue(
      new ApiError(400, { status: 400, errors: [{ field: 'password', message: 'must not be the e-mail address' }] }),
    );
    const view = signUpView(app, ctxFor('/sign-up', false));
    document.body.append(view.el);
    inputByLabel(view.el, 'E-mail address').value = 'ada@example.com';
    const pw = inputByLabel(view.el, 'Password');
    pw.value = 'a long enough password';
    submit(view.el.querySelector('form')!);
    await vi.waitFor(() => expect(pw.getAttribute('aria-invalid')).toBe('true'));
    expect(describedText(pw)).toMatch(/Password must not be the e-mail address\./);
  });
});

describe('travellers page', () => {
  const saved: Traveller = { id: 'trv_1', given_name: 'Ada', family_name: 'Lovelace', birth_date: '1990-03-12', gender: 'F', document: null };

  async function open(): Promise<{ app: App; view: ReturnType<typeof travellersView> }> {
    const { app } = await makeApp();
    vi.spyOn(app.api, 'listTravellers').mockResolvedValue([saved]);
    const view = travellersView(app, ctxFor('/account/travellers'));
    document.body.append(view.el);
    await vi.waitFor(() => expect(view.el.querySelector('.traveller-list')).not.toBeNull());
    return { app, view };
  }

  function button(root: ParentNode, name: string): HTMLButtonElement {
    const b = Array.from(root.querySelectorAll('button')).find((x) => (x.getAttribute('aria-label') ?? x.textContent?.trim()) === name);
    if (!b) throw new Error(`no button ${name}`);
    return b;
  }

  it('lists travellers with accessible Edit/Delete buttons', async () => {
    const { view } = await open();
    expect(view.el.querySelector('.traveller-name')?.textContent).toBe('Ada Lovelace');
    expect(button(view.el, 'Edit Ada Lovelace')).toBeTruthy();
    expect(button(view.el, 'Delete Ada Lovelace')).toBeTruthy();
  });

  it('shows client errors on the right fields without calling the server', async () => {
    const { app, view } = await open();
    const create = vi.spyOn(app.api, 'createTraveller');
    button(view.el, 'Add traveller').click();
    const given = inputByLabel(view.el, 'Given names');
    expect(document.activeElement).toBe(given);
    given.value = 'R2-D2';
    inputByLabel(view.el, 'Family name').value = 'Droid';
    inputByLabel(view.el, 'Date of birth').value = '2030-01-01';
    submit(view.el.querySelector('#traveller-form form')!);
    expect(create).not.toHaveBeenCalled();
    expect(given.getAttribute('aria-invalid')).toBe('true');
    expect(describedText(given)).toMatch(/only contain letters/);
    expect(describedText(inputByLabel(view.el, 'Date of birth'))).toMatch(/future/);
    expect(document.activeElement).toBe(given);
  });

  it('maps a server error on document.number onto the document number field', async () => {
    const { app, view } = await open();
    vi.spyOn(app.api, 'createTraveller').mockRejectedValue(
      new ApiError(400, { status: 400, errors: [{ field: 'document.number', message: 'must be 5-20 capital letters and digits' }] }),
    );
    button(view.el, 'Add traveller').click();
    inputByLabel(view.el, 'Given names').value = 'Grace';
    inputByLabel(view.el, 'Family name').value = 'Hopper';
    inputByLabel(view.el, 'Date of birth').value = '1906-12-09';
    const hasDoc = view.el.querySelector<HTMLInputElement>('input[name="has_document"]')!;
    hasDoc.checked = true;
    hasDoc.dispatchEvent(new Event('change', { bubbles: true }));
    inputByLabel(view.el, 'Document number').value = 'AB12345';
    inputByLabel(view.el, 'Issuing country').value = 'US';
    inputByLabel(view.el, 'Expiry date').value = '2031-05-01';
    submit(view.el.querySelector('#traveller-form form')!);
    const num = inputByLabel(view.el, 'Document number');
    await vi.waitFor(() => expect(num.getAttribute('aria-invalid')).toBe('true'));
    expect(describedText(num)).toMatch(/Document number must be 5-20 capital letters and digits\./);
    expect(document.activeElement).toBe(num);
    expect(app.api.createTraveller).toHaveBeenCalledWith(expect.objectContaining({ document: { type: 'passport', number: 'AB12345', country: 'US', expiry: '2031-05-01' } }));
  });

  it('adds, announces and focuses the new traveller', async () => {
    const { app, view } = await open();
    const grace: Traveller = { id: 'trv_2', given_name: 'Grace', family_name: 'Hopper', birth_date: '1906-12-09', document: null };
    vi.spyOn(app.api, 'createTraveller').mockResolvedValue(grace);
    button(view.el, 'Add traveller').click();
    inputByLabel(view.el, 'Given names').value = 'Grace';
    inputByLabel(view.el, 'Family name').value = 'Hopper';
    inputByLabel(view.el, 'Date of birth').value = '1906-12-09';
    submit(view.el.querySelector('#traveller-form form')!);
    await vi.waitFor(() => expect(view.el.querySelectorAll('.traveller')).toHaveLength(2));
    expect(view.el.querySelector('.page-status')?.textContent).toMatch(/Grace Hopper was added/);
    expect(document.activeElement?.textContent).toBe('Grace Hopper');
    expect((view.el.querySelector('#traveller-form') as HTMLElement).hidden).toBe(true);
  });

  it('deletes after an inline confirmation; Escape cancels it', async () => {
    const { app, view } = await open();
    const del = vi.spyOn(app.api, 'deleteTraveller').mockResolvedValue();
    button(view.el, 'Delete Ada Lovelace').click();
    const yes = button(view.el, 'Yes, delete Ada Lovelace');
    expect(document.activeElement).toBe(yes);
    press(yes, 'Escape');
    expect(view.el.querySelector('.confirm-box')).toBeNull();
    expect(document.activeElement).toBe(button(view.el, 'Delete Ada Lovelace'));
    button(view.el, 'Delete Ada Lovelace').click();
    button(view.el, 'Yes, delete Ada Lovelace').click();
    await vi.waitFor(() => expect(view.el.querySelector('.empty')).not.toBeNull());
    expect(del).toHaveBeenCalledWith('trv_1');
    expect(view.el.querySelector('.page-status')?.textContent).toMatch(/Ada Lovelace was deleted/);
  });
});

describe('header navigation', () => {
  it('shows "Sign in" when signed out and a menu with the name when signed in', async () => {
    const { app } = await makeApp(false);
    const ul = document.createElement('ul');
    document.body.append(ul);
    const nav = mountNav(ul, app, () => 'home');
    expect(ul.querySelector('a#sign-in-link')?.getAttribute('href')).toBe('/sign-in');
    expect(ul.querySelector('.user-button')).toBeNull();

    await app.session.signIn('ada@example.com', 'correct horse battery');
    app.profile.set(PROFILE);
    const btn = ul.querySelector<HTMLButtonElement>('.user-button')!;
    expect(btn.textContent).toContain('Ada Lovelace');
    expect(btn.getAttribute('aria-expanded')).toBe('false');
    const menu = document.getElementById(btn.getAttribute('aria-controls')!)!;
    expect(menu.hidden).toBe(true);
    expect(Array.from(menu.querySelectorAll('a, button')).map((x) => x.textContent?.trim())).toEqual(['Account', 'My trips', 'Price alerts', 'Travellers', 'Security', 'Notifications', 'Sign out']);

    btn.focus();
    press(btn, 'ArrowDown');
    expect(btn.getAttribute('aria-expanded')).toBe('true');
    expect(document.activeElement?.textContent?.trim()).toBe('Account');
    press(document.activeElement as HTMLElement, 'ArrowDown');
    expect(document.activeElement?.textContent?.trim()).toBe('My trips');
    press(document.activeElement as HTMLElement, 'End');
    expect(document.activeElement?.textContent?.trim()).toBe('Sign out');
    press(document.activeElement as HTMLElement, 'Escape');
    expect(menu.hidden).toBe(true);
    expect(document.activeElement).toBe(btn);
    nav.destroy();
  });

  it('Sign out revokes the session and goes home', async () => {
    const { app, server, navigate } = await makeApp(true);
    const ul = document.createElement('ul');
    document.body.append(ul);
    mountNav(ul, app, () => 'account');
    ul.querySelector<HTMLButtonElement>('.user-button')!.click();
    const out = Array.from(ul.querySelectorAll('button')).find((b) => b.textContent?.trim() === 'Sign out')!;
    out.click();
    await flush();
    await vi.waitFor(() => expect(navigate).toHaveBeenCalledWith('/', expect.objectContaining({ flash: expect.stringMatching(/signed out/) })));
    expect(server.count('/api/v1/sessions/revoke')).toBe(1);
    expect(app.session.signedIn).toBe(false);
    expect(ul.querySelector('#sign-in-link')).not.toBeNull();
  });
});

describe('verify-email page', () => {
  it('posts the token once, hides it from the address bar and shows success', async () => {
    const { app } = await makeApp(false);
    const verify = vi.spyOn(app.api, 'verifyEmail').mockResolvedValue();
    window.history.replaceState(null, '', '/verify-email?token=tok-123');
    const view = verifyEmailView(app, ctxFor('/verify-email?token=tok-123', false));
    document.body.append(view.el);
    expect(window.location.search).toBe('');
    const status = view.el.querySelector('[role="status"]')!;
    await vi.waitFor(() => expect(status.textContent).toMatch(/is confirmed/));
    expect(verify).toHaveBeenCalledTimes(1);
    expect(verify).toHaveBeenCalledWith('tok-123');
    // Rendering the same link again (e.g. a re-render) does not spend a request.
    const again = verifyEmailView(app, ctxFor('/verify-email?token=tok-123', false));
    await vi.waitFor(() => expect(again.el.querySelector('[role="status"]')!.textContent).toMatch(/invalid|used/));
    expect(verify).toHaveBeenCalledTimes(1);
  });

  it('explains an invalid or used link', async () => {
    const { app } = await makeApp(false);
    vi.spyOn(app.api, 'verifyEmail').mockRejectedValue(new ApiError(400, { status: 400, errors: [{ field: 'token', message: 'is invalid, used or expired' }] }));
    const view = verifyEmailView(app, ctxFor('/verify-email?token=old', false));
    await vi.waitFor(() => expect(view.el.querySelector('[role="status"]')!.textContent).toMatch(/already been used or has expired/));
  });

  it('says so when the link has no token, without calling the server', async () => {
    const { app } = await makeApp(false);
    const verify = vi.spyOn(app.api, 'verifyEmail');
    const view = verifyEmailView(app, ctxFor('/verify-email', false));
    expect(view.el.textContent).toMatch(/incomplete/);
    expect(verify).not.toHaveBeenCalled();
  });
});

describe('reset-password pages', () => {
  it('requests a link without revealing whether the account exists', async () => {
    const { app } = await makeApp(false);
    const req = vi.spyOn(app.api, 'requestPasswordReset').mockResolvedValue();
    const view = resetPasswordView(app, ctxFor('/reset-password', false));
    document.body.append(view.el);
    inputByLabel(view.el, 'E-mail address').value = 'nobody@example.com';
    submit(view.el.querySelector('form')!);
    const status = view.el.querySelector('.form-status')!;
    await vi.waitFor(() => expect(status.textContent).toMatch(/If an account exists for nobody@example\.com/));
    expect(req).toHaveBeenCalledWith('nobody@example.com');
  });

  it('sets a new password with the token, checking the repeat first', async () => {
    const { app, navigate } = await makeApp(false);
    const confirm = vi.spyOn(app.api, 'confirmPasswordReset').mockResolvedValue();
    const view = resetPasswordView(app, ctxFor('/reset-password?token=rst-9', false));
    document.body.append(view.el);
    inputByLabel(view.el, 'New password').value = 'a brand new password';
    const repeat = inputByLabel(view.el, 'Repeat the new password');
    repeat.value = 'a brand new passw0rd';
    submit(view.el.querySelector('form')!);
    expect(confirm).not.toHaveBeenCalled();
    expect(describedText(repeat)).toMatch(/not the same/);
    repeat.value = 'a brand new password';
    submit(view.el.querySelector('form')!);
    await vi.waitFor(() => expect(navigate).toHaveBeenCalledWith('/sign-in', expect.objectContaining({ flash: expect.stringMatching(/changed/) })));
    expect(confirm).toHaveBeenCalledWith('rst-9', 'a brand new password');
  });

  it('offers a new link when the token is spent', async () => {
    const { app } = await makeApp(false);
    vi.spyOn(app.api, 'confirmPasswordReset').mockRejectedValue(new ApiError(400, { status: 400, errors: [{ field: 'token', message: 'is invalid, used or expired' }] }));
    const view = resetPasswordView(app, ctxFor('/reset-password?token=old', false));
    document.body.append(view.el);
    inputByLabel(view.el, 'New password').value = 'a brand new password';
    inputByLabel(view.el, 'Repeat the new password').value = 'a brand new password';
    submit(view.el.querySelector('form')!);
    await vi.waitFor(() => expect(view.el.querySelector('[role="alert"]')!.textContent).toMatch(/invalid, has already been used/));
    expect(view.el.querySelector('a[href="/reset-password"]')).not.toBeNull();
  });
});
