/**
 * /search?…: the priced results page over POST /api/v1/searches
 * (docs/search-api.md). Every slice goes in one request (one-way, round trip,
 * multi-city); passengers, cabin, currency, sort, filters and the page
 * (offset/limit) are server parameters and live in the URL, so a results
 * URL is shareable and each change is a history entry (back/forward re-run
 * the search through the router). One-way searches show a 30-day price
 * calendar and round trips a 7×7 date grid (GET /api/v1/calendar). Each
 * priced offer has a Select link to /book; the separate-tickets offer lists
 * its parts (each seller and its price in its own currency) and its link
 * carries them (&parts=airline-1:0,airline-2:1).
 */

import type { TrackedSearch } from '../alertsApi';
import { trackToggle } from '../trackPrices';
import type { App, View } from '../app';
import { getJson, postSearch, type Place } from '../api';
import { destroyPriceGraphs, fetchPriceHistory, renderPriceGraphs } from '../priceGraph';
import { renderInsightBadge } from '../priceInsight';
import { renderPredictionNote } from '../pricePrediction';
import { calendarUrl, gridUrl, normalizeCalendar, normalizeGrid, renderCalendarPanel, renderDateGrid, revealCheapest } from '../calendar';
import { currencyRejectedText, currencySelect, urlCurrency } from '../currency';
import { profileCurrency, searchCurrency } from '../preferences';
import { h, icon, ICONS, nextId } from '../dom';
import { cabinLabel } from '../options';
import { resolvePlace } from '../places';
import {
  ALLIANCES,
  cardMoney,
  carrierNames,
  countLabel,
  dayMarker,
  dayMarkerText,
  describeSearchError,
  firstLeg,
  flightLabel,
  formatDate,
  formatDuration,
  formatMoney,
  formPathFor,
  groupSimilar,
  hasFilters,
  lastLeg,
  layoverText,
  localDate,
  localTime,
  normalizeResponse,
  NO_FILTERS,
  parseResultsQuery,
  queryProblem,
  rangeLabel,
  resultsPath,
  searchRequestBody,
  sliceTitle,
  SORTS,
  stopsLabel,
  travellersNote,
  utcLabel,
  type ErrorInfo,
  type FilterState,
  type Itinerary,
  type ItinerarySlice,
  type Money,
  type ResultsQuery,
  type SearchResponse,
  type SortKey,
  type Travellers,
  type TripKind,
} from '../results';
import type { RouteContext } from '../router';
import { loading, notice } from './shell';
import { bookPath, formatParts } from './book';
import { providerDisplayName, SEPARATE_TICKETS } from '../bookingApi';

const PLANE = 'M21 16v-2l-8-5V3.5a1.5 1.5 0 0 0-3 0V9l-8 5v2l8-2.5V19l-2 1.5V22l3.5-1 3.5 1v-1.5L13 19v-5.5l8 2.5z';
const FILTER = 'M3 5h18v2H3V5zm4 6h10v2H7v-2zm3 6h4v2h-4v-2z';

/* ---------------------------------------------------------------------- */
/* Cards (exported for tests)                                             */
/* ---------------------------------------------------------------------- */

function sliceSummary(s: ItinerarySlice, title: string): HTMLElement {
  const a = firstLeg(s);
  const b = lastLeg(s);
  const base = localDate(a.departure_local);
  const marker = dayMarker(base, b.arrival_local);
  const selfTransfer = s.layovers.some((l) => l.self_transfer);
  return h(
    'li',
    { class: 'itin-slice', 'data-stops': String(s.stops), 'data-duration': String(s.duration_minutes) },
    title ? h('p', { class: 'itin-slice-title' }, title, h('span', { class: 'itin-slice-date' }, ` · ${formatDate(base)}`)) : null,
    h(
      'div',
      { class: 'itin-times' },
      h('span', { class: 'itin-time' }, localTime(a.departure_local)),
      h('span', { class: 'itin-dash', 'aria-hidden': 'true' }, '–'),
      h('span', { class: 'itin-time' }, localTime(b.arrival_local), marker ? h('sup', { class: 'day-marker', title: dayMarkerText(marker) }, marker) : null),
      h('span', { class: 'itin-route' }, `${a.origin} → ${b.destination}`),
    ),
    h('div', { class: 'itin-duration' }, h('span', { class: 'itin-strong' }, formatDuration(s.duration_minutes)), h('span', { class: 'itin-sub itin-carriers' }, carrierNames(s))),
    h(
      'div',
      { class: 'itin-stops' },
      h('span', { class: `itin-strong${s.legs.length === 1 ? ' is-nonstop' : ''}` }, stopsLabel(s)),
      h('span', { class: 'itin-sub' }, s.layovers.map((l) => `${formatDuration(l.minutes)} in ${l.airport}${l.changeAirport ? `→${l.nextAirport}` : ''}`).join(', ')),
      selfTransfer ? h('span', { class: 'badge badge-warn self-transfer' }, icon(ICONS.alert, 14), 'Self-transfer') : null,
    ),
  );
}

function spokenSlice(s: ItinerarySlice, title: string): string {
  const a = firstLeg(s);
  const b = lastLeg(s);
  const marker = dayMarker(localDate(a.departure_local), b.arrival_local);
  const self = s.layovers.some((l) => l.self_transfer) ? ' Self-transfer.' : '';
  return (
    `${title ? `${title}: ` : ''}${carrierNames(s)}, ${s.legs.map(flightLabel).join(', ')}. Departs ${localTime(a.departure_local)} from ${a.origin}, ` +
    `arrives ${localTime(b.arrival_local)}${marker ? ` ${dayMarkerText(marker)}` : ''} at ${b.destination}. ${formatDuration(s.duration_minutes)}, ${stopsLabel(s)}.${self}`
  );
}

