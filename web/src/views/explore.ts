/**
 * /explore?from=ZRH&date=…|month=…[&region=EU][&maxprice=…][&currency=…][&stops=0|2]:
 * where can I fly from here, and for how much (GET /api/v1/explore). A
 * zoomable SVG world map (countries from the bundled world-atlas, Natural
 * Earth projection) with one marker per destination, sized and coloured by
 * price, and the same destinations as an accessible list sorted by price,
 * each linking to a search. Anywhere: the few cheapest overall, then the
 * best of each region (the answer's `regions`), all of them on the map.
 */

import type { App, View } from '../app';
import { getJson } from '../api';
import { currencyRejectedText, currencySelect, rememberCurrency, urlCurrency } from '../currency';
import { searchCurrency } from '../preferences';
import { h, nextId } from '../dom';
import {
  airportLabel,
  CHEAPEST_ANYWHERE,
  clientToMap,
  exploreProblem,
  exploreQueryString,
  exploreUrl,
  formatTravelDate,
  FULL_VIEW,
  MAP_WIDTH,
  MAX_ZOOM,
  mapDestinations,
  mapProjection,
  markerColor,
  markerRadius,
  normalizeExplore,
  panView,
  parseExploreQuery,
  placeLabel,
  priceShare,
  project,
  REGIONS,
  STOPS_CHOICES,
  stopsLabel,
  viewBoxString,
  ZOOM_STEP,
  zoomLevel,
  zoomView,
  type Destination,
  type ExploreQuery,
  type ExploreRegion,
  type ExploreResponse,
  type ViewBox,
} from '../explore';
import { createPlaceCombobox, placeholderPlace, resolvePlace } from '../places';
import { describeSearchError, formatDuration, formatMoney, moneyWords, resultsPath, DEFAULT_QUERY, NO_FILTERS } from '../results';
import type { RouteContext } from '../router';
import { addDays } from '../searchForm';
import { countryPaths, loadCountries, type Countries } from '../worldMap';
import { loading, notice } from './shell';
import './explore.css';

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

/** "Tue 15 Dec · nonstop · 1h 35m" */
export function destinationMeta(d: Destination): string {
  return [formatTravelDate(d.date), stopsLabel(d.stops), d.duration_minutes ? formatDuration(d.duration_minutes) : ''].filter(Boolean).join(' · ');
}

/** The accessible name of a destination's link: "London, United Kingdom — London Heathrow (LHR): from 95.00 EUR on Tue 1 Dec, nonstop, 1h 35m". */
export function destinationLabel(d: Destination): string {
  const date = formatTravelDate(d.date);
  const rest = [stopsLabel(d.stops), d.duration_minutes ? formatDuration(d.duration_minutes) : ''].filter(Boolean);
  return `${placeLabel(d)} — ${airportLabel(d)}: from ${moneyWords(d.price)}${date ? ` on ${date}` : ''}${rest.length ? `, ${rest.join(', ')}` : ''}`;
}

/** "Asia · from €412" */
export function regionHeading(r: ExploreRegion): string {
  const best = r.destinations[0];
  // Whole units, rounded down: "from" never above the cheapest listed.
  return best ? `${r.name} · from ${formatMoney({ ...best.price, amount: String(Math.floor(Number(best.price.amount))) }, { whole: true })}` : r.name;
}

