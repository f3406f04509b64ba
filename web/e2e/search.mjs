#!/usr/bin/env node
// End-to-end test of the search results page (/search) against a running
// server with schedules loaded (e.g. the small sandbox world, covering the
// year from today).
//
//   CT_BASE_URL=http://127.0.0.1:8080 npm run e2e:search
//
// Fills the form LON → NYC one-way for today + 7, submits, waits for the
// results, checks the cards, sorting by "Fastest", a stops filter and the
// live count, the leg details, origin = destination validation, and saves
// search-results.png.
//
// Env:
//   CT_BASE_URL        base URL of the server that serves web/dist and /api/v1 (required)
//   CT_SCREENSHOT_DIR  where to write search-results.png (default: web/e2e/out)
//   CHROMIUM           Chromium executable (default: /usr/bin/chromium)
//
// Prints one line per check and a final "N passed, M failed" line; exits 1
// if any check failed (2 for a usage error).

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OVERALL_TIMEOUT_MS = 90_000;
const STEP_TIMEOUT_MS = 8_000;
/** The search itself (the server may still be loading schedules: we retry on 503). */
const RESULTS_TIMEOUT_MS = 30_000;

const BASE = process.env.CT_BASE_URL;
if (!BASE) {
  console.error('e2e: CT_BASE_URL is not set. Start the Contrail server and run e.g.');
  console.error('     CT_BASE_URL=http://127.0.0.1:8080 npm run e2e:search');
  console.log('0 passed, 1 failed');
  process.exit(2);
}
const SHOT_DIR = path.resolve(process.env.CT_SCREENSHOT_DIR || path.join(HERE, 'out'));
const EXECUTABLE = process.env.CHROMIUM || '/usr/bin/chromium';

let passed = 0;
let failed = 0;
const failures = [];
/** Set once the overall timeout fired: later results are not counted. */
let aborted = false;

class FatalError extends Error {}

/**
 * Run one counted check. With `{ fatal: true }` a failure stops the run
 * (used when nothing after it could work, e.g. the page did not load).
 */
async function check(name, fn, { fatal = false } = {}) {
  if (aborted) return;
  const t0 = Date.now();
  try {
    await fn();
    if (aborted) return;
    passed += 1;
    console.log(`ok   - ${name} (${Date.now() - t0} ms)`);
  } catch (err) {
    if (aborted) return;
    failed += 1;
    const msg = (err && err.message ? err.message : String(err)).split('\n')[0];
    failures.push(`${name}: ${msg}`);
    console.log(`FAIL - ${name}: ${msg}`);
    if (fatal) throw new FatalError(`cannot continue after "${name}" failed`);
  }
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

function isoDate(daysFromToday) {
  const d = new Date();
  d.setDate(d.getDate() + daysFromToday);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** Facts about a combobox input and its active option, read in the page. */
async function comboInfo(input) {
  return input.evaluate((el) => {
    const listId = el.getAttribute('aria-controls');
    const listbox = listId ? document.getElementById(listId) : null;
    const activeId = el.getAttribute('aria-activedescendant');
    const active = activeId ? document.getElementById(activeId) : null;
    const options = listbox ? Array.from(listbox.querySelectorAll('[role="option"]')) : [];
    return {
      role: el.getAttribute('role'),
      expanded: el.getAttribute('aria-expanded'),
      listId,
      listboxRole: listbox ? listbox.getAttribute('role') : null,
      listboxVisible: !!listbox && !listbox.hidden && listbox.getClientRects().length > 0,
      activeId,
      activeExists: !!active,
      activeInListbox: !!active && !!listbox && listbox.contains(active),
      activeRole: active ? active.getAttribute('role') : null,
      activeSelected: active ? active.getAttribute('aria-selected') : null,
      activeCode: active ? (active.querySelector('.opt-badge')?.textContent ?? '') : '',
      codes: options.map((o) => o.querySelector('.opt-badge')?.textContent ?? ''),
      texts: options.map((o) => o.textContent ?? ''),
      value: el.value,
    };
  });
}

async function typeInto(input, text) {
  await input.click();
  await input.press('ControlOrMeta+A');
  await input.press('Backspace');
  await input.pressSequentially(text, { delay: 35 });
}

/**
 * Wait until the input's listbox is visible and has an option with `code`
 * (anywhere, or first when `first` is true).
 */
async function waitForOption(page, input, code, { first = false } = {}) {
  const listId = await input.getAttribute('aria-controls');
  assert(listId, 'combobox has no aria-controls');
  try {
    await page.waitForFunction(
      ({ listId, code, first }) => {
        const lb = document.getElementById(listId);
        if (!lb || lb.hidden) return false;
        const codes = Array.from(lb.querySelectorAll('[role="option"] .opt-badge')).map((b) => b.textContent);
        return first ? codes[0] === code : codes.includes(code);
      },
      { listId, code, first },
      { timeout: STEP_TIMEOUT_MS },
    );
  } catch {
    const info = await comboInfo(input);
    throw new Error(
      `timed out waiting for ${code}${first ? ' as the first option' : ''}; options now: [${info.codes.join(', ')}], aria-expanded=${info.expanded}`,
    );
  }
}

/** Press ArrowDown until the active option has `code`, then Enter. */
async function chooseWithKeyboard(input, code) {
  const before = await comboInfo(input);
  const n = before.codes.length;
  for (let i = 0; i < n; i++) {
    await input.press('ArrowDown');
    const info = await comboInfo(input);
    if (info.activeCode === code) {
      await input.press('Enter');
      return;
    }
  }
  throw new Error(`option ${code} never became active among [${before.codes.join(', ')}]`);
}

/** Facts about the result cards, in page order. */
async function cards(page) {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('.itin')).map((li) => ({
      key: li.getAttribute('data-key'),
      duration: Number(li.getAttribute('data-duration')),
      stops: Number(li.getAttribute('data-stops')),
      flights: li.querySelector('.itin-flights')?.textContent ?? '',
      times: li.querySelectorAll('.itin-time').length,
    })),
  );
}