function legDetails(s: ItinerarySlice, title: string): HTMLElement {
  const base = localDate(firstLeg(s).departure_local);
  const rows: HTMLElement[] = [];
  s.legs.forEach((l, i) => {
    const depM = dayMarker(base, l.departure_local);
    const arrM = dayMarker(base, l.arrival_local);
    rows.push(
      h(
        'li',
        { class: 'leg' },
        h(
          'div',
          { class: 'leg-flight' },
          h('span', { class: 'leg-number' }, flightLabel(l)),
          h('span', { class: 'leg-carrier' }, l.carrier_name || l.carrier),
          h('span', { class: 'leg-dur' }, formatDuration(l.duration_minutes)),
        ),
        h(
          'dl',
          { class: 'leg-times' },
          h('dt', {}, `Departs ${l.origin}`),
          h(
            'dd',
            {},
            h('span', { class: 'leg-local' }, `${localTime(l.departure_local)} local`, depM ? h('sup', { class: 'day-marker' }, depM) : null),
            h('span', { class: 'leg-date' }, formatDate(localDate(l.departure_local))),
            h('span', { class: 'leg-utc' }, utcLabel(l.departure_utc)),
          ),
          h('dt', {}, `Arrives ${l.destination}`),
          h(
            'dd',
            {},
            h('span', { class: 'leg-local' }, `${localTime(l.arrival_local)} local`, arrM ? h('sup', { class: 'day-marker' }, arrM) : null),
            h('span', { class: 'leg-date' }, formatDate(localDate(l.arrival_local))),
            h('span', { class: 'leg-utc' }, utcLabel(l.arrival_utc)),
          ),
        ),
      ),
    );
    const lay = s.layovers[i];
    if (lay) {
      rows.push(
        h(
          'li',
          { class: `layover${lay.changeAirport || lay.self_transfer ? ' is-warning' : ''}`, 'data-airport': lay.airport, 'data-minutes': String(lay.minutes), 'data-self-transfer': lay.self_transfer ? 'true' : null },
          icon(lay.self_transfer ? ICONS.alert : ICONS.info, 16),
          h('span', {}, layoverText(lay)),
        ),
      );
    }
  });
  return h('li', { class: 'itin-details-slice' }, title ? h('h4', { class: 'itin-details-title' }, title) : null, h('ol', { class: 'itin-legs' }, rows));
}

/** Builds the /book link of one offer (null: this offer cannot be booked here). */
export type BookLink = (o: Itinerary['offers'][number]) => string | null;

/** "US Airways $147.00" (the seller's own currency, what its ticket is charged in). */
function partLabel(p: Itinerary['offers'][number]['parts'][number]): string {
  return `${p.provider_name ?? providerDisplayName(p.provider, '')} ${formatMoney(p.original ?? p.price)}`;
}

function offerRow(o: Itinerary['offers'][number], book?: BookLink): HTMLElement {
  // The seller's own price only when it differs in currency (the same currency: shown once).
  const converted = o.original && o.original.currency !== o.price.currency;
  const name = o.provider_name ?? providerDisplayName(o.provider, o.kind);
  const href = book?.(o) ?? null;
  return h(
    'li',
    { class: 'offer', 'data-provider': o.provider, 'data-minor': String(o.price.amount_minor), 'data-parts': o.parts.length > 0 ? formatParts(o.parts) : null },
    h('span', { class: 'offer-provider' }, name),
    o.self_transfer ? h('span', { class: 'badge badge-warn' }, 'Self-transfer') : null,
    h('span', { class: 'offer-price' }, cardMoney(o.price)),
    o.parts.length > 0
      ? h('span', { class: 'offer-parts' }, `${o.parts.length} tickets, each charged by its seller: ${o.parts.map(partLabel).join(' + ')}`)
      : converted && o.original
        ? h('span', { class: 'offer-original' }, `charged as ${formatMoney(o.original)}`)
        : null,
    href ? h('a', { class: 'btn btn-primary offer-select', href, 'aria-label': `Select ${name}, ${cardMoney(o.price)}` }, 'Select') : null,
  );
}

function disclosure(label: string, controls: HTMLElement, cls: string): HTMLButtonElement {
  const btn = h('button', { type: 'button', class: cls, 'aria-expanded': 'false', 'aria-controls': controls.id }, h('span', {}, label), icon(ICONS.chevron, 18, 'icon itin-chevron')) as HTMLButtonElement;
  btn.addEventListener('click', () => {
    const open = btn.getAttribute('aria-expanded') !== 'true';
    btn.setAttribute('aria-expanded', String(open));
    controls.hidden = !open;
  });
  return btn;
}

export interface CardOptions {
  /** Who the prices are for (totals for all of them); one adult when left out. */
  travellers?: Travellers;
}

