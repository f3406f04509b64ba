/**
 * The display currency: the selector (over the one list in options.ts), and
 * the user's last choice remembered in localStorage (`contrail.currency`).
 * The URL's `currency` parameter wins over the remembered choice.
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

/** The remembered currency, or EUR. */
export function preferredCurrency(): string {
  const v = storage()?.getItem(CURRENCY_KEY) ?? '';
  return /^[A-Z]{3}$/.test(v) ? v : FALLBACK_CURRENCY;
}

export function rememberCurrency(code: string): void {
  if (!/^[A-Z]{3}$/.test(code)) return;
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
