#!/usr/bin/env node
// End-to-end test of the account pages against a running Contrail server.
//
//   CT_BASE_URL=http://127.0.0.1:8080 npm run e2e:accounts
//
// Signs up a fresh random e-mail, edits the profile and the notification
// settings (and reloads to see them kept), adds / edits / deletes a saved traveller (after an invalid attempt;
// nationality and issuing country picked by name),
// checks the security log (with the device and address), creates, lists and
// revokes an API key, signs out, checks the sign-in redirect and a
// wrong password, signs in again and finally deletes the account. E-mail
// links (verification, reset) arrive by SMTP and are tested elsewhere.
//
// Env:
//   CT_BASE_URL        base URL of the server that serves web/dist and /api/v1 (required)
//   CT_SCREENSHOT_DIR  where to write the screenshots (default: web/e2e/out)
//   CHROMIUM           Chromium executable (default: /usr/bin/chromium)
//
// Prints one line per check and a final "N passed, M failed" line; exits 1
// if any check failed (2 for a usage error).

import fs from 'node:fs';
import crypto from 'node:crypto';
import {
  assert,
  baseUrl,
  check,
  isoDate,
  launchBrowser,
  runE2E,
  screenshot,
  typeInto,
} from './harness.mjs';

const OVERALL_TIMEOUT_MS = 150_000;
const STEP_TIMEOUT_MS = 8_000;

const BASE = baseUrl('e2e:accounts');

const RUN_ID = `${Date.now().toString(36)}-${crypto.randomBytes(4).toString('hex')}`;
const EMAIL = `e2e-${RUN_ID}@example.com`;
const PASSWORD = `trail mix ${crypto.randomBytes(6).toString('hex')}`;
const SESSION_KEY = 'contrail.session';

/** Accessibility facts about a form control, read in the page. */
async function fieldInfo(locator) {
  return locator.evaluate((el) => {
    const ids = (el.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean);
    return {
      invalid: el.getAttribute('aria-invalid'),
      described: ids.map((id) => document.getElementById(id)?.textContent ?? '').join(' | '),
      focused: document.activeElement === el,
      value: 'value' in el ? el.value : '',
    };
  });
}

async function expectFieldError(locator, pattern, what) {
  await locator.page().waitForFunction((el) => el.getAttribute('aria-invalid') === 'true', await locator.elementHandle(), { timeout: STEP_TIMEOUT_MS });
  const info = await fieldInfo(locator);
  assert(pattern.test(info.described), `${what}: aria-describedby text "${info.described}" does not match ${pattern}`);
  return info;
}

async function sessionToken(page) {
  return page.evaluate((k) => {
    const raw = sessionStorage.getItem(k);
    return raw ? JSON.parse(raw).refresh_token ?? null : null;
  }, SESSION_KEY);
}

/** Wait for the combobox's listbox to offer `code`, then pick it with ArrowDown/Enter. */
async function chooseFromCombobox(page, input, code) {
  const listId = await input.getAttribute('aria-controls');
  assert(listId, 'combobox has no aria-controls');
  await page.waitForFunction(
    ({ listId, code }) => {
      const lb = document.getElementById(listId);
      return !!lb && !lb.hidden && Array.from(lb.querySelectorAll('[role="option"] .opt-badge')).some((b) => b.textContent === code);
    },
    { listId, code },
    { timeout: STEP_TIMEOUT_MS },
  );
  const n = await page.locator(`#${listId} [role="option"]`).count();
  for (let i = 0; i < n; i++) {
    await input.press('ArrowDown');
    const active = await input.evaluate((el) => {
      const id = el.getAttribute('aria-activedescendant');
      return id ? (document.getElementById(id)?.querySelector('.opt-badge')?.textContent ?? '') : '';
    });
    if (active === code) {
      await input.press('Enter');
      return;
    }
  }
  throw new Error(`option ${code} never became active`);
}

