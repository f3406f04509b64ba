#!/usr/bin/env node
// End-to-end test of "Sign in with Sandbox ID" (OpenID Connect) against a running Contrail
// server configured with the sandbox identity provider (--oidc-issuer, or the sandbox world).
//
//   CT_BASE_URL=http://127.0.0.1:8080 npm run e2e:oidc
//
// Clicks the button on the sign-in page, signs in on the provider's own login page as a test
// user, lands back in the web app signed in (the handed-over token rotated, the fragment gone
// from the address bar), sees the account; signs out, signs in again (the same account); then
// cancels at the provider and reads the message on the sign-in page.
//
// Env:
//   CT_BASE_URL        base URL of the server that serves web/dist and /api/v1 (required)
//   CT_OIDC_EMAIL      the test user (default alice@idp.test, password alice-pass)
//   CT_SCREENSHOT_DIR  where to write the screenshots (default: web/e2e/out)
//   CHROMIUM           Chromium executable (default: /usr/bin/chromium)
//
// Prints one line per check and a final "N passed, M failed" line; exits 1
// if any check failed (2 for a usage error).

import { assert, baseUrl, check, launchBrowser, runE2E, screenshot } from './harness.mjs';

const OVERALL_TIMEOUT_MS = 90_000;
const STEP_TIMEOUT_MS = 8_000;
const BASE = baseUrl('e2e:oidc');
const EMAIL = process.env.CT_OIDC_EMAIL || 'alice@idp.test';
const PASSWORD = `${EMAIL.split('@')[0]}-pass`;
const SESSION_KEY = 'contrail.session';

async function sessionToken(page) {
  return page.evaluate((k) => {
    const raw = sessionStorage.getItem(k);
    return raw ? JSON.parse(raw).refresh_token ?? null : null;
  }, SESSION_KEY);
}

async function main(state) {
  state.browser = await launchBrowser();
  const context = await state.browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-US' });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  const base = new URL(BASE);

  const pageErrors = [];
  const apiLog = [];
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(`console: ${m.text()}`);
  });
  page.on('response', (r) => {
    const u = new URL(r.url());
    if (u.host === base.host && u.pathname.startsWith('/api/')) apiLog.push({ method: r.request().method(), path: u.pathname, status: r.status(), location: r.headers().location ?? '' });
  });

  const header = page.locator('header.site-header');
  const userButton = header.locator('button.user-button');
  const signInLink = header.getByRole('link', { name: 'Sign in' });
  const button = page.getByRole('link', { name: 'Sign in with Sandbox ID' });
  let userId = null;
  let handed = null;

  await check('the sign-in page offers "Sign in with Sandbox ID"', async () => {
    const res = await page.goto(`${BASE}/sign-in?next=%2Faccount`, { waitUntil: 'load', timeout: 15_000 });
    assert(res && res.status() === 200, `status ${res?.status()}`);
    await button.waitFor({ state: 'visible' });
  }, { fatal: true });

  await check('the button leads to the provider\'s login page, listing its test users', async () => {
    await button.click();
    await page.waitForURL((u) => u.host !== base.host && u.pathname === '/authorize', { timeout: 15_000 });
    const u = new URL(page.url());
    assert(u.searchParams.get('code_challenge_method') === 'S256', 'no PKCE S256');
    assert(u.searchParams.get('state') && u.searchParams.get('nonce'), 'no state or nonce');
    assert(/\/api\/v1\/auth\/oidc\/sandbox\/callback$/.test(u.searchParams.get('redirect_uri') ?? ''), `redirect_uri ${u.searchParams.get('redirect_uri')}`);
    await page.getByText('alice@idp.test').first().waitFor({ state: 'visible' });
    await screenshot(page, 'oidc-login.png');
  }, { fatal: true });

  await check(`logging in there as ${EMAIL} lands signed in on /account`, async () => {
    await page.getByLabel('E-mail').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.host === base.host && u.pathname === '/account', { timeout: 15_000 });
    await screenshot(page, 'oidc-signed-in.png');
    await userButton.waitFor({ state: 'visible' });
    assert((await signInLink.count()) === 0, '"Sign in" still in the header');
    assert(new URL(page.url()).hash === '', `fragment left in the address bar: ${new URL(page.url()).hash}`);
    const cb = apiLog.find((c) => c.path === '/api/v1/auth/oidc/sandbox/callback');
    assert(cb && cb.status === 302, `callback answered ${cb?.status}`);
    const frag = new URLSearchParams(new URL(cb.location, BASE).hash.slice(1));
    handed = frag.get('oidc_refresh');
    userId = frag.get('user_id');
    assert(handed && userId, `callback sent the browser to ${cb.location.replace(/oidc_refresh=[^&]+/, 'oidc_refresh=…')}`);
    const now = await sessionToken(page);
    assert(now && now !== handed, 'the handed-over refresh token was not rotated');
    const lede = page.locator('.page-lede');
    await lede.waitFor({ state: 'visible' });
    assert((await lede.innerText()).includes(EMAIL), `the account page says "${await lede.innerText()}"`);
  }, { fatal: true });

  await check('signing out and in again with Sandbox ID finds the same account', async () => {
    await userButton.click();
    await header.getByRole('button', { name: 'Sign out' }).click();
    await signInLink.waitFor({ state: 'visible' });
    await page.goto(`${BASE}/sign-in`, { waitUntil: 'load' });
    await button.click();
    await page.waitForURL((u) => u.pathname === '/authorize', { timeout: 15_000 });
    await page.getByLabel('E-mail').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.host === base.host && u.pathname !== '/sign-in', { timeout: 15_000 });
    await userButton.waitFor({ state: 'visible' });
    const cb = apiLog.filter((c) => c.path === '/api/v1/auth/oidc/sandbox/callback').at(-1);
    const frag = new URLSearchParams(new URL(cb.location, BASE).hash.slice(1));
    assert(frag.get('user_id') === userId, `another account: ${frag.get('user_id')} vs ${userId}`);
    assert(frag.get('outcome') === 'signin', `outcome ${frag.get('outcome')}`);
  });

  await check('cancelling at the provider returns to sign-in with a readable message', async () => {
    await userButton.click();
    await header.getByRole('button', { name: 'Sign out' }).click();
    await signInLink.waitFor({ state: 'visible' });
    await page.goto(`${BASE}/sign-in`, { waitUntil: 'load' });
    await button.click();
    await page.waitForURL((u) => u.pathname === '/authorize', { timeout: 15_000 });
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.waitForURL((u) => u.host === base.host && u.pathname === '/sign-in', { timeout: 15_000 });
    await page.locator('.notice-error').filter({ hasText: /cancelled/ }).waitFor({ state: 'visible' });
    assert((await sessionToken(page)) === null, 'signed in after cancelling');
    await screenshot(page, 'oidc-cancelled.png');
  });

  await check('no page errors or server errors', async () => {
    const server = apiLog.filter((c) => c.status >= 500).map((c) => `${c.method} ${c.path} → ${c.status}`);
    const all = [...pageErrors, ...server];
    assert(all.length === 0, all.slice(0, 3).join(' | '));
  });

  await context.close();
}

await runE2E(main, OVERALL_TIMEOUT_MS);
