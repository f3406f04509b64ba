/**
 * Flight search form: pure state/validation helpers plus the DOM wiring.
 */

import type { FetchFn, Place } from './api';
import type { Combobox } from './combobox';
import { isSearchCabin, SEARCH_CABINS, type SearchCabin } from './options';
import { createPlaceCombobox, placeholderPlace, resolvePlace, samePlace, samePlaceMessage } from './places';
import { formatDate } from './dates';

/* -------------------------------------------------------------------- */
/* Pure part                                                            */
/* -------------------------------------------------------------------- */

export type TripType = 'oneway' | 'round' | 'multi';

export const MIN_ADULTS = 1;
export const MAX_ADULTS = 9;
/** Seats (adults + children); infants sit on a lap, at most one per adult. */
export const MAX_SEATS = 9;
export const MAX_FLIGHTS = 6;

/** One flight of a multi-city trip. */
export interface FlightLeg {
  origin: string;
  destination: string;
  date: string;
}

export interface SearchState {
  trip: TripType;
  /** IATA airport or metro code, '' when not chosen. */
  origin: string;
  destination: string;
  /** ISO date YYYY-MM-DD, '' when empty. */
  depart: string;
  return: string;
  adults: number;
  children: number;
  infants: number;
  /** One of the cabins a search can be priced in (options.ts). */
  cabin: SearchCabin;
  /** Multi-city only: every flight, the first being origin → destination on depart. */
  legs: FlightLeg[];
}

export type SearchField = Exclude<keyof SearchState, 'legs'> | `leg${number}`;
export type FieldErrors = Partial<Record<SearchField, string>>;

export const DEFAULT_STATE: SearchState = {
  trip: 'round',
  origin: '',
  destination: '',
  depart: '',
  return: '',
  adults: 1,
  children: 0,
  infants: 0,
  cabin: 'economy',
  legs: [],
};

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const CODE = /^[A-Z0-9]{3,4}$/;

