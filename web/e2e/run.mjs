#!/usr/bin/env node
// End-to-end test of the Contrail web app against a running server.
//
//   CT_BASE_URL=http://127.0.0.1:8080 npm run e2e
//
// Env:
//   CT_BASE_URL        base URL of the server that serves web/dist and /api/v1 (required)
//   CT_SCREENSHOT_DIR  where to write autocomplete.png (default: web/e2e/out)
//   CHROMIUM           Chromium executable (default: /usr/bin/chromium)
//
// Prints one line per check and a final "N passed, M failed" line; exits 1
// if any check failed (2 for a usage error).

import {
  assert,
  baseUrl,
  check,
  chooseWithKeyboard,
  comboInfo,
  isoDate,
  launchBrowser,
  runE2E,
  screenshot,
  typeInto,
  waitForOption,
} from './harness.mjs';

const OVERALL_TIMEOUT_MS = 60_000;
const STEP_TIMEOUT_MS = 6_000;

const BASE = baseUrl('e2e');

async function main(state) {
  state.browser = await launchBrowser();
  const context = await state.browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-US' });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);

  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(`console: ${m.text()}`);
  });
  page.on('response', (r) => {
    const u = new URL(r.url());
    if (r.status() >= 400 && !u.pathname.startsWith('/api/')) pageErrors.push(`HTTP ${r.status()} ${u.pathname}`);
  });
  page.on('requestfailed', (r) => {
    const why = r.failure()?.errorText ?? '';
    // The combobox deliberately aborts stale API lookups.
    if (new URL(r.url()).pathname.startsWith('/api/') && /ERR_ABORTED/.test(why)) return;
    pageErrors.push(`request failed: ${r.url()} ${why}`);
  });

  const origin = page.getByRole('combobox', { name: 'From' });
  const dest = page.getByRole('combobox', { name: 'To' });
  const status = page.locator('#search-status');

  await check('page loads (HTTP 200, text/html)', async () => {
    const res = await page.goto(BASE, { waitUntil: 'load', timeout: 15_000 });
    assert(res, 'no response');
    assert(res.status() === 200, `status ${res.status()}`);
    const ct = res.headers()['content-type'] ?? '';
    assert(/text\/html/i.test(ct), `content-type is "${ct}"`);
  }, { fatal: true });

  await check('header says Contrail', async () => {
    const header = page.locator('header').first();
    await header.waitFor({ state: 'visible' });
    const text = await header.innerText();
    assert(/Contrail/.test(text), `header text: ${JSON.stringify(text.slice(0, 80))}`);
  }, { fatal: true });

  await check('origin and destination are ARIA comboboxes (collapsed, controlling a listbox)', async () => {
    await origin.waitFor({ state: 'visible' });
    for (const [label, input] of [
      ['From', origin],
      ['To', dest],
    ]) {
      const info = await comboInfo(input);
      assert(info.role === 'combobox', `${label}: role=${info.role}`);
      assert(info.expanded === 'false', `${label}: aria-expanded=${info.expanded}`);
      assert(info.listboxRole === 'listbox', `${label}: aria-controls does not point to a listbox`);
      assert(!info.activeId, `${label}: aria-activedescendant set while closed`);
    }
  });

  await check('submitting the empty form shows inline errors', async () => {
    await page.getByRole('button', { name: 'Search flights' }).click();
    const err = page.locator('#origin-error');
    await err.waitFor({ state: 'visible' });
    assert((await err.innerText()).trim().length > 0, 'origin error is empty');
    assert((await origin.getAttribute('aria-invalid')) === 'true', 'origin not aria-invalid');
    const describedBy = (await origin.getAttribute('aria-describedby')) ?? '';
    assert(describedBy.split(/\s+/).includes('origin-error'), `aria-describedby="${describedBy}"`);
    assert((await status.innerText()).trim() === '', 'status message shown for an invalid search');
  });

  await check('typing "zur" in From shows an option with ZRH', async () => {
    await typeInto(origin, 'zur');
    await waitForOption(page, origin, 'ZRH');
  });

  await check('aria-expanded is true while the list is open', async () => {
    const info = await comboInfo(origin);
    assert(info.expanded === 'true', `aria-expanded=${info.expanded}`);
    assert(info.listboxVisible, 'listbox not visible');
  });

  await check('ArrowDown sets aria-activedescendant to an existing, selected option', async () => {
    await origin.press('ArrowDown');
    const info = await comboInfo(origin);
    assert(info.activeId, 'no aria-activedescendant');
    assert(info.activeExists, `aria-activedescendant="${info.activeId}" points to nothing`);
    assert(info.activeInListbox, 'active option is not inside the controlled listbox');
    assert(info.activeRole === 'option', `active element role=${info.activeRole}`);
    assert(info.activeSelected === 'true', `active option aria-selected=${info.activeSelected}`);
  });

  await check('ArrowDown/Enter selects ZRH and closes the list', async () => {
    // Start from a known position: close, then walk the list from the top.
    await origin.press('Escape');
    await chooseWithKeyboard(origin, 'ZRH');
    const info = await comboInfo(origin);
    assert(/\(ZRH\)$/.test(info.value), `field value "${info.value}"`);
    assert(info.expanded === 'false', `aria-expanded=${info.expanded} after selecting`);
    assert(!info.activeId, 'aria-activedescendant left set after closing');
    assert((await page.locator('#origin-code').inputValue()) === 'ZRH', 'form does not store the code ZRH');
  });

  await check('typing "new york" in To shows NYC', async () => {
    await typeInto(dest, 'new york');
    await waitForOption(page, dest, 'NYC');
  });

  await check('JFK appears among the "new york" options', async () => {
    const info = await comboInfo(dest);
    assert(info.codes.includes('JFK'), `options: [${info.codes.join(', ')}]`);
  });

  await check('NYC is selected with the keyboard and shown as a metro', async () => {
    await chooseWithKeyboard(dest, 'NYC');
    const info = await comboInfo(dest);
    assert(/\(NYC\) — all airports$/.test(info.value), `field value "${info.value}"`);
    assert(info.expanded === 'false', `aria-expanded=${info.expanded}`);
    assert((await page.locator('#destination-code').inputValue()) === 'NYC', 'form does not store the code NYC');
  });

  const depart = isoDate(30);
  const ret = isoDate(37);
  await check('departure and return dates can be picked', async () => {
    await page.getByLabel('Departure').fill(depart);
    await page.getByLabel('Return').fill(ret);
    assert((await page.getByLabel('Departure').inputValue()) === depart, 'departure not set');
    assert((await page.getByLabel('Return').inputValue()) === ret, 'return not set');
  });

  await check('submitting opens the results page for ZRH → NYC', async () => {
    await page.getByRole('button', { name: 'Search flights' }).click();
    await page.waitForURL((u) => u.pathname === '/search', { timeout: STEP_TIMEOUT_MS });
    const h1 = await page.locator('#app-view h1').innerText();
    assert(/ZRH/.test(h1) && /NYC/.test(h1), `results heading: "${h1}"`);
    assert((await status.innerText()).trim() === '', `status message shown: "${await status.innerText()}"`);
  });

  await check('the search is kept in the URL query string', async () => {
    const u = new URL(page.url());
    assert(u.searchParams.get('from') === 'ZRH' && u.searchParams.get('to') === 'NYC', `url ${page.url()}`);
    assert(u.searchParams.get('date') === depart && u.searchParams.get('return') === ret, `dates in url ${page.url()}`);
  });

  await check('Back returns to the filled form', async () => {
    await page.goBack();
    await origin.waitFor({ state: 'visible' });
    const u = new URL(page.url());
    assert(u.pathname === '/' && u.searchParams.get('from') === 'ZRH', `url ${page.url()}`);
    assert((await page.locator('#origin-code').inputValue()) === 'ZRH', 'form lost ZRH');
    assert((await origin.getAttribute('aria-invalid')) !== 'true', 'origin still marked invalid');
  });

  await check('One-way disables the return date', async () => {
    await page.getByLabel('One-way').check();
    assert(await page.getByLabel('Return').isDisabled(), 'return date still enabled');
    await page.getByLabel('Round trip').check();
    assert(!(await page.getByLabel('Return').isDisabled()), 'return date not re-enabled');
  });

  await check('typing "lon" lists LON first', async () => {
    await typeInto(origin, 'lon');
    await waitForOption(page, origin, 'LON', { first: true });
    await origin.press('ArrowDown');
    await origin.press('ArrowDown');
  });

  await check('screenshot autocomplete.png is saved', async () => {
    await screenshot(page, 'autocomplete.png', { fullPage: false });
  });

  await check('ArrowUp wraps from the first option to the last', async () => {
    await origin.press('Escape');
    await origin.press('ArrowDown'); // reopen on the first option
    const first = await comboInfo(origin);
    assert(first.expanded === 'true', 'ArrowDown did not reopen the list');
    assert(first.activeCode === first.codes[0], `active ${first.activeCode}, expected ${first.codes[0]}`);
    await origin.press('ArrowUp');
    const last = await comboInfo(origin);
    assert(last.activeCode === last.codes[last.codes.length - 1], `active ${last.activeCode} after wrap`);
    assert(last.activeExists, 'aria-activedescendant points to nothing');
  });

  await check('Escape closes the list (aria-expanded false)', async () => {
    await origin.press('Escape');
    const info = await comboInfo(origin);
    assert(info.expanded === 'false', `aria-expanded=${info.expanded}`);
    assert(!info.listboxVisible, 'listbox still visible');
    assert(!info.activeId, 'aria-activedescendant still set');
  });

  await check('clicking an option selects it', async () => {
    await origin.press('ArrowDown'); // reopen
    const listId = await origin.getAttribute('aria-controls');
    const { codes } = await comboInfo(origin);
    const target = codes[1] ?? codes[0];
    assert(target, 'no options to click');
    await page.locator(`#${listId} [role="option"]`).nth(codes.indexOf(target)).click();
    const info = await comboInfo(origin);
    assert(info.value.includes(`(${target})`), `field value "${info.value}", clicked ${target}`);
    assert((await page.locator('#origin-code').inputValue()) === target, 'form does not store the clicked code');
    assert(info.expanded === 'false', 'list still open');
  });

  await check('an unknown place shows "No matches"', async () => {
    await typeInto(dest, 'qxqxqxqx');
    const msg = page.locator('#destination-input-message');
    await msg.waitFor({ state: 'visible' });
    assert(/no matches/i.test(await msg.innerText()), `message "${await msg.innerText()}"`);
    assert((await dest.getAttribute('aria-expanded')) === 'false', 'expanded with no options');
    await dest.press('Escape');
  });

  await check('no page errors or failed asset loads', async () => {
    assert(pageErrors.length === 0, pageErrors.slice(0, 3).join(' | '));
  });

  await context.close();
}

await runE2E(main, OVERALL_TIMEOUT_MS);
