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

import {
  assert,
  baseUrl,
  check,
  chooseWithKeyboard,
  isoDate,
  launchBrowser,
  runE2E,
  screenshot,
  typeInto,
  waitForOption,
} from './harness.mjs';

const OVERALL_TIMEOUT_MS = 120_000;
const STEP_TIMEOUT_MS = 8_000;
/** The search itself (the server may still be loading schedules: we retry on 503). */
const RESULTS_TIMEOUT_MS = 30_000;

const BASE = baseUrl('e2e:search');

/** Facts about the result cards, in page order. */
async function cards(page) {
  return page.evaluate(() =>
    // The list's cards (near-identical ones grouped under them are not in the order checked).
    Array.from(document.querySelectorAll('.itin-list > .itin')).map((li) => ({
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
      () => document.querySelector('.results-section')?.getAttribute('aria-busy') !== 'true' && (document.querySelector('.itin-list, .results-error, .results-nomatch') !== null || /no flights found/i.test(document.querySelector('.results-lists')?.textContent ?? '')),
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
  state.browser = await launchBrowser();
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

  await check('cards have inner padding; "Skip to results" is the first Tab stop after the heading and leads to the first result', async () => {
    const pad = await page.evaluate(() => {
      const st = getComputedStyle(document.querySelector('.itin-card > .itin-body'));
      return [parseFloat(st.paddingLeft), parseFloat(st.paddingTop)];
    });
    assert(pad[0] >= 12 && pad[1] >= 12, `card body padding ${pad.join(', ')}px`);
    await page.locator('#page-title').focus();
    await page.keyboard.press('Tab');
    const first = await page.evaluate(() => document.activeElement?.textContent ?? '');
    assert(first === 'Skip to results', `first Tab stop: "${first}"`);
    await page.keyboard.press('Enter');
    assert((await page.evaluate(() => document.activeElement?.id)) === 'results-list-title', 'focus not on the results list');
    await page.keyboard.press('Tab');
    assert(await page.evaluate(() => document.activeElement?.closest('.itin-list > .itin') !== null), 'the next Tab is not in the first result');
  });

  await check('summary, a price or "schedule only" on every card, and live count', async () => {
    const summary = await page.locator('#results-summary').innerText();
    assert(/One-way/.test(summary), `summary "${summary}"`);
    const prices = await page.locator('.itin-price').allInnerTexts();
    assert(prices.every((t) => /\d/.test(t) || /schedule only — no price/.test(t)), `price boxes: ${prices.slice(0, 3).join(' | ')}`);
    const live = page.locator('#results-count');
    assert((await live.getAttribute('role')) === 'status' && (await live.getAttribute('aria-live')) === 'polite', 'count is not a polite live region');
    const c = parseCount(await countText(page));
    assert(c && c[0] === c[1] && c[0] >= (await cards(page)).length, `count "${await countText(page)}"`);
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
    await waitForResults(page);
    const after = await cards(page);
    assert(after.length === before.length, `count changed ${before.length} → ${after.length}`);
    const d = after.map((c) => c.duration);
    assert(d.every((x, i) => i === 0 || d[i - 1] <= x), `durations not ascending: ${d.join(', ')}`);
    // Sorting is server-side and paged: the same set only when everything fits on one page.
    const [, total] = parseCount(await countText(page)) ?? [];
    if (total <= after.length) assert([...before.map((c) => c.key)].sort().join() === [...after.map((c) => c.key)].sort().join(), 'different itineraries after sorting');
  });

  // The stops options come from the results' facets: keep only the fewest stops offered.
  let fewest = '0';
  await check('stops filter (fewest stops offered) only keeps or reduces the count and the live region says so', async () => {
    const [shown0, total] = parseCount(await countText(page)) ?? [];
    const stopsBoxes = page.locator('.results-filters fieldset').filter({ has: page.locator('legend', { hasText: /^Stops$/ }) }).locator('input[type="checkbox"]');
    const values = (await stopsBoxes.evaluateAll((els) => els.map((e) => e.getAttribute('value')))).filter(Boolean).sort();
    assert(values.length > 0, 'no stops options');
    fewest = values[0];
    for (const v of values.slice(1)) {
      // Each change re-renders the results and the filters: wait for it before the next one.
      const box = stopsBoxes.and(page.locator(`[value="${v}"]`));
      if ((await box.count()) === 0 || !(await box.isChecked())) continue;
      await box.uncheck();
      await page.waitForFunction((gone) => {
        const p = new URL(location.href).searchParams.get('stops');
        return p !== null && !p.split(',').includes(gone);
      }, v);
      await page.waitForLoadState('networkidle'); // the new results, and the filters drawn from them
      await waitForResults(page);
    }
    if (values.length > 1)
      await page.waitForFunction((want) => new URL(location.href).searchParams.get('stops') === want, fewest);
    await waitForResults(page);
    const after = await cards(page);
    assert(after.every((c) => c.stops === Number(fewest)), 'an itinerary with other stops is still shown');
    const c = parseCount(await countText(page));
    assert(c && c[0] <= shown0 && c[1] === total, `live region "${await countText(page)}"`);
  });

  await check('sort and filters survive a reload (URL state)', async () => {
    await page.reload({ waitUntil: 'load' });
    await waitForResults(page);
    assert((await page.getByLabel('Sort by').inputValue()) === 'fastest', 'sort lost');
    const kept = new URL(page.url()).searchParams.get('stops');
    assert(kept === fewest || (kept === null && fewest !== null), 'stops filter lost');
    assert((await cards(page)).every((c) => c.stops === Number(fewest)), 'stops filter not applied after reload');
  });

  await check('screenshot search-results.png is saved', async () => {
    await page.locator('.itin-toggle').first().click();
    await screenshot(page, 'search-results.png');
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
  await mobileChecks(state.browser, depart);
}

/** A phone, 390x844 (issue 18): the header's menu, the form's options, the first result above the fold. */
async function mobileChecks(browser, depart) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'en-US' });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  const root = BASE.replace(/\/+$/, '');
  await page.goto(`${root}/`, { waitUntil: 'load' });

  await check('390 px: a Menu button opens the navigation with Explore; Escape closes it and focuses the button', async () => {
    const toggle = page.locator('.nav-toggle');
    assert(await toggle.isVisible(), 'no visible menu button');
    const explore = page.locator('.site-nav a[href="/explore"]');
    assert(!(await explore.isVisible()), 'Explore visible before the menu is opened');
    await toggle.click();
    assert((await toggle.getAttribute('aria-expanded')) === 'true', 'aria-expanded not true');
    assert(await explore.isVisible(), 'Explore not visible in the open menu');
    const box = await explore.boundingBox();
    assert(box && box.x >= 0 && box.x + box.width <= 390, `Explore off screen: ${JSON.stringify(box)}`);
    const focusedInMenu = await page.evaluate(() => !!document.activeElement?.closest('.site-nav ul'));
    assert(focusedInMenu, 'focus did not move into the menu');
    await page.keyboard.press('Escape');
    assert((await toggle.getAttribute('aria-expanded')) === 'false', 'Escape did not close');
    assert(!(await explore.isVisible()), 'Explore still visible after Escape');
    assert(await toggle.evaluate((el) => el === document.activeElement), 'focus not back on the menu button');
  });

  await check('390 px: "Round trip" stays on one line and no passenger/cabin select is cut', async () => {
    const facts = await page.evaluate(() => {
      const seg = Array.from(document.querySelectorAll('.segmented-item span')).map((s) => ({ text: s.textContent, h: s.getBoundingClientRect().height, lh: parseFloat(getComputedStyle(s).lineHeight) || 20 }));
      const cut = Array.from(document.querySelectorAll('.pill-select select')).filter((el) => {
        const sel = el;
        const text = sel.options[sel.selectedIndex]?.text ?? '';
        const c = document.createElement('canvas').getContext('2d');
        const cs = getComputedStyle(sel);
        c.font = `${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
        const room = sel.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
        return c.measureText(text).width > room + 0.5;
      }).map((el) => el.options[el.selectedIndex]?.text);
      return { seg, cut };
    });
    const wrapped = facts.seg.filter((s) => s.h > s.lh * 1.5 + 14);
    assert(wrapped.length === 0, `wrapped: ${JSON.stringify(wrapped)}`);
    assert(facts.cut.length === 0, `cut: ${facts.cut.join(', ')}`);
  });

  await check('390 px: the first result starts above the fold on /search', async () => {
    await page.goto(`${root}/search?from=LON&to=NYC&date=${depart}`, { waitUntil: 'load' });
    await waitForResults(page);
    const top = await page.locator('.itin-list > .itin').first().evaluate((el) => el.getBoundingClientRect().top);
    assert(top < 844 - 80, `first result at ${Math.round(top)} px`);
    await screenshot(page, 'search-results-390.png', { fullPage: false });
  });

  await context.close();
}

await runE2E(main, OVERALL_TIMEOUT_MS);
