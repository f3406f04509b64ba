/**
 * /explore?from=ZRH&date=…|month=…[&region=EU][&maxprice=…][&currency=…]:
 * where can I fly from here, and for how much (GET /api/v1/explore). An SVG
 * world map (countries from the bundled world-atlas, Natural Earth
 * projection) with one marker per destination, sized and coloured by price,
 * and the same destinations as an accessible list sorted by price, each
 * linking to a search.
 */

import type { App, View } from '../app';
import { getJson } from '../api';
import { currencyRejectedText, currencySelect, rememberCurrency, urlCurrency } from '../currency';
import { searchCurrency } from '../preferences';
import { h, nextId } from '../dom';
import {
  exploreProblem,
  exploreQueryString,
  exploreUrl,
  MAP_HEIGHT,
  MAP_WIDTH,
  mapProjection,
  markerColor,
  markerRadius,
  normalizeExplore,
  parseExploreQuery,
  priceShare,
  project,
  REGIONS,
  type Destination,
  type ExploreQuery,
} from '../explore';
import { createPlaceCombobox, placeholderPlace, resolvePlace } from '../places';
import { describeSearchError, formatDuration, formatMoney, moneyWords, resultsPath, DEFAULT_QUERY, NO_FILTERS } from '../results';
import type { RouteContext } from '../router';
import { addDays } from '../searchForm';
import { countryPaths, loadCountries, type Countries } from '../worldMap';
import { loading, notice } from './shell';

const SVG_NS = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, ...children: (Node | string)[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}

/** The results page for one destination (the destination's own date). */
export function destinationSearchPath(q: ExploreQuery, d: Destination): string {
  const date = d.date || q.date || `${q.month}-01`;
  return resultsPath({ ...DEFAULT_QUERY, filters: { ...NO_FILTERS }, trip: 'oneway', slices: [{ origin: q.origin, destination: d.code, date }], currency: q.currency });
}

function destLabel(d: Destination): string {
  return `${d.city || d.name} (${d.code})`;
}

/** The map: countries, then one marker per destination with a <title> tooltip. Decorative for screen readers (the list says the same). */
export function renderMap(countries: Countries | null, dests: readonly Destination[]): SVGSVGElement {
  const projection = mapProjection();
  const root = svg('svg', { viewBox: `0 0 ${MAP_WIDTH} ${MAP_HEIGHT}`, class: 'explore-map', role: 'img', 'aria-labelledby': 'explore-map-title' });
  root.append(svg('title', { id: 'explore-map-title' }, `Map of ${dests.length} ${dests.length === 1 ? 'destination' : 'destinations'} by price`));
  const geo = svg('g', { class: 'map-countries', 'aria-hidden': 'true' });
  if (countries) {
    const paths = countryPaths(countries, projection);
    geo.append(svg('path', { class: 'map-sphere', d: paths.sphere }));
    for (const c of paths.countries) geo.append(svg('path', { class: 'map-country', d: c.d, 'data-name': c.name }));
  }
  root.append(geo);
  const min = dests[0]?.price.amount_minor ?? 0;
  const max = dests[dests.length - 1]?.price.amount_minor ?? 0;
  const markers = svg('g', { class: 'map-markers' });
  // Dearest first so the cheap (big) markers are drawn on top.
  for (const d of [...dests].reverse()) {
    const xy = project(projection, d.lat, d.lon);
    if (!xy) continue;
    const share = priceShare(d.price.amount_minor, min, max);
    markers.append(
      svg(
        'circle',
        { class: 'map-marker', cx: xy[0].toFixed(1), cy: xy[1].toFixed(1), r: markerRadius(share), fill: markerColor(share), 'data-code': d.code, 'data-minor': d.price.amount_minor },
        svg('title', {}, `${destLabel(d)} — ${formatMoney(d.price)}`),
      ),
    );
  }
  root.append(markers);
  return root;
}