/** The map: countries, then one marker per destination with a <title> tooltip. Decorative for screen readers (the list says the same). */
export function renderMap(countries: Countries | null, dests: readonly Destination[]): SVGSVGElement {
  const projection = mapProjection();
  const root = svg('svg', { viewBox: viewBoxString(FULL_VIEW), class: 'explore-map', role: 'img', 'aria-labelledby': 'explore-map-title', tabindex: 0 });
  root.append(
    svg('title', { id: 'explore-map-title' }, `Map of ${dests.length} ${dests.length === 1 ? 'destination' : 'destinations'} by price. Zoom with + and −, move with the arrow keys.`),
  );
  const geo = svg('g', { class: 'map-countries', 'aria-hidden': 'true' });
  if (countries) {
    const paths = countryPaths(countries, projection);
    geo.append(svg('path', { class: 'map-sphere', d: paths.sphere }));
    for (const c of paths.countries) geo.append(svg('path', { class: 'map-country', d: c.d, 'data-name': c.name }));
  }
  root.append(geo);
  let min = Infinity;
  let max = -Infinity;
  for (const d of dests) {
    min = Math.min(min, d.price.amount_minor);
    max = Math.max(max, d.price.amount_minor);
  }
  const markers = svg('g', { class: 'map-markers' });
  // Dearest first so the cheap (big) markers are drawn on top.
  for (const d of [...dests].sort((a, b) => b.price.amount_minor - a.price.amount_minor)) {
    const xy = project(projection, d.lat, d.lon);
    if (!xy) continue;
    const share = priceShare(d.price.amount_minor, min, max);
    const r = markerRadius(share);
    markers.append(
      svg(
        'circle',
        { class: 'map-marker', cx: xy[0].toFixed(1), cy: xy[1].toFixed(1), r, 'data-r': r, fill: markerColor(share), 'data-code': d.code, 'data-minor': d.price.amount_minor },
        svg('title', {}, [`${placeLabel(d)} · ${airportLabel(d)} — ${formatMoney(d.price)}`, destinationMeta(d)].filter(Boolean).join(' · ')),
      ),
    );
  }
  root.append(markers);
  return root;
}

export interface ExploreMap {
  el: HTMLElement;
  svg: SVGSVGElement;
  view(): ViewBox;
  setView(vb: ViewBox): void;
  destroy(): void;
}

/** The map with zoom in / out / reset buttons, the wheel and pinch to zoom, drag to pan,
 * + / − / 0 and the arrow keys when it has focus. Markers keep their size on screen. A click
 * on a marker (not the end of a drag) calls onPick with its code. */