async function countText(page) {
  return ((await page.locator('#results-count').textContent()) ?? '').trim();
}

/** "3 of 7 itineraries" → [3, 7] */
function parseCount(text) {
  const m = /(\d+) of (\d+) itinerar/.exec(text);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/** Wait for the results (or an error) to replace the loading state; press "Try again" on 503. */
async function waitForResults(page) {
  const deadline = Date.now() + RESULTS_TIMEOUT_MS;
  for (;;) {
    await page.waitForFunction(
      () => document.querySelector('.itin-list, .results-error, .results-nomatch') !== null || /no flights found/i.test(document.querySelector('.results-lists')?.textContent ?? ''),
      null,
      { timeout: Math.max(1000, deadline - Date.now()) },
    );
    const err = page.locator('.results-error');
    if ((await err.count()) === 0) return;
    const text = (await err.first().innerText()).trim();
    if (!/still loading/i.test(text) || Date.now() > deadline) throw new Error(`error shown: ${text}`);
    await page.waitForTimeout(1500);
    await page.getByRole('button', { name: 'Try again' }).first().click();
  }
}

async function main(state) {
  state.browser = await chromium.launch({
    executablePath: EXECUTABLE,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const context = await state.browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);

  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // A 503 while schedules load is expected and handled; anything else is not.
    if (m.type() === 'error' && !/status of 503/.test(m.text())) pageErrors.push(`console: ${m.text()}`);
  });
  page.on('response', (r) => {
    const u = new URL(r.url());
    if (r.status() >= 400 && !u.pathname.startsWith('/api/')) pageErrors.push(`HTTP ${r.status()} ${u.pathname}`);
  });
  page.on('requestfailed', (r) => {
    const why = r.failure()?.errorText ?? '';
    if (new URL(r.url()).pathname.startsWith('/api/') && /ERR_ABORTED/.test(why)) return;
    pageErrors.push(`request failed: ${r.url()} ${why}`);
  });

  const origin = page.getByRole('combobox', { name: 'From' });
  const dest = page.getByRole('combobox', { name: 'To' });
  const depart = isoDate(7);

  await check('home page loads', async () => {
    const res = await page.goto(BASE, { waitUntil: 'load', timeout: 15_000 });
    assert(res && res.status() === 200, `status ${res && res.status()}`);
    await origin.waitFor({ state: 'visible' });
  }, { fatal: true });

  await check(`form filled LON → NYC, one-way, ${depart}`, async () => {
    await page.getByLabel('One-way').check();
    await typeInto(origin, 'london');
    await waitForOption(page, origin, 'LON');
    await chooseWithKeyboard(origin, 'LON');
    await typeInto(dest, 'new york');
    await waitForOption(page, dest, 'NYC');
    await chooseWithKeyboard(dest, 'NYC');
    await page.getByLabel('Departure').fill(depart);
    assert((await page.locator('#origin-code').inputValue()) === 'LON', 'origin code not LON');
    assert((await page.locator('#destination-code').inputValue()) === 'NYC', 'destination code not NYC');
  }, { fatal: true });

  await check('submitting opens /search with the search in the URL', async () => {
    await page.getByRole('button', { name: 'Search flights' }).click();
    await page.waitForURL((u) => u.pathname === '/search', { timeout: STEP_TIMEOUT_MS });
    const u = new URL(page.url());
    assert(u.searchParams.get('from') === 'LON' && u.searchParams.get('to') === 'NYC', `url ${page.url()}`);
    assert(u.searchParams.get('date') === depart, `date in url: ${u.searchParams.get('date')}`);
    assert(!u.searchParams.has('return'), 'one-way search carries a return date');
    const h1 = await page.locator('#app-view h1').innerText();
    assert(/LON/.test(h1) && /NYC/.test(h1), `h1 "${h1}"`);
  }, { fatal: true });

  await check('results arrive: at least one itinerary with legs', async () => {
    await waitForResults(page);
    const list = await cards(page);
    assert(list.length > 0, 'no itineraries shown');
    assert(list.every((c) => c.key && c.key.length > 0 && c.flights.trim().length > 0), 'an itinerary without flights');
    assert(list.every((c) => c.times === 2), 'cards lack departure/arrival times');
  }, { fatal: true });

  await check('summary, honest price note and live count', async () => {
    const summary = await page.locator('#results-summary').innerText();
    assert(/\d+ options?/.test(summary), `summary "${summary}"`);
    const note = await page.locator('.results-prices').innerText();
    assert(/prices coming soon/i.test(note), `price note "${note}"`);
    assert(!/[$€£]\s?\d/.test(await page.locator('.results-lists').innerText()), 'a price is shown');
    const live = page.locator('#results-count');
    assert((await live.getAttribute('role')) === 'status' && (await live.getAttribute('aria-live')) === 'polite', 'count is not a polite live region');
    const c = parseCount(await countText(page));
    assert(c && c[0] === c[1] && c[0] === (await cards(page)).length, `count "${await countText(page)}"`);
  });

  await check('stops labels read "Nonstop" or "N stop(s) via …"', async () => {
    const labels = await page.locator('.itin-stops .itin-strong').allInnerTexts();
    assert(labels.length > 0 && labels.every((t) => /^(Nonstop|1 stop via [A-Z]{3}|[2-9] stops via [A-Z]{3}(, [A-Z]{3})*)/.test(t.trim())), `labels: ${labels.join(' | ')}`);
  });

  await check('leg details expand with local and UTC times', async () => {
    const toggle = page.locator('.itin-toggle').first();
    assert((await toggle.getAttribute('aria-expanded')) === 'false', 'details open before click');
    await toggle.focus();
    await page.keyboard.press('Enter');
    assert((await toggle.getAttribute('aria-expanded')) === 'true', 'aria-expanded not true');
    const details = page.locator(`#${await toggle.getAttribute('aria-controls')}`);
    await details.waitFor({ state: 'visible' });
    const text = await details.innerText();
    assert(/local/.test(text) && /UTC/.test(text), `details: ${text.slice(0, 120)}`);
    assert((await details.locator('.leg').count()) >= 1, 'no legs in the details');
  });

  await check('sorting by "Fastest" orders by duration (and goes into the URL)', async () => {
    const before = await cards(page);
    await page.getByLabel('Sort by').selectOption('fastest');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('sort') === 'fastest');
    const after = await cards(page);
    assert(after.length === before.length, `count changed ${before.length} → ${after.length}`);
    const d = after.map((c) => c.duration);
    assert(d.every((x, i) => i === 0 || d[i - 1] <= x), `durations not ascending: ${d.join(', ')}`);
    assert([...before.map((c) => c.key)].sort().join() === [...after.map((c) => c.key)].sort().join(), 'different itineraries after sorting');
  });

  await check('"Nonstop only" keeps or reduces the count and the live region says so', async () => {
    const [, total] = parseCount(await countText(page)) ?? [];
    const before = (await cards(page)).length;
    await page.getByLabel('Nonstop only').check();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('stops') === '0');
    const after = await cards(page);
    assert(after.length <= before, `count grew ${before} → ${after.length}`);
    assert(after.every((c) => c.stops === 0), 'a connecting itinerary is still shown');
    const text = await countText(page);
    assert(text === `${after.length} of ${total} ${total === 1 ? 'itinerary' : 'itineraries'}`, `live region "${text}"`);
  });

  await check('sort and filters survive a reload (URL state)', async () => {
    await page.reload({ waitUntil: 'load' });
    await waitForResults(page);
    assert((await page.getByLabel('Sort by').inputValue()) === 'fastest', 'sort lost');
    assert(await page.getByLabel('Nonstop only').isChecked(), 'stops filter lost');
    await page.getByLabel('2 stops or fewer').check();
    await page.waitForFunction(() => !new URL(location.href).searchParams.has('stops'));
  });

  await check('screenshot search-results.png is saved', async () => {
    await page.locator('.itin-toggle').first().click();
    fs.mkdirSync(SHOT_DIR, { recursive: true });
    const file = path.join(SHOT_DIR, 'search-results.png');
    await page.screenshot({ path: file, fullPage: true });
    assert(fs.statSync(file).size > 1000, 'screenshot is empty');
    console.log(`     screenshot: ${file}`);
  });

  await check('origin equal to destination is refused by the form', async () => {
    await page.goto(`${BASE.replace(/\/+$/, '')}/?trip=oneway&from=LON&to=LON&depart=${depart}`, { waitUntil: 'load' });
    await page.waitForFunction(() => /\(LON\)/.test(document.querySelector('#destination-input')?.value ?? ''));
    await page.getByRole('button', { name: 'Search flights' }).click();
    const err = page.locator('#destination-error');
    await err.waitFor({ state: 'visible' });
    assert(/different/i.test(await err.innerText()), `error "${await err.innerText()}"`);
    assert(new URL(page.url()).pathname === '/', 'navigated away on an invalid search');
  });

  await check('a /search link with origin = destination explains the problem', async () => {
    await page.goto(`${BASE.replace(/\/+$/, '')}/search?from=LON&to=LON&date=${depart}`, { waitUntil: 'load' });
    const alert = page.locator('.results-error[role="alert"]');
    await alert.waitFor({ state: 'visible' });
    assert(/different/i.test(await alert.innerText()), `alert "${await alert.innerText()}"`);
  });

  await check('no page errors or failed asset loads', async () => {
    assert(pageErrors.length === 0, pageErrors.slice(0, 3).join(' | '));
  });

  await context.close();
}

const state = { browser: null };
let timer;
const timeout = new Promise((_, reject) => {
  timer = setTimeout(() => {
    aborted = true;
    reject(new Error(`overall timeout of ${OVERALL_TIMEOUT_MS / 1000} s exceeded`));
  }, OVERALL_TIMEOUT_MS);
});

try {
  await Promise.race([main(state), timeout]);
} catch (err) {
  aborted = true;
  const msg = err && err.message ? err.message.split('\n')[0] : String(err);
  if (err instanceof FatalError) {
    console.log(`stop - ${msg}`);
  } else {
    failed += 1;
    failures.push(`run aborted: ${msg}`);
    console.log(`FAIL - run aborted: ${msg}`);
  }
} finally {
  clearTimeout(timer);
  if (state.browser) {
    await Promise.race([state.browser.close().catch(() => {}), new Promise((r) => setTimeout(r, 5000))]);
  }
}

if (failures.length) {
  console.log('\nFailures:');
  for (const f of failures) console.log(`  - ${f}`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
