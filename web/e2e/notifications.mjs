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
// reload (GET /api/v1/me/notification-preferences agrees). Then the webhooks page
// (/account/webhooks) against a receiver this script runs on loopback (the server needs
// `--webhook-allow-loopback true`): an endpoint added in the form shows its secret once;
// "Send test" reaches the receiver signed per Standard Webhooks (checked here with node's own
// HMAC-SHA256, not the server's code) and the delivery log says Delivered; Replay sends the
// same webhook-id again; "Rotate secret" shows a new secret and the next test is signed by
// both; Delete after the confirmation empties the list (the API agrees). Last the price
// alerts page (/account/price-alerts): its "New price alert" form makes a round trip on any
// day of next month with a stay of 3-7 days and a maximum price, by e-mail and SMS (the API
// has exactly that), the alert's channels are changed in its own form, and it is deleted.
//
// Env:
//   CT_BASE_URL        base URL of the server that serves web/dist and /api/v1 (required)
//   CT_SCREENSHOT_DIR  where to write notifications-*.png (default: web/e2e/out)
//   CHROMIUM           Chromium executable (default: /usr/bin/chromium)
//
// Prints one line per check and a final "N passed, M failed" line; exits 1 if any failed.

import crypto from 'node:crypto';
import http from 'node:http';
import { assert, baseUrl, check, launchBrowser, runE2E, screenshot } from './harness.mjs';

const OVERALL_TIMEOUT_MS = 150_000;
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

/** A loopback webhook receiver: every request's headers and raw body, answered 204. */
async function startReceiver() {
  const got = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      got.push({ path: req.url, headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(204).end();
    });
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { got, server, url: `http://127.0.0.1:${server.address().port}/contrail-hook` };
}

/** Standard Webhooks 1.0 by hand: which of the space-separated v1 signatures `secret` made. */
function signedBy(secret, msg) {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const id = msg.headers['webhook-id'];
  const ts = msg.headers['webhook-timestamp'];
  const mac = crypto.createHmac('sha256', key).update(`${id}.${ts}.`).update(msg.body).digest('base64');
  const expected = Buffer.from(`v1,${mac}`);
  return String(msg.headers['webhook-signature'] ?? '')
    .split(' ')
    .some((s) => s.length === expected.length && crypto.timingSafeEqual(Buffer.from(s), expected));
}