export function interactiveMap(countries: Countries | null, dests: readonly Destination[], onPick: (code: string) => void): ExploreMap {
  const root = renderMap(countries, dests);
  const markers = Array.from(root.querySelectorAll<SVGCircleElement>('circle.map-marker'));
  let vb: ViewBox = { ...FULL_VIEW };
  const button = (cls: string, label: string, text: string, act: () => void) => {
    const b = h('button', { type: 'button', class: `btn map-zoom-btn ${cls}`, 'aria-label': label, title: label }, text) as HTMLButtonElement;
    b.addEventListener('click', () => {
      if (b.getAttribute('aria-disabled') !== 'true') act();
    });
    return b;
  };
  const zoomIn = button('map-zoom-in', 'Zoom in', '+', () => setView(zoomView(vb, ZOOM_STEP)));
  const zoomOut = button('map-zoom-out', 'Zoom out', '−', () => setView(zoomView(vb, 1 / ZOOM_STEP)));
  const reset = button('map-zoom-reset', 'Reset zoom', '⟲', () => setView(FULL_VIEW));
  const tools = h('div', { class: 'map-zoom', role: 'group', 'aria-label': 'Map zoom' }, zoomIn, zoomOut, reset);
  const el = h('div', { class: 'explore-map-box' }, tools, root);

  function setView(next: ViewBox): void {
    vb = zoomView(next, 1);
    root.setAttribute('viewBox', viewBoxString(vb));
    const z = zoomLevel(vb);
    for (const m of markers) m.setAttribute('r', String(Math.round((Number(m.dataset.r) / z) * 100) / 100));
    zoomIn.setAttribute('aria-disabled', String(z >= MAX_ZOOM - 1e-9));
    zoomOut.setAttribute('aria-disabled', String(z <= 1 + 1e-9));
    reset.setAttribute('aria-disabled', String(z <= 1 + 1e-9));
    root.classList.toggle('is-zoomed', z > 1 + 1e-9);
  }
  setView(vb);

  const rect = () => root.getBoundingClientRect();
  const at = (x: number, y: number) => clientToMap(vb, rect(), x, y);
  /** Map units per client pixel. */
  const unit = () => {
    const r = rect();
    return r.width > 0 && r.height > 0 ? 1 / Math.min(r.width / vb.w, r.height / vb.h) : vb.w / MAP_WIDTH;
  };

  root.addEventListener(
    'wheel',
    (e) => {
      const dy = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaMode === 2 ? e.deltaY * 400 : e.deltaY;
      const [cx, cy] = at(e.clientX, e.clientY);
      const next = zoomView(vb, Math.exp(-dy * 0.002), cx, cy);
      // Nothing to zoom (out of the whole world, in past the closest): the page scrolls as usual.
      if (viewBoxString(next) === viewBoxString(vb)) return;
      e.preventDefault();
      setView(next);
    },
    { passive: false },
  );

  const pointers = new Map<number, { x: number; y: number }>();
  let moved = 0;
  let dragged = false;
  root.addEventListener('pointerdown', (e) => {
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (pointers.size === 1) {
      moved = 0;
      dragged = false;
    }
  });
  root.addEventListener('pointermove', (e) => {
    const prev = pointers.get(e.pointerId);
    if (!prev) return;
    const pts = [...pointers.entries()];
    if (pts.length >= 2) {
      const other = pts.find(([id]) => id !== e.pointerId)![1];
      const before = Math.hypot(prev.x - other.x, prev.y - other.y);
      const after = Math.hypot(e.clientX - other.x, e.clientY - other.y);
      const [cx, cy] = at((e.clientX + other.x) / 2, (e.clientY + other.y) / 2);
      if (before > 0 && after > 0) setView(zoomView(vb, after / before, cx, cy));
      dragged = true;
    } else {
      const dx = e.clientX - prev.x;
      const dy = e.clientY - prev.y;
      moved += Math.abs(dx) + Math.abs(dy);
      if (moved > 4) {
        if (!dragged) {
          dragged = true;
          try {
            root.setPointerCapture(e.pointerId);
          } catch {
            /* not capturable: the drag still works while over the map */
          }
        }
        const u = unit();
        setView(panView(vb, -dx * u, -dy * u));
      }
    }
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
  });
  const up = (e: PointerEvent) => {
    pointers.delete(e.pointerId);
  };
  root.addEventListener('pointerup', up);
  root.addEventListener('pointercancel', up);
  root.addEventListener('click', (e) => {
    if (dragged) {
      dragged = false;
      return;
    }
    const m = (e.target as Element | null)?.closest?.('circle.map-marker');
    const code = m?.getAttribute('data-code');
    if (code) onPick(code);
  });
  root.addEventListener('keydown', (e) => {
    const step = vb.w / 8;
    const acts: Record<string, () => ViewBox> = {
      '+': () => zoomView(vb, ZOOM_STEP),
      '=': () => zoomView(vb, ZOOM_STEP),
      '-': () => zoomView(vb, 1 / ZOOM_STEP),
      '_': () => zoomView(vb, 1 / ZOOM_STEP),
      '0': () => ({ ...FULL_VIEW }),
      ArrowLeft: () => panView(vb, -step, 0),
      ArrowRight: () => panView(vb, step, 0),
      ArrowUp: () => panView(vb, 0, -step),
      ArrowDown: () => panView(vb, 0, step),
    };
    const act = e.ctrlKey || e.metaKey || e.altKey ? undefined : acts[e.key];
    if (!act) return;
    e.preventDefault();
    setView(act());
  });

  return {
    el,
    svg: root,
    view: () => ({ ...vb }),
    setView,
    destroy() {
      pointers.clear();
    },
  };
}

