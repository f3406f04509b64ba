/**
 * The display currency: a short list for the selector, and the user's last
 * choice remembered in localStorage (`contrail.currency`). The URL's
 * `currency` parameter wins over the remembered choice.
 */

import { h } from './dom';

export const CURRENCY_KEY = 'contrail.currency';
export const FALLBACK_CURRENCY = 'EUR';

export const CURRENCIES: readonly { code: string; name: string }[] = [
  { code: 'EUR', name: 'Euro' },
  { code: 'USD', name: 'US dollar' },
  { code: 'GBP', name: 'British pound' },
  { code: 'CHF', name: 'Swiss franc' },
  { code: 'JPY', name: 'Japanese yen' },
  { code: 'CAD', name: 'Canadian dollar' },
  { code: 'AUD', name: 'Australian dollar' },
  { code: 'NZD', name: 'New Zealand dollar' },
  { code: 'SEK', name: 'Swedish krona' },
  { code: 'NOK', name: 'Norwegian krone' },
  { code: 'DKK', name: 'Danish krone' },
  { code: 'PLN', name: 'Polish złoty' },
  { code: 'CZK', name: 'Czech koruna' },
  { code: 'HUF', name: 'Hungarian forint' },
  { code: 'TRY', name: 'Turkish lira' },
  { code: 'AED', name: 'UAE dirham' },
  { code: 'INR', name: 'Indian rupee' },
  { code: 'CNY', name: 'Chinese yuan' },
  { code: 'HKD', name: 'Hong Kong dollar' },
  { code: 'SGD', name: 'Singapore dollar' },
  { code: 'KRW', name: 'South Korean won' },
  { code: 'BRL', name: 'Brazilian real' },
  { code: 'MXN', name: 'Mexican peso' },
  { code: 'ZAR', name: 'South African rand' },
];

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
  const list = CURRENCIES.some((c) => c.code === current) ? CURRENCIES : [{ code: current, name: current }, ...CURRENCIES];
  for (const c of list) select.add(new Option(c.code === c.name ? c.code : `${c.code} — ${c.name}`, c.code));
  select.value = current;
  select.addEventListener('change', () => {
    rememberCurrency(select.value);
    onChange(select.value);
  });
  const el = h('div', { class: 'currency-field' }, h('label', { for: id }, 'Currency'), select);
  return { el, select };
}
