#!/usr/bin/env node
// End-to-end test of the phone number on the account page, against a Contrail server running
// the sandbox world (its SMS gateway receives the codes):
//
//   CT_E2E_BASE=http://127.0.0.1:8080 CT_SANDBOX_DIR=var/sandbox node e2e/phone.mjs
//
// Registers a fresh account over the API, signs in through the page, types a malformed number
// (refused on the field, nothing sent), then a real one and "Send code"; reads the code from
// the gateway's message list (GET /api/v1/messages?to=, the URL from world.json), types a
// wrong code (the server's "attempts left" on the field), then the right one, and sees the
// number verified, also after a reload.
//
// Env: CT_E2E_BASE (or CT_BASE_URL) the server; CT_SANDBOX_DIR the world's folder (its
// world.json names the gateway) or CT_SMS_URL the gateway; CT_SCREENSHOT_DIR, CHROMIUM.

import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { assert, check, launchBrowser, runE2E, screenshot } from './harness.mjs';

const OVERALL_TIMEOUT_MS = 120_000;
const STEP_TIMEOUT_MS = 10_000;
const BASE = (process.env.CT_E2E_BASE || process.env.CT_BASE_URL || '').replace(/\/+$/, '');
const RUN_ID = crypto.randomBytes(4).toString('hex');
const EMAIL = `e2e-phone-${RUN_ID}@example.com`;
const PASSWORD = `trail mix ${crypto.randomBytes(6).toString('hex')}`;
// A number of the UK's drama range, different per run: +44 7700 900000-900999.
const PHONE = `+447700900${String(crypto.randomInt(1000)).padStart(3, '0')}`;

function smsUrl() {
  if (process.env.CT_SMS_URL) return process.env.CT_SMS_URL.replace(/\/+$/, '');
  const dir = process.env.CT_SANDBOX_DIR;
  if (!dir) return null;
  const world = JSON.parse(fs.readFileSync(path.join(dir, 'world.json'), 'utf8'));
  return world.sms?.url ?? null;
}

/** The 6-digit code of the newest SMS to PHONE (waits for it). */
async function codeFromGateway(gateway, after = 0) {
  for (let i = 0; i < 50; i++) {
    const res = await fetch(`${gateway}/api/v1/messages?to=${encodeURIComponent(PHONE)}&limit=1`);
    const list = await res.json();
    if (list.total > after) {
      const m = /code is (\d{6})/.exec(list.items[0].body);
      assert(m, `no code in "${list.items[0].body}"`);
      return { code: m[1], total: list.total };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no SMS to ${PHONE} arrived at ${gateway}`);
}

async function main(state) {
  if (!BASE) throw new Error('CT_E2E_BASE is not set');
  const gateway = smsUrl();
  if (!gateway) throw new Error('neither CT_SMS_URL nor CT_SANDBOX_DIR names the SMS gateway');
  const reg = await fetch(`${BASE}/api/v1/users`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: EMAIL, password: PASSWORD, name: 'Ada Phone' }),
  });
  assert(reg.status === 202, `sign-up answered ${reg.status}`);

  state.browser = await launchBrowser();
  const page = await state.browser.newPage({ viewport: { width: 1100, height: 900 } });
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  const phoneInput = page.getByLabel('Mobile number');
  const codeInput = page.getByLabel('Code from the text message');
  const phoneState = page.locator('[data-testid="phone-state"]');

  await check(
    'signed in, the account page shows the phone section',
    async () => {
      await page.goto(`${BASE}/sign-in?next=%2Faccount`, { waitUntil: 'load' });
      await page.getByLabel('E-mail address').fill(EMAIL);
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.keyboard.press('Enter');
      await page.waitForURL((u) => u.pathname === '/account');
      await phoneState.waitFor({ state: 'visible' });
      assert(/No phone number yet/.test(await phoneState.innerText()), `state: ${await phoneState.innerText()}`);
    },
    { fatal: true },
  );

  let sent = null;
  await check('a malformed number is refused on the field and nothing is sent', async () => {
    await phoneInput.fill('07700 900123');
    await page.getByRole('button', { name: 'Send code' }).click();
    await page.waitForFunction((el) => el.getAttribute('aria-invalid') === 'true', await phoneInput.elementHandle());
    const res = await fetch(`${gateway}/api/v1/messages?to=${encodeURIComponent(PHONE)}`);
    assert((await res.json()).total === 0, 'an SMS was sent');
  });

  await check('"Send code" sends a 6-digit code by SMS to the number', async () => {
    await phoneInput.fill(PHONE.replace(/^(\+44)(\d{4})(\d{6})$/, '$1 $2 $3'));
    await page.getByRole('button', { name: 'Send code' }).click();
    await codeInput.waitFor({ state: 'visible' });
    await page.getByText(`We sent a code to ${PHONE}`).waitFor();
    sent = await codeFromGateway(gateway);
    await screenshot(page, 'account-phone-code-sent.png');
  });

  await check('a wrong code is refused with the attempts left', async () => {
    assert(sent, 'no code was sent');
    const wrong = sent.code === '000000' ? '111111' : '000000';
    await codeInput.fill(wrong);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForFunction((el) => el.getAttribute('aria-invalid') === 'true', await codeInput.elementHandle());
    await page.getByText(/4 attempts left/).first().waitFor();
  });

  await check('the right code verifies the number, also after a reload', async () => {
    assert(sent, 'no code was sent');
    await codeInput.fill(sent.code);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByText('Your phone number is verified.').waitFor();
    assert(/Verified/.test(await phoneState.innerText()), `state: ${await phoneState.innerText()}`);
    await screenshot(page, 'account-phone-verified.png');
    await page.reload({ waitUntil: 'load' });
    await phoneState.waitFor({ state: 'visible' });
    await page.waitForFunction((p) => (document.querySelector('[data-testid="phone-state"]')?.textContent ?? '').includes(p), PHONE);
    assert(/Verified/.test(await phoneState.innerText()), `after reload: ${await phoneState.innerText()}`);
  });
}

runE2E(main, OVERALL_TIMEOUT_MS);
