// harness.mjs: what every end-to-end script shares: the environment (CT_BASE_URL,
// CT_SCREENSHOT_DIR, CHROMIUM), counted checks, the browser launch with the flags this machine
// needs, the combobox helpers, and the runner that enforces the overall time limit, always
// closes the browser and prints the final "N passed, M failed" line (exit 1 on any failure,
// 2 for a usage error).

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export const SHOT_DIR = path.resolve(process.env.CT_SCREENSHOT_DIR || path.join(HERE, 'out'));
const EXECUTABLE = process.env.CHROMIUM || '/usr/bin/chromium';

let passed = 0;
let failed = 0;
const failures = [];
/** Set once the overall timeout fired: later results are not counted. */
let aborted = false;

export class FatalError extends Error {}

/** The server under test, from CT_BASE_URL; exits 2 with a hint when it is not set. */
export function baseUrl(npmScript) {
  const base = process.env.CT_BASE_URL?.replace(/\/+$/, '');
  if (!base) {
    console.error('e2e: CT_BASE_URL is not set. Start the Contrail server and run e.g.');
    console.error(`     CT_BASE_URL=http://127.0.0.1:8080 npm run ${npmScript}`);
    console.log('0 passed, 1 failed');
    process.exit(2);
  }
  return base;
}

/**
 * Run one counted check. With `{ fatal: true }` a failure stops the run
 * (used when nothing after it could work, e.g. the page did not load).
 */
export async function check(name, fn, { fatal = false } = {}) {
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

export function assert(cond, message) {
  if (!cond) throw new Error(message);
}

/** Local date `daysFromToday` days from now, as YYYY-MM-DD. */
export function isoDate(daysFromToday) {
  const d = new Date();
  d.setDate(d.getDate() + daysFromToday);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** Writes a full-page screenshot into SHOT_DIR and checks it is not empty. */
export async function screenshot(page, name, { fullPage = true } = {}) {
  fs.mkdirSync(SHOT_DIR, { recursive: true });
  const file = path.join(SHOT_DIR, name);
  await page.screenshot({ path: file, fullPage });
  assert(fs.statSync(file).size > 1000, `${name} is empty`);
  console.log(`     screenshot: ${file}`);
  return file;
}

/** Debian's Chromium, headless, without the background traffic this closed network refuses. */
export function launchBrowser() {
  return chromium.launch({
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
}

export async function typeInto(input, text) {
  await input.click();
  await input.press('ControlOrMeta+A');
  await input.press('Backspace');
  await input.pressSequentially(text, { delay: 35 });
}

/** Facts about a combobox input and its active option, read in the page. */
export async function comboInfo(input) {
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

/**
 * Wait until the input's listbox is visible and has an option with `code`
 * (anywhere, or first when `first` is true).
 */
export async function waitForOption(page, input, code, { first = false, timeout = 8000 } = {}) {
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
      { timeout },
    );
  } catch {
    const info = await comboInfo(input);
    throw new Error(
      `timed out waiting for ${code}${first ? ' as the first option' : ''}; options now: [${info.codes.join(', ')}], aria-expanded=${info.expanded}`,
    );
  }
}

/** Press ArrowDown until the active option has `code`, then Enter. */
export async function chooseWithKeyboard(input, code) {
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

/**
 * Runs `main(state)` (which sets state.browser) within `overallTimeoutMs`, closes the
 * browser, prints the failures and the final line, and exits.
 */
export async function runE2E(main, overallTimeoutMs) {
  const state = { browser: null };
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => {
      aborted = true;
      reject(new Error(`overall timeout of ${overallTimeoutMs / 1000} s exceeded`));
    }, overallTimeoutMs);
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
}
