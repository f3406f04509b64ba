/**
 * /search?from=LON&to=NYC&date=2026-12-01[&return=…]: calls the search API
 * (a second call for the return, the server takes one slice per request),
 * then sorts and filters on the client. Sort and filters live in the URL
 * (history.replaceState, so they do not add history entries).
 */

import type { App, View } from '../app';
import { postSearch, type Place } from '../api';
import { h, icon, ICONS, nextId } from '../dom';
import { resolvePlace } from '../places';
import {
  allCarriers,
  carriersOf,
  countLabel,
  dayMarker,
  dayMarkerText,
  describeSearchError,
  filterItineraries,
  firstLeg,
  flightLabel,
  formatDate,
  formatDuration,
  formPathFor,
  itineraryKey,
  lastLeg,
  layovers,
  localDate,
  localTime,
  minutesBetween,
  normalizeResponse,
  parseResultsQuery,
  queryProblem,
  resultsQueryString,
  SORTS,
  sortItineraries,
  stopsLabel,
  TIME_WINDOWS,
  utcLabel,
  type ErrorInfo,
  type Filters,
  type Itinerary,
  type ResultsQuery,
  type SliceRequest,
  type SortKey,
  type TimeWindow,
} from '../results';
import type { RouteContext } from '../router';
import { loading, notice } from './shell';

const PLANE = 'M21 16v-2l-8-5V3.5a1.5 1.5 0 0 0-3 0V9l-8 5v2l8-2.5V19l-2 1.5V22l3.5-1 3.5 1v-1.5L13 19v-5.5l8 2.5z';
const FILTER = 'M3 5h18v2H3V5zm4 6h10v2H7v-2zm3 6h4v2h-4v-2z';

type SliceState =
  | { kind: 'loading' }
  | { kind: 'error'; info: ErrorInfo }
  | { kind: 'done'; itineraries: Itinerary[] };

interface Section {
  title: string;
  slice: SliceRequest;
  state: SliceState;
  el: HTMLElement;
}

