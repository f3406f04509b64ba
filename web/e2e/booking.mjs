#!/usr/bin/env node
// End-to-end test of the booking pages (docs/booking.md) against a running server with the
// sandbox world's providers and payment processor (`contrail serve --sandbox true
// --sandbox-size small`), in a 390 px wide phone viewport:
//
//   CT_E2E_BASE=http://127.0.0.1:8080 CT_E2E_PRICED_DATE=2026-12-01 node web/e2e/booking.mjs
//
// Env:
//   CT_E2E_BASE          base URL of the server (web/dist + /api/v1); CT_BASE_URL is accepted too (required)
//   CT_E2E_PRICED_FROM   origin of a priced route (default LON)
//   CT_E2E_PRICED_TO     destination of that route (default NYC)
//   CT_E2E_PRICED_DATE   a departure date (YYYY-MM-DD) with priced flights (default today + 9)
//   CT_E2E_SEPARATE      round trips to try for separate tickets, "FROM-TO,..." (default: FROM-TO, then
//                        ORD-DFW, JFK-LAX, LHR-CDG of the small sandbox world), out on the priced date,
//                        back 4 days later
//   CT_SCREENSHOT_DIR    where to write booking-*.png (default web/e2e/out)
//   CHROMIUM             Chromium executable (default /usr/bin/chromium)
//
// Checks: "Select" on a results card opens the live offer (the seller's display name, never an
// internal code; the countdown); passengers are validated; on an international trip (the offer
// says passport_required; LON-NYC is one) each passenger's passport is asked, a too-short number
// refused with a message naming the field, then accepted; the sandbox test cards are listed;
// the happy path ends on the confirmation with a booking reference (the page fits 390 px);
// a declined card shows the reason on the payment step; the 3-D Secure card goes through the
// confirm step to a confirmation; "Manage booking" finds the first booking by reference and
// last name and cancels it (quote, then confirm); on a round trip, "Select" on a "Separate
// tickets" offer (its offers list opened) shows each ticket's seller and price, and goes through
// passengers and the Visa card to a confirmation with each seller's own booking reference, then
// "Manage this booking" shows each ticket and cancels them all (a refund per ticket). One line per
// check, then "N passed, M failed"; exit 1 on any failure.

if (!process.env.CT_BASE_URL && process.env.CT_E2E_BASE) process.env.CT_BASE_URL = process.env.CT_E2E_BASE;

import { assert, baseUrl, check, isoDate, launchBrowser, runE2E, screenshot } from './harness.mjs';

const OVERALL_TIMEOUT_MS = 240_000;
const STEP_TIMEOUT_MS = 20_000;
const RESULTS_TIMEOUT_MS = 45_000;

const BASE = baseUrl('e2e:booking');
const FROM = (process.env.CT_E2E_PRICED_FROM || 'LON').toUpperCase();
const TO = (process.env.CT_E2E_PRICED_TO || 'NYC').toUpperCase();
const DATE = process.env.CT_E2E_PRICED_DATE || isoDate(9);
assert(/^\d{4}-\d{2}-\d{2}$/.test(DATE), `CT_E2E_PRICED_DATE must be YYYY-MM-DD, got ${DATE}`);
const SEARCH = `${BASE}/search?from=${FROM}&to=${TO}&date=${DATE}&currency=EUR`;
const RETURN = new Date(Date.parse(`${DATE}T00:00:00Z`) + 4 * 86_400_000).toISOString().slice(0, 10);
const SEPARATE_ROUTES = (process.env.CT_E2E_SEPARATE || `${FROM}-${TO},ORD-DFW,JFK-LAX,LHR-CDG`)
  .split(',')
  .map((r) => r.trim().toUpperCase().split('-'))
  .filter((r) => r.length === 2 && r[0] && r[1]);
/** Internal provider codes seen on the results page (data attributes): never shown as text. */
const codes = new Set(['ota-eur', 'ota-usd', 'combiner']);

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
    if (!/still loading|try again/i.test(text) || Date.now() > deadline) throw new Error(`search failed: ${text}`);
    await page.waitForTimeout(1500);
    await page.getByRole('button', { name: 'Try again' }).first().click();
  }
}

const stepTitle = (page) => page.locator('#bk-step-title');

async function waitStep(page, re) {
  await page.waitForFunction((src) => new RegExp(src).test(document.querySelector('#bk-step-title')?.textContent ?? ''), re.source, { timeout: STEP_TIMEOUT_MS });
}

async function noCodesShown(page) {
  const text = await page.locator('#app-view').innerText();
  for (const c of codes) assert(!text.includes(c), `internal provider code "${c}" is shown`);
}

