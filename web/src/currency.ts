/**
 * The display currency: the selector (over the one list in options.ts), and
 * the user's last choice remembered in localStorage (`contrail.currency`).
 * The URL's `currency` parameter wins over the remembered choice when it is
 * one of the list's codes; anything else (a link with currency=XYZ) is never
 * remembered and the page falls back to the remembered (or default) one with
 * a notice (`urlCurrency`).
 */

import { h } from './dom';
import { CURRENCIES, currencyLabel } from './options';

export const CURRENCY_KEY = 'contrail.currency';
export const FALLBACK_CURRENCY = 'EUR';

export { CURRENCIES } from './options';

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

/** One of the selector's currencies (the ones searches are priced in). */
export function isKnownCurrency(code: string): boolean {
  return CURRENCIES.some((c) => c.code === code);
}

/** The remembered currency, or EUR (an unknown remembered code, e.g. stored by an older version, is ignored). */
export function preferredCurrency(): string {
  const v = storage()?.getItem(CURRENCY_KEY) ?? '';
  return isKnownCurrency(v) ? v : FALLBACK_CURRENCY;
}

/** Remembers a known currency; an unknown code is not stored. */
export function rememberCurrency(code: string): void {
  if (!isKnownCurrency(code)) return;
  try {
    storage()?.setItem(CURRENCY_KEY, code);
  } catch {
    /* private mode: not remembered */
  }
}

/**
 * A labelled currency <select>; `current` is added as an option when it is
 * not in the list (e.g. typed into the URL), so the page shows what it sent.
 */
export function currencySelect(id: string, current: string, onChange: (code: string) => void): { el: HTMLElement; select: HTMLSelectElement } {
  const select = h('select', { id, class: 'currency-select' }) as HTMLSelectElement;
  const codes = CURRENCIES.map((c) => c.code);
  for (const code of codes.includes(current) ? codes : [current, ...codes]) select.add(new Option(currencyLabel(code), code));
  select.value = current;
  select.addEventListener('change', () => {
    rememberCurrency(select.value);
    onChange(select.value);
  });
  const el = h('div', { class: 'currency-field' }, h('label', { for: id }, 'Currency'), select);
  return { el, select };
}

/**
 * The URL's `currency` parameter checked: a known code is used (and
 * remembered); an unknown one is refused (`rejected`) and `fallback` used.
 * No parameter: `fallback`, nothing rejected.
 */
export function urlCurrency(params: URLSearchParams, fallback: string): { currency: string; rejected: string | null } {
  const raw = params.get('currency');
  if (raw === null) return { currency: fallback, rejected: null };
  const code = raw.trim().toUpperCase();
  if (isKnownCurrency(code)) {
    rememberCurrency(code);
    return { currency: code, rejected: null };
  }
  return { currency: fallback, rejected: raw.trim() || '(empty)' };
}

/** "The currency “XYZ” is not one we price in: prices are shown in EUR." */
export function currencyRejectedText(rejected: string, used: string): string {
  return `The currency “${rejected}” in the link is not one we price in: prices are shown in ${currencyLabel(used)} instead.`;
}
