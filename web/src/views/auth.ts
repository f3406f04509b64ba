/** Sign in, sign up, e-mail verification and password reset pages. */

import { ApiError } from '../api';
import type { App, View } from '../app';
import { h } from '../dom';
import { button, field, FormController, passwordField } from '../forms';
import { describeError } from '../problems';
import { completeOidcSignIn, oidcStartUrl, parseOidcReturn, rememberNext, takeNext } from '../oidc';
import { safeNext, type RouteContext } from '../router';
import { validateEmail, validateNewPassword, validateDisplayName, validateRequired } from '../validators';
import { authPage, loading, notice } from './shell';

function withNext(path: string, next: string | null): string {
  return next ? `${path}?next=${encodeURIComponent(next)}` : path;
}

/* -------------------------------------------------------------------- */
/* Sign in with an identity provider (oidc.ts)                          */
/* -------------------------------------------------------------------- */

/** "or" and the "Sign in with Sandbox ID" button: a real navigation to the server. */
function providerSignIn(next: string | null, label: string): HTMLElement {
  const link = h('a', { href: oidcStartUrl(), class: 'btn btn-secondary btn-block', rel: 'external', id: 'oidc-sandbox' }, label);
  link.addEventListener('click', () => rememberNext(next));
  return h('div', { class: 'auth-provider' }, h('p', { class: 'auth-or' }, 'or'), link);
}

/** On a return from the provider: adopt the session (then go on) or show why not. */
function handleProviderReturn(app: App, ctx: RouteContext, page: ReturnType<typeof authPage>): void {
  const ret = parseOidcReturn(ctx.url.hash);
  if (!ret) return;
  // The fragment may hold a refresh token: out of the address bar at once.
  try {
    globalThis.history?.replaceState(null, '', `${ctx.url.pathname}${ctx.url.search}`);
  } catch {
    /* not in a browser */
  }
  if (ret.kind === 'error') {
    page.body.append(notice(ret.message, 'error'));
    return;
  }
  const status = notice('Signing you in…', 'info');
  page.body.append(status);
  completeOidcSignIn(app.session, ret)
    .then(async () => {
      const profile = await app.profile.load(true).catch(() => null);
      const name = profile?.name || profile?.email;
      const welcome = ret.outcome === 'created' ? 'Your account is ready' : 'Welcome back';
      app.router.navigate(safeNext(takeNext()), { replace: true, flash: name ? `${welcome}, ${name}.` : 'You are signed in.' });
    })
    .catch(() => {
      status.replaceWith(notice('That sign-in has expired. Please start again.', 'error'));
    });
}

/* -------------------------------------------------------------------- */
/* Sign in                                                              */
/* -------------------------------------------------------------------- */

export function signInView(app: App, ctx: RouteContext): View {
  const page = authPage('Sign in', 'Welcome back. Sign in to manage your profile and saved travellers.');
  const next = ctx.url.searchParams.get('next');
  if (ctx.flash) page.body.append(notice(ctx.flash, 'info'));
  handleProviderReturn(app, ctx, page);

  const email = field({ label: 'E-mail address', name: 'email', type: 'email', autocomplete: 'username', required: true, attrs: { inputmode: 'email', autocapitalize: 'off', spellcheck: 'false' } });
  const password = passwordField({ label: 'Password', name: 'password', autocomplete: 'current-password', required: true });
  const forgot = h('p', { class: 'field-aside' }, h('a', { href: '/reset-password' }, 'Forgot your password?'));
  const submit = button('Sign in', { type: 'submit' });
  submit.classList.add('btn-block');
  const form = h('form', { class: 'stack-form', 'aria-labelledby': 'page-title' }, email.wrap, password.wrap, forgot);
  const ctl = new FormController<'email' | 'password'>({
    form,
    fields: { email, password },
    order: ['email', 'password'],
    submit,
    validate: () => {
      const e: Partial<Record<'email' | 'password', string>> = {};
      const em = validateEmail(email.control.value.trim());
      if (em) e.email = em;
      const pw = validateRequired(password.control.value, 'Enter your password.');
      if (pw) e.password = pw;
      return e;
    },
  });
  form.append(h('div', { class: 'form-actions' }, submit));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (ctl.busy || !ctl.check()) return;
    ctl.setBusy(true, 'Signing in…');
    try {
      await app.session.signIn(email.control.value.trim(), password.control.value);
      const profile = await app.profile.load(true).catch(() => null);
      const name = profile?.name || profile?.email;
      app.router.navigate(safeNext(next), { replace: true, flash: name ? `Welcome back, ${name}.` : 'You are signed in.' });
    } catch (err) {
      ctl.setBusy(false);
      if (err instanceof ApiError && err.status === 401) {
        ctl.show({}, 'The e-mail address or password is not correct. Check them and try again.', { focus: false });
        (password.control as HTMLInputElement).value = '';
        password.control.focus();
      } else {
        ctl.showProblem(err, { fields: { email: 'email', password: 'password' }, labels: { email: 'E-mail address', password: 'Password' } });
      }
    }
  });

  page.body.append(
    form,
    providerSignIn(next, 'Sign in with Sandbox ID'),
    h('p', { class: 'auth-switch' }, 'New to Contrail? ', h('a', { href: withNext('/sign-up', next) }, 'Create an account')),
  );
  return { el: page.el, heading: page.heading };
}