/** The accessible list, cheapest first, each a link to the search for that destination. */
export function renderDestinationList(q: ExploreQuery, dests: readonly Destination[]): HTMLElement {
  return h(
    'ol',
    { class: 'explore-list', 'aria-label': 'Destinations by price, cheapest first' },
    dests.map((d) =>
      h(
        'li',
        { class: 'explore-item', 'data-code': d.code, 'data-minor': String(d.price.amount_minor) },
        h(
          'a',
          { href: destinationSearchPath(q, d), 'aria-label': `${destLabel(d)}, ${d.country}: from ${moneyWords(d.price)}${d.date ? ` on ${d.date}` : ''}` },
          h('span', { class: 'explore-place' }, destLabel(d)),
          h('span', { class: 'explore-meta' }, [d.country, d.date, d.stops === null ? '' : d.stops === 0 ? 'nonstop' : `${d.stops} ${d.stops === 1 ? 'stop' : 'stops'}`, d.duration_minutes ? formatDuration(d.duration_minutes) : ''].filter(Boolean).join(' · ')),
          h('span', { class: 'explore-price' }, formatMoney(d.price)),
        ),
      ),
    ),
  );
}

export function exploreView(app: App, ctx: RouteContext): View {
  const win = window;
  const cur = urlCurrency(ctx.url.searchParams, searchCurrency(app.profile?.current));
  let q = { ...parseExploreQuery(ctx.url.search, cur.currency), currency: cur.currency };
  if (!q.date && !q.month) q = { ...q, date: addDays(app.today(), 14) };
  let ctrl: AbortController | null = null;
  let destroyed = false;

  const heading = h('h1', { id: 'page-title', tabindex: '-1' }, 'Explore destinations');
  const band = h(
    'div',
    { class: 'page-band' },
    h('div', { class: 'hero-sky', 'aria-hidden': 'true' }, h('span', { class: 'trail trail-1' }), h('span', { class: 'trail trail-2' })),
    h('div', { class: 'container page-band-inner' }, h('p', { class: 'eyebrow' }, 'Explore'), heading, h('p', { class: 'page-lede' }, 'Where can you fly, and for how much? Pick a departure airport and a date or a whole month.')),
  );

  const originId = nextId('explore-origin');
  const originInput = h('input', { id: originId, class: 'field-input', type: 'text', placeholder: 'City or airport', autocomplete: 'off' }) as HTMLInputElement;
  let originCode = q.origin;
  const originBox = h('div', { class: 'cb' }, originInput);
  const origin = createPlaceCombobox(originInput, { fetchFn: app.fetchFn, onSelect: (p) => (originCode = p?.code ?? '') });
  if (q.origin) {
    const ph = placeholderPlace(q.origin);
    origin.setValue(ph);
    void resolvePlace(q.origin, app.fetchFn).then((p) => {
      if (!destroyed && origin.value === ph) origin.setValue(p);
    });
  }

  const whenName = nextId('when');
  const byDate = h('input', { type: 'radio', name: whenName, value: 'date', checked: !q.month }) as HTMLInputElement;
  const byMonth = h('input', { type: 'radio', name: whenName, value: 'month', checked: !!q.month }) as HTMLInputElement;
  const dateId = nextId('explore-date');
  const monthId = nextId('explore-month');
  const dateInput = h('input', { type: 'date', id: dateId, class: 'field-input', value: q.date, min: app.today() }) as HTMLInputElement;
  const monthInput = h('input', { type: 'month', id: monthId, class: 'field-input', value: q.month || (q.date ? q.date.slice(0, 7) : '') }) as HTMLInputElement;
  const regionId = nextId('explore-region');
  const region = h('select', { id: regionId, class: 'field-input' }) as HTMLSelectElement;
  region.add(new Option('Anywhere', ''));
  for (const r of REGIONS) region.add(new Option(r.name, r.code));
  if (q.region && !REGIONS.some((r) => r.code === q.region)) region.add(new Option(q.region, q.region));
  region.value = q.region;
  const priceId = nextId('explore-price');
  const maxPrice = h('input', { type: 'number', id: priceId, class: 'field-input', min: '0', step: '1', inputmode: 'numeric', value: q.maxPrice === null ? '' : String(q.maxPrice) }) as HTMLInputElement;
  const currency = currencySelect('explore-currency', q.currency, () => undefined);
  const formError = h('p', { class: 'field-error', role: 'alert', id: nextId('explore-error') });
  formError.hidden = true;

  const syncWhen = () => {
    dateInput.disabled = byMonth.checked;
    monthInput.disabled = !byMonth.checked;
  };
  byDate.addEventListener('change', syncWhen);
  byMonth.addEventListener('change', syncWhen);
  syncWhen();

  const form = h(
    'form',
    { class: 'explore-form card', novalidate: true, 'aria-label': 'Explore' },
    h('div', { class: 'field' }, h('label', { for: originId, class: 'field-label' }, 'From'), originBox),
    h(
      'fieldset',
      { class: 'field explore-when' },
      h('legend', { class: 'field-label' }, 'When'),
      h('label', { class: 'filter-option' }, byDate, h('span', {}, 'On a date')),
      h('label', { class: 'filter-option' }, byMonth, h('span', {}, 'Any day in a month')),
      h('label', { for: dateId, class: 'visually-hidden' }, 'Date'),
      dateInput,
      h('label', { for: monthId, class: 'visually-hidden' }, 'Month'),
      monthInput,
    ),
    h('div', { class: 'field' }, h('label', { for: regionId, class: 'field-label' }, 'Region'), region),
    h('div', { class: 'field' }, h('label', { for: priceId, class: 'field-label' }, 'Maximum price'), maxPrice),
    currency.el,
    h('button', { type: 'submit', class: 'btn btn-primary explore-submit' }, 'Explore'),
    formError,
  );

  const status = h('p', { class: 'explore-count', id: 'explore-count', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true' });
  const mapBox = h('div', { class: 'explore-map-wrap' });
  const listBox = h('section', { class: 'explore-results', 'aria-labelledby': 'explore-list-title' });
  const currencyNote = cur.rejected ? h('div', { class: 'explore-currency-note', role: 'status' }, notice(currencyRejectedText(cur.rejected, cur.currency), 'warning')) : null;
  const el = h('div', { class: 'page page-explore' }, band, h('div', { class: 'container explore-layout' }, currencyNote, form, status, mapBox, listBox));

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const v = maxPrice.value.trim();
    const next: ExploreQuery = {
      origin: originCode,
      date: byMonth.checked ? '' : dateInput.value,
      month: byMonth.checked ? monthInput.value : '',
      region: region.value,
      maxPrice: v && Number(v) > 0 ? Number(v) : null,
      currency: currency.select.value,
    };
    const problem = exploreProblem(next);
    formError.textContent = problem;
    formError.hidden = !problem;
    if (problem) {
      (next.origin ? (byMonth.checked ? monthInput : dateInput) : originInput).focus();
      return;
    }
    rememberCurrency(next.currency);
    q = next;
    win.history.pushState(null, '', `/explore?${exploreQueryString(q)}`);
    void run();
  });

  async function run(): Promise<void> {
    const problem = exploreProblem(q);
    if (problem) {
      status.textContent = '';
      mapBox.replaceChildren(renderMap(await loadCountries().catch(() => null), []));
      listBox.replaceChildren(notice('Choose where you are flying from to see destinations and prices.', 'info'));
      return;
    }
    ctrl?.abort();
    const mine = new AbortController();
    ctrl = mine;
    status.textContent = 'Loading destinations…';
    listBox.replaceChildren(loading('Finding destinations…'));
    try {
      const [body, countries] = await Promise.all([getJson(exploreUrl(q), { signal: mine.signal, fetchFn: app.fetchFn }), loadCountries().catch(() => null)]);
      if (destroyed || mine !== ctrl) return;
      const res = normalizeExplore(body);
      const n = res.destinations.length;
      status.textContent = n === 0 ? 'No destinations with prices.' : `${n} ${n === 1 ? 'destination' : 'destinations'} from ${q.origin}, cheapest ${formatMoney(res.destinations[0]!.price)}`;
      mapBox.replaceChildren(renderMap(countries, res.destinations));
      listBox.replaceChildren(
        h('h2', { id: 'explore-list-title' }, 'Destinations by price'),
        n === 0 ? notice('No priced destinations match. Try another month, region or a higher maximum price.', 'info', 'explore-empty') : renderDestinationList(q, res.destinations),
      );
    } catch (err) {
      if (destroyed || mine !== ctrl) return;
      const info = describeSearchError(err);
      status.textContent = 'Explore failed.';
      listBox.replaceChildren(h('div', { class: 'results-error', role: 'alert', 'data-fields': info.fields.join(' ') || null }, notice(info.message, info.retry ? 'warning' : 'error')));
    }
  }

  void run();

  return {
    el,
    heading,
    destroy() {
      destroyed = true;
      ctrl?.abort();
      origin.destroy();
    },
  };
}
