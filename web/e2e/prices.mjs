#!/usr/bin/env node
// End-to-end test of the priced search pages (docs/search-api.md) against a running server with
// schedules AND ingested provider prices (e.g. the small sandbox world):
//
//   CT_E2E_BASE=http://127.0.0.1:8080 CT_E2E_PRICED_FROM=LON CT_E2E_PRICED_TO=NYC \
//   CT_E2E_PRICED_DATE=2026-12-01 npm run e2e:prices
//
// Env:
//   CT_E2E_BASE          base URL of the server (web/dist + /api/v1); CT_BASE_URL is accepted too (required)
//   CT_E2E_PRICED_FROM   origin code of a route with prices from at least two providers (default LON)
//   CT_E2E_PRICED_TO     destination code of that route (default NYC)
//   CT_E2E_PRICED_DATE   a departure date (YYYY-MM-DD) with priced flights on it (default today + 7)
//   CT_E2E_RETURN_DAYS   days between departure and return for the round trip (default 7)
//   CT_SCREENSHOT_DIR    where to write prices-*.png (default web/e2e/out)
//   CHROMIUM             Chromium executable (default /usr/bin/chromium)
//
// Checks: a one-way search shows priced itineraries with offers from at least two providers;
// "Cheapest" orders the prices ascending on screen; the max-price filter narrows the results and
// is in the URL; a reload restores the state; the calendar strip shows 30 days with a price and
// one cheapest day; a round trip shows the 7×7 grid; /explore renders the SVG map with markers
// and lists sorted by price; Anywhere shows at least two region sections (when the world has
// destinations in two regions, else it says it skipped); the zoom-in button, "-", the wheel, a
// drag and Reset zoom change the map's viewBox, the markers keep their size, a marker opens its
// search; a bad currency typed into the URL shows the server's message
// naming the field. One line per check, then "N passed, M failed"; exit 1 on any failure.

if (!process.env.CT_BASE_URL && process.env.CT_E2E_BASE) process.env.CT_BASE_URL = process.env.CT_E2E_BASE;

import { assert, baseUrl, check, isoDate, launchBrowser, runE2E, screenshot } from './harness.mjs';

const OVERALL_TIMEOUT_MS = 150_000;
const STEP_TIMEOUT_MS = 10_000;
/** The server may still be loading schedules or prices: we retry on 503 for this long. */
const RESULTS_TIMEOUT_MS = 45_000;

const BASE = baseUrl('e2e:prices');
const FROM = (process.env.CT_E2E_PRICED_FROM || 'LON').toUpperCase();
const TO = (process.env.CT_E2E_PRICED_TO || 'NYC').toUpperCase();
const DATE = process.env.CT_E2E_PRICED_DATE || isoDate(7);
const RETURN_DAYS = Number(process.env.CT_E2E_RETURN_DAYS || 7);
assert(/^\d{4}-\d{2}-\d{2}$/.test(DATE), `CT_E2E_PRICED_DATE must be YYYY-MM-DD, got ${DATE}`);