/* -------------------------------------------------------------------- */
/* Sign up                                                              */
/* -------------------------------------------------------------------- */

type SignUpField = 'name' | 'email' | 'password';

export function signUpView(app: App, ctx: RouteContext): View {
  const page = authPage('Create your account', 'Save travellers and preferences, and pick up where you left off on any device.');
  const next = ctx.url.searchParams.get('next');
  if (ctx.flash) page.body.append(notice(ctx.flash, 'info'));

  const name = field({ label: 'Your name', name: 'name', autocomplete: 'name', optional: true, attrs: { maxlength: '100' } });
  const email = field({ label: 'E-mail address', name: 'email', type: 'email', autocomplete: 'email', required: true, hint: "We'll send a link to confirm it.", attrs: { inputmode: 'email', autocapitalize: 'off', spellcheck: 'false' } });
  const password = passwordField({
    label: 'Password',
    name: 'password',
    autocomplete: 'new-password',
    required: true,
    hint: 'At least 10 characters. A few unrelated words make a strong password that is easy to remember.',
  });
  const submit = button('Create account', { type: 'submit' });
  submit.classList.add('btn-block');
  const form = h('form', { class: 'stack-form', 'aria-labelledby': 'page-title' }, name.wrap, email.wrap, password.wrap);
  const validate = () => {
    const e: Partial<Record<SignUpField, string>> = {};
    const n = validateDisplayName(name.control.value.trim());
    if (n) e.name = n;
    const em = validateEmail(email.control.value.trim());
    if (em) e.email = em;
    const pw = validateNewPassword(password.control.value, email.control.value);
    if (pw) e.password = pw;
    return e;
  };
  const ctl = new FormController<SignUpField>({ form, fields: { name, email, password }, order: ['name', 'email', 'password'], submit, validate });
  form.append(h('div', { class: 'form-actions' }, submit));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (ctl.busy || !ctl.check()) return;
    const em = email.control.value.trim();
    const pw = password.control.value;
    ctl.setBusy(true, 'Creating your account…');
    try {
      await app.api.register({ email: em, password: pw, name: name.control.value.trim() || undefined });
    } catch (err) {
      ctl.setBusy(false);
      ctl.showProblem(err, { fields: { name: 'name', email: 'email', password: 'password' }, labels: { name: 'Name', email: 'E-mail address', password: 'Password' } });
      return;
    }
    // Registration does not return tokens: sign in with what was just typed.
    try {
      await app.session.signIn(em, pw);
      await app.profile.load(true).catch(() => null);
      app.router.navigate(safeNext(next), { replace: true, flash: `Welcome to Contrail! We've sent a link to ${em} to confirm your address.` });
    } catch {
      // The server answers a registered address like a new one, so a failed sign-in here
      // may mean the address already had an account: its owner got an e-mail saying how.
      app.router.navigate(withNext('/sign-in', next), {
        replace: true,
        flash: `Check your e-mail at ${em}: we sent you a message. If this address already had an account, it explains how to sign in or reset your password.`,
      });
    }
  });

  page.body.append(
    form,
    providerSignIn(next, 'Sign up with Sandbox ID'),
    h('p', { class: 'auth-switch' }, 'Already have an account? ', h('a', { href: withNext('/sign-in', next) }, 'Sign in')),
  );
  return { el: page.el, heading: page.heading };
}

/* -------------------------------------------------------------------- */
/* Verify e-mail                                                        */
/* -------------------------------------------------------------------- */

/** Tokens already sent in this page's lifetime (a token works once). */
const attemptedTokens = new Set<string>();

export function verifyEmailView(app: App, ctx: RouteContext): View {
  const page = authPage('Confirm your e-mail', '');
  const token = ctx.url.searchParams.get('token') ?? '';
  const status = h('div', { class: 'verify-status', role: 'status', 'aria-live': 'polite' });
  page.body.append(status);

  const actions = () =>
    h(
      'p',
      { class: 'form-actions' },
      app.session.signedIn ? h('a', { class: 'btn btn-primary', href: '/account' }, 'Go to your account') : h('a', { class: 'btn btn-primary', href: '/sign-in' }, 'Sign in'),
      h('a', { class: 'btn btn-ghost', href: '/' }, 'Search flights'),
    );

  if (!token) {
    status.append(notice('This confirmation link is incomplete. Open the link from the e-mail again, or copy the whole address into the browser.', 'error'));
    page.body.append(actions());
    return { el: page.el, heading: page.heading };
  }

  // Keep the single-use token out of the address bar and history.
  try {
    window.history.replaceState(null, '', '/verify-email');
  } catch {
    /* not in a browser */
  }

  status.setAttribute('aria-busy', 'true');
  status.append(loading('Confirming your e-mail address…'));
  const run = async () => {
    if (attemptedTokens.has(token)) throw new ApiError(400, null, 'already tried');
    attemptedTokens.add(token);
    await app.api.verifyEmail(token);
  };
  run().then(
    () => {
      status.removeAttribute('aria-busy');
      status.replaceChildren(notice(h('span', {}, h('strong', {}, 'Your e-mail address is confirmed.'), ' Thanks — you will now get trip updates there.'), 'success'));
      page.body.append(actions());
      const p = app.profile.current;
      if (p) app.profile.set({ ...p, email_verified: true });
    },
    (err: unknown) => {
      status.removeAttribute('aria-busy');
      const msg =
        err instanceof ApiError && err.status === 400
          ? 'This confirmation link is invalid, has already been used or has expired (links work for 24 hours). If you confirmed already, you are all set.'
          : describeError(err);
      status.replaceChildren(notice(msg, 'error'));
      page.body.append(actions());
    },
  );
  return { el: page.el, heading: page.heading };
}