/** One itinerary: its slices, the cheapest price, and expandable flight details and offers. */
export function itineraryCard(it: Itinerary, trip: TripKind, book?: BookLink, opts: CardOptions = {}): HTMLElement {
  const titleId = nextId('itin');
  const titles = it.slices.map((_, i) => sliceTitle(trip, i));
  const price: Money | null = it.price;
  const who = travellers(opts);
  const spoken = `${price ? `${cardMoney(price)} ${travellersNote(price, who).replace(' · ', ', ')}. ` : 'Schedule only, no price. '}${it.slices.map((s, i) => spokenSlice(s, titles[i]!)).join(' ')}`;

  const details = h('ol', { class: 'itin-details', id: nextId('itin-details'), hidden: true, 'aria-label': 'Flights and connections' }, it.slices.map((s, i) => legDetails(s, titles[i]!)));
  const offers = h(
    'ul',
    { class: 'offer-list', id: nextId('itin-offers'), hidden: true, 'aria-label': 'Offers from providers' },
    it.offers.map((o) => offerRow(o, book)),
  );
  const offersToggle = it.offers.length > 0 ? disclosure(it.offers.length === 1 ? '1 offer' : `Compare ${it.offers.length} offers`, offers, 'itin-toggle offers-toggle') : null;

  const cheapestHref = book && it.offers[0] ? book(it.offers[0]) : null;
  const priceBox = price
    ? h(
        'div',
        { class: 'itin-price' },
        h('span', { class: 'price-from' }, it.offers.length > 1 ? 'Cheapest' : 'Price'),
        h('span', { class: 'price-amount' }, cardMoney(price)),
        h('span', { class: 'price-travellers' }, travellersNote(price, who)),
        h('span', { class: 'price-note' }, it.offers.length > 0 ? `${it.offers.length} ${it.offers.length === 1 ? 'provider' : 'providers'}` : ''),
        cheapestHref ? h('a', { class: 'btn btn-primary itin-select', href: cheapestHref, 'aria-label': `Select the cheapest offer, ${cardMoney(price)}` }, 'Select') : null,
      )
    : h('div', { class: 'itin-price is-unpriced' }, h('span', { class: 'badge badge-warn' }, 'schedule only — no price'));

  return h(
    'li',
    {
      class: `itin${it.self_transfer ? ' is-self-transfer' : ''}`,
      'data-id': it.id,
      'data-key': it.id,
      'data-price-minor': price ? String(price.amount_minor) : null,
      'data-duration': String(it.duration_minutes),
      'data-stops': String(it.stops),
    },
    h(
      'article',
      { class: 'itin-card', 'aria-labelledby': titleId },
      h('h3', { class: 'visually-hidden', id: titleId }, spoken),
      h('div', { class: 'itin-body' }, h('ol', { class: 'itin-slices', 'aria-hidden': 'true' }, it.slices.map((s, i) => sliceSummary(s, titles[i]!))), priceBox),
      it.self_transfer
        ? h('p', { class: 'itin-warning' }, icon(ICONS.alert, 16), 'Self-transfer: separate tickets. You collect your bags and check in again, and a missed connection is not protected.')
        : null,
      emissionsLine(it),
      h(
        'div',
        { class: 'itin-foot' },
        h('span', { class: 'itin-flights' }, icon(PLANE, 14), it.slices.flatMap((s) => s.legs).map(flightLabel).join(' · ')),
        disclosure('Flight details', details, 'itin-toggle'),
        offersToggle,
      ),
      details,
      offers,
    ),
  );
}

/** "412 kg CO2e · 12 % below typical" (per passenger, the Travel Impact Model's method). */
export function emissionsText(e: NonNullable<Itinerary['emissions']>): string {
  const kg = `${e.co2e_kg.toLocaleString('en-GB')} kg CO2e per passenger`;
  const pct = Math.abs(e.percent_vs_typical);
  if (e.label === 'typical') return `${kg} · typical for this route`;
  return `${kg} · ${pct} % ${e.label === 'lower' ? 'below' : 'above'} typical`;
}

function emissionsLine(it: Itinerary): HTMLElement | null {
  if (!it.emissions) return null;
  return h(
    'p',
    { class: `itin-co2 is-${it.emissions.label}`, 'data-co2e-kg': String(it.emissions.co2e_kg), title: `Typical for this route: ${it.emissions.typical_kg.toLocaleString('en-GB')} kg CO2e per passenger (estimated by the Travel Impact Model's method)` },
    it.emissions.label === 'lower' ? h('span', { class: 'badge badge-ok' }, 'Lower emissions') : null,
    ' ',
    emissionsText(it.emissions),
  );
}

const travellers = (opts: CardOptions): Travellers => opts.travellers ?? { adults: 1, children: 0, infants: 0 };

/**
 * A group's card: the first itinerary, and its near-identical ones (same carriers and
 * stops, times within 30 minutes, prices within 2 %) behind "2 similar options".
 */
export function itineraryGroupCard(lead: Itinerary, similar: readonly Itinerary[], trip: TripKind, book?: (it: Itinerary) => BookLink, opts: CardOptions = {}): HTMLElement {
  const li = itineraryCard(lead, trip, book?.(lead), opts);
  if (similar.length === 0) return li;
  const list = h(
    'ol',
    { class: 'itin-similar-list', id: nextId('itin-similar'), hidden: true, 'aria-label': 'Similar options' },
    similar.map((it) => itineraryCard(it, trip, book?.(it), opts)),
  );
  li.dataset.similar = String(similar.length);
  li.append(h('div', { class: 'itin-similar' }, disclosure(`${similar.length} similar ${similar.length === 1 ? 'option' : 'options'}`, list, 'itin-toggle similar-toggle'), list));
  return li;
}

/* ---------------------------------------------------------------------- */
/* Page                                                                   */
/* ---------------------------------------------------------------------- */

const LAYOVER_MIN = [45, 60, 90, 120, 180];
const LAYOVER_MAX = [60, 120, 180, 240, 360, 480, 720, 1440];

function routeTitle(q: ResultsQuery): string {
  const s = q.slices;
  if (s.length === 0) return '? → ?';
  if (q.trip === 'round') return `${s[0]!.origin || '?'} ⇄ ${s[0]!.destination || '?'}`;
  const stops = [s[0]!.origin || '?'];
  for (const x of s) {
    if (stops[stops.length - 1] !== x.origin) stops.push(x.origin || '?');
    stops.push(x.destination || '?');
  }
  return stops.join(' → ');
}

function passengersLabel(q: ResultsQuery): string {
  const parts = [`${q.adults} ${q.adults === 1 ? 'adult' : 'adults'}`];
  if (q.children) parts.push(`${q.children} ${q.children === 1 ? 'child' : 'children'}`);
  if (q.infants) parts.push(`${q.infants} ${q.infants === 1 ? 'infant' : 'infants'}`);
  return parts.join(', ');
}

export interface ResultsViewOptions {
  /** "today" for the calendar start (tests). */
  today?: () => string;
}

/** What the "Track prices" toggle tracks of a query: one way or a round trip (else null). */
export function trackedSearch(q: ResultsQuery): TrackedSearch | null {
  const out = q.slices[0];
  if (!out || q.trip === 'multi') return null;
  return {
    origin: out.origin,
    destination: out.destination,
    departure: out.date,
    return: q.trip === 'round' ? (q.slices[1]?.date ?? null) : null,
    cabin: q.cabin,
    passengers: q.adults + q.children,
    currency: q.currency,
  };
}

