/**
 * Countries for the pickers of the account pages (a saved traveller's nationality and the
 * issuing country of a passport): the ISO 3166-1 alpha-2 codes, named by Intl.DisplayNames
 * (the server has no countries endpoint; its reference data stays server-side), sorted by
 * name in the given locale. The code is what the forms send.
 */

/** The 249 officially assigned ISO 3166-1 alpha-2 codes, and XK (Kosovo), whose passports ICAO lists. */
export const ISO_COUNTRY_CODES: readonly string[] = (
  'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ ' +
  'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO ' +
  'FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE ' +
  'JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO ' +
  'MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW ' +
  'PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM ' +
  'TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW'
).split(' ');

export interface CountryOption {
  /** ISO 3166-1 alpha-2. */
  code: string;
  name: string;
}

const cache = new Map<string, CountryOption[]>();

function namer(locale: string): (code: string) => string {
  try {
    const names = new Intl.DisplayNames([locale, 'en'], { type: 'region', fallback: 'code' });
    return (code) => names.of(code) ?? code;
  } catch {
    return (code) => code; // no Intl.DisplayNames: the codes themselves
  }
}

/** Every country by name ("Switzerland", code "CH"), sorted in `locale` (default English). */
export function countryOptions(locale = 'en'): CountryOption[] {
  const hit = cache.get(locale);
  if (hit) return hit;
  const name = namer(locale);
  const collator = new Intl.Collator(locale, { sensitivity: 'base' });
  const list = ISO_COUNTRY_CODES.map((code) => ({ code, name: name(code) })).sort((a, b) => collator.compare(a.name, b.name) || a.code.localeCompare(b.code));
  cache.set(locale, list);
  return list;
}

/**
 * The options of a country <select>: `empty` first (value ""), then the countries; a
 * `current` code that is not in the list (saved before, or from elsewhere) is kept as its own
 * option so that editing does not lose it.
 */
export function countrySelectOptions(empty: string, current = '', locale = 'en'): { value: string; label: string }[] {
  const list = countryOptions(locale);
  const out = [{ value: '', label: empty }, ...list.map((c) => ({ value: c.code, label: c.name }))];
  if (current && !list.some((c) => c.code === current)) out.splice(1, 0, { value: current, label: current });
  return out;
}

/** Fills a <select> with countrySelectOptions and selects `current`. */
export function fillCountrySelect(select: HTMLSelectElement, empty: string, current = '', locale = 'en'): void {
  select.replaceChildren(...countrySelectOptions(empty, current, locale).map((o) => new Option(o.label, o.value)));
  select.value = current;
}