async function waitFor(what, cond, ms = 15_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
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

  const receiver = await startReceiver();
  let secret = '';
  const hook = page.locator('.webhook').first();

  await check('the webhooks page adds an endpoint and shows its secret once', async () => {
    await page.goto(`${BASE}/account/webhooks`, { waitUntil: 'load' });
    await page.locator('#webhooks .empty-title').waitFor();
    await page.getByLabel('Address (URL)').fill(receiver.url);
    await page.getByLabel('Description (optional)').fill('e2e receiver');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const code = page.locator('#webhook-form .key-secret code');
    await code.waitFor();
    secret = (await code.innerText()).trim();
    assert(/^whsec_[A-Za-z0-9+/=]+$/.test(secret), `secret ${secret}`);
    assert((await hook.locator('.key-name').innerText()).trim() === receiver.url, 'the list does not show the URL');
    assert(!(await page.locator('.webhook-list').innerText()).includes('whsec_'), 'the list shows the secret');
    await screenshot(page, 'webhooks-added.png');
    await page.getByRole('button', { name: 'I have stored it' }).click();
    assert(!(await page.locator('main, #app-view').first().innerText()).includes('whsec_'), 'the secret is still shown');
  }, { fatal: true });

  await check('"Send test" reaches the receiver signed with that secret; the log says Delivered', async () => {
    await page.getByRole('button', { name: `Send a test event to ${receiver.url}` }).click();
    await waitFor('the test delivery', () => receiver.got.length >= 1);
    const msg = receiver.got[0];
    assert(msg.path === '/contrail-hook', `path ${msg.path}`);
    assert(/^msg_[0-9a-f]{24}$/.test(msg.headers['webhook-id']), `webhook-id ${msg.headers['webhook-id']}`);
    assert(Math.abs(Number(msg.headers['webhook-timestamp']) - Date.now() / 1000) < 300, 'timestamp not now');
    assert(signedBy(secret, msg), `signature ${msg.headers['webhook-signature']} does not verify`);
    assert(!signedBy(`whsec_${Buffer.from('another key').toString('base64')}`, msg), 'any key verifies');
    assert(JSON.parse(msg.body.toString()).type === 'webhook.test', `body ${msg.body}`);
    const row = hook.locator('.webhook-delivery').first();
    await waitFor('Delivered in the log', async () => {
      await hook.getByRole('button', { name: `Refresh the delivery log of ${receiver.url}` }).click();
      return /Delivered/.test(await row.innerText().catch(() => ''));
    });
    assert((await row.innerText()).includes(msg.headers['webhook-id']), 'the log does not show the webhook-id');
    await screenshot(page, 'webhooks-log.png');
  });

  await check('Replay sends the same message again (same webhook-id and body)', async () => {
    await hook.locator('.webhook-delivery').first().getByRole('button', { name: /^Replay the Test event/ }).click();
    await waitFor('the replay', () => receiver.got.length >= 2);
    const [first, again] = receiver.got;
    assert(again.headers['webhook-id'] === first.headers['webhook-id'], 'another webhook-id');
    assert(again.body.equals(first.body), 'another body');
    assert(signedBy(secret, again), 'the replay is not signed');
  });

  await check('"Rotate secret" shows a new one; the next test is signed by the new and the old', async () => {
    await page.getByRole('button', { name: `Rotate the secret of ${receiver.url}` }).click();
    const code = hook.locator('.key-secret code');
    await code.waitFor();
    const fresh = (await code.innerText()).trim();
    assert(/^whsec_/.test(fresh) && fresh !== secret, 'no new secret');
    assert(/previous secret signs until/.test(await hook.locator('.key-facts').innerText()), 'no expiry of the old secret');
    await hook.getByRole('button', { name: 'I have stored it' }).click();
    const before = receiver.got.length;
    await page.getByRole('button', { name: `Send a test event to ${receiver.url}` }).click();
    await waitFor('the test after rotation', () => receiver.got.length > before);
    const msg = receiver.got.at(-1);
    assert(String(msg.headers['webhook-signature']).split(' ').length === 2, `signature ${msg.headers['webhook-signature']}`);
    assert(signedBy(fresh, msg) && signedBy(secret, msg), 'not signed by both secrets');
  });

  await check('Delete after the confirmation empties the list; the API agrees', async () => {
    await page.getByRole('button', { name: `Delete ${receiver.url}` }).click();
    await page.getByRole('button', { name: `Yes, delete ${receiver.url}` }).click();
    await page.locator('#webhooks .empty-title').waitFor();
    const r = await api('POST', '/api/v1/sessions', { email: EMAIL, password: PASSWORD });
    const list = await api('GET', '/api/v1/me/webhooks', undefined, r.json.access_token);
    assert(list.status === 200 && list.json.items.length === 0, `webhooks: ${JSON.stringify(list.json)}`);
  });

  receiver.server.closeAllConnections();
  receiver.server.close();

  const month = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() + 1, 1)).toISOString().slice(0, 7);
  const alertsApi = async () => {
    const r = await api('POST', '/api/v1/sessions', { email: EMAIL, password: PASSWORD });
    return (await api('GET', '/api/v1/me/price-alerts', undefined, r.json.access_token)).json;
  };

  await check('the alerts page makes a flexible round-trip alert with its channels', async () => {
    await page.goto(`${BASE}/account/price-alerts`, { waitUntil: 'load' });
    const form = page.locator('#price-alert-form form');
    await form.waitFor();
    await form.getByLabel('From').fill('LON');
    await form.getByLabel('To', { exact: true }).fill('NYC');
    await form.getByLabel('Dates').selectOption('month');
    await form.getByLabel('Month').fill(month);
    await form.getByLabel('Round trip').check();
    await form.getByLabel('Shortest stay (days)').fill('3');
    await form.getByLabel('Longest stay (days)').fill('7');
    await form.getByLabel('Alert me on').selectOption('max');
    await form.getByLabel('Amount').fill('450');
    await form.getByLabel('Text message (SMS)').check();
    await form.getByRole('button', { name: 'Create alert' }).click();
    const item = page.locator('.price-alert').first();
    await item.waitFor();
    assert(/LON → NYC/.test(await item.innerText()), `item: ${await item.innerText()}`);
    const list = await alertsApi();
    assert(list.total === 1, `alerts: ${JSON.stringify(list)}`);
    const a = list.items[0];
    assert(a.dates.type === 'month' && a.dates.month === month && a.dates.stay.min === 3 && a.dates.stay.max === 7, `dates ${JSON.stringify(a.dates)}`);
    assert(a.max_price.amount_minor === 45000 && a.max_price.currency === 'EUR', `rule ${JSON.stringify(a.max_price)}`);
    assert(JSON.stringify(a.channels) === JSON.stringify(['email', 'in_app', 'sms']), `channels ${a.channels}`);
    await screenshot(page, 'price-alerts-page.png');
  });

  await check('an alert\'s channels are changed in its form; Delete removes it', async () => {
    const item = page.locator('.price-alert').first();
    const rule = item.locator('form.alert-rule');
    await rule.getByLabel('Text message (SMS)').uncheck();
    await rule.getByLabel('Webhook').check();
    await rule.getByRole('button', { name: 'Save' }).click();
    await page.locator('.price-alert .price-alert-channels', { hasText: 'By E-mail, In the app, Webhook' }).waitFor();
    const a = (await alertsApi()).items[0];
    assert(JSON.stringify(a.channels) === JSON.stringify(['email', 'in_app', 'webhook']), `channels ${a.channels}`);
    assert(a.max_price.amount_minor === 45000, 'the rule changed');
    await page.getByRole('button', { name: 'Delete the alert LON to NYC' }).click();
    await page.locator('.alerts-empty').waitFor();
    assert((await alertsApi()).total === 0, 'still listed by the API');
  });

  await check('no page errors', async () => {
    assert(pageErrors.length === 0, pageErrors.join('; '));
  });
}

runE2E(main, OVERALL_TIMEOUT_MS);