async function main(state) {
  state.browser = await launchBrowser();
  const context = await state.browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);

  const pageErrors = [];
  const apiLog = [];
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // 4xx answers from the API are expected here (wrong password, signed-out checks) and
    // Chromium logs each as "Failed to load resource"; they are checked through apiLog.
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) pageErrors.push(`console: ${m.text()}`);
  });
  page.on('response', (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith('/api/')) apiLog.push({ method: r.request().method(), path: u.pathname, status: r.status() });
    else if (r.status() >= 400) pageErrors.push(`HTTP ${r.status()} ${u.pathname}`);
  });
  page.on('requestfailed', (r) => {
    const why = r.failure()?.errorText ?? '';
    if (new URL(r.url()).pathname.startsWith('/api/') && /ERR_ABORTED/.test(why)) return; // combobox aborts stale lookups
    pageErrors.push(`request failed: ${r.url()} ${why}`);
  });

  const header = page.locator('header.site-header');
  const userButton = header.locator('button.user-button');
  const signInLink = header.getByRole('link', { name: 'Sign in' });
  const h1 = page.locator('h1#page-title');
  const accountNav = page.getByRole('navigation', { name: 'Account sections' });

  /* ---------------------------------------------------------------- */
  /* Sign up                                                          */
  /* ---------------------------------------------------------------- */

  await check('sign-up page loads at /sign-up (HTTP 200, text/html, client route)', async () => {
    const res = await page.goto(`${BASE}/sign-up`, { waitUntil: 'load', timeout: 15_000 });
    assert(res && res.status() === 200, `status ${res?.status()}`);
    assert(/text\/html/i.test(res.headers()['content-type'] ?? ''), 'not text/html');
    await h1.waitFor({ state: 'visible' });
    assert(/create your account/i.test(await h1.innerText()), `h1 "${await h1.innerText()}"`);
    assert((await page.title()).includes('Create an account'), `title "${await page.title()}"`);
  }, { fatal: true });

  await check('header shows "Sign in" while signed out', async () => {
    await signInLink.waitFor({ state: 'visible' });
    assert((await userButton.count()) === 0, 'user menu shown while signed out');
  });

  const suEmail = page.getByLabel('E-mail address');
  const suPassword = page.getByLabel('Password', { exact: true });

  await check('submitting the empty sign-up form flags the fields and focuses the e-mail', async () => {
    await page.getByRole('button', { name: 'Create account' }).click();
    const info = await expectFieldError(suEmail, /e-mail/i, 'e-mail');
    assert(info.focused, 'the e-mail field is not focused');
    await expectFieldError(suPassword, /password/i, 'password');
    const alert = page.locator('form [role="alert"]');
    assert(/highlighted/.test(await alert.innerText()), 'no summary in the alert');
  });

  await check('a too-short password is refused on the password field', async () => {
    await suEmail.fill(EMAIL);
    await suPassword.fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expectFieldError(suPassword, /10 characters/, 'password');
    assert((await suEmail.getAttribute('aria-invalid')) !== 'true', 'e-mail still invalid');
  });

  await check('signing up lands signed in on /account', async () => {
    await page.getByLabel('Your name').fill('E2E Tester');
    await suPassword.fill(PASSWORD);
    await screenshot(page, 'signup.png');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL((u) => u.pathname === '/account', { timeout: 15_000 });
    await userButton.waitFor({ state: 'visible' });
    assert(/E2E Tester/.test(await userButton.innerText()), `header: "${await userButton.innerText()}"`);
    assert((await signInLink.count()) === 0, '"Sign in" still in the header');
    assert(await sessionToken(page), 'no refresh token in sessionStorage');
  }, { fatal: true });

  await check('the welcome message names the e-mail; the address shows as not confirmed', async () => {
    const flash = page.locator('.page-flash');
    await flash.waitFor({ state: 'visible' });
    assert((await flash.innerText()).includes(EMAIL), `flash: "${await flash.innerText()}"`);
    assert(/not confirmed/i.test(await page.locator('.page-lede').innerText()), 'no "not confirmed" badge');
  });

  /* ---------------------------------------------------------------- */
  /* Profile                                                          */
  /* ---------------------------------------------------------------- */

  const nameInput = page.locator('[data-field="name"] input');
  const homeInput = page.getByRole('combobox', { name: /Home airport/ });
  const currency = page.getByLabel('Currency');
  const cabin = page.getByLabel('Cabin');
  const webhook = page.getByRole('switch', { name: 'Webhook' });
  // E-mail notifications are set per kind in the Notifications card (docs/notifications.md).
  const emailSwitch = page.locator('#notification-prefs').getByRole('checkbox', { name: 'Bookings: E-mail' });

  await check('profile edits (name, home airport via the combobox, currency, cabin, notifications) are saved', async () => {
    await nameInput.waitFor({ state: 'visible' });
    await nameInput.fill('Ada E2E');
    await typeInto(homeInput, 'zur');
    await chooseFromCombobox(page, homeInput, 'ZRH');
    assert(/\(ZRH\)/.test(await homeInput.inputValue()), `home airport "${await homeInput.inputValue()}"`);
    await currency.selectOption('CHF');
    await cabin.selectOption('business');
    await webhook.check();
    await page.getByRole('button', { name: 'Save changes' }).click();
    const status = page.locator('#card-profile-and-preferences .form-status[role="status"]');
    await page.waitForFunction((el) => /saved/i.test(el.textContent ?? ''), await status.elementHandle(), { timeout: STEP_TIMEOUT_MS });
    await emailSwitch.uncheck();
    await page.getByRole('button', { name: 'Save notification settings' }).click();
    const saved = page.locator('#notification-prefs .form-status[role="status"]');
    await page.waitForFunction((el) => /saved/i.test(el.textContent ?? ''), await saved.elementHandle(), { timeout: STEP_TIMEOUT_MS });
    await page.waitForFunction(() => /Ada E2E/.test(document.querySelector('.user-button')?.textContent ?? ''), null, { timeout: STEP_TIMEOUT_MS });
  });

  await check('the profile is still there after a reload (and the refresh token rotated)', async () => {
    const before = await sessionToken(page);
    await page.reload({ waitUntil: 'load' });
    await nameInput.waitFor({ state: 'visible' });
    assert((await nameInput.inputValue()) === 'Ada E2E', `name "${await nameInput.inputValue()}"`);
    await page.waitForFunction(() => /\(ZRH\)/.test(document.querySelector('[data-field="home_airport"] input')?.value ?? ''), null, { timeout: STEP_TIMEOUT_MS });
    assert((await currency.inputValue()) === 'CHF', `currency ${await currency.inputValue()}`);
    assert((await cabin.inputValue()) === 'business', `cabin ${await cabin.inputValue()}`);
    assert(await webhook.isChecked(), 'webhook switch off');
    await emailSwitch.waitFor({ state: 'visible' });
    assert(!(await emailSwitch.isChecked()), 'booking e-mails on');
    const after = await sessionToken(page);
    assert(after && before && after !== before, 'refresh token in sessionStorage did not change after the reload refresh');
    await screenshot(page, 'account.png');
  });

  await check('"Download my data" saves a JSON export with the profile', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download my data' }).click()]);
    assert(download.suggestedFilename() === 'contrail-data.json', `filename ${download.suggestedFilename()}`);
    const file = await download.path();
    const data = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert(data.profile?.email === EMAIL, 'export has another e-mail');
    assert(data.profile?.home_airport === 'ZRH' && data.profile?.currency === 'CHF', 'export lacks the saved preferences');
    await page.waitForFunction(() => /downloaded/i.test(document.querySelector('#card-your-data [role="status"]')?.textContent ?? ''), null, { timeout: STEP_TIMEOUT_MS });
  });

  await check('a new search starts from the saved home airport and cabin', async () => {
    await header.getByRole('link', { name: 'Search' }).click();
    await page.waitForURL((u) => u.pathname === '/' && u.search === '');
    await page.waitForFunction(() => /\(ZRH\)/.test(document.getElementById('origin-input')?.value ?? ''), null, { timeout: STEP_TIMEOUT_MS });
    assert((await page.locator('#origin-code').inputValue()) === 'ZRH', 'origin code not ZRH');
    assert((await page.locator('#cabin-input').inputValue()) === 'business', 'cabin not business');
  });

  /* ---------------------------------------------------------------- */
  /* Travellers                                                       */
  /* ---------------------------------------------------------------- */

  await check('the account menu works from the keyboard and leads to Travellers', async () => {
    await userButton.focus();
    await page.keyboard.press('ArrowDown');
    assert((await userButton.getAttribute('aria-expanded')) === 'true', 'menu did not open');
    let focused = await page.evaluate(() => document.activeElement?.textContent?.trim());
    assert(focused === 'Account', `focus on "${focused}"`);
    await page.keyboard.press('ArrowDown');
    focused = await page.evaluate(() => document.activeElement?.textContent?.trim());
    assert(focused === 'My trips', `focus on "${focused}"`);
    await page.keyboard.press('ArrowDown');
    focused = await page.evaluate(() => document.activeElement?.textContent?.trim());
    assert(focused === 'Price alerts', `focus on "${focused}"`);
    await page.keyboard.press('ArrowDown');
    focused = await page.evaluate(() => document.activeElement?.textContent?.trim());
    assert(focused === 'Travellers', `focus on "${focused}"`);
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.pathname === '/account/travellers');
    await page.waitForFunction(() => document.activeElement?.id === 'page-title' && /Saved travellers/.test(document.activeElement.textContent ?? ''), null, { timeout: STEP_TIMEOUT_MS });
    await page.locator('.empty').waitFor({ state: 'visible' });
  });

  const form = page.locator('#traveller-form');
  const given = form.getByLabel('Given names');
  const family = form.getByLabel('Family name');
  const birth = form.getByLabel('Date of birth');

  await check('an invalid traveller is refused with errors on the right fields', async () => {
    await page.getByRole('button', { name: 'Add traveller' }).click();
    await given.waitFor({ state: 'visible' });
    assert(await given.evaluate((el) => el === document.activeElement), 'Given names not focused when the form opens');
    await given.fill('R2-D2');
    await family.fill('Droid');
    await birth.fill(isoDate(30));
    await form.getByRole('button', { name: 'Save traveller' }).click();
    const info = await expectFieldError(given, /only contain letters/, 'given names');
    assert(info.focused, 'first invalid field not focused');
    await expectFieldError(birth, /future/, 'date of birth');
    assert((await family.getAttribute('aria-invalid')) !== 'true', 'family name flagged');
    assert(!apiLog.some((c) => c.method === 'POST' && c.path === '/api/v1/me/travellers'), 'invalid traveller was sent to the server');
    await screenshot(page, 'travellers-error.png');
  });

  await check('a valid traveller with a passport is added', async () => {
    await given.fill('Grace');
    await birth.fill('1990-12-09');
    await family.fill('Hopper');
    await form.getByLabel('Save a passport or ID card for this traveller').check();
    await form.getByLabel('Document number').fill('p1234 567');
    await form.getByLabel('Nationality').selectOption({ label: 'Ireland' });
    await form.getByLabel('Issuing country').selectOption({ label: 'United States' });
    await form.getByLabel('Expiry date').fill(isoDate(800));
    await form.getByRole('button', { name: 'Save traveller' }).click();
    const item = page.locator('.traveller', { hasText: 'Grace Hopper' });
    await item.waitFor({ state: 'visible' });
    assert(/United States/.test(await item.innerText()) && /Ireland/.test(await item.innerText()), `card: ${await item.innerText()}`);
    assert(/4567/.test(await item.innerText()), 'document number not shown (masked)');
    assert(/added/.test(await page.locator('.page-status').innerText()), 'no success message');
    assert(await form.isHidden(), 'form still open');
  });

  await check('the traveller is edited', async () => {
    await page.getByRole('button', { name: 'Edit Grace Hopper' }).click();
    assert((await family.inputValue()) === 'Hopper', 'form not prefilled');
    assert((await form.getByLabel('Document number').inputValue()) === 'P1234567', 'document number not normalised');
    await family.fill('Hopper-Murray');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('.traveller-name', { hasText: 'Grace Hopper-Murray' }).waitFor({ state: 'visible' });
    assert(/saved/i.test(await page.locator('.page-status').innerText()), 'no success message');
  });

  await check('saved travellers are still there after a reload', async () => {
    await page.reload({ waitUntil: 'load' });
    await page.locator('.traveller-name', { hasText: 'Grace Hopper-Murray' }).waitFor({ state: 'visible' });
    assert((await page.locator('.traveller').count()) === 1, 'expected exactly one traveller');
    const card = await page.locator('.traveller').innerText();
    assert(/Nationality\s*Ireland/.test(card) && /United States/.test(card), `the countries did not come back: ${card}`);
    await screenshot(page, 'travellers.png');
  });

  await check('the traveller is deleted after an inline confirmation', async () => {
    await page.getByRole('button', { name: 'Delete Grace Hopper-Murray' }).click();
    const yes = page.getByRole('button', { name: 'Yes, delete Grace Hopper-Murray' });
    await yes.waitFor({ state: 'visible' });
    assert(await yes.evaluate((el) => el === document.activeElement), 'confirm button not focused');
    await page.keyboard.press('Enter');
    await page.locator('.empty').waitFor({ state: 'visible' });
    assert(/deleted/.test(await page.locator('.page-status').innerText()), 'no success message');
  });

  /* ---------------------------------------------------------------- */
  /* Security                                                         */
  /* ---------------------------------------------------------------- */

  await check('the security page lists the sign-in', async () => {
    await accountNav.getByRole('link', { name: 'Security' }).click();
    await page.waitForURL((u) => u.pathname === '/account/security');
    const row = page.locator('.events-table tr[data-kind="signin"]').first();
    await row.waitFor({ state: 'visible' });
    assert(/Signed in/.test(await row.innerText()), `row: ${await row.innerText()}`);
    assert((await page.locator('.events-table tr[data-kind="registered"]').count()) === 1, 'no "Account created" row');
    await screenshot(page, 'security.png');
  });

  await check('the security page shows the device and address of the sign-in', async () => {
    const row = page.locator('.events-table tr[data-kind="signin"]').first();
    const device = (await row.locator('.device-name').innerText()).trim();
    assert(/^Chrom(e|ium) on Linux$/.test(device), `device "${device}"`);
    assert(/^(127\.0\.0\.1|::1)$/.test((await row.locator('td.mono').innerText()).trim()), 'no address');
  });

  await check('an API key is created with its scopes, listed, and revoked', async () => {
    await accountNav.getByRole('link', { name: 'API keys' }).click();
    await page.waitForURL((u) => u.pathname === '/account/api-keys');
    await page.locator('#api-keys .empty, #api-keys .key-list').first().waitFor({ state: 'visible' });
    await page.getByLabel('Name', { exact: true }).fill('E2E monitor');
    await page.getByRole('checkbox', { name: /^Search/ }).check();
    await page.getByRole('checkbox', { name: /^Prices/ }).check();
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = page.locator('.key-secret code');
    await secret.waitFor({ state: 'visible' });
    const key = (await secret.innerText()).trim();
    assert(/^ck_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/.test(key), `secret "${key}"`);
    const item = page.locator('.key', { hasText: 'E2E monitor' });
    await item.waitFor({ state: 'visible' });
    const text = await item.innerText();
    assert(text.includes(`ck_${key.slice(3, 11)}_`) && !text.includes(key.slice(12)), `listed as "${text}"`);
    assert(/Search, Prices/.test(text), `scopes in "${text}"`);
    // The key works on a route of its scope, and no longer after the revocation.
    const useKey = () => page.evaluate(async (k) => (await fetch('/api/v1/airports?q=zur', { headers: { 'X-API-Key': k }, cache: 'no-store' })).status, key);
    const before = await useKey();
    await page.getByRole('button', { name: 'I have stored it' }).click();
    assert((await page.locator('.key-secret').count()) === 0, 'the secret is still shown');
    await page.reload({ waitUntil: 'load' });
    await item.waitFor({ state: 'visible' });
    assert(!(await page.locator('body').innerText()).includes(key), 'the secret is shown again after a reload');
    await page.getByRole('button', { name: 'Revoke E2E monitor' }).click();
    await page.getByRole('button', { name: 'Yes, revoke E2E monitor' }).click();
    await item.locator('.key-badge').waitFor({ state: 'visible' });
    assert(apiLog.some((c) => c.method === 'DELETE' && c.path.startsWith('/api/v1/me/api-keys/') && c.status === 204), 'no successful DELETE /me/api-keys/{id}');
    const after = await useKey();
    assert(after === 401 && before !== 401, `the key answered ${before} before and ${after} after the revocation`);
    await screenshot(page, 'api-keys.png');
  });

  /* ---------------------------------------------------------------- */
  /* Sign out, redirect, wrong password, sign in                      */
  /* ---------------------------------------------------------------- */

  await check('signing out from the menu returns to search, signed out', async () => {
    await userButton.click();
    await header.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((u) => u.pathname === '/');
    await signInLink.waitFor({ state: 'visible' });
    assert((await sessionToken(page)) === null, 'refresh token still stored');
    assert(apiLog.some((c) => c.path === '/api/v1/sessions/revoke' && c.status === 204), 'no successful POST /sessions/revoke');
    await page.waitForFunction(() => /signed out/i.test(document.getElementById('toast')?.textContent ?? ''), null, { timeout: STEP_TIMEOUT_MS });
  });

  await check('/account redirects to sign-in when signed out', async () => {
    await page.goto(`${BASE}/account`, { waitUntil: 'load' });
    await page.waitForURL((u) => u.pathname === '/sign-in');
    const u = new URL(page.url());
    assert(u.searchParams.get('next') === '/account', `next=${u.searchParams.get('next')}`);
    await h1.waitFor({ state: 'visible' });
    assert(/sign in/i.test(await h1.innerText()), `h1 "${await h1.innerText()}"`);
  });

  const siEmail = page.getByLabel('E-mail address');
  const siPassword = page.getByLabel('Password', { exact: true });

  await check('a wrong password shows an error and stays on sign-in (keyboard only)', async () => {
    await siEmail.focus();
    await page.keyboard.type(EMAIL);
    await page.keyboard.press('Tab');
    await page.keyboard.type('definitely not it');
    await page.keyboard.press('Enter');
    const alert = page.locator('form [role="alert"]');
    await page.waitForFunction((el) => /not correct/.test(el.textContent ?? ''), await alert.elementHandle(), { timeout: STEP_TIMEOUT_MS });
    assert(new URL(page.url()).pathname === '/sign-in', 'left the sign-in page');
    const info = await fieldInfo(siPassword);
    assert(info.value === '' && info.focused, 'password not cleared and focused');
    assert(apiLog.some((c) => c.path === '/api/v1/sessions' && c.status === 401), 'no 401 from POST /sessions');
    await screenshot(page, 'signin-error.png');
  });

  await check('signing in again returns to /account', async () => {
    await siPassword.fill(PASSWORD);
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.pathname === '/account');
    await page.waitForFunction(() => /Ada E2E/.test(document.querySelector('.user-button')?.textContent ?? ''), null, { timeout: STEP_TIMEOUT_MS });
  });

  /* ---------------------------------------------------------------- */
  /* Delete the account (clean up)                                    */
  /* ---------------------------------------------------------------- */

  await check('deleting the account needs the right password, then signs out', async () => {
    await page.getByRole('button', { name: 'Delete account…' }).click();
    const pw = page.getByLabel('Enter your password to confirm');
    assert(await pw.evaluate((el) => el === document.activeElement), 'password field not focused');
    await pw.fill('wrong password here');
    await page.getByRole('button', { name: 'Delete my account permanently' }).click();
    await expectFieldError(pw, /not correct/, 'delete password');
    await pw.fill(PASSWORD);
    await page.getByRole('button', { name: 'Delete my account permanently' }).click();
    await page.waitForURL((u) => u.pathname === '/');
    await signInLink.waitFor({ state: 'visible' });
    assert((await sessionToken(page)) === null, 'refresh token still stored');
  });

  await check('the deleted account can no longer sign in', async () => {
    await page.goto(`${BASE}/sign-in`, { waitUntil: 'load' });
    await siEmail.fill(EMAIL);
    await siPassword.fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.locator('form [role="alert"]');
    await page.waitForFunction((el) => /not correct/.test(el.textContent ?? ''), await alert.elementHandle(), { timeout: STEP_TIMEOUT_MS });
  });

  /* ---------------------------------------------------------------- */

  await check('every token refresh succeeded (no spent token was sent twice)', async () => {
    const refreshes = apiLog.filter((c) => c.path === '/api/v1/sessions/refresh');
    assert(refreshes.length >= 1, 'no refresh happened (the reload should have refreshed)');
    const bad = refreshes.filter((c) => c.status !== 200);
    assert(bad.length === 0, `refresh answered ${bad.map((c) => c.status).join(', ')}`);
  });

  await check('no page errors, failed asset loads or server errors', async () => {
    const server = apiLog.filter((c) => c.status >= 500).map((c) => `${c.method} ${c.path} → ${c.status}`);
    const all = [...pageErrors, ...server];
    assert(all.length === 0, all.slice(0, 3).join(' | '));
  });

  await context.close();
}

await runE2E(main, OVERALL_TIMEOUT_MS);