/**
 * From the results page to a live offer: the first card's Select (clicked), then, should that
 * offer be refused (sold out, provider fault), the next offers' Select links.
 */
async function openOffer(page, { click = true } = {}) {
  await page.goto(SEARCH, { waitUntil: 'load', timeout: 15_000 });
  await waitForResults(page);
  for (const p of await page.locator('.offer').evaluateAll((els) => els.map((e) => e.getAttribute('data-provider')))) if (p) codes.add(p);
  const hrefs = await page.locator('.offer-select').evaluateAll((els) => els.map((e) => e.getAttribute('href')));
  assert(hrefs.length > 0, 'no Select buttons on the results page');
  const tries = [];
  if (click) {
    await page.locator('.itin-select').first().click();
    tries.push(null);
  }
  for (const h of hrefs.slice(0, 6)) tries.push(h);
  for (const h of tries) {
    if (h) await page.goto(`${BASE}${h}`, { waitUntil: 'load', timeout: 15_000 });
    await page.waitForFunction(() => /^(Your offer from|Sold out|This offer|No longer|The airline|Could not|Booking is not)/.test(document.querySelector('#bk-step-title')?.textContent ?? ''), null, { timeout: STEP_TIMEOUT_MS });
    const t = await stepTitle(page).innerText();
    if (t.startsWith('Your offer from')) return t;
    console.log(`     (offer refused: ${t}; trying the next one)`);
  }
  throw new Error('no offer could be opened');
}

/** A passport valid for years (the sandbox's flights are within a year). */
const PASSPORT = { number: 'C01X00T47', country: 'DE', expiry: '2035-01-01' };

/** The passport fields, when the offer asks for them (an international trip). */
async function passport(page, number = PASSPORT.number) {
  if ((await page.locator('.bk-doc.is-required').count()) === 0) return false;
  await page.getByLabel('Passport number').fill(number);
  await page.getByLabel('Issuing country').fill(PASSPORT.country);
  await page.getByLabel('Expiry date').fill(PASSPORT.expiry);
  return true;
}

async function passengers(page, family) {
  await page.getByRole('button', { name: 'Continue to passengers' }).click();
  await waitStep(page, /^Who is travelling\?$/);
  await page.getByLabel('Given names').fill('Ada');
  await page.getByLabel('Family name').fill(family);
  await page.getByLabel('Date of birth').fill('1990-12-10');
  await passport(page);
  await page.getByLabel('E-mail').fill('ada@example.com');
  await page.getByRole('button', { name: 'Continue to payment' }).click();
  await waitStep(page, /^Payment$/);
}

/**
 * A round trip's results page with a "Separate tickets" offer sold by at least two sellers: the
 * first route of SEPARATE_ROUTES that has one. Returns its card (a locator) and the offer's parts.
 */
async function separateOffer(page) {
  const tried = [];
  for (const [from, to] of SEPARATE_ROUTES) {
    await page.goto(`${BASE}/search?from=${from}&to=${to}&date=${DATE}&return=${RETURN}&currency=EUR`, { waitUntil: 'load', timeout: 15_000 });
    try {
      await waitForResults(page);
    } catch (err) {
      tried.push(`${from}-${to}: ${err.message}`);
      continue;
    }
    const offers = page.locator('.offer[data-provider="separate-tickets"]');
    const n = await offers.count();
    for (let i = 0; i < n; i++) {
      const parts = ((await offers.nth(i).getAttribute('data-parts')) ?? '').split(',').filter(Boolean);
      const sellers = new Set(parts.map((x) => x.slice(0, x.lastIndexOf(':'))));
      if (parts.length >= 2 && sellers.size >= 2 && (await offers.nth(i).locator('.offer-select').count()) === 1) {
        for (const c of sellers) codes.add(c);
        return { route: `${from}-${to}`, offer: offers.nth(i), card: offers.nth(i).locator('xpath=ancestor::article[1]'), parts };
      }
    }
    tried.push(`${from}-${to}: ${n} separate-tickets offers, none with a Select and two sellers`);
  }
  throw new Error(`no round trip with a bookable separate-tickets offer (${DATE} to ${RETURN}): ${tried.join('; ')}`);
}

async function payWith(page, number) {
  await page.locator(`.bk-test-card[data-number="${number}"]`).click();
  await page.locator('.bk-pay').click();
}