export function resultsView(app: App, ctx: RouteContext): View {
  const win = window;
  let q: ResultsQuery = parseResultsQuery(ctx.url.search);
  const ctrl = new AbortController();
  let destroyed = false;

  const heading = h('h1', { id: 'page-title', tabindex: '-1' }, `${q.origin || '?'} → ${q.destination || '?'}`);
  const placesLine = h('p', { class: 'results-places' });
  const summary = h('p', { class: 'results-summary', id: 'results-summary' });
  const change = h('a', { class: 'btn btn-secondary results-change', href: formPathFor(q) }, icon(ICONS.edit, 16), h('span', {}, 'Change search'));
  const band = h(
    'div',
    { class: 'page-band results-band' },
    h('div', { class: 'hero-sky', 'aria-hidden': 'true' }, h('span', { class: 'trail trail-1' }), h('span', { class: 'trail trail-2' })),
    h('div', { class: 'container page-band-inner results-band-inner' }, h('div', {}, h('p', { class: 'eyebrow' }, 'Flight results'), heading, placesLine, summary), change),
  );

  const count = h('p', { class: 'results-count', id: 'results-count', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true' });
  const sortSelect = h('select', { id: 'sort-select', class: 'results-sort-select' }) as HTMLSelectElement;
  for (const s of SORTS) sortSelect.add(new Option(s.label, s.value));
  const sortBox = h('div', { class: 'results-sort' }, h('label', { for: 'sort-select' }, 'Sort by'), sortSelect);

  const filtersId = nextId('filters');
  const filtersToggle = h(
    'button',
    { type: 'button', class: 'btn btn-secondary filters-toggle', 'aria-expanded': 'false', 'aria-controls': filtersId },
    icon(FILTER, 16),
    h('span', {}, 'Filters'),
  );
  const filters = h('aside', { class: 'results-filters', id: filtersId, 'aria-label': 'Filters' });
  const lists = h('div', { class: 'results-lists' });
  const pricesNote = notice(
    h('span', {}, h('strong', {}, 'Prices coming soon — schedules only. '), 'These are the flights that operate on this day; fares are not loaded yet, so no prices are shown.'),
    'info',
    'results-prices',
  );

  const layout = h(
    'div',
    { class: 'container results-layout' },
    filters,
    h('div', { class: 'results-main' }, h('div', { class: 'results-toolbar' }, count, filtersToggle, sortBox), pricesNote, lists),
  );
  const el = h('div', { class: 'page page-results' }, band, layout);

  filtersToggle.addEventListener('click', () => {
    const open = filtersToggle.getAttribute('aria-expanded') !== 'true';
    filtersToggle.setAttribute('aria-expanded', String(open));
    filters.classList.toggle('is-open', open);
  });

  const sections: Section[] = [];

  const filtersNow = (): Filters => ({ maxStops: q.maxStops, carriers: q.carriers, times: q.times });

  /** Write sort and filters to the address bar without a new history entry. */
  const saveUrl = () => {
    const qs = resultsQueryString(q);
    win.history.replaceState(null, '', `/search${qs ? `?${qs}` : ''}`);
  };

  /* --------------------------- filters panel --------------------------- */

  let carrierList: string[] = [];

  const renderFilters = () => {
    const stopsName = nextId('stops');
    const stopOpts = [
      { v: 0, label: 'Nonstop only' },
      { v: 1, label: '1 stop or fewer' },
      { v: 2, label: '2 stops or fewer' },
    ];
    const stopsSet = h(
      'fieldset',
      { class: 'filter-group' },
      h('legend', {}, 'Stops'),
      stopOpts.map((o) =>
        h(
          'label',
          { class: 'filter-option' },
          h('input', {
            type: 'radio',
            name: stopsName,
            value: String(o.v),
            checked: q.maxStops === o.v,
            onchange: () => {
              q = { ...q, maxStops: o.v };
              update();
            },
          }),
          h('span', {}, o.label),
        ),
      ),
    );

    const timesSet = h(
      'fieldset',
      { class: 'filter-group' },
      h('legend', {}, 'Departure time'),
      TIME_WINDOWS.map((w) =>
        h(
          'label',
          { class: 'filter-option' },
          h('input', {
            type: 'checkbox',
            value: w.value,
            checked: !q.times || q.times.includes(w.value),
            onchange: (e: Event) => {
              const on = (e.target as HTMLInputElement).checked;
              const cur = new Set<TimeWindow>(q.times ?? TIME_WINDOWS.map((t) => t.value));
              if (on) cur.add(w.value);
              else cur.delete(w.value);
              const list = TIME_WINDOWS.map((t) => t.value).filter((t) => cur.has(t));
              q = { ...q, times: list.length === TIME_WINDOWS.length ? null : list };
              update();
            },
          }),
          h('span', {}, w.label, h('span', { class: 'filter-hint' }, w.hint)),
        ),
      ),
    );

    const carriersSet = h(
      'fieldset',
      { class: 'filter-group' },
      h('legend', {}, 'Airlines'),
      carrierList.length === 0
        ? h('p', { class: 'filter-empty' }, 'Shown once results arrive.')
        : carrierList.map((c) =>
            h(
              'label',
              { class: 'filter-option' },
              h('input', {
                type: 'checkbox',
                value: c,
                checked: !q.carriers || q.carriers.includes(c),
                onchange: (e: Event) => {
                  const on = (e.target as HTMLInputElement).checked;
                  const cur = new Set(q.carriers ?? carrierList);
                  if (on) cur.add(c);
                  else cur.delete(c);
                  const list = carrierList.filter((x) => cur.has(x));
                  q = { ...q, carriers: list.length === carrierList.length ? null : list };
                  update();
                },
              }),
              h('span', { class: 'carrier-code' }, c),
            ),
          ),
    );

    const reset = h(
      'button',
      {
        type: 'button',
        class: 'btn btn-ghost filters-reset',
        onclick: () => {
          q = { ...q, maxStops: 2, carriers: null, times: null };
          renderFilters();
          update();
          filters.querySelector<HTMLInputElement>('input')?.focus();
        },
      },
      'Reset filters',
    );
    filters.replaceChildren(h('h2', { class: 'filters-title' }, 'Filters'), stopsSet, timesSet, carriersSet, reset);
  };

  /* ----------------------------- the cards ----------------------------- */

  const card = (it: Itinerary): HTMLElement => {
    const a = firstLeg(it);
    const b = lastLeg(it);
    const base = localDate(a.departure_local);
    const marker = dayMarker(base, b.arrival_local);
    const lays = layovers(it);
    const titleId = nextId('itin');
    const detailsId = nextId('itin-details');
    const carriers = carriersOf(it);

    const spoken =
      `${it.legs.map(flightLabel).join(', ')}. Departs ${localTime(a.departure_local)} from ${a.origin}, ` +
      `arrives ${localTime(b.arrival_local)}${marker ? ` ${dayMarkerText(marker)}` : ''} at ${b.destination}. ` +
      `${formatDuration(it.duration_minutes)}, ${stopsLabel(it)}.`;

    const toggle = h(
      'button',
      { type: 'button', class: 'itin-toggle', 'aria-expanded': 'false', 'aria-controls': detailsId },
      h('span', {}, 'Flight details'),
      icon(ICONS.chevron, 18, 'icon itin-chevron'),
    );

    const legRows: HTMLElement[] = [];
    it.legs.forEach((l, i) => {
      const depM = dayMarker(base, l.departure_local);
      const arrM = dayMarker(base, l.arrival_local);
      legRows.push(
        h(
          'li',
          { class: 'leg' },
          h('div', { class: 'leg-flight' }, h('span', { class: 'leg-number' }, flightLabel(l)), h('span', { class: 'leg-dur' }, formatDuration(minutesBetween(l.departure_utc, l.arrival_utc)))),
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
      const lay = lays[i];
      if (lay) {
        legRows.push(
          h(
            'li',
            { class: `layover${lay.changeAirport ? ' is-warning' : ''}` },
            icon(ICONS.info, 16),
            h(
              'span',
              {},
              `${formatDuration(lay.minutes)} layover in ${lay.airport}`,
              lay.changeAirport ? ` — change airports to ${lay.nextAirport}` : '',
              lay.overnight ? ' (overnight)' : '',
            ),
          ),
        );
      }
    });
    const details = h('ol', { class: 'itin-details', id: detailsId, hidden: true, 'aria-label': 'Flights and connections' }, legRows);
    toggle.addEventListener('click', () => {
      const open = toggle.getAttribute('aria-expanded') !== 'true';
      toggle.setAttribute('aria-expanded', String(open));
      details.hidden = !open;
    });

    return h(
      'li',
      { class: 'itin', 'data-key': itineraryKey(it), 'data-duration': String(it.duration_minutes), 'data-stops': String(it.stops) },
      h(
        'article',
        { class: 'itin-card', 'aria-labelledby': titleId },
        h('h3', { class: 'visually-hidden', id: titleId }, spoken),
        h(
          'div',
          { class: 'itin-main', 'aria-hidden': 'true' },
          h(
            'div',
            { class: 'itin-times' },
            h('span', { class: 'itin-time' }, localTime(a.departure_local)),
            h('span', { class: 'itin-dash' }, '–'),
            h('span', { class: 'itin-time' }, localTime(b.arrival_local), marker ? h('sup', { class: 'day-marker' }, marker) : null),
            h('span', { class: 'itin-route' }, `${a.origin} → ${b.destination}`),
          ),
          h('div', { class: 'itin-duration' }, h('span', { class: 'itin-strong' }, formatDuration(it.duration_minutes)), h('span', { class: 'itin-sub' }, carriers.join(' · '))),
          h(
            'div',
            { class: 'itin-stops' },
            h('span', { class: `itin-strong${it.legs.length === 1 ? ' is-nonstop' : ''}` }, stopsLabel(it)),
            h('span', { class: 'itin-sub' }, lays.map((l) => `${formatDuration(l.minutes)} in ${l.airport}${l.changeAirport ? `→${l.nextAirport}` : ''}`).join(', ')),
          ),
          h('div', { class: 'itin-price' }, h('span', { class: 'badge badge-warn' }, 'Price coming soon')),
        ),
        h('div', { class: 'itin-foot' }, h('span', { class: 'itin-flights' }, icon(PLANE, 14), it.legs.map(flightLabel).join(' · ')), toggle),
        details,
      ),
    );
  };

  /* --------------------------- sections -------------------------------- */

  const renderSection = (s: Section): { shown: number; total: number } | null => {
    const head = h('h2', { class: 'results-section-title' }, s.title, h('span', { class: 'results-section-sub' }, `${s.slice.origin} → ${s.slice.destination} · ${formatDate(s.slice.date)}`));
    if (s.state.kind === 'loading') {
      s.el.replaceChildren(head, loading(`Searching flights ${s.slice.origin} → ${s.slice.destination}…`), h('div', { class: 'itin-skeleton', 'aria-hidden': 'true' }), h('div', { class: 'itin-skeleton', 'aria-hidden': 'true' }));
      return null;
    }
    if (s.state.kind === 'error') {
      const info = s.state.info;
      const actions = h('p', { class: 'form-actions' });
      if (info.retry) {
        actions.append(
          h(
            'button',
            {
              type: 'button',
              class: 'btn btn-primary results-retry',
              onclick: () => {
                void runAll();
              },
            },
            'Try again',
          ),
        );
      }
      actions.append(h('a', { class: info.retry ? 'btn btn-ghost' : 'btn btn-primary', href: formPathFor(q) }, 'Change search'));
      s.el.replaceChildren(head, h('div', { class: 'results-error', role: 'alert' }, notice(info.message, info.retry ? 'warning' : 'error')), actions);
      return null;
    }
    const total = s.state.itineraries.length;
    const shownList = sortItineraries(filterItineraries(s.state.itineraries, filtersNow()), q.sort);
    const body =
      total === 0
        ? notice('No flights found for this day with up to 2 stops. Try another date or nearby airports.', 'info')
        : shownList.length === 0
          ? notice('No itineraries match these filters.', 'info', 'results-nomatch')
          : h('ol', { class: 'itin-list', 'aria-label': s.title }, shownList.map(card));
    s.el.replaceChildren(head, body);
    return { shown: shownList.length, total };
  };

  const update = () => {
    if (destroyed) return;
    saveUrl();
    const counts = sections.map((s) => renderSection(s));
    const done = counts.filter((c): c is { shown: number; total: number } => c !== null);
    const outbound = counts[0];
    let text = '';
    if (sections.every((s) => s.state.kind === 'loading')) text = 'Searching…';
    else if (sections.length === 1 && outbound) text = countLabel(outbound.shown, outbound.total);
    else if (done.length > 0) {
      text = sections
        .map((s, i) => {
          const c = counts[i];
          return c ? `${s.title}: ${countLabel(c.shown, c.total)}` : '';
        })
        .filter(Boolean)
        .join('. ');
    }
    if (count.textContent !== text) count.textContent = text;
    const total = done.reduce((n, c) => n + c.total, 0);
    summary.textContent =
      `${formatDate(q.date)}${q.return ? ` – ${formatDate(q.return)}` : ''} · ${q.return ? 'Round trip' : 'One-way'} · ` +
      (done.length === sections.length ? `${total} ${total === 1 ? 'option' : 'options'}` : 'searching…');
  };

  const run = async (s: Section) => {
    s.state = { kind: 'loading' };
    update();
    try {
      const body = await postSearch(s.slice, 2, { signal: ctrl.signal, fetchFn: app.fetchFn });
      if (destroyed) return;
      s.state = { kind: 'done', itineraries: normalizeResponse(body).itineraries };
    } catch (err) {
      if (destroyed) return;
      s.state = { kind: 'error', info: describeSearchError(err, s.slice) };
    }
    const carriers = allCarriers(sections.map((x) => (x.state.kind === 'done' ? x.state.itineraries : [])));
    if (carriers.join() !== carrierList.join()) {
      carrierList = carriers;
      renderFilters();
    }
    update();
  };

  const runAll = async () => {
    await Promise.all(sections.map(run));
  };

  /* ------------------------------ start -------------------------------- */

  sortSelect.value = q.sort;
  sortSelect.addEventListener('change', () => {
    q = { ...q, sort: sortSelect.value as SortKey };
    update();
  });
  renderFilters();

  if (q.origin && q.destination) win.document.title = `${q.origin} → ${q.destination} · Flight results — Contrail`;
  const problem = queryProblem(q);
  if (problem) {
    summary.textContent = 'No search to run';
    lists.replaceChildren(
      h('div', { class: 'results-error', role: 'alert' }, notice(problem, 'error')),
      h('p', { class: 'form-actions' }, h('a', { class: 'btn btn-primary', href: formPathFor(q) }, 'Change search')),
    );
  } else {
    sections.push({ title: q.return ? 'Outbound flights' : 'Flights', slice: { origin: q.origin, destination: q.destination, date: q.date }, state: { kind: 'loading' }, el: h('section', { class: 'results-section' }) });
    if (q.return) {
      sections.push({ title: 'Return flights', slice: { origin: q.destination, destination: q.origin, date: q.return }, state: { kind: 'loading' }, el: h('section', { class: 'results-section' }) });
    }
    lists.replaceChildren(...sections.map((s) => s.el));
    void runAll();
    // Names for the subtitle ("London → New York"); codes are enough if this fails.
    void Promise.all([resolvePlace(q.origin, app.fetchFn), resolvePlace(q.destination, app.fetchFn)])
      .then(([o, d]: Place[]) => {
        if (!destroyed && o?.city && d?.city) placesLine.textContent = `${o.city} → ${d.city}`;
      })
      .catch(() => undefined);
  }

  return {
    el,
    heading,
    destroy() {
      destroyed = true;
      ctrl.abort();
    },
  };
}
