/**
 * The one definition of cabins and currencies: the search form, the results
 * and explore pages' currency selectors and the account page all read them
 * from here, so they cannot drift apart.
 *
 * Cabins. A profile may hold any of the four cabins the server's profile
 * accepts (src/accounts/profile.c), and a search is priced in any of them
 * (POST /api/v1/searches, GET /api/v1/calendar and /explore: economy,
 * premium economy, business and first, on the aircraft that have the cabin).
 * Every page offers the searchable ones; `searchable` stays so that a cabin
 * a profile may hold but a search cannot price would be shown under its own
 * name, kept when the profile is saved, and never turned into another.
 *
 * Currencies: the selector's short list. Both the profile and the search
 * endpoints accept any three-letter ISO 4217 code, so a code outside the
 * list (typed into a URL, saved elsewhere) is shown as it is.
 */

export type Cabin = 'economy' | 'premium_economy' | 'business' | 'first';
export type SearchCabin = Cabin;

export interface CabinOption {
  value: Cabin;
  label: string;
  /** True when a search can be priced in it. */
  searchable: boolean;
}

export const CABINS: readonly CabinOption[] = [
  { value: 'economy', label: 'Economy', searchable: true },
  { value: 'premium_economy', label: 'Premium economy', searchable: true },
  { value: 'business', label: 'Business', searchable: true },
  { value: 'first', label: 'First', searchable: true },
];

/** The cabins a search offers, in order. */
export const SEARCH_CABINS: readonly { value: SearchCabin; label: string }[] = CABINS.filter((c) => c.searchable).map((c) => ({
  value: c.value as SearchCabin,
  label: c.label,
}));

/** A cabin a profile may hold. */
export function isCabin(v: string): v is Cabin {
  return CABINS.some((c) => c.value === v);
}

/** A cabin a search can be priced in. */
export function isSearchCabin(v: string): v is SearchCabin {
  return SEARCH_CABINS.some((c) => c.value === v);
}

/** "First" for 'first'; the value itself for one this list does not know. */
export function cabinLabel(v: string): string {
  return CABINS.find((c) => c.value === v)?.label ?? v;
}

export interface CurrencyOption {
  code: string;
  name: string;
}

export const CURRENCIES: readonly CurrencyOption[] = [
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

/** "CHF — Swiss franc"; the bare code for one outside the list. */
export function currencyLabel(code: string): string {
  const c = CURRENCIES.find((x) => x.code === code);
  return c ? `${c.code} — ${c.name}` : code;
}
