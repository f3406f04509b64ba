#!/usr/bin/env node
// End-to-end test of price history and insight (issue 16; docs/search-api.md "Price history",
// "Insight") against a running server with ingested prices whose history thread writes and
// rebuilds quickly (scripts/test.sh starts it with --history-flush-interval 1
// --history-refresh-interval 1):
//
//   CT_E2E_BASE=http://127.0.0.1:8080 CT_E2E_PRICED_FROM=LON CT_E2E_PRICED_TO=NYC \
//   CT_E2E_PRICED_DATE=2026-12-01 node e2e/history.mjs
//
// Env: as e2e/prices.mjs (CT_E2E_BASE or CT_BASE_URL, CT_E2E_PRICED_FROM/TO/DATE,
// CT_SCREENSHOT_DIR, CHROMIUM).
//
// Checks: a one-way results page shows the "Price history" section with its two figures;
// the page's search and 30-day calendar record prices, so after a reload the graphs are drawn
// (uPlot canvases, Chromium draws them) and the insight badge says "Prices are low/typical/high
// for this trip" with the band (the route's 30 calendar days are enough observations); the
// API's level agrees with its band and price-history has the date; no inline style attribute in the markup, no console
// error (the Content-Security-Policy holds). One line per check, then "N passed, M failed".

if (!process.env.CT_BASE_URL && process.env.CT_E2E_BASE) process.env.CT_BASE_URL = process.env.CT_E2E_BASE;

import { assert, baseUrl, check, isoDate, launchBrowser, runE2E, screenshot } from './harness.mjs';

const OVERALL_TIMEOUT_MS = 120_000;
const STEP_TIMEOUT_MS = 15_000;

const BASE = baseUrl('e2e:history');
const FROM = (process.env.CT_E2E_PRICED_FROM || 'LON').toUpperCase();
const TO = (process.env.CT_E2E_PRICED_TO || 'NYC').toUpperCase();
const DATE = process.env.CT_E2E_PRICED_DATE || isoDate(7);
const searchUrl = `${BASE}/search?from=${FROM}&to=${TO}&date=${DATE}&currency=EUR`;

async function main(state) {
  console.log(`     route ${FROM} → ${TO} on ${DATE}, server ${BASE}`);
  state.browser = await launchBrowser();
  const context = await state.browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of (400|503)/.test(m.text())) pageErrors.push(`console: ${m.text()}`);
  });

  await check('a one-way results page shows the price history section', async () => {
    const res = await page.goto(searchUrl, { waitUntil: 'load' });
    assert(res && res.status() === 200, `status ${res && res.status()}`);
    await page.waitForSelector('.itin-list');
    await page.waitForSelector('.results-history:not([hidden]) .price-graphs');
    const figures = await page.locator('.results-history figure.price-graph').count();
    assert(figures === 2, `${figures} figures`);
    await page.waitForSelector('.results-calendar .cal-panel');
  }, { fatal: true });

  let badge = null;
  await check('after the prices are recorded, a reload draws the graphs and shows the insight badge', async () => {
    const deadline = Date.now() + 40_000;
    for (;;) {
      await page.waitForTimeout(2500); // the history thread writes every second, rebuilds every second
      await page.goto(searchUrl, { waitUntil: 'load' });
      await page.waitForSelector('.itin-list');
      await page.waitForSelector('.results-history:not([hidden]) .price-graphs');
      const level = await page.locator('.insight-badge').first().getAttribute('data-level').catch(() => null);
      const canvases = await page.locator('.results-history canvas').count();
      if (level && level !== 'none' && canvases > 0) {
        badge = { level, text: (await page.locator('.insight-badge').first().innerText()).trim() };
        break;
      }
      if (Date.now() > deadline) throw new Error(`badge level ${level}, ${canvases} canvases`);
    }
    assert(new RegExp(`^Prices are ${badge.level} for this trip`).test(badge.text), badge.text);
    assert(/Usually €[\d,]+(–€[\d,]+)?/.test(badge.text) || /Usually about/.test(badge.text), `no band: ${badge.text}`);
    await page.waitForSelector('.price-graph-history .uplot canvas');
    await screenshot(page, 'history-results.png');
  });

  await check("the API's insight agrees with its band, and the history endpoint has the route", async () => {
    assert(badge, 'no badge');
    const body = await page.evaluate(async ([from, to, date]) => {
      const r = await fetch('/api/v1/searches', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ slices: [{ origin: from, destination: to, date }], currency: 'EUR', limit: 1 }),
      });
      return r.json();
    }, [FROM, TO, DATE]);
    // The distributions are rebuilt every second (the page's own prices join them), so the
    // level may have moved since the page loaded: the answer must agree with its own band.
    const i = body.insight;
    assert(i && i.level, `API insight ${JSON.stringify(i)}`);
    assert(i.typical_low_minor <= i.typical_high_minor, 'band upside down');
    const p = i.basis.compared_minor;
    const want = p < i.typical_low_minor ? 'low' : p > i.typical_high_minor ? 'high' : 'typical';
    assert(i.level === want, `level ${i.level} for ${p} against ${i.typical_low_minor}-${i.typical_high_minor}`);
    const ph = await page.evaluate(async (q) => (await fetch(`/api/v1/price-history?${q}`)).json(), `origin=${FROM}&destination=${TO}&departure_date=${DATE}&currency=EUR`);
    assert(Array.isArray(ph.history) && ph.history.length > 0, 'no history for the date');
    assert(ph.by_departure_date.days.length >= 2, `${ph.by_departure_date.days.length} departure dates`);
  });

  await check('no inline style attributes in the markup, no console errors', async () => {
    // uPlot sizes its elements through the CSSOM (allowed); markup the app writes has none.
    const inline = await page.evaluate(() => Array.from(document.querySelectorAll('.insight-badge [style], .insight-badge[style], .price-graph figcaption[style], .price-graph-summary[style]')).length);
    assert(inline === 0, `${inline} elements with style attributes`);
    assert(pageErrors.length === 0, pageErrors.join('; '));
  });
}

await runE2E(main, OVERALL_TIMEOUT_MS);