/** A list of destinations (cheapest first), each a link to the search for that destination. */
export function renderDestinationList(q: ExploreQuery, dests: readonly Destination[], label = 'Destinations by price, cheapest first'): HTMLElement {
  return h(
    'ol',
    { class: 'explore-list', 'aria-label': label },
    dests.map((d) =>
      h(
        'li',
        { class: 'explore-item', 'data-code': d.code, 'data-minor': String(d.price.amount_minor) },
        h(
          'a',
          { href: destinationSearchPath(q, d), 'aria-label': destinationLabel(d), title: airportLabel(d) },
          h('span', { class: 'explore-place' }, placeLabel(d), ' ', h('span', { class: 'explore-code' }, d.code)),
          h('span', { class: 'explore-meta' }, destinationMeta(d)),
          h('span', { class: 'explore-price' }, formatMoney(d.price)),
        ),
      ),
    ),
  );
}

/** Anywhere with regions: "Cheapest anywhere" (the first few overall), then a section per region. */
export function renderRegions(q: ExploreQuery, res: ExploreResponse): HTMLElement[] {
  const regionsTitle = 'explore-regions-title';
  return [
    ...(res.destinations.length > 0
      ? [h('h2', { id: 'explore-list-title' }, 'Cheapest anywhere'), renderDestinationList(q, res.destinations.slice(0, CHEAPEST_ANYWHERE), 'Cheapest anywhere, cheapest first')]
      : []),
    h(
      'section',
      { class: 'explore-regions', 'aria-labelledby': regionsTitle },
      h('h2', { id: regionsTitle }, 'Best destinations by region'),
      res.regions.map((r) => {
        const id = nextId('explore-region-title');
        return h(
          'section',
          { class: 'explore-region', 'data-region': r.code, 'aria-labelledby': id },
          h('h3', { id, class: 'explore-region-title' }, regionHeading(r)),
          renderDestinationList(q, r.destinations, `${r.name}, cheapest first`),
        );
      }),
    ),
  ];
}

export function exploreView(app: App, ctx: RouteContext): View {
  const win = window;
  const cur = urlCurrency(ctx.url.searchParams, searchCurrency(app.profile?.current));
  let q = { ...parseExploreQuery(ctx.url.search, cur.currency), currency: cur.currency };
  if (!q.date && !q.month) q = { ...q, date: addDays(app.today(), 14) };
  let ctrl: AbortController | null = null;
  let destroyed = false;
  let map: ExploreMap | null = null;
  const showMap = (countries: Countries | null, dests: readonly Destination[]) => {
    map?.destroy();
    const shown = q;
    map = interactiveMap(countries, dests, (code) => {
      const d = dests.find((x) => x.code === code);
      if (d) app.router.navigate(destinationSearchPath(shown, d));
    });
    mapBox.replaceChildren(map.el);
  };

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
  const stopsId = nextId('explore-stops');
  const stops = h('select', { id: stopsId, class: 'field-input' }) as HTMLSelectElement;
  for (const c of STOPS_CHOICES) stops.add(new Option(c.label, String(c.value)));
  stops.value = String(q.maxStops);
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
    h('div', { class: 'field' }, h('label', { for: stopsId, class: 'field-label' }, 'Stops'), stops),
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
      maxStops: stops.value === '0' ? 0 : stops.value === '2' ? 2 : 1,
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
      showMap(await loadCountries().catch(() => null), []);
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
      const byRegion = !q.region && res.regions.length > 0;
      const onMap = byRegion ? mapDestinations(res) : res.destinations;
      const n = onMap.length;
      const where = byRegion ? ` in ${res.regions.length} ${res.regions.length === 1 ? 'region' : 'regions'}` : '';
      status.textContent = n === 0 ? 'No destinations with prices.' : `${n} ${n === 1 ? 'destination' : 'destinations'}${where} from ${q.origin}, cheapest ${formatMoney(onMap[0]!.price)}`;
      showMap(countries, onMap);
      listBox.replaceChildren(
        ...(n === 0
          ? [h('h2', { id: 'explore-list-title' }, 'Destinations by price'), notice('No priced destinations match. Try another month, region, stops or a higher maximum price.', 'info', 'explore-empty')]
          : byRegion
            ? renderRegions(q, res)
            : [h('h2', { id: 'explore-list-title' }, 'Destinations by price'), renderDestinationList(q, res.destinations)]),
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
      map?.destroy();
      origin.destroy();
    },
  };
}
