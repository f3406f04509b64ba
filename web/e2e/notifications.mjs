#!/usr/bin/env node
// End-to-end test of the notifications in the web app (docs/notifications.md) against a
// running Contrail server (any: no mail server needed, the in-app channel is the database's).
//
//   CT_BASE_URL=http://127.0.0.1:8080 node web/e2e/notifications.mjs
//
// A fresh account is made and its password changed over the API, which gives it one in-app
// notification ("Your password was changed", kind account_security, through the notification
// hub). Then in Chromium: sign in; the header's bell says "Notifications, 1 unread" and shows
// the badge; the bell opens /account/notifications, which lists the notice as unread with a
// link to the security page; "Mark as read" marks it and the bell drops to no unread (without
// a reload); the account page's Notifications card shows every kind and channel (SMS disabled
// without a verified phone), and turning booking e-mails off is saved and still off after a
// reload (GET /api/v1/me/notification-preferences agrees).
//
// Env:
//   CT_BASE_URL        base URL of the server that serves web/dist and /api/v1 (required)
//   CT_SCREENSHOT_DIR  where to write notifications-*.png (default: web/e2e/out)
//   CHROMIUM           Chromium executable (default: /usr/bin/chromium)
//
// Prints one line per check and a final "N passed, M failed" line; exits 1 if any failed.

import crypto from 'node:crypto';
import { assert, baseUrl, check, launchBrowser, runE2E, screenshot } from './harness.mjs';

const OVERALL_TIMEOUT_MS = 90_000;
const STEP_TIMEOUT_MS = 10_000;
const BASE = baseUrl('e2e:notifications');
const EMAIL = `notify-${Date.now().toString(36)}-${crypto.randomBytes(3).toString('hex')}@example.com`;
const FIRST = 'correct horse battery staple';
const PASSWORD = 'a brand new passphrase here';

async function api(method, path, body, token) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(`${BASE}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function main(state) {
  await check('an account whose password was changed has one in-app notification', async () => {
    let r = await api('POST', '/api/v1/users', { email: EMAIL, password: FIRST });
    assert(r.status === 202, `sign-up: ${r.status}`);
    r = await api('POST', '/api/v1/sessions', { email: EMAIL, password: FIRST });
    assert(r.status === 200, `sign-in: ${r.status}`);
    const token = r.json.access_token;
    r = await api('PUT', '/api/v1/me/password', { current_password: FIRST, new_password: PASSWORD }, token);
    assert(r.status === 204, `password change: ${r.status}`);
    r = await api('POST', '/api/v1/sessions', { email: EMAIL, password: PASSWORD });
    const fresh = r.json.access_token;
    for (let i = 0; i < 50; i++) { // the relay delivers within a poll or two
      r = await api('GET', '/api/v1/me/notifications', undefined, fresh);
      if (r.json.total > 0) break;
      await new Promise((ok) => setTimeout(ok, 200));
    }
    assert(r.json.total === 1 && r.json.unread_count === 1, `inbox: ${JSON.stringify(r.json)}`);
    assert(r.json.items[0].kind === 'account_security', `kind ${r.json.items[0].kind}`);
  }, { fatal: true });

  state.browser = await launchBrowser();
  const context = await state.browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-GB' });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  const header = page.locator('header.site-header');
  const bell = header.locator('.nav-bell a');

  await check('signing in shows the bell with one unread', async () => {
    await page.goto(`${BASE}/sign-in`, { waitUntil: 'load' });
    await page.getByLabel('E-mail address').fill(EMAIL);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/account', { timeout: 15_000 });
    await page.waitForFunction(() => document.querySelector('.nav-bell a')?.getAttribute('aria-label') === 'Notifications, 1 unread');
    assert((await header.locator('.bell-count').innerText()).trim() === '1', 'badge is not 1');
    await screenshot(page, 'notifications-bell.png', { fullPage: false });
  }, { fatal: true });

  await check('the bell opens the notifications page listing the notice as unread', async () => {
    await bell.click();
    await page.waitForURL((u) => u.pathname === '/account/notifications');
    const item = page.locator('.notification').first();
    await item.waitFor({ state: 'visible' });
    assert((await item.getAttribute('class')).includes('is-unread'), 'not marked unread');
    assert(/Your password was changed/.test(await item.innerText()), `item: ${await item.innerText()}`);
    assert((await item.locator('a').getAttribute('href')) === '/account/security', 'no link to the security page');
  });

  await check('"Mark as read" marks it and the bell drops to no unread', async () => {
    await page.getByRole('button', { name: 'Mark “Your password was changed” as read' }).click();
    await page.waitForFunction(() => !document.querySelector('.notification.is-unread'));
    await page.waitForFunction(() => document.querySelector('.nav-bell a')?.getAttribute('aria-label') === 'Notifications');
    assert(await header.locator('.bell-count').isHidden(), 'badge still shown');
    await screenshot(page, 'notifications-page.png');
  });

  await check('the account page sets notifications per kind and channel, kept after a reload', async () => {
    await page.goto(`${BASE}/account`, { waitUntil: 'load' });
    const card = page.locator('#notification-prefs');
    const bookingEmail = card.getByRole('checkbox', { name: 'Bookings: E-mail' });
    await bookingEmail.waitFor({ state: 'visible' });
    assert(await bookingEmail.isChecked(), 'booking e-mail is not on by default');
    assert(await card.getByRole('checkbox', { name: 'Price alerts: SMS' }).isDisabled(), 'SMS enabled without a phone');
    await bookingEmail.uncheck();
    await card.getByRole('button', { name: 'Save notification settings' }).click();
    await card.getByText('Your notification settings have been saved.').waitFor();
    await page.reload({ waitUntil: 'load' });
    await bookingEmail.waitFor({ state: 'visible' });
    assert(!(await bookingEmail.isChecked()), 'booking e-mail on again after the reload');
    assert(await card.getByRole('checkbox', { name: 'Account security: In the app' }).isChecked(), 'another box changed');
    await screenshot(page, 'notifications-prefs.png');
  });

  await check('no page errors', async () => {
    assert(pageErrors.length === 0, pageErrors.join('; '));
  });
}

runE2E(main, OVERALL_TIMEOUT_MS);
