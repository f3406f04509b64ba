/**
 * The signed-in user's profile preferences (GET /api/v1/me: currency, cabin,
 * home airport) applied to searches:
 *
 * - currency: the profile's (when it is one of the selector's codes) is the
 *   currency of a search made with the form and of a results or explore
 *   page whose URL names none; the URL's own `currency` still wins. Without
 *   a profile (or with none set) the remembered choice, else EUR.
 * - cabin and home airport prefill the home page's form, once per page load,
 *   only while the home page is shown, its URL carries no search of its own
 *   and the origin is empty (never over what the user typed or a shared link).
 */

import type { Profile } from './accountApi';
import { isKnownCurrency, preferredCurrency } from './currency';
import { isSearchCabin } from './options';
import type { SearchFormHandle, SearchState } from './searchForm';

type Prefs = Pick<Profile, 'currency' | 'cabin' | 'home_airport'>;

/** The profile's currency when it can be searched in, else null. */
export function profileCurrency(p: Prefs | null | undefined): string | null {
  const c = p?.currency?.trim().toUpperCase() ?? '';
  return isKnownCurrency(c) ? c : null;
}

/** The currency of a search whose URL names none: the profile's, else the remembered one (or EUR). */
export function searchCurrency(p: Prefs | null | undefined): string {
  return profileCurrency(p) ?? preferredCurrency();
}

/** What the profile puts into an untouched form (origin only when it is empty). */
export function preferencePatch(p: Prefs, originEmpty: boolean): Partial<SearchState> {
  const patch: Partial<SearchState> = {};
  const home = p.home_airport?.trim().toUpperCase() ?? '';
  if (home && originEmpty) patch.origin = home;
  // Only a cabin a search can be priced in; the account page says so for the others.
  if (p.cabin && isSearchCabin(p.cabin)) patch.cabin = p.cabin;
  return patch;
}

export interface PreferenceApplierOptions {
  profile: () => Prefs | null;
  form: () => SearchFormHandle | null;
  /** True while the home page (the form) is the page shown. */
  onHome: () => boolean;
  /** The URL's query string now ('' when none). */
  search: () => string;
}

/**
 * `apply()` is called whenever the profile arrives or the home page is shown;
 * it fills the form once (per `reset()`: sign-out), and only on the home page:
 * a profile loaded while another page is shown (sign-in?next=…) waits for it.
 */
export function preferenceApplier(o: PreferenceApplierOptions): { apply(): void; reset(): void } {
  let applied = false;
  return {
    apply() {
      const p = o.profile();
      const form = o.form();
      if (applied || !p || !form || !o.onHome()) return;
      applied = true;
      if (o.search()) return;
      const patch = preferencePatch(p, form.origin.input.value.trim() === '');
      if (Object.keys(patch).length > 0) void form.setState(patch);
    },
    reset() {
      applied = false;
    },
  };
}