/** True for a real calendar date written as YYYY-MM-DD. */
export function isIsoDate(s: string): boolean {
  const m = ISO_DATE.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const dt = new Date(Date.UTC(y, mo - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === mo - 1 && dt.getUTCDate() === d;
}

/** Today's date in the user's local time zone, as YYYY-MM-DD. */
export function localToday(now: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}`;
}

/** Add days to an ISO date (UTC arithmetic, no DST surprises). */
export function addDays(iso: string, days: number): string {
  const m = ISO_DATE.exec(iso);
  if (!m) return iso;
  const dt = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + days));
  return dt.toISOString().slice(0, 10);
}

/**
 * How far ahead the date pickers go. Neither GET /healthz nor GET /readyz states the
 * schedules' horizon, so the form assumes a year of schedules: today + 364 days (the
 * server answers a later date with 400, "we have schedules up to …").
 */
export const SCHEDULE_HORIZON_DAYS = 364;

/** The last date the form offers: today + SCHEDULE_HORIZON_DAYS. */
export function lastSearchDate(today: string): string {
  return addDays(today, SCHEDULE_HORIZON_DAYS);
}

/** "We have schedules up to 3 Dec 2027: choose a date until then." */
export function pastHorizonMessage(last: string): string {
  return `We have schedules up to ${formatDate(last)}: choose a date until then.`;
}

/**
 * Validate a search. `today` (YYYY-MM-DD) enables the "not in the past"
 * rule; omit it to skip that rule. `last` (YYYY-MM-DD) enables "not after
 * the schedules' horizon".
 */
export function validateSearch(s: SearchState, today?: string, last?: string): FieldErrors {
  const errors: FieldErrors = {};

  if (!s.origin) errors.origin = 'Choose where you are flying from.';
  if (!s.destination) errors.destination = 'Choose where you are flying to.';
  if (s.origin && s.destination && s.origin.toUpperCase() === s.destination.toUpperCase()) {
    errors.destination = 'Destination must be different from the origin.';
  }

  if (!s.depart) errors.depart = 'Choose a departure date.';
  else if (!isIsoDate(s.depart)) errors.depart = 'Enter a valid departure date.';
  else if (today && s.depart < today) errors.depart = 'Departure date cannot be in the past.';
  else if (last && s.depart > last) errors.depart = pastHorizonMessage(last);

  if (s.trip === 'multi') {
    const legs = s.legs ?? [];
    legs.forEach((l, i) => {
      if (i === 0) return; // the first flight is origin/destination/depart above
      const key = `leg${i}` as SearchField;
      const prev = legs[i - 1]!;
      if (!l.origin || !l.destination) errors[key] = `Choose where flight ${i + 1} leaves from and goes to.`;
      else if (l.origin === l.destination) errors[key] = `Flight ${i + 1}: destination must be different from the origin.`;
      else if (!l.date || !isIsoDate(l.date)) errors[key] = `Choose a date for flight ${i + 1}.`;
      else if (prev.date && l.date < prev.date) errors[key] = `Flight ${i + 1} must not leave before flight ${i}.`;
      else if (last && l.date > last) errors[key] = `Flight ${i + 1}: ${pastHorizonMessage(last)}`;
    });
    if (legs.length < 2) errors.leg1 = 'A multi-city trip needs at least two flights.';
  }

  if (s.trip === 'round') {
    if (!s.return) errors.return = 'Choose a return date.';
    else if (!isIsoDate(s.return)) errors.return = 'Enter a valid return date.';
    else if (isIsoDate(s.depart) && s.return < s.depart) errors.return = 'Return date must be on or after the departure date.';
    else if (last && s.return > last) errors.return = pastHorizonMessage(last);
  }

  if (!Number.isInteger(s.adults) || s.adults < MIN_ADULTS || s.adults > MAX_ADULTS) {
    errors.adults = `Choose between ${MIN_ADULTS} and ${MAX_ADULTS} adults.`;
  }
  const children = s.children ?? 0;
  const infants = s.infants ?? 0;
  if (Number.isInteger(s.adults) && s.adults + children > MAX_SEATS) errors.children = `At most ${MAX_SEATS} seats: adults and children together.`;
  if (infants > s.adults) errors.infants = 'At most one infant per adult.';
  if (!isSearchCabin(s.cabin)) errors.cabin = 'Choose a cabin class.';

  return errors;
}

export function hasErrors(e: FieldErrors): boolean {
  return Object.keys(e).length > 0;
}

/** "Search is coming soon: ZRH → NYC on 2026-05-01" (+ return date). */
export function comingSoonMessage(s: SearchState): string {
  let msg = `Search is coming soon: ${s.origin} → ${s.destination} on ${s.depart}`;
  if (s.trip === 'round' && s.return) msg += `, returning ${s.return}`;
  return msg;
}

/** Serialise a search to a query string (without the leading '?'). */
export function toQuery(s: SearchState): string {
  const p = new URLSearchParams();
  p.set('trip', s.trip);
  if (s.origin) p.set('from', s.origin);
  if (s.destination) p.set('to', s.destination);
  if (s.depart) p.set('depart', s.depart);
  if (s.trip === 'round' && s.return) p.set('return', s.return);
  if (s.trip === 'multi') for (const l of (s.legs ?? []).slice(1)) p.append('s', `${l.origin}-${l.destination}-${l.date}`);
  p.set('adults', String(s.adults));
  if (s.children) p.set('children', String(s.children));
  if (s.infants) p.set('infants', String(s.infants));
  p.set('cabin', s.cabin);
  return p.toString();
}

/** Parse a query string, ignoring anything malformed. */
export function fromQuery(search: string): Partial<SearchState> {
  const p = new URLSearchParams(search.startsWith('?') ? search.slice(1) : search);
  const out: Partial<SearchState> = {};
  const trip = p.get('trip');
  if (trip === 'oneway' || trip === 'round' || trip === 'multi') out.trip = trip;
  const multi = p.getAll('s').map((v) => /^([A-Z0-9]{3,4})-([A-Z0-9]{3,4})-(\d{4}-\d{2}-\d{2})$/.exec(v.trim().toUpperCase()));
  if (out.trip === 'multi' && multi.length > 0) {
    const legs = multi.slice(0, MAX_FLIGHTS).map((m) => (m && isIsoDate(m[3]!) ? { origin: m[1]!, destination: m[2]!, date: m[3]! } : { origin: '', destination: '', date: '' }));
    const from = p.get('from')?.trim().toUpperCase() ?? '';
    // A results link carries every flight in `s`; the form's own link only the extra ones.
    if (from && CODE.test(from)) out.legs = [{ origin: from, destination: p.get('to')?.trim().toUpperCase() ?? '', date: p.get('depart') ?? '' }, ...legs].slice(0, MAX_FLIGHTS);
    else {
      out.legs = legs;
      if (legs[0]) {
        out.origin = legs[0].origin;
        out.destination = legs[0].destination;
        out.depart = legs[0].date;
      }
    }
  }
  const from = p.get('from')?.trim().toUpperCase();
  if (from && CODE.test(from)) out.origin = from;
  const to = p.get('to')?.trim().toUpperCase();
  if (to && CODE.test(to)) out.destination = to;
  const depart = p.get('depart');
  if (depart && isIsoDate(depart)) out.depart = depart;
  const ret = p.get('return');
  if (ret && isIsoDate(ret)) out.return = ret;
  const adults = Number(p.get('adults'));
  if (Number.isInteger(adults) && adults >= MIN_ADULTS && adults <= MAX_ADULTS) out.adults = adults;
  const children = Number(p.get('children'));
  if (p.has('children') && Number.isInteger(children) && children >= 0 && children < MAX_SEATS) out.children = children;
  const infants = Number(p.get('infants'));
  if (p.has('infants') && Number.isInteger(infants) && infants >= 0 && infants <= MAX_ADULTS) out.infants = infants;
  const cabin = p.get('cabin');
  if (cabin && isSearchCabin(cabin)) out.cabin = cabin;
  return out;
}

/* -------------------------------------------------------------------- */
/* DOM part                                                             */
/* -------------------------------------------------------------------- */

const FORM_HTML = /* html */ `
<form class="search-card" novalidate aria-labelledby="search-heading">
  <h2 id="search-heading" class="visually-hidden">Search flights</h2>
  <div class="search-options">
    <fieldset class="segmented" id="trip-field">
      <legend class="visually-hidden">Trip type</legend>
      <label class="segmented-item"><input type="radio" name="trip" value="round" checked /><span>Round trip</span></label>
      <label class="segmented-item"><input type="radio" name="trip" value="oneway" /><span>One-way</span></label>
      <label class="segmented-item"><input type="radio" name="trip" value="multi" /><span>Multi-city</span></label>
    </fieldset>
    <div class="pill-select">
      <label for="adults-input" class="visually-hidden">Passengers</label>
      <svg aria-hidden="true" viewBox="0 0 24 24" width="18" height="18"><path fill="currentColor" d="M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm0 2c-3.3 0-8 1.7-8 5v1h16v-1c0-3.3-4.7-5-8-5z"/></svg>
      <select id="adults-input" name="adults" aria-describedby="adults-error"></select>
    </div>
    <div class="pill-select">
      <label for="children-input" class="visually-hidden">Children (2-11)</label>
      <select id="children-input" name="children" aria-describedby="children-error"></select>
    </div>
    <div class="pill-select">
      <label for="infants-input" class="visually-hidden">Infants (under 2, on a lap)</label>
      <select id="infants-input" name="infants" aria-describedby="infants-error"></select>
    </div>
    <div class="pill-select">
      <label for="cabin-input" class="visually-hidden">Cabin</label>
      <svg aria-hidden="true" viewBox="0 0 24 24" width="18" height="18"><path fill="currentColor" d="M6 3h3v9h8l3 7h-3l-2-4H7a2 2 0 0 1-2-2V4a1 1 0 0 1 1-1zm-3 16h9v2H3z"/></svg>
      <select id="cabin-input" name="cabin" aria-describedby="cabin-error"></select>
    </div>
    <p class="field-error" id="adults-error" hidden></p>
    <p class="field-error" id="cabin-error" hidden></p>
    <p class="field-error" id="children-error" hidden></p>
    <p class="field-error" id="infants-error" hidden></p>
  </div>

  <div class="search-grid">
    <div class="field field-place" data-field="origin">
      <label for="origin-input" class="field-label">From</label>
      <div class="cb">
        <input id="origin-input" class="field-input" type="text" placeholder="City or airport" aria-describedby="origin-error" />
      </div>
      <input type="hidden" name="from" id="origin-code" />
      <p class="field-error" id="origin-error" hidden></p>
    </div>

    <button type="button" class="swap-button" id="swap-button" aria-label="Swap origin and destination" title="Swap origin and destination">
      <svg aria-hidden="true" viewBox="0 0 24 24" width="18" height="18"><path fill="currentColor" d="M7 7h11l-3-3 1.4-1.4L21.8 8l-5.4 5.4L15 12l3-3H7V7zm10 10H6l3 3-1.4 1.4L2.2 16l5.4-5.4L9 12l-3 3h11v2z"/></svg>
    </button>

    <div class="field field-place" data-field="destination">
      <label for="destination-input" class="field-label">To</label>
      <div class="cb">
        <input id="destination-input" class="field-input" type="text" placeholder="City or airport" aria-describedby="destination-error" />
      </div>
      <input type="hidden" name="to" id="destination-code" />
      <p class="field-error" id="destination-error" hidden></p>
    </div>

    <div class="field field-date" data-field="depart">
      <label for="depart-input" class="field-label">Departure</label>
      <input id="depart-input" class="field-input" type="date" name="depart" aria-describedby="depart-error" />
      <p class="field-error" id="depart-error" hidden></p>
    </div>

    <div class="field field-date" data-field="return">
      <label for="return-input" class="field-label">Return</label>
      <input id="return-input" class="field-input" type="date" name="return" aria-describedby="return-error" />
      <p class="field-error" id="return-error" hidden></p>
    </div>

    <button type="submit" class="search-button" id="search-button">
      <svg aria-hidden="true" viewBox="0 0 24 24" width="20" height="20"><path fill="currentColor" d="M10 4a6 6 0 1 0 3.7 10.7l4.8 4.8 1.4-1.4-4.8-4.8A6 6 0 0 0 10 4zm0 2a4 4 0 1 1 0 8 4 4 0 0 1 0-8z"/></svg>
      <span>Search flights</span>
    </button>
  </div>

  <fieldset class="multi-legs" id="multi-legs" hidden>
    <legend class="visually-hidden">More flights</legend>
    <ol class="multi-legs-list" id="multi-legs-list"></ol>
    <button type="button" class="btn btn-secondary multi-add" id="multi-add">Add another flight</button>
  </fieldset>

  <div class="form-alert" id="form-alert" role="alert"></div>
</form>
<div class="search-status" id="search-status" role="status" aria-live="polite"></div>
`;

export interface SearchFormOptions {
  fetchFn?: FetchFn;
  /** Persist the search in the URL query string. Default true. */
  syncUrl?: boolean;
  /** Override "today" (tests). */
  today?: () => string;
  /** The last date with schedules (the pickers' max). Default: today + SCHEDULE_HORIZON_DAYS. */
  lastDate?: () => string;
  /** Debounce for the airport comboboxes. */
  debounceMs?: number;
  /**
   * Called with a valid search (after the URL was updated). Without it the
   * form only shows the "coming soon" status.
   */
  onSearch?: (state: SearchState) => void;
}

export interface SearchFormHandle {
  form: HTMLFormElement;
  origin: Combobox<Place>;
  destination: Combobox<Place>;
  status: HTMLElement;
  getState(): SearchState;
  /** Restores state (e.g. from the URL). Resolves once place names are loaded. */
  setState(s: Partial<SearchState>): Promise<void>;
  submit(): boolean;
  /** The schedules' last date, once known (GET /readyz): the pickers' max and the check. */
  setLastDate(date: string): void;
  destroy(): void;
}

const FIELD_ORDER: SearchField[] = ['origin', 'destination', 'depart', 'return', 'adults', 'children', 'infants', 'cabin'];

/** One extra flight row of the multi-city mode. */
interface LegRow {
  el: HTMLLIElement;
  origin: Combobox<Place>;
  destination: Combobox<Place>;
  originCode: HTMLInputElement;
  destCode: HTMLInputElement;
  date: HTMLInputElement;
}

export function mountSearchForm(root: HTMLElement, opts: SearchFormOptions = {}): SearchFormHandle {
  const doc = root.ownerDocument;
  const win = doc.defaultView;
  const syncUrl = opts.syncUrl ?? true;
  const today = opts.today ?? (() => localToday());

  root.innerHTML = FORM_HTML;
  const $ = <E extends Element>(sel: string): E => {
    const el = root.querySelector<E>(sel);
    if (!el) throw new Error(`search form: missing ${sel}`);
    return el;
  };

  const form = $<HTMLFormElement>('form');
  const status = $<HTMLElement>('#search-status');
  const alertBox = $<HTMLElement>('#form-alert');
  const originInput = $<HTMLInputElement>('#origin-input');
  const destInput = $<HTMLInputElement>('#destination-input');
  const originCode = $<HTMLInputElement>('#origin-code');
  const destCode = $<HTMLInputElement>('#destination-code');
  const departInput = $<HTMLInputElement>('#depart-input');
  const returnInput = $<HTMLInputElement>('#return-input');
  const adultsSelect = $<HTMLSelectElement>('#adults-input');
  const cabinSelect = $<HTMLSelectElement>('#cabin-input');
  const childrenSelect = $<HTMLSelectElement>('#children-input');
  const infantsSelect = $<HTMLSelectElement>('#infants-input');
  const multiBox = $<HTMLFieldSetElement>('#multi-legs');
  const multiList = $<HTMLOListElement>('#multi-legs-list');
  const multiAdd = $<HTMLButtonElement>('#multi-add');
  let legRows: LegRow[] = [];
  const swapButton = $<HTMLButtonElement>('#swap-button');
  const tripRadios = Array.from(root.querySelectorAll<HTMLInputElement>('input[name="trip"]'));

  for (let n = MIN_ADULTS; n <= MAX_ADULTS; n++) {
    adultsSelect.add(new Option(n === 1 ? '1 adult' : `${n} adults`, String(n)));
  }
  for (let n = 0; n < MAX_SEATS; n++) childrenSelect.add(new Option(n === 0 ? 'No children' : n === 1 ? '1 child' : `${n} children`, String(n)));
  for (let n = 0; n <= MAX_ADULTS; n++) infantsSelect.add(new Option(n === 0 ? 'No infants' : n === 1 ? '1 infant' : `${n} infants`, String(n)));
  for (const c of SEARCH_CABINS) cabinSelect.add(new Option(c.label, c.value));

  const minDate = today();
  let maxDate = opts.lastDate?.() ?? lastSearchDate(minDate);
  departInput.min = minDate;
  returnInput.min = minDate;
  departInput.max = maxDate;
  returnInput.max = maxDate;

  /** Fields whose errors are currently shown (re-validated live). */
  let shownErrors: FieldErrors = {};

  /** Validation plus a clearer message for typed-but-unpicked places. */
  const computeErrors = (): FieldErrors => {
    const errors = validateSearch(getState(), today(), maxDate);
    const unpicked = 'Pick a city or airport from the suggestions.';
    if (!originCode.value && originInput.value.trim()) errors.origin = unpicked;
    if (!destCode.value && destInput.value.trim()) errors.destination = unpicked;
    // Heathrow to London: one place, refused before asking the server.
    const o = origin.value;
    const d = destination.value;
    if (!errors.destination && !errors.origin && o && d && samePlace(o, d)) errors.destination = samePlaceMessage(o, d);
    return errors;
  };

  const revalidate = () => {
    if (hasErrors(shownErrors)) {
      const errs = computeErrors();
      // Only update fields that were already flagged (don't nag early).
      const next: FieldErrors = {};
      for (const k of Object.keys(shownErrors) as SearchField[]) if (errs[k]) next[k] = errs[k];
      showErrors(next);
    }
  };

  const origin = createPlaceCombobox(originInput, {
    fetchFn: opts.fetchFn,
    debounceMs: opts.debounceMs,
    onSelect: (p) => {
      originCode.value = p?.code ?? '';
      revalidate();
    },
  });
  const destination = createPlaceCombobox(destInput, {
    fetchFn: opts.fetchFn,
    debounceMs: opts.debounceMs,
    onSelect: (p) => {
      destCode.value = p?.code ?? '';
      revalidate();
    },
  });

  const fieldEl: Record<SearchField, HTMLElement> = {
    trip: tripRadios[0]!,
    origin: originInput,
    destination: destInput,
    depart: departInput,
    return: returnInput,
    adults: adultsSelect,
    children: childrenSelect,
    infants: infantsSelect,
    cabin: cabinSelect,
  };

  function getTrip(): TripType {
    const v = tripRadios.find((r) => r.checked)?.value;
    return v === 'oneway' || v === 'multi' ? v : 'round';
  }

  const rowErrorId = (i: number) => `leg${i}-error`;

  /** Rebuild the extra flight rows (2..6) from their legs, numbering them again. */
  function buildRows(legs: FlightLeg[]): void {
    for (const r of legRows) {
      r.origin.destroy();
      r.destination.destroy();
    }
    legRows = [];
    multiList.replaceChildren();
    legs.forEach((leg, k) => {
      const i = k + 1;
      const n = i + 1;
      const li = doc.createElement('li');
      li.className = 'multi-leg';
      li.dataset.leg = String(i);
      li.innerHTML = `
        <p class="multi-leg-title">Flight ${n}</p>
        <div class="field field-place"><label class="field-label" for="leg${i}-origin">Flight ${n} from</label><div class="cb"><input id="leg${i}-origin" class="field-input" type="text" placeholder="City or airport" aria-describedby="${rowErrorId(i)}" /></div></div>
        <div class="field field-place"><label class="field-label" for="leg${i}-destination">Flight ${n} to</label><div class="cb"><input id="leg${i}-destination" class="field-input" type="text" placeholder="City or airport" aria-describedby="${rowErrorId(i)}" /></div></div>
        <div class="field field-date"><label class="field-label" for="leg${i}-date">Flight ${n} date</label><input id="leg${i}-date" class="field-input" type="date" aria-describedby="${rowErrorId(i)}" /></div>
        <button type="button" class="btn btn-ghost multi-remove" aria-label="Remove flight ${n}">Remove</button>
        <p class="field-error" id="${rowErrorId(i)}" hidden></p>`;
      multiList.append(li);
      const originCode = doc.createElement('input');
      originCode.type = 'hidden';
      const destCode = doc.createElement('input');
      destCode.type = 'hidden';
      li.append(originCode, destCode);
      const oInput = li.querySelector<HTMLInputElement>(`#leg${i}-origin`)!;
      const dInput = li.querySelector<HTMLInputElement>(`#leg${i}-destination`)!;
      const date = li.querySelector<HTMLInputElement>(`#leg${i}-date`)!;
      date.min = minDate;
      date.max = maxDate;
      date.value = leg.date;
      const row: LegRow = {
        el: li,
        originCode,
        destCode,
        date,
        origin: createPlaceCombobox(oInput, { fetchFn: opts.fetchFn, debounceMs: opts.debounceMs, onSelect: (p) => ((originCode.value = p?.code ?? ''), revalidate()) }),
        destination: createPlaceCombobox(dInput, { fetchFn: opts.fetchFn, debounceMs: opts.debounceMs, onSelect: (p) => ((destCode.value = p?.code ?? ''), revalidate()) }),
      };
      const restoreRow = (cb: Combobox<Place>, hidden: HTMLInputElement, code: string) => {
        if (!code) return;
        const ph = placeholderPlace(code);
        cb.setValue(ph);
        hidden.value = code;
        void resolvePlace(code, opts.fetchFn).then((p) => {
          if (cb.value === ph) cb.setValue(p);
        });
      };
      restoreRow(row.origin, originCode, leg.origin);
      restoreRow(row.destination, destCode, leg.destination);
      date.addEventListener('change', revalidate);
      li.querySelector<HTMLButtonElement>('.multi-remove')!.addEventListener('click', () => {
        const rest = getState().legs.slice(1).filter((_, j) => j !== k);
        buildRows(rest);
        syncMulti();
        (legRows[Math.min(k, legRows.length - 1)]?.date ?? multiAdd).focus();
      });
      legRows.push(row);
    });
  }

  function syncMulti(): void {
    const multi = getTrip() === 'multi';
    multiBox.hidden = !multi;
    multiAdd.disabled = legRows.length + 1 >= MAX_FLIGHTS;
    for (const b of multiList.querySelectorAll<HTMLButtonElement>('.multi-remove')) b.disabled = legRows.length <= 1;
  }

  function getState(): SearchState {
    const adults = Number(adultsSelect.value);
    const cabin = cabinSelect.value;
    const trip = getTrip();
    return {
      trip,
      origin: originCode.value,
      destination: destCode.value,
      depart: departInput.value,
      return: trip === 'round' ? returnInput.value : '',
      adults,
      children: Number(childrenSelect.value) || 0,
      infants: Number(infantsSelect.value) || 0,
      cabin: isSearchCabin(cabin) ? cabin : 'economy',
      legs:
        trip === 'multi'
          ? [
              { origin: originCode.value, destination: destCode.value, date: departInput.value },
              ...legRows.map((r) => ({ origin: r.originCode.value, destination: r.destCode.value, date: r.date.value })),
            ]
          : [],
    };
  }

  function applyTrip(): void {
    if (getTrip() === 'multi' && legRows.length === 0) buildRows([{ origin: destCode.value, destination: '', date: '' }]);
    syncMulti();
    const oneway = getTrip() !== 'round';
    returnInput.disabled = oneway;
    returnInput.closest('.field')?.classList.toggle('is-disabled', oneway);
    if (oneway && shownErrors.return) {
      const { return: _dropped, ...rest } = shownErrors;
      void _dropped;
      showErrors(rest);
    }
  }

  function showErrors(errors: FieldErrors): void {
    shownErrors = errors;
    for (const field of FIELD_ORDER) {
      const msgEl = root.querySelector<HTMLElement>(`#${field}-error`);
      const input = fieldEl[field];
      const msg = errors[field];
      if (msgEl) {
        msgEl.textContent = msg ?? '';
        msgEl.hidden = !msg;
      }
      if (msg) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
      input.closest('.field')?.classList.toggle('has-error', !!msg);
    }
    legRows.forEach((r, k) => {
      const msg = errors[`leg${k + 1}`];
      const msgEl = root.querySelector<HTMLElement>(`#${rowErrorId(k + 1)}`);
      if (msgEl) {
        msgEl.textContent = msg ?? '';
        msgEl.hidden = !msg;
      }
      for (const input of [r.origin.input, r.destination.input, r.date]) {
        if (msg) input.setAttribute('aria-invalid', 'true');
        else input.removeAttribute('aria-invalid');
      }
    });
    if (!hasErrors(errors)) alertBox.textContent = '';
  }

  function submit(): boolean {
    const state = getState();
    const errors = computeErrors();
    showErrors(errors);
    if (hasErrors(errors)) {
      const n = Object.keys(errors).length;
      alertBox.textContent = n === 1 ? 'Please fix the highlighted field.' : `Please fix the ${n} highlighted fields.`;
      status.textContent = '';
      status.classList.remove('is-visible');
      const first = FIELD_ORDER.find((f) => errors[f]);
      const firstLeg = legRows.findIndex((_, k) => errors[`leg${k + 1}`]);
      if (first) (fieldEl[first] as HTMLElement).focus();
      else if (firstLeg >= 0) legRows[firstLeg]!.origin.input.focus();
      return false;
    }
    alertBox.textContent = '';
    if (syncUrl && win) {
      const url = `${win.location.pathname}?${toQuery(state)}`;
      win.history.replaceState(null, '', url);
    }
    if (opts.onSearch) {
      status.textContent = '';
      status.classList.remove('is-visible');
      opts.onSearch(state);
    } else {
      status.textContent = comingSoonMessage(state);
      status.classList.add('is-visible');
    }
    return true;
  }

  async function setState(s: Partial<SearchState>): Promise<void> {
    if (s.trip) for (const r of tripRadios) r.checked = r.value === s.trip;
    if (s.depart !== undefined) departInput.value = s.depart;
    if (s.return !== undefined) returnInput.value = s.return;
    if (s.adults !== undefined) adultsSelect.value = String(s.adults);
    if (s.children !== undefined) childrenSelect.value = String(s.children);
    if (s.infants !== undefined) infantsSelect.value = String(s.infants);
    if (s.legs && s.legs.length > 1) buildRows(s.legs.slice(1));
    if (s.cabin !== undefined) cabinSelect.value = s.cabin;
    applyTrip();
    syncReturnMin();
    const jobs: Promise<void>[] = [];
    const restore = (cb: Combobox<Place>, code: string | undefined) => {
      if (!code) return;
      const placeholder = placeholderPlace(code);
      cb.setValue(placeholder);
      jobs.push(
        resolvePlace(code, opts.fetchFn).then((p) => {
          // Only upgrade if the user hasn't changed the field meanwhile.
          if (cb.value === placeholder) cb.setValue(p);
        }),
      );
    };
    restore(origin, s.origin);
    restore(destination, s.destination);
    await Promise.all(jobs);
  }

  function syncReturnMin(): void {
    returnInput.min = departInput.value && departInput.value > minDate ? departInput.value : minDate;
  }

  const offs: (() => void)[] = [];
  const on = (el: EventTarget, type: string, fn: (e: Event) => void) => {
    el.addEventListener(type, fn);
    offs.push(() => el.removeEventListener(type, fn));
  };

  on(form, 'submit', (e) => {
    e.preventDefault();
    submit();
  });
  for (const r of tripRadios) {
    on(r, 'change', () => {
      applyTrip();
      revalidate();
    });
  }
  on(departInput, 'change', () => {
    syncReturnMin();
    // Keep the return date sensible when the departure moves past it.
    if (getTrip() === 'round' && returnInput.value && departInput.value && returnInput.value < departInput.value) {
      returnInput.value = departInput.value;
    }
    revalidate();
  });
  on(returnInput, 'change', revalidate);
  on(adultsSelect, 'change', revalidate);
  on(cabinSelect, 'change', revalidate);
  on(childrenSelect, 'change', revalidate);
  on(infantsSelect, 'change', revalidate);
  on(multiAdd, 'click', () => {
    const legs = getState().legs.slice(1);
    if (legs.length + 1 >= MAX_FLIGHTS) return;
    const last = legs[legs.length - 1];
    buildRows([...legs, { origin: last?.destination ?? '', destination: '', date: '' }]);
    syncMulti();
    legRows[legRows.length - 1]?.destination.input.focus();
  });
  on(swapButton, 'click', () => {
    const a = origin.value;
    const b = destination.value;
    const aText = originInput.value;
    const bText = destInput.value;
    origin.setValue(b);
    destination.setValue(a);
    if (!b) originInput.value = bText;
    if (!a) destInput.value = aText;
  });

  applyTrip();

  return {
    form,
    origin,
    destination,
    status,
    getState,
    setState,
    submit,
    setLastDate(date: string) {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || date < minDate) return;
      maxDate = date;
      for (const input of [departInput, returnInput, ...legRows.map((r) => r.el.querySelector<HTMLInputElement>('input[type="date"]'))]) {
        if (input) input.max = date;
      }
    },
    destroy() {
      for (const off of offs.splice(0)) off();
      origin.destroy();
      destination.destroy();
      for (const r of legRows) {
        r.origin.destroy();
        r.destination.destroy();
      }
      root.replaceChildren();
    },
  };
}
