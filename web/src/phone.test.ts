// The account page's phone number: the number checked before anything is sent, "Send code",
// the code form, a wrong code's message from the server on the code field, the verified
// state, removal, and the throttle's wait.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from './api';
import { AccountApi, type Profile } from './accountApi';
import { ProfileStore, type App } from './app';
import type { Router } from './router';
import { Session } from './session';
import { FakeAuthServer, ManualTimers, MemoryStorage } from './testServer';
import { normalizePhone, phoneSection, validateCode, validatePhone } from './views/phone';
import { describeEvent } from './views/security';

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
  phone: null,
  phone_verified: false,
  phone_pending: null,
};

async function makeApp(): Promise<App> {
  const server = new FakeAuthServer();
  const timers = new ManualTimers();
  const session = new Session({ fetchFn: server.fetch, storage: new MemoryStorage(), now: () => server.now, setTimer: timers.set, clearTimer: timers.clear });
  await session.signIn('ada@example.com', 'correct horse battery');
  return {
    session,
    api: new AccountApi(session, server.fetch),
    profile: new ProfileStore(async () => PROFILE),
    router: { navigate: vi.fn(), refresh: vi.fn(), route: null } as unknown as Router,
    announce: vi.fn(),
    toast: vi.fn(),
    today: () => '2026-11-23',
    download: vi.fn(),
  };
}

function mount(app: App, p: Profile = PROFILE) {
  const el = phoneSection(app, p);
  document.body.append(el);
  const [phoneForm, codeForm] = Array.from(el.querySelectorAll('form'));
  return {
    el,
    phoneForm: phoneForm!,
    codeForm: codeForm!,
    phone: el.querySelector<HTMLInputElement>('input[name="phone"]')!,
    code: el.querySelector<HTMLInputElement>('input[name="code"]')!,
    state: el.querySelector('[data-testid="phone-state"]')!,
  };
}

function submit(form: HTMLFormElement): void {
  form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
}

function problem(status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<ApiError> {
  return ApiError.fromResponse(new Response(JSON.stringify({ title: 'Error', status, ...body }), { status, headers: { 'content-type': 'application/problem+json', ...headers } }));
}

afterEach(() => {
  document.body.replaceChildren();
  vi.restoreAllMocks();
});

describe('phone number validation', () => {
  it('accepts E.164 numbers once spaces and dashes are dropped', () => {
    expect(normalizePhone('+44 7700-900 123')).toBe('+447700900123');
    expect(validatePhone('+44 7700 900123')).toBeNull();
    expect(validatePhone('+1 (202) 555-0123')).toBeNull();
    expect(validatePhone('07700 900123')).toMatch(/country code/);
    expect(validatePhone('+0447700900')).toMatch(/international form/);
    expect(validatePhone('+4477')).toMatch(/international form/);
    expect(validatePhone('')).toMatch(/Enter/);
    expect(validateCode('123456')).toBeNull();
    expect(validateCode('12345')).toMatch(/6 digits/);
    expect(validateCode('12a456')).toMatch(/6 digits/);
  });
});

describe('phone events in the security log', () => {
  it('have their own labels', () => {
    expect(describeEvent('phone_code_sent').label).toBe('Phone verification code sent by SMS');
    expect(describeEvent('phone_verified')).toMatchObject({ label: 'Phone number verified', tone: 'ok' });
    expect(describeEvent('phone_code_failed').tone).toBe('warn');
    expect(describeEvent('phone_removed').label).toBe('Phone number removed');
  });
});

describe('phone section', () => {
  it('sends a code, then verifies it', async () => {
    const app = await makeApp();
    const setPhone = vi.spyOn(app.api, 'setPhone').mockResolvedValue({ phone: '+447700900123', expires_in: 600, resend_in: 60 });
    const verifyPhone = vi.spyOn(app.api, 'verifyPhone').mockResolvedValue({ ...PROFILE, phone: '+447700900123', phone_verified: true });
    const v = mount(app);
    expect(v.state.textContent).toMatch(/No phone number yet/);
    expect(v.codeForm.hidden).toBe(true);
    v.phone.value = '+44 7700 900123';
    submit(v.phoneForm);
    await vi.waitFor(() => expect(v.codeForm.hidden).toBe(false));
    expect(setPhone).toHaveBeenCalledWith('+447700900123');
    expect(v.el.textContent).toMatch(/We sent a code to \+447700900123\. It works for 10 minutes\./);
    v.code.value = '123';
    submit(v.codeForm);
    expect(verifyPhone).not.toHaveBeenCalled();
    expect(v.el.textContent).toMatch(/6 digits/);
    v.code.value = '482913';
    submit(v.codeForm);
    await vi.waitFor(() => expect(v.state.textContent).toMatch(/\+447700900123\s*Verified/));
    expect(verifyPhone).toHaveBeenCalledWith('482913');
    expect(v.codeForm.hidden).toBe(true);
    expect(v.el.textContent).toMatch(/Your phone number is verified\./);
  });

  it('refuses a malformed number without calling the server', async () => {
    const app = await makeApp();
    const setPhone = vi.spyOn(app.api, 'setPhone');
    const v = mount(app);
    v.phone.value = '07700 900123';
    submit(v.phoneForm);
    await Promise.resolve();
    expect(setPhone).not.toHaveBeenCalled();
    expect(v.phone.getAttribute('aria-invalid')).toBe('true');
    expect(v.el.textContent).toMatch(/country code/);
  });

  it("puts the server's wrong-code message on the code field", async () => {
    const app = await makeApp();
    vi.spyOn(app.api, 'verifyPhone').mockRejectedValue(
      await problem(400, { detail: 'code: is not the code we sent (4 attempts left)', errors: [{ field: 'code', message: 'is not the code we sent (4 attempts left)' }] }),
    );
    const v = mount(app, { ...PROFILE, phone_pending: '+447700900123' });
    expect(v.codeForm.hidden).toBe(false);
    expect(v.phone.value).toBe('+447700900123');
    v.code.value = '000000';
    submit(v.codeForm);
    await vi.waitFor(() => expect(v.el.textContent).toMatch(/The code is not the code we sent \(4 attempts left\)/));
    expect(v.code.getAttribute('aria-invalid')).toBe('true');
  });

  it('says how long to wait before another code', async () => {
    const app = await makeApp();
    vi.spyOn(app.api, 'setPhone').mockRejectedValue(await problem(429, { detail: 'a code was sent recently' }, { 'retry-after': '42' }));
    const v = mount(app);
    v.phone.value = '+447700900123';
    submit(v.phoneForm);
    await vi.waitFor(() => expect(v.el.textContent).toMatch(/42 seconds/));
  });

  it('removes a verified number', async () => {
    const app = await makeApp();
    const removePhone = vi.spyOn(app.api, 'removePhone').mockResolvedValue();
    const v = mount(app, { ...PROFILE, phone: '+447700900123', phone_verified: true });
    expect(v.state.textContent).toMatch(/Verified/);
    const remove = Array.from(v.el.querySelectorAll('button')).find((b) => b.textContent?.trim() === 'Remove the number')!;
    expect(remove.hidden).toBe(false);
    remove.click();
    await vi.waitFor(() => expect(v.state.textContent).toMatch(/No phone number yet/));
    expect(removePhone).toHaveBeenCalled();
    expect(remove.hidden).toBe(true);
  });
});