export function resultsView(app: App, ctx: RouteContext, opts: ResultsViewOptions = {}): View {
  const win = window;
  // An unknown currency in the link (currency=XYZ) is neither searched nor remembered:
  // the remembered (or default) one is used, the URL corrected, and a notice says so.
  // Without one in the URL: the signed-in user's profile currency, else the remembered one.
  const cur = urlCurrency(ctx.url.searchParams, searchCurrency(app.profile?.current));
  let q: ResultsQuery = { ...parseResultsQuery(ctx.url.search), currency: cur.currency };
  if (cur.rejected) win.history.replaceState(win.history.state, '', resultsPath(q));
  const currencyNote = cur.rejected ? h('div', { class: 'results-currency-note', role: 'status' }, notice(currencyRejectedText(cur.rejected, cur.currency), 'warning')) : null;
  let destroyed = false;
  let searchCtrl: AbortController | null = null;
  let calCtrl: AbortController | null = null;
  let last: SearchResponse | null = null;
  let facetsKey = '';
  const today = opts.today ?? (() => app.today());

  const heading = h('h1', { id: 'page-title', tabindex: '-1' }, routeTitle(q));
  const placesLine = h('p', { class: 'results-places' });
  const summary = h('p', { class: 'results-summary', id: 'results-summary' });
  // The page's first focusable element (right after the heading the router focuses): past the
  // search summary, calendar and filters straight to the list.
  const skip = h(
    'a',
    {
      class: 'skip-results',
      href: '#results-list-title',
      onclick: (e: Event) => {
        e.preventDefault();
        const target = listBox.querySelector<HTMLElement>('#results-list-title') ?? listBox.querySelector<HTMLElement>('h2');
        target?.focus();
        target?.scrollIntoView?.({ block: 'start' });
      },
    },
    'Skip to results',
  );
  const track = trackToggle(app);
  void track.update(trackedSearch(q));
  const change = h('a', { class: 'btn btn-secondary results-change', href: formPathFor(q) }, icon(ICONS.edit, 16), h('span', {}, 'Change search'));
  const band = h(
    'div',
    { class: 'page-band results-band' },
    h('div', { class: 'hero-sky', 'aria-hidden': 'true' }, h('span', { class: 'trail trail-1' }), h('span', { class: 'trail trail-2' })),
    h('div', { class: 'container page-band-inner results-band-inner' }, h('div', {}, h('p', { class: 'eyebrow' }, 'Flight results'), heading, skip, placesLine, summary), h('div', { class: 'results-band-actions' }, change, track.el)),
  );

  const count = h('p', { class: 'results-count', id: 'results-count', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true' });
  const sortSelect = h('select', { id: 'sort-select', class: 'results-sort-select' }) as HTMLSelectElement;
  for (const s of SORTS) sortSelect.add(new Option(s.label, s.value));
  sortSelect.value = q.sort;
  const sortBox = h('div', { class: 'results-sort' }, h('label', { for: 'sort-select' }, 'Sort by'), sortSelect);
  const currency = currencySelect('currency-select', q.currency, (code) => {
    apply({ ...q, currency: code, filters: { ...q.filters, maxPrice: null }, offset: 0 });
    void loadCalendar();
  });

  const filtersId = nextId('filters');
  const filtersToggle = h(
    'button',
    { type: 'button', class: 'btn btn-secondary filters-toggle', 'aria-expanded': 'false', 'aria-controls': filtersId },
    icon(FILTER, 16),
    h('span', {}, 'Filters'),
  );
  const filters = h('aside', { class: 'results-filters', id: filtersId, 'aria-label': 'Filters' });
  const calendarBox = h('section', { class: 'results-calendar', 'aria-labelledby': 'calendar-title' });
  const insightBox = h('div', { class: 'results-insight' });
  const historyBox = h('section', { class: 'results-history', 'aria-labelledby': 'history-title', hidden: true });
  const listBox = h('section', { class: 'results-section', 'aria-labelledby': 'results-list-title' });
  const pager = h('nav', { class: 'results-pager', 'aria-label': 'Result pages' });
  const lists = h('div', { class: 'results-lists' }, listBox, pager);

  const layout = h(
    'div',
    { class: 'container results-layout' },
    filters,
    /* The price history comes after the list: its charts would push the first result below
     * the fold on a phone (issue 18). */
    h('div', { class: 'results-main' }, currencyNote, insightBox, calendarBox, h('div', { class: 'results-toolbar' }, count, filtersToggle, sortBox, currency.el), lists, historyBox),
  );
  const el = h('div', { class: 'page page-results' }, band, layout);

  filtersToggle.addEventListener('click', () => {
    const open = filtersToggle.getAttribute('aria-expanded') !== 'true';
    filtersToggle.setAttribute('aria-expanded', String(open));
    filters.classList.toggle('is-open', open);
  });

  /* ------------------------------ state -------------------------------- */

  /** New state: a history entry (shareable URL), then a new server search. */
  function apply(next: ResultsQuery): void {
    const before = JSON.stringify(trackedSearch(q));
    q = next;
    if (JSON.stringify(trackedSearch(q)) !== before) void track.update(trackedSearch(q));
    if (resetButton) resetButton.disabled = !hasFilters(q.filters);
    win.history.pushState(null, '', resultsPath(q));
    void runSearch();
  }

  const setFilters = (patch: Partial<FilterState>) => apply({ ...q, filters: { ...q.filters, ...patch }, offset: 0 });

  sortSelect.addEventListener('change', () => apply({ ...q, sort: sortSelect.value as SortKey, offset: 0 }));

  /* ------------------------------ filters ------------------------------ */

  const checkboxGroup = <T extends string | number>(
    legend: string,
    items: { value: T; label: string; hint?: string; disabled?: boolean }[],
    selected: T[] | null,
    /** null selection means every box checked (true) or none (false). */
    allByDefault: boolean,
    onChange: (next: T[] | null) => void,
    /** An "only this" button on each option (selects it alone). */
    only?: (value: T, label: string) => void,
  ): HTMLElement => {
    // Disabled options (none to show, e.g. "Nonstop 0") are unchecked and left out of the selection.
    const enabled = items.filter((x) => !x.disabled);
    const option = (it: (typeof items)[number]): HTMLElement => {
      const label = h(
        'label',
        { class: 'filter-option' },
        h('input', {
          type: 'checkbox',
          value: String(it.value),
          disabled: !!it.disabled,
          checked: it.disabled ? false : selected ? selected.includes(it.value) : allByDefault,
          onchange: (e: Event) => {
          // The group's boxes as they are now (not as they were drawn: several changes
          // can happen before the panel is drawn again).
          const group = (e.target as HTMLElement).closest('fieldset');
          const on = new Set(
            Array.from(group?.querySelectorAll<HTMLInputElement>('input[type="checkbox"]') ?? [])
              .filter((b) => b.checked)
              .map((b) => b.value),
          );
          const list = enabled.map((x) => x.value).filter((v) => on.has(String(v)));
          onChange(allByDefault ? (list.length === enabled.length ? null : list) : list.length === 0 ? null : list);
          },
        }),
        h('span', {}, it.label, it.hint ? h('span', { class: 'filter-hint' }, it.hint) : null),
      );
      if (!only || it.disabled) return label;
      const name = it.label;
      return h(
        'div',
        { class: 'filter-option-row' },
        label,
        h('button', { type: 'button', class: 'btn-link filter-only', 'data-value': String(it.value), 'aria-label': `Only ${name}`, onclick: () => only(it.value, name) }, 'only'),
      );
    };
    return h('fieldset', { class: 'filter-group' }, h('legend', {}, legend), items.length === 0 ? h('p', { class: 'filter-empty' }, 'Shown once results arrive.') : items.map(option));
  };

  const from = (m: Money | null) => (m ? `from ${formatMoney(m, { whole: true })}` : '');

  const timeRange = (legend: string, key: 'departure' | 'arrival'): HTMLElement => {
    const cur = q.filters[key];
    const idA = nextId(`${key}-from`);
    const idB = nextId(`${key}-to`);
    const a = h('input', { type: 'time', id: idA, value: cur?.from ?? '' }) as HTMLInputElement;
    const b = h('input', { type: 'time', id: idB, value: cur?.to ?? '' }) as HTMLInputElement;
    const onChange = () => {
      const ok = /^\d{2}:\d{2}$/;
      if (!a.value && !b.value) setFilters({ [key]: null });
      else if (ok.test(a.value || '00:00') && ok.test(b.value || '23:59')) setFilters({ [key]: { from: a.value || '00:00', to: b.value || '23:59' } });
    };
    a.addEventListener('change', onChange);
    b.addEventListener('change', onChange);
    return h(
      'fieldset',
      { class: 'filter-group filter-times' },
      h('legend', {}, legend),
      h('label', { for: idA }, 'From'),
      a,
      h('label', { for: idB }, 'To'),
      b,
    );
  };

  const minutesSelect = (label: string, values: number[], current: number | null, onChange: (v: number | null) => void): HTMLElement => {
    const id = nextId('sel');
    const sel = h('select', { id }) as HTMLSelectElement;
    sel.add(new Option('Any', ''));
    for (const v of values) sel.add(new Option(formatDuration(v), String(v)));
    if (current !== null && !values.includes(current)) sel.add(new Option(formatDuration(current), String(current)));
    sel.value = current === null ? '' : String(current);
    sel.addEventListener('change', () => onChange(sel.value === '' ? null : Number(sel.value)));
    return h('div', { class: 'filter-field' }, h('label', { for: id }, label), sel);
  };

  let resetButton: HTMLButtonElement | null = null;
  let viaGroup: HTMLElement | null = null;

  /** Layover airports' names ("Dublin (DUB)"), looked up once per code. */
  const placeNames = new Map<string, string>();
  const placeLabel = (code: string) => {
    const n = placeNames.get(code);
    return n && n !== code ? `${n} (${code})` : code;
  };
  function lookUpPlaces(codes: string[]): void {
    const missing = codes.filter((c) => !placeNames.has(c));
    if (missing.length === 0) return;
    for (const c of missing) placeNames.set(c, c);
    void Promise.all(
      missing.map((c) =>
        resolvePlace(c, app.fetchFn)
          .then((p) => placeNames.set(c, p.name && p.name !== c ? p.name : p.city || c))
          .catch(() => undefined),
      ),
    ).then(() => {
      // Only the layover group is drawn again (with names, sorted by them): focus elsewhere stays.
      if (destroyed || !viaGroup || !last) return;
      const old = viaGroup;
      if (old.contains(win.document.activeElement)) return;
      const via = last.facets.layover_airports.map((a) => ({ value: a.code, label: placeLabel(a.code), hint: String(a.count) })).sort((a, b) => a.label.localeCompare(b.label, 'en'));
      viaGroup = checkboxGroup('Layover airports', via, q.filters.layoverAirports, true, (v) => setFilters({ layoverAirports: v }));
      old.replaceWith(viaGroup);
    });
  }

  /**
   * The "maximum duration (each flight)" choices: the server's duration_range is the whole
   * trip's, so with several slices the range is taken from the slices of the results shown
   * (shortest slice, up to the longest a slice can be: the whole trip less the others' shortest).
   */
  function sliceDurationRange(trip: { min: number; max: number } | null): { min: number; max: number } | null {
    if (q.slices.length <= 1 || !trip) return trip;
    const ranges = last?.facets.slice_duration_ranges ?? [];
    if (ranges.length === q.slices.length) /* the server's per-slice ranges */
      return { min: Math.min(...ranges.map((r) => r.min)), max: Math.max(...ranges.map((r) => r.max)) };
    const mins = (last?.itineraries ?? []).flatMap((it) => it.slices.map((s) => s.duration_minutes)).filter((m) => m > 0);
    const shortest = mins.length > 0 ? Math.min(...mins) : 60;
    const longest = Math.max(shortest, ...mins, trip.max - shortest * (q.slices.length - 1));
    return { min: shortest, max: longest };
  }

  function renderFilters(): void {
    const facets = last?.facets;
    const stopsFacets = facets && facets.stops.length > 0 ? [...facets.stops] : [0, 1, 2].map((n) => ({ stops: n, count: -1, min_price: null }));
    // "Nonstop" is always offered: with none, shown disabled with its count 0.
    if (!stopsFacets.some((s) => s.stops === 0)) stopsFacets.unshift({ stops: 0, count: 0, min_price: null });
    const stopsItems = stopsFacets
      .filter((s) => s.stops <= 2)
      .sort((a, b) => a.stops - b.stops)
      .map((s) => ({
        value: s.stops,
        label: s.stops === 0 ? 'Nonstop' : s.stops === 1 ? '1 stop' : '2 stops',
        hint: [s.count >= 0 ? `${s.count}` : '', from(s.min_price)].filter(Boolean).join(' · '),
        disabled: s.count === 0,
      }));
    const byLabel = (a: { label: string }, b: { label: string }) => a.label.localeCompare(b.label, 'en');
    const carriers = (facets?.carriers ?? [])
      .map((c) => ({ value: c.code, label: c.name ? `${c.name} (${c.code})` : c.code, hint: [String(c.count), from(c.min_price)].filter(Boolean).join(' · ') }))
      .sort(byLabel);
    const alliances = (facets?.alliances ?? ALLIANCES.map((a) => ({ code: a.code, name: a.name, count: -1, min_price: null }))).map((a) => ({
      value: a.code,
      label: a.name,
      hint: [a.count >= 0 ? String(a.count) : '', from(a.min_price)].filter(Boolean).join(' · '),
    }));
    for (const a of facets?.layover_airports ?? []) if (a.name) placeNames.set(a.code, a.name); /* the server names them */
    const via = (facets?.layover_airports ?? []).map((a) => ({ value: a.code, label: placeLabel(a.code), hint: String(a.count) })).sort(byLabel);
    lookUpPlaces((facets?.layover_airports ?? []).map((a) => a.code));

    const priceId = nextId('max-price');
    const priceInput = h('input', { type: 'number', id: priceId, min: '0', step: '1', inputmode: 'numeric', value: q.filters.maxPrice === null ? '' : String(q.filters.maxPrice), 'aria-describedby': `${priceId}-hint` }) as HTMLInputElement;
    priceInput.addEventListener('change', () => {
      const v = priceInput.value.trim();
      setFilters({ maxPrice: v === '' || !(Number(v) > 0) ? null : Number(v) });
    });
    const pr = facets?.price_range;
    const priceGroup = h(
      'div',
      { class: 'filter-group' },
      h('label', { for: priceId, class: 'filter-label' }, `Maximum price (${q.currency})`),
      priceInput,
      h('p', { class: 'filter-hint', id: `${priceId}-hint` }, pr ? `Prices from ${formatMoney(pr.min, { whole: true })} to ${formatMoney(pr.max, { whole: true })}` : 'Whole amounts, taxes included'),
    );

    const dr = sliceDurationRange(facets?.duration_range ?? null);
    const hours: number[] = [];
    if (dr) for (let m = Math.ceil(dr.min / 60) * 60; m <= Math.ceil(dr.max / 60) * 60; m += 60) hours.push(m);
    const durationGroup = h('div', { class: 'filter-group' }, minutesSelect('Maximum duration (each flight)', hours.length > 0 ? hours.slice(0, 48) : [180, 360, 600, 900, 1200, 1440], q.filters.maxDuration, (v) => setFilters({ maxDuration: v })));

    const selfId = nextId('noself');
    const co2Id = nextId('lowco2');
    const layoverGroup = h(
      'fieldset',
      { class: 'filter-group' },
      h('legend', {}, 'Connections'),
      minutesSelect('Shortest layover', LAYOVER_MIN, q.filters.minLayover, (v) => setFilters({ minLayover: v })),
      minutesSelect('Longest layover', LAYOVER_MAX, q.filters.maxLayover, (v) => setFilters({ maxLayover: v })),
      h(
        'label',
        { class: 'filter-option', for: selfId },
        h('input', { type: 'checkbox', id: selfId, checked: q.filters.noSelfTransfer, onchange: (e: Event) => setFilters({ noSelfTransfer: (e.target as HTMLInputElement).checked }) }),
        h('span', {}, 'No self-transfer'),
      ),
      h(
        'label',
        { class: 'filter-option', for: co2Id },
        h('input', { type: 'checkbox', id: co2Id, checked: q.filters.lowerEmissions, onchange: (e: Event) => setFilters({ lowerEmissions: (e.target as HTMLInputElement).checked }) }),
        h('span', {}, 'Lower emissions only'),
      ),
    );

    const reset = (resetButton = h(
      'button',
      {
        type: 'button',
        class: 'btn btn-ghost filters-reset',
        disabled: !hasFilters(q.filters),
        onclick: () => {
          apply({ ...q, filters: { ...NO_FILTERS }, offset: 0 });
          renderFilters();
          filters.querySelector<HTMLInputElement>('input')?.focus();
        },
      },
      'Reset filters',
    ) as HTMLButtonElement);
    filters.replaceChildren(
      h('h2', { class: 'filters-title' }, 'Filters'),
      checkboxGroup('Stops', stopsItems, q.filters.stops, true, (v) => setFilters({ stops: v })),
      priceGroup,
      checkboxGroup(
        'Airlines',
        carriers,
        q.filters.carriers,
        true,
        (v) => setFilters({ carriers: v }),
        (code, name) => {
          setFilters({ carriers: [code] });
          renderFilters();
          filters.querySelector<HTMLElement>(`.filter-only[data-value="${code}"]`)?.focus();
          app.announce?.(`Only ${name}`);
        },
      ),
      checkboxGroup('Alliances', alliances, q.filters.alliances, false, (v) => setFilters({ alliances: v })),
      timeRange('Departure time', 'departure'),
      timeRange('Arrival time', 'arrival'),
      durationGroup,
      ...(via.length > 0 ? [(viaGroup = checkboxGroup('Layover airports', via, q.filters.layoverAirports, true, (v) => setFilters({ layoverAirports: v })))] : []),
      layoverGroup,
      reset,
    );
  }

  /* ------------------------------ results ------------------------------ */

  const listTitle = () => h('h2', { class: 'results-section-title', id: 'results-list-title', tabindex: '-1' }, q.trip === 'oneway' ? 'Flights' : q.trip === 'round' ? 'Round trips' : 'Multi-city trips');

  function renderSummary(): void {
    const dates = q.slices.map((s) => formatDate(s.date)).join(' – ');
    const kind = q.trip === 'oneway' ? 'One-way' : q.trip === 'round' ? 'Round trip' : `Multi-city, ${q.slices.length} flights`;
    summary.textContent = `${dates} · ${kind} · ${passengersLabel(q)} · ${cabinLabel(q.cabin)}`;
  }

  function renderError(info: ErrorInfo): void {
    const actions = h('p', { class: 'form-actions' });
    if (info.retry) actions.append(h('button', { type: 'button', class: 'btn btn-primary results-retry', onclick: () => void runSearch() }, 'Try again'));
    actions.append(h('a', { class: info.retry ? 'btn btn-ghost' : 'btn btn-primary', href: formPathFor(q) }, 'Change search'));
    const fields = info.fields.length > 0 ? info.fields.join(' ') : null;
    listBox.replaceChildren(listTitle(), h('div', { class: 'results-error', role: 'alert', 'data-fields': fields }, notice(info.message, info.retry ? 'warning' : 'error')), actions);
    pager.replaceChildren();
    count.textContent = info.fix ? 'The search was refused.' : 'The search failed.';
  }

  /** The Select link of each bookable offer (separate tickets carry their parts; without parts they cannot be asked for). */
  /* The providers sell adult fares only (POST /offers refuses passengers.children and
   * .infants): no Select rather than a booking that leaves the children out. */
  const minors = q.children + q.infants > 0;
  const bookLink =
    (it: Itinerary): BookLink =>
    (o) =>
      minors || ((o.kind === 'separate' || o.provider === SEPARATE_TICKETS) && o.parts.length === 0)
        ? null
        : bookPath({
            itinerary: it.id,
            provider: o.provider,
            ...(o.parts.length > 0 ? { parts: o.parts.map((p) => ({ provider: p.provider, slices: p.slices })) } : {}),
            adults: q.adults,
            cabin: q.cabin,
            currency: q.currency,
            searched: { amount_minor: o.price.amount_minor, currency: o.price.currency },
            back: `${win.location.pathname}${win.location.search}`,
          });

  function renderResults(r: SearchResponse): void {
    const body =
      r.itineraries.length > 0
        ? h(
            'ol',
            { class: 'itin-list', 'aria-labelledby': 'results-list-title' },
            groupSimilar(r.itineraries).map((g) => itineraryGroupCard(g.lead, g.similar, q.trip, bookLink, { travellers: { adults: q.adults, children: q.children, infants: q.infants } })),
          )
        : r.unfiltered_total === 0
          ? notice(`No flights found for ${q.trip === 'oneway' ? 'this day' : 'these dates'} with up to 2 stops. Try other dates or nearby airports.`, 'info', 'results-empty')
          : notice('No itineraries match these filters.', 'info', 'results-nomatch');
    const note = r.itineraries.some((i) => !i.price)
      ? h('p', { class: 'results-note' }, 'Trips marked “schedule only — no price” operate, but no provider sells them yet.')
      : null;
    const minorsNote =
      minors && r.itineraries.length > 0
        ? h('p', { class: 'results-note results-minors' }, 'Online booking sells adult fares only for now: to travel with children or infants, book with the seller.')
        : null;
    listBox.replaceChildren(listTitle(), ...(note ? [note] : []), ...(minorsNote ? [minorsNote] : []), body);
    const badge = r.priced && q.trip === 'oneway' ? renderInsightBadge(r.insight ?? null) : null;
    const advice = r.priced ? renderPredictionNote(r.prediction ?? null) : null;
    insightBox.replaceChildren(...(badge ? [badge] : []), ...(advice ? [advice] : []));
    listBox.removeAttribute('aria-busy');
    renderPager(r);
    const text = `${countLabel(r.total, r.unfiltered_total)}${r.total > r.itineraries.length ? ` · ${rangeLabel(r.offset, r.itineraries.length, r.total)}` : ''}`;
    if (count.textContent !== text) count.textContent = text;
  }

  function renderPager(r: SearchResponse): void {
    const limit = q.limit;
    const pages = Math.max(1, Math.ceil(r.total / limit));
    const page = Math.floor(r.offset / limit) + 1;
    if (pages <= 1) {
      pager.replaceChildren();
      return;
    }
    const go = (p: number) => {
      apply({ ...q, offset: (p - 1) * limit });
      win.scrollTo?.(0, 0);
      (listBox.querySelector('h2') as HTMLElement | null)?.focus?.();
    };
    pager.replaceChildren(
      h('button', { type: 'button', class: 'btn btn-secondary pager-prev', disabled: page <= 1, onclick: () => go(page - 1) }, 'Previous page'),
      h('span', { class: 'pager-status' }, `Page ${page} of ${pages}`),
      h('button', { type: 'button', class: 'btn btn-secondary pager-next', disabled: page >= pages, onclick: () => go(page + 1) }, 'Next page'),
    );
  }

  async function runSearch(): Promise<void> {
    searchCtrl?.abort();
    const ctrl = new AbortController();
    searchCtrl = ctrl;
    sortSelect.value = q.sort;
    renderSummary();
    listBox.setAttribute('aria-busy', 'true');
    if (!last) listBox.replaceChildren(listTitle(), loading('Searching flights…'), h('div', { class: 'itin-skeleton', 'aria-hidden': 'true' }), h('div', { class: 'itin-skeleton', 'aria-hidden': 'true' }));
    else listBox.prepend(loading('Updating…'));
    count.textContent = 'Searching…';
    try {
      const body = await postSearch(searchRequestBody(q), { signal: ctrl.signal, fetchFn: app.fetchFn });
      if (destroyed || ctrl !== searchCtrl) return;
      last = normalizeResponse(body);
      const key = JSON.stringify(last.facets);
      if (key !== facetsKey) {
        facetsKey = key;
        renderFilters();
      }
      renderResults(last);
    } catch (err) {
      if (destroyed || ctrl !== searchCtrl) return;
      listBox.removeAttribute('aria-busy');
      renderError(describeSearchError(err, q.trip));
    }
  }

  /* ------------------------------ calendar ----------------------------- */

  /* --------------------------- price history --------------------------- */

  let historyCtrl: AbortController | null = null;

  /** The graphs of the (outbound) one-way route: its history for the date, by departure date. */
  async function loadHistory(): Promise<void> {
    historyCtrl?.abort();
    destroyPriceGraphs(historyBox);
    if (q.trip === 'multi') {
      historyBox.hidden = true;
      return;
    }
    const ctrl = new AbortController();
    historyCtrl = ctrl;
    const s = q.slices[0]!;
    try {
      const ph = await fetchPriceHistory(
        { origin: s.origin, destination: s.destination, departureDate: s.date, cabin: q.cabin, currency: q.currency },
        { signal: ctrl.signal, fetchFn: app.fetchFn },
      );
      if (destroyed || ctrl !== historyCtrl) return;
      if (ph.history.length === 0 && ph.byDate.length === 0) {
        historyBox.hidden = true; /* nothing recorded for the route yet: no empty charts */
        return;
      }
      const title = h('h2', { id: 'history-title', class: 'results-history-title' }, q.trip === 'round' ? 'Outbound price history' : 'Price history');
      historyBox.replaceChildren(title, renderPriceGraphs(ph));
      historyBox.hidden = false;
    } catch {
      if (destroyed || ctrl !== historyCtrl) return;
      historyBox.hidden = true; /* history off or unavailable: nothing to show */
    }
  }

  async function loadCalendar(): Promise<void> {
    void loadHistory();
    if (q.trip === 'multi') {
      calendarBox.hidden = true;
      return;
    }
    calCtrl?.abort();
    const ctrl = new AbortController();
    calCtrl = ctrl;
    const round = q.trip === 'round';
    const title = h('h2', { id: 'calendar-title', class: 'results-calendar-title' }, round ? 'Prices by departure and return date' : 'Prices by day');
    calendarBox.replaceChildren(title, loading(round ? 'Loading the date grid…' : 'Loading prices for nearby days…'));
    try {
      const body = await getJson(round ? gridUrl(q) : calendarUrl(q, today()), { signal: ctrl.signal, fetchFn: app.fetchFn });
      if (destroyed || ctrl !== calCtrl) return;
      if (round) {
        const grid = normalizeGrid(body);
        calendarBox.replaceChildren(title, grid ? h('div', { class: 'date-grid-wrap' }, renderDateGrid(grid, q)) : notice('No date grid for this route.', 'info'));
      } else {
        const cal = normalizeCalendar(body);
        const panel = cal.days.length > 0 ? renderCalendarPanel(cal, q) : null;
        calendarBox.replaceChildren(title, panel ?? notice('No prices for nearby days.', 'info'));
        if (panel) revealCheapest(panel);
      }
    } catch (err) {
      if (destroyed || ctrl !== calCtrl) return;
      calendarBox.replaceChildren(title, h('div', { class: 'calendar-error' }, notice(`Prices for nearby dates are not available. ${describeSearchError(err, q.trip).message}`, 'info')));
    }
  }

  /* ------------------------------ start -------------------------------- */

  win.document.title = `${routeTitle(q)} · Flight results — Contrail`;
  renderSummary();
  renderFilters();
  const problem = queryProblem(q);
  if (problem) {
    summary.textContent = 'No search to run';
    calendarBox.hidden = true;
    listBox.replaceChildren(
      h('div', { class: 'results-error', role: 'alert' }, notice(problem, 'error')),
      h('p', { class: 'form-actions' }, h('a', { class: 'btn btn-primary', href: formPathFor(q) }, 'Change search')),
    );
  } else {
    // Signed in, no currency in the URL and the profile not loaded yet (a reload): its
    // currency is the search's, so the first search waits for it.
    const waitForProfile = !ctx.url.searchParams.has('currency') && !!app.session?.signedIn && !app.profile?.current;
    if (waitForProfile) {
      void app.profile
        .load()
        .then((p) => {
          const c = profileCurrency(p);
          if (destroyed || !c || c === q.currency) return;
          q = { ...q, currency: c };
          currency.select.value = c;
          win.history.replaceState(win.history.state, '', resultsPath(q));
        })
        .catch(() => undefined)
        .then(() => {
          if (destroyed) return;
          void runSearch();
          void loadCalendar();
        });
    } else {
      void runSearch();
      void loadCalendar();
    }
    if (q.trip !== 'multi') {
      const s = q.slices[0]!;
      // Names for the subtitle ("London → New York"); codes are enough if this fails.
      void Promise.all([resolvePlace(s.origin, app.fetchFn), resolvePlace(s.destination, app.fetchFn)])
        .then(([o, d]: Place[]) => {
          if (!destroyed && o?.city && d?.city) placesLine.textContent = `${o.city} ${q.trip === 'round' ? '⇄' : '→'} ${d.city}`;
        })
        .catch(() => undefined);
    }
  }

  return {
    el,
    heading,
    destroy() {
      destroyed = true;
      searchCtrl?.abort();
      calCtrl?.abort();
      historyCtrl?.abort();
      destroyPriceGraphs(historyBox);
    },
  };
}