async function main() {
  const browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  let first = null; // { reference, family }
  let separate = null; // { refs, sellers } of the separate-tickets booking

  try {
    await check(
      'Select on a results card opens the live offer: the seller by display name, the countdown, focus on the step',
      async () => {
        const title = await openOffer(page);
        assert(!/Your offer from (ota-|combiner)/.test(title), `title shows a code: ${title}`);
        const timer = await page.locator('.bk-timer').innerText();
        assert(/^Price held for \d+:\d\d/.test(timer), `no countdown: ${timer}`);
        const focused = await page.evaluate(() => document.activeElement?.id);
        assert(focused === 'bk-step-title', `focus is on ${focused}`);
        await noCodesShown(page);
        await screenshot(page, 'booking-offer.png');
      },
      { fatal: true },
    );

    await check('passengers: the empty form is refused naming the fields (the passport\'s too, on this international trip)', async () => {
      await page.getByRole('button', { name: 'Continue to passengers' }).click();
      await waitStep(page, /^Who is travelling\?$/);
      await page.getByRole('button', { name: 'Continue to payment' }).click();
      assert((await page.getByLabel('Given names').getAttribute('aria-invalid')) === 'true', 'given names not flagged');
      const focused = await page.evaluate(() => document.activeElement?.getAttribute('name'));
      assert(focused === 'given-0', `focus is on ${focused}`);
      assert((await page.locator('.bk-doc.is-required').count()) === 1, `no passport asked for ${FROM}-${TO} (the offer's passport_required)`);
      for (const label of ['Passport number', 'Issuing country', 'Expiry date']) {
        assert((await page.getByLabel(label).getAttribute('aria-invalid')) === 'true', `${label} not flagged`);
      }
    });

    await check('passport: a too-short number is refused with a message naming the field (upper-cased as typed), then accepted; on to payment with the test cards listed', async () => {
      await page.getByLabel('Given names').fill('Ada');
      await page.getByLabel('Family name').fill('Lovelace');
      await page.getByLabel('Date of birth').fill('1990-12-10');
      await page.getByLabel('E-mail').fill('ada@example.com');
      assert(await passport(page, 'c01x'), 'no passport fields');
      const typed = await page.getByLabel('Passport number').inputValue();
      assert(typed === 'C01X', `the number reads "${typed}", not upper-cased`);
      await page.getByRole('button', { name: 'Continue to payment' }).click();
      await page.waitForFunction(() => document.querySelector('#bk-step-title')?.textContent === 'Payment' || document.querySelector('[name="doc-number-0"][aria-invalid="true"]') !== null);
      assert((await stepTitle(page).innerText()) === 'Who is travelling?', 'the short passport number was accepted (on to payment)');
      const number = page.getByLabel('Passport number');
      assert((await number.getAttribute('aria-invalid')) === 'true', 'the short number is not flagged');
      const error = (await page.locator(`#${await number.getAttribute('id')}-error`).innerText()).trim();
      assert(/^Passport number is too short/.test(error), `message: "${error}"`);
      const focused = await page.evaluate(() => document.activeElement?.getAttribute('name'));
      assert(focused === 'doc-number-0', `focus is on ${focused}`);
      await screenshot(page, 'booking-passport.png');
      await number.fill(PASSPORT.number.toLowerCase());
      await page.getByRole('button', { name: 'Continue to payment' }).click();
      await waitStep(page, /^Payment$/);
      const cards = await page.locator('.bk-test-card').count();
      assert(cards >= 6, `only ${cards} test cards listed`);
    });

    await check('happy path: Visa test card -> confirmation with a booking reference; the page fits 390 px', async () => {
      await payWith(page, '4111111111111111');
      await waitStep(page, /^Your booking is (confirmed|being finalised)$/);
      const ref = (await page.locator('.bk-ref').innerText()).trim();
      assert(/^[A-Z0-9-]{4,}$/.test(ref), `no booking reference: "${ref}"`);
      first = { reference: ref, family: 'Lovelace' };
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      assert(wide <= 390, `the page is ${wide} px wide at 390`);
      await noCodesShown(page);
      await screenshot(page, 'booking-confirmed.png');
    });

    await check('declined card: the payment step says why, nothing charged, another card can be tried', async () => {
      await openOffer(page, { click: false });
      await passengers(page, 'Declined');
      await payWith(page, '4100000000001009');
      await page.locator('.bk-declined').waitFor({ timeout: STEP_TIMEOUT_MS });
      assert((await page.locator('.bk-declined').getAttribute('data-reason')) === 'card_declined', 'reason is not card_declined');
      const text = await page.locator('.bk-declined').innerText();
      assert(/declined/i.test(text) && /Nothing was charged/.test(text), `message: ${text}`);
      assert((await stepTitle(page).innerText()) === 'Payment', 'not on the payment step');
      await screenshot(page, 'booking-declined.png');
    });

    await check('3-D Secure: the confirmation step, then the booking is confirmed', async () => {
      await openOffer(page, { click: false });
      await passengers(page, 'Secure');
      await payWith(page, '4100000000003005');
      await waitStep(page, /^Confirm the payment with your bank$/);
      await screenshot(page, 'booking-3ds.png');
      await page.getByRole('button', { name: 'Confirm payment' }).click();
      await waitStep(page, /^Your booking is (confirmed|being finalised)$/);
      const ref = (await page.locator('.bk-ref').innerText()).trim();
      assert(ref.length >= 4, 'no booking reference after 3-D Secure');
    });

    await check('Manage booking: the first booking found by reference and last name, cancelled with the quote then the confirmation', async () => {
      assert(first, 'no first booking to cancel');
      await page.goto(`${BASE}/manage-booking`, { waitUntil: 'load', timeout: 15_000 });
      await page.getByLabel('Booking reference').fill(first.reference);
      await page.getByLabel('Last name').fill('Nobody');
      await page.getByRole('button', { name: 'Find booking' }).click();
      await page.waitForFunction(() => /No booking matches/.test(document.querySelector('.form-alert')?.textContent ?? ''), null, { timeout: STEP_TIMEOUT_MS });
      await page.getByLabel('Last name').fill(first.family);
      await page.getByRole('button', { name: 'Find booking' }).click();
      await page.locator('.bk-reference').waitFor({ timeout: STEP_TIMEOUT_MS });
      assert((await page.locator('.bk-reference').innerText()).trim() === first.reference, 'another booking was found');
      await page.getByRole('button', { name: 'Cancel booking' }).click();
      await page.locator('.bk-quote').waitFor({ timeout: STEP_TIMEOUT_MS });
      const quote = await page.locator('.bk-quote').innerText();
      assert(/^You get back /.test(quote), `quote: ${quote}`);
      await page.locator('.bk-cancel-confirm').click();
      await page.locator('.bk-cancelled').waitFor({ timeout: STEP_TIMEOUT_MS });
      assert((await page.locator('.bk-status').innerText()).trim() === 'Cancelled', 'status is not Cancelled');
      await noCodesShown(page);
      await screenshot(page, 'booking-cancelled.png');
    });

    await check('separate tickets: on a round trip, Select on a "Separate tickets" offer goes through to a confirmation with each seller\'s reference', async () => {
      const found = await separateOffer(page);
      console.log(`     (${found.route} ${DATE} - ${RETURN}: parts ${found.parts.join(', ')})`);
      const listed = (await found.offer.locator('.offer-parts').innerText()).trim();
      assert(/^2 tickets, each charged by its seller: .+ \+ .+/.test(listed), `the offer's parts: "${listed}"`);
      await found.card.locator('.offers-toggle').click();
      await found.offer.locator('.offer-select').click();
      // Separate tickets ask each seller: a refusal (sold out, a fault) is a page of its own.
      await page.waitForFunction(() => /^(Your offer|Sold out|These separate|This offer|No longer|The airline|Could not|Booking is not)/.test(document.querySelector('#bk-step-title')?.textContent ?? ''), null, { timeout: STEP_TIMEOUT_MS });
      const title = await stepTitle(page).innerText();
      assert(title === 'Your offer: 2 separate tickets', `offer page: "${title}": ${(await page.locator('.bk-main').innerText()).slice(0, 300)}`);
      assert(new URL(page.url()).searchParams.get('parts') === found.parts.join(','), `the /book URL has parts=${new URL(page.url()).searchParams.get('parts')}`);
      const note = await page.locator('.bk-separate-note').innerText();
      assert(/2 separate tickets/.test(note) && /charged separately on your card/.test(note), `no explanation: ${note}`);
      const sellers = await page.locator('.bk-part .bk-part-seller').allInnerTexts();
      assert(sellers.length === 2 && new Set(sellers).size === 2, `sellers: ${sellers.join(' | ')}`);
      const prices = await page.locator('.bk-part-price').allInnerTexts();
      assert(prices.every((p, i) => p.endsWith(`charged by ${sellers[i]}`)), `prices: ${prices.join(' | ')}`);
      const timer = await page.locator('.bk-timer').innerText();
      assert(/^Price held for \d+:\d\d/.test(timer), `no countdown: ${timer}`);
      await noCodesShown(page);
      await screenshot(page, 'booking-separate-offer.png');
      await passengers(page, 'Separate');
      const youPay = await page.locator('.bk-pay-total').innerText();
      assert(youPay.includes('in 2 separate charges on your card') && sellers.every((s) => youPay.includes(s)), `payment: ${youPay}`);
      await payWith(page, '4111111111111111');
      await waitStep(page, /^(Your booking is (confirmed|being finalised)|Sold out|The price has changed|The tickets could not be booked|This offer has expired)$/);
      const done = await stepTitle(page).innerText();
      assert(/^Your booking is/.test(done), `ended on "${done}": ${(await page.locator('.bk-main').innerText()).slice(0, 400)}`);
      const refs = (await page.locator('.bk-part-ref').allInnerTexts()).map((r) => r.trim());
      const doneSellers = await page.locator('.bk-part .bk-part-seller').allInnerTexts();
      console.log(`     (references: ${doneSellers.map((s, i) => `${s} ${refs[i]}`).join(', ')})`);
      assert(refs.length === 2 && refs.every((r) => /^[A-Z0-9-]{4,}$/.test(r)) && refs[0] !== refs[1], `references: ${refs.join(' | ')}`);
      assert(doneSellers.join('|') === sellers.join('|'), `sellers on the confirmation: ${doneSellers.join(' | ')}`);
      const combined = (await page.locator('.bk-ref').innerText()).trim();
      assert(combined === `${refs[0]} + ${refs[1]}`, `the booking reference reads "${combined}"`);
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      assert(wide <= 390, `the page is ${wide} px wide at 390`);
      await noCodesShown(page);
      await screenshot(page, 'booking-separate-confirmed.png');
      separate = { refs, sellers };
    });

    await check('separate tickets: "Manage this booking" finds the trip by one ticket\'s reference, shows each ticket, and cancels them all with a refund per ticket', async () => {
      assert(separate, 'no separate-tickets booking to manage');
      await page.locator('.bk-manage').click();
      // The lookup is limited to a few a minute per address (runs back to back reach it): wait as told, once.
      for (let attempt = 0; ; attempt++) {
        await page.waitForFunction(() => document.querySelector('.bk-order .bk-part-ref') || document.querySelector('.bk-lookup .form-alert')?.textContent, null, { timeout: STEP_TIMEOUT_MS });
        if ((await page.locator('.bk-order .bk-part-ref').count()) > 0) break;
        const alert = (await page.locator('.bk-lookup .form-alert').innerText()).trim();
        assert(attempt === 0 && /^Too many attempts/.test(alert), `the lookup failed: ${alert}`);
        const wait = /a moment/.test(alert) ? 2 : /a minute/.test(alert) ? 60 : Number(/(\d+) second/.exec(alert)?.[1] ?? 30);
        console.log(`     (${alert} Waiting ${Math.min(wait, 70)} s.)`);
        await page.waitForTimeout(Math.min(wait, 70) * 1000 + 500);
        await page.evaluate(() => (document.querySelector('.bk-lookup .form-alert').textContent = ''));
        await page.getByRole('button', { name: 'Find booking' }).click();
      }
      const refs = (await page.locator('.bk-order .bk-part-ref').allInnerTexts()).map((r) => r.trim());
      assert(refs.join('|') === separate.refs.join('|'), `references: ${refs.join(' | ')}`);
      const provider = (await page.locator('.bk-provider').innerText()).trim();
      assert(provider === `2 separate tickets: ${separate.sellers.join(' and ')}`, `booked with: ${provider}`);
      await page.getByRole('button', { name: 'Cancel booking' }).click();
      await page.locator('.bk-quote').waitFor({ timeout: STEP_TIMEOUT_MS });
      const perTicket = await page.locator('.bk-quote-part').allInnerTexts();
      assert(perTicket.length === 2 && perTicket.every((t, i) => t.startsWith(`${separate.sellers[i]}: `)), `quote per ticket: ${perTicket.join(' | ')}`);
      await page.locator('.bk-cancel-confirm').click();
      await page.locator('.bk-cancelled').waitFor({ timeout: STEP_TIMEOUT_MS });
      const statuses = (await page.locator('.bk-part-status').allInnerTexts()).map((t) => t.trim());
      assert((await page.locator('.bk-status').innerText()).trim() === 'Cancelled' && statuses.every((t) => t === 'Cancelled'), `statuses: ${statuses.join(' | ')}`);
      assert((await page.locator('.bk-part-refunded').count()) === 2, 'no refund shown per ticket');
      await noCodesShown(page);
      await screenshot(page, 'booking-separate-cancelled.png');
    });
  } finally {
    await browser.close();
  }
}

runE2E(main, OVERALL_TIMEOUT_MS);