/* -------------------------------------------------------------------- */
/* Reset password                                                       */
/* -------------------------------------------------------------------- */

export function resetPasswordView(app: App, ctx: RouteContext): View {
  const token = ctx.url.searchParams.get('token');
  return token ? resetConfirmView(app, token) : resetRequestView(app);
}

function resetRequestView(app: App): View {
  const page = authPage('Reset your password', "Enter the e-mail address of your account and we'll send you a link to choose a new password.");
  const email = field({ label: 'E-mail address', name: 'email', type: 'email', autocomplete: 'email', required: true, attrs: { inputmode: 'email', autocapitalize: 'off', spellcheck: 'false' } });
  const submit = button('Send reset link', { type: 'submit' });
  submit.classList.add('btn-block');
  const form = h('form', { class: 'stack-form', 'aria-labelledby': 'page-title' }, email.wrap);
  const ctl = new FormController<'email'>({
    form,
    fields: { email },
    order: ['email'],
    submit,
    validate: () => {
      const m = validateEmail(email.control.value.trim());
      return m ? { email: m } : {};
    },
  });
  form.append(h('div', { class: 'form-actions' }, submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (ctl.busy || !ctl.check()) return;
    const addr = email.control.value.trim();
    ctl.setBusy(true, 'Sending…');
    try {
      await app.api.requestPasswordReset(addr);
      ctl.setBusy(false);
      ctl.succeed(`If an account exists for ${addr}, we've sent it a link to reset the password. The link works for one hour.`);
    } catch (err) {
      ctl.setBusy(false);
      ctl.showProblem(err, { fields: { email: 'email' }, labels: { email: 'E-mail address' } });
    }
  });
  page.body.append(form, h('p', { class: 'auth-switch' }, 'Remembered it? ', h('a', { href: '/sign-in' }, 'Sign in')));
  return { el: page.el, heading: page.heading };
}

type ResetField = 'password' | 'confirm';

function resetConfirmView(app: App, token: string): View {
  const page = authPage('Choose a new password', 'Pick a new password for your Contrail account. You will be signed out everywhere else.');
  const password = passwordField({ label: 'New password', name: 'password', autocomplete: 'new-password', required: true, hint: 'At least 10 characters.' });
  const confirm = passwordField({ label: 'Repeat the new password', name: 'confirm', autocomplete: 'new-password', required: true });
  const submit = button('Set new password', { type: 'submit' });
  submit.classList.add('btn-block');
  const form = h('form', { class: 'stack-form', 'aria-labelledby': 'page-title' }, password.wrap, confirm.wrap);
  const validate = () => {
    const e: Partial<Record<ResetField, string>> = {};
    const pw = validateNewPassword(password.control.value);
    if (pw) e.password = pw;
    if (confirm.control.value !== password.control.value) e.confirm = 'The two passwords are not the same.';
    return e;
  };
  const ctl = new FormController<ResetField>({ form, fields: { password, confirm }, order: ['password', 'confirm'], submit, validate });
  form.append(h('div', { class: 'form-actions' }, submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (ctl.busy || !ctl.check()) return;
    ctl.setBusy(true, 'Saving…');
    try {
      await app.api.confirmPasswordReset(token, password.control.value);
    } catch (err) {
      ctl.setBusy(false);
      const tokenBad = err instanceof ApiError && err.status === 400 && err.problem?.errors?.some((x) => x.field === 'token');
      if (tokenBad) {
        ctl.show({}, 'This reset link is invalid, has already been used or has expired (links work for one hour). Ask for a new one below.', { focus: false });
        if (!form.querySelector('.reset-again')) form.append(h('p', { class: 'reset-again' }, h('a', { href: '/reset-password' }, 'Send me a new reset link')));
      } else {
        ctl.showProblem(err, { fields: { password: 'password' }, labels: { password: 'New password' } });
      }
      return;
    }
    // Every session ended with the old password, including this tab's.
    if (app.session.signedIn) app.session.forget('signout');
    app.profile.clear();
    try {
      window.history.replaceState(null, '', '/reset-password');
    } catch {
      /* not in a browser */
    }
    app.router.navigate('/sign-in', { replace: true, flash: 'Your password has been changed. Sign in with your new password.' });
  });
  page.body.append(form);
  return { el: page.el, heading: page.heading };
}