function addDays(iso, n) {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

const searchUrl = (extra = '') => `${BASE}/search?from=${FROM}&to=${TO}&date=${DATE}&currency=EUR${extra}`;

/** Facts about the result cards, in page order (prices in minor units, null when unpriced). */
async function cards(page) {
  return page.evaluate(() =>
    // The list's cards (near-identical ones grouped under them are not in the order checked).
    Array.from(document.querySelectorAll('.itin-list > .itin')).map((li) => ({
      id: li.getAttribute('data-id'),
      minor: li.hasAttribute('data-price-minor') ? Number(li.getAttribute('data-price-minor')) : null,
      stops: Number(li.getAttribute('data-stops')),
      providers: Array.from(li.querySelectorAll('.offer')).map((o) => o.getAttribute('data-provider')),
    })),
  );
}

/** Wait until the list (or an error, or an empty notice) replaced the loading state; press "Try again" on 503. */
async function waitForResults(page) {
  const deadline = Date.now() + RESULTS_TIMEOUT_MS;
  for (;;) {
    await page.waitForFunction(
      () => {
        const box = document.querySelector('.results-section');
        if (!box || box.getAttribute('aria-busy') === 'true') return false;
        return box.querySelector('.itin-list, .results-error, .results-nomatch, .results-empty') !== null;
      },
      null,
      { timeout: Math.max(1000, deadline - Date.now()) },
    );
    const err = page.locator('.results-section .results-error');
    if ((await err.count()) === 0) return;
    const text = (await err.first().innerText()).trim();
    if (!/still loading|try again/i.test(text) || Date.now() > deadline) return;
    await page.waitForTimeout(1500);
    await page.getByRole('button', { name: 'Try again' }).first().click();
  }
}

async function errorText(page) {
  const err = page.locator('.results-section .results-error');
  return (await err.count()) > 0 ? (await err.first().innerText()).trim() : '';
}

async function main(state) {
  console.log(`     route ${FROM} → ${TO} on ${DATE}, server ${BASE}`);
  state.browser = await launchBrowser();
  const context = await state.browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);

  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // 4xx/5xx answers of the API are expected in some checks and are shown on the page.
    if (m.type() === 'error' && !/status of (400|503)/.test(m.text())) pageErrors.push(`console: ${m.text()}`);
  });
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.origin !== new URL(BASE).origin && !u.protocol.startsWith('data')) pageErrors.push(`request to another origin: ${r.url()}`);
  });
  page.on('response', (r) => {
    const u = new URL(r.url());
    if (r.status() >= 400 && !u.pathname.startsWith('/api/')) pageErrors.push(`HTTP ${r.status()} ${u.pathname}`);
  });

  await check(`one-way ${FROM} → ${TO} shows priced itineraries`, async () => {
    const res = await page.goto(searchUrl(), { waitUntil: 'load', timeout: 15_000 });
    assert(res && res.status() === 200, `status ${res && res.status()}`);
    await waitForResults(page);
    const err = await errorText(page);
    assert(!err, `error shown: ${err}`);
    const list = await cards(page);
    assert(list.length > 0, 'no itineraries');
    assert(list.some((c) => c.minor !== null), 'no itinerary has a price');
    const amount = await page.locator('.itin .price-amount').first().innerText();
    assert(/\d/.test(amount), `price text "${amount}"`);
    const live = page.locator('#results-count');
    assert((await live.getAttribute('aria-live')) === 'polite', 'count is not a live region');
    assert(/\d+ of \d+ itinerar/.test(await live.innerText()), `count "${await live.innerText()}"`);
  }, { fatal: true });

  await check('offers from at least two providers, listed when expanded', async () => {
    const list = await cards(page);
    const providers = new Set(list.flatMap((c) => c.providers));
    assert(providers.size >= 2, `providers on this page: [${[...providers].join(', ')}]`);
    const toggle = page.locator('.offers-toggle').first();
    await toggle.focus();
    await page.keyboard.press('Enter');
    assert((await toggle.getAttribute('aria-expanded')) === 'true', 'offers toggle did not open');
    const offers = page.locator(`#${await toggle.getAttribute('aria-controls')}`);
    await offers.waitFor({ state: 'visible' });
    assert((await offers.locator('.offer-provider').count()) >= 1, 'no offer rows');
    assert(/€|EUR/.test(await offers.innerText()), 'offer prices not in EUR');
  });

  await check('"Cheapest" orders prices ascending on screen (and goes into the URL)', async () => {
    await page.getByLabel('Sort by').selectOption('cheapest');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('sort') === 'cheapest');
    await waitForResults(page);
    const minors = (await cards(page)).map((c) => c.minor);
    const priced = minors.filter((m) => m !== null);
    assert(priced.length > 0, 'no priced itineraries after sorting');
    assert(priced.every((m, i) => i === 0 || priced[i - 1] <= m), `prices not ascending: ${priced.join(', ')}`);
    const firstNull = minors.indexOf(null);
    assert(firstNull < 0 || minors.slice(firstNull).every((m) => m === null), 'an unpriced itinerary sorted before a priced one');
  });

  let maxPrice = 0;
  await check('a max-price filter narrows the results and is in the URL', async () => {
    const before = await cards(page);
    const total0 = Number(/of (\d+)/.exec(await page.locator('#results-count').innerText())?.[1] ?? NaN);
    const priced = before.map((c) => c.minor).filter((m) => m !== null).sort((a, b) => a - b);
    maxPrice = Math.max(1, Math.floor(priced[0] / 100) + 1);
    const input = page.getByLabel(/Maximum price/);
    await input.fill(String(maxPrice));
    await input.press('Enter');
    await input.blur();
    await page.waitForFunction((mp) => new URL(location.href).searchParams.get('maxprice') === String(mp), maxPrice);
    await waitForResults(page);
    const after = await cards(page);
    const filtered = Number(/^(\d+) of/.exec(await page.locator('#results-count').innerText())?.[1] ?? NaN);
    assert(after.length > 0, 'nothing left under the cheapest price + 1');
    assert(after.every((c) => c.minor !== null && c.minor <= maxPrice * 100), `a card above ${maxPrice}: ${after.map((c) => c.minor).join(', ')}`);
    assert(filtered <= total0, `filtered count ${filtered} > ${total0}`);
  });

  await check('reloading the URL restores sort and filter', async () => {
    await page.reload({ waitUntil: 'load' });
    await waitForResults(page);
    assert((await page.getByLabel('Sort by').inputValue()) === 'cheapest', 'sort lost');
    assert((await page.getByLabel(/Maximum price/).inputValue()) === String(maxPrice), 'max price lost');
    const after = await cards(page);
    assert(after.every((c) => c.minor !== null && c.minor <= maxPrice * 100), 'filter not applied after reload');
  });

  await check('back goes to the unfiltered results', async () => {
    await page.goBack({ waitUntil: 'load' });
    await page.waitForFunction(() => !new URL(location.href).searchParams.has('maxprice'));
    await waitForResults(page);
    assert((await cards(page)).length > 0, 'no results after going back');
  });

  await check('the calendar strip shows 30 days, at least one price, one cheapest day', async () => {
    await page.goto(searchUrl(), { waitUntil: 'load' });
    await page.locator('.cal-strip').waitFor({ state: 'visible', timeout: RESULTS_TIMEOUT_MS });
    const days = await page.locator('.cal-day').evaluateAll((els) => els.map((e) => ({ date: e.getAttribute('data-date'), minor: e.getAttribute('data-minor'), cheapest: e.classList.contains('is-cheapest') })));
    assert(days.length === 30, `${days.length} days`);
    const priced = days.filter((d) => d.minor !== null);
    assert(priced.length >= 1, 'no day has a price');
    const cheapest = days.filter((d) => d.cheapest);
    assert(cheapest.length === 1, `${cheapest.length} cheapest days`);
    const min = Math.min(...priced.map((d) => Number(d.minor)));
    assert(Number(cheapest[0].minor) === min, `highlighted ${cheapest[0].minor}, minimum ${min}`);
    await screenshot(page, 'prices-oneway.png');
  });

  await check('clicking a calendar day searches that day', async () => {
    const day = page.locator('.cal-day[data-minor]:not([aria-current])').first();
    const date = await day.getAttribute('data-date');
    await day.click();
    await page.waitForFunction((d) => new URL(location.href).searchParams.get('date') === d, date);
    await waitForResults(page);
    assert((await page.locator('.cal-day[aria-current="date"]').getAttribute('data-date')) === date, 'strip did not move to the clicked day');
  });

  await check('a round trip shows the 7×7 date grid', async () => {
    await page.goto(`${searchUrl()}&return=${addDays(DATE, RETURN_DAYS)}`, { waitUntil: 'load' });
    await page.locator('.date-grid').waitFor({ state: 'visible', timeout: RESULTS_TIMEOUT_MS });
    const rows = await page.locator('.date-grid tbody tr').count();
    const cells = await page.locator('.date-grid tbody td').count();
    assert(rows === 7 && cells === 49, `${rows} rows, ${cells} cells`);
    assert((await page.locator('.date-grid td.is-selected').count()) === 1, 'the searched pair is not marked');
    await waitForResults(page);
    const err = await errorText(page);
    assert(!err, `round trip error: ${err}`);
    await screenshot(page, 'prices-roundtrip.png');
  });

  await check('/explore renders the SVG map with markers and lists sorted by price', async () => {
    await page.goto(`${BASE}/explore?from=${FROM}&date=${DATE}&currency=EUR`, { waitUntil: 'load' });
    await page.waitForFunction(() => document.querySelector('.explore-list, .explore-empty, .results-error') !== null, null, { timeout: RESULTS_TIMEOUT_MS });
    const err = page.locator('.page-explore .results-error');
    assert((await err.count()) === 0, `error: ${(await err.count()) ? await err.innerText() : ''}`);
    assert((await page.locator('svg.explore-map path.map-country').count()) > 100, 'the map has no countries');
    const markers = await page.locator('svg.explore-map circle.map-marker').evaluateAll((els) => els.map((e) => e.getAttribute('data-code')));
    // Anywhere: the cheapest overall, then each region's list; a destination may be in both, the map has it once.
    const lists = await page.locator('ol.explore-list').evaluateAll((ols) =>
      ols.map((ol) => Array.from(ol.querySelectorAll('.explore-item')).map((e) => ({ code: e.getAttribute('data-code'), minor: Number(e.getAttribute('data-minor')) }))),
    );
    const codes = new Set(lists.flat().map((i) => i.code));
    assert(codes.size > 0, 'no destinations');
    assert(markers.length === codes.size && markers.every((c) => codes.has(c)), `${markers.length} markers for ${codes.size} destinations`);
    for (const items of lists) assert(items.every((m, i) => i === 0 || items[i - 1].minor <= m.minor), `list not sorted by price: ${items.map((m) => m.minor).join(', ')}`);
    await screenshot(page, 'prices-explore.png');
  });

  await check('/explore Anywhere groups the destinations by region; the map zooms (buttons, keys, wheel), pans, and a marker opens its search', async () => {
    await page.goto(`${BASE}/explore?from=${FROM}&date=${DATE}&currency=EUR`, { waitUntil: 'load' });
    await page.waitForFunction(() => document.querySelector('.explore-list, .explore-empty, .results-error') !== null, null, { timeout: RESULTS_TIMEOUT_MS });
    const regions = await page.locator('section.explore-region').evaluateAll((els) => els.map((e) => ({ code: e.getAttribute('data-region'), title: e.querySelector('h3')?.textContent ?? '' })));
    // How many continents the world flies to from FROM on DATE, by the server's own answer.
    const answer = await page.evaluate(async (url) => (await fetch(url)).json(), `/api/v1/explore?origin=${FROM}&date=${DATE}&currency=EUR&max_stops=1`);
    const served = Array.isArray(answer.regions) ? answer.regions.filter((r) => Array.isArray(r.destinations) && r.destinations.length > 0).length : 0;
    if (served < 2) {
      console.log(`skip - ${FROM} on ${DATE} has destinations in ${served} region(s) only: the region sections are not checked`);
    } else {
      assert(regions.length >= 2, `${regions.length} region sections for ${served} regions in the answer`);
      assert(regions.every((r) => /^.+ · from .+\d/.test(r.title)), `region headings: ${regions.map((r) => r.title).join(' | ')}`);
      assert((await page.locator('h2#explore-list-title').innerText()).trim() === 'Cheapest anywhere', 'no "Cheapest anywhere" list');
    }
    const map = page.locator('svg.explore-map');
    const before = await map.getAttribute('viewBox');
    const r0 = Number(await page.locator('svg.explore-map circle.map-marker').first().getAttribute('r'));
    await page.getByRole('button', { name: 'Zoom in' }).click();
    const after = await map.getAttribute('viewBox');
    assert(before === '0 0 960 500' && after !== before, `the viewBox did not change: ${before} → ${after}`);
    const r1 = Number(await page.locator('svg.explore-map circle.map-marker').first().getAttribute('r'));
    assert(r1 < r0, `the markers grew with the map: r ${r0} → ${r1}`);
    await map.focus();
    await page.keyboard.press('-');
    assert((await map.getAttribute('viewBox')) === before, `"-" did not zoom back out: ${await map.getAttribute('viewBox')}`);
    await screenshot(page, 'prices-explore-regions.png');
    // The wheel zooms around the pointer, a drag pans, a click on a marker opens its search.
    await map.scrollIntoViewIfNeeded();
    const box = await map.boundingBox();
    assert(box, 'the map has no box');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -400);
    await page.waitForFunction((b) => document.querySelector('svg.explore-map')?.getAttribute('viewBox') !== b, before, { timeout: STEP_TIMEOUT_MS });
    const zoomed = (await map.getAttribute('viewBox')).split(' ').map(Number);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 120, box.y + box.height / 2 + 10, { steps: 6 });
    await page.mouse.up();
    const panned = (await map.getAttribute('viewBox')).split(' ').map(Number);
    assert(panned[0] < zoomed[0] && panned[2] === zoomed[2], `the drag did not pan west: ${zoomed.join(' ')} → ${panned.join(' ')}`);
    await page.getByRole('button', { name: 'Reset zoom' }).click();
    assert((await map.getAttribute('viewBox')) === before, 'Reset zoom did not show the whole map');
    await page.locator('svg.explore-map circle.map-marker').last().click();
    await page.waitForURL((u) => u.pathname === '/search' && u.searchParams.get('from') === FROM && !!u.searchParams.get('to'), { timeout: STEP_TIMEOUT_MS });
  });

  await check('an unknown currency in the URL is not searched nor remembered: the remembered one, with a notice', async () => {
    await page.goto(searchUrl().replace('currency=EUR', 'currency=QQQ'), { waitUntil: 'load' });
    await waitForResults(page);
    const note = page.locator('.results-currency-note');
    await note.waitFor({ state: 'visible' });
    const text = (await note.innerText()).trim();
    assert(/QQQ/.test(text) && /EUR/.test(text), `notice "${text}"`);
    assert((await page.locator('.results-section .results-error').count()) === 0, 'the search failed');
    assert(new URL(page.url()).searchParams.get('currency') === 'EUR', `url ${page.url()}`);
    const stored = await page.evaluate(() => localStorage.getItem('contrail.currency'));
    assert(stored !== 'QQQ', 'QQQ was remembered');
  });

  await check('no page errors and no request to another origin', async () => {
    assert(pageErrors.length === 0, pageErrors.slice(0, 3).join(' | '));
  });

  await context.close();
}

await runE2E(main, OVERALL_TIMEOUT_MS);
