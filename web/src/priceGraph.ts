/**
 * Price graphs of a route (GET /api/v1/price-history, docs/search-api.md): the cheapest
 * price of one departure date as observed over time, with the typical band, and the price
 * by departure date over the next weeks. A small reusable module: the results page shows it
 * under the price calendar, and the alerts page can show the same for a tracked route:
 *
 *   const ph = await fetchPriceHistory({ origin, destination, departureDate, currency });
 *   container.append(renderPriceGraphs(ph));
 *   // later: destroyPriceGraphs(container)
 *
 * The charts are drawn by uPlot (npm `uplot`) on canvas, loaded on first use (its own chunk,
 * with its stylesheet: the page's Content-Security-Policy allows no inline style attributes
 * in markup; uPlot sizes its elements through the CSSOM, which it allows). Each chart has a
 * text summary beside it for screen readers, and where a browser draws no canvas (no 2D
 * context) only the summaries are shown. priceGraphsReady(section) resolves once drawn.
 */
import type uPlot from 'uplot';

import { apiUrl, getJson, type RequestOptions } from './api';
import { h } from './dom';
import { normalizeInsight, type Insight } from './priceInsight';
import { formatMoney, normalizeMoney, type Money } from './results';

export interface HistoryPoint {
  /** Start of the observation bucket, Unix seconds. */
  t: number;
  span: 'hour' | 'day';
  price: Money;
}

export interface DatePrice {
  date: string;
  price: Money;
  lowest: Money;
}

export interface PriceHistory {
  origin: string;
  destination: string;
  departureDate: string;
  cabin: string;
  currency: string;
  history: HistoryPoint[];
  byDate: DatePrice[];
  insight: Insight | null;
}

export interface PriceHistoryQuery {
  origin: string;
  destination: string;
  departureDate: string;
  cabin?: string;
  currency?: string;
  from?: string;
  to?: string;
}

export function priceHistoryUrl(q: PriceHistoryQuery, baseUrl = ''): string {
  return apiUrl(
    '/price-history',
    { origin: q.origin, destination: q.destination, departure_date: q.departureDate, cabin: q.cabin, currency: q.currency, from: q.from, to: q.to },
    baseUrl,
  );
}

type Rec = Record<string, unknown>;
const asRec = (v: unknown): Rec | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : null);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The server's answer, checked; malformed points are dropped. */
export function normalizePriceHistory(body: unknown): PriceHistory {
  const r = asRec(body) ?? {};
  const history: HistoryPoint[] = [];
  for (const raw of arr(r.history)) {
    const p = asRec(raw);
    const price = normalizeMoney(p?.price);
    const t = Date.parse(str(p?.observed_at));
    if (p && price && Number.isFinite(t)) history.push({ t: t / 1000, span: p.span === 'day' ? 'day' : 'hour', price });
  }
  const byDate: DatePrice[] = [];
  for (const raw of arr(asRec(r.by_departure_date)?.days)) {
    const d = asRec(raw);
    const price = normalizeMoney(d?.price);
    const lowest = normalizeMoney(d?.lowest);
    if (d && price && lowest && /^\d{4}-\d{2}-\d{2}$/.test(str(d.date))) byDate.push({ date: str(d.date), price, lowest });
  }
  return {
    origin: str(r.origin),
    destination: str(r.destination),
    departureDate: str(r.departure_date),
    cabin: str(r.cabin),
    currency: str(r.currency),
    history,
    byDate,
    insight: normalizeInsight(r.insight),
  };
}

export async function fetchPriceHistory(q: PriceHistoryQuery, opts: RequestOptions = {}): Promise<PriceHistory> {
  return normalizePriceHistory(await getJson(priceHistoryUrl(q, opts.baseUrl), opts));
}

const major = (m: Money): number => Number(m.amount);

/** The history chart's data: times, prices, and the band's low and high edges (major units). */
export function historyData(ph: PriceHistory): [number[], number[], (number | null)[], (number | null)[]] {
  const xs = ph.history.map((p) => p.t);
  const ys = ph.history.map((p) => major(p.price));
  const i = ph.insight;
  const digits = ph.history[0]?.price.amount.split('.')[1]?.length ?? 2;
  const lo = i && i.typicalLowMinor !== null ? i.typicalLowMinor / 10 ** digits : null;
  const hi = i && i.typicalHighMinor !== null ? i.typicalHighMinor / 10 ** digits : null;
  return [xs, ys, xs.map(() => lo), xs.map(() => hi)];
}

/** The by-date chart's data: departure dates (Unix seconds at 00:00 UTC) and prices. */
export function byDateData(ph: PriceHistory): [number[], number[]] {
  return [ph.byDate.map((d) => Date.parse(`${d.date}T00:00:00Z`) / 1000), ph.byDate.map((d) => major(d.price))];
}

/** Whether this browser draws on canvas (jsdom and some locked-down browsers do not). */
export function canvasSupported(doc: Document = document): boolean {
  try {
    return !!doc.createElement('canvas').getContext('2d');
  } catch {
    return false;
  }
}

/** One sentence per chart, for screen readers and browsers without canvas. */
export function historySummary(ph: PriceHistory): string {
  if (ph.history.length === 0) return `No prices recorded yet for ${ph.departureDate}.`;
  const prices = ph.history.map((p) => p.price);
  const low = prices.reduce((a, b) => (b.amount_minor < a.amount_minor ? b : a));
  const last = prices[prices.length - 1];
  return `${ph.history.length} observation${ph.history.length === 1 ? '' : 's'} for ${ph.departureDate}: now ${formatMoney(last)}, lowest ${formatMoney(low)}.`;
}

export function byDateSummary(ph: PriceHistory): string {
  if (ph.byDate.length === 0) return 'No prices recorded yet for nearby departure dates.';
  const best = ph.byDate.reduce((a, b) => (b.price.amount_minor < a.price.amount_minor ? b : a));
  return `${ph.byDate.length} departure date${ph.byDate.length === 1 ? '' : 's'} with prices; the cheapest is ${best.date} at ${formatMoney(best.price)}.`;
}

const PRICE = '#0b6e4f';
const BAND = '#8a8f98';

function moneyAxis(currency: string): uPlot.Axis {
  return {
    values: (_u, vals) =>
      vals.map((v) => {
        try {
          return new Intl.NumberFormat('en-GB', { style: 'currency', currency, maximumFractionDigits: 0 }).format(v);
        } catch {
          return String(Math.round(v));
        }
      }),
    size: 70,
  };
}

const charts = new WeakMap<HTMLElement, uPlot[]>();
const drawn = new WeakMap<HTMLElement, Promise<void>>();

let uplotModule: Promise<typeof uPlot> | null = null;

/** uPlot and its stylesheet, loaded once. */
function loadUPlot(): Promise<typeof uPlot> {
  uplotModule ??= Promise.all([import('uplot'), import('uplot/dist/uPlot.min.css')]).then(([m]) => m.default);
  return uplotModule;
}

type ChartSpec = { target: HTMLElement; opts: uPlot.Options; data: uPlot.AlignedData };

export interface GraphOptions {
  width?: number;
  height?: number;
  doc?: Document;
}

/**
 * A <section class="price-graphs"> with both charts (each a figure with its caption and
 * summary). Charts are drawn only where there is something to draw and the browser has
 * canvas; destroyPriceGraphs frees them.
 */
export function renderPriceGraphs(ph: PriceHistory, opts: GraphOptions = {}): HTMLElement {
  const width = opts.width ?? 560;
  const height = opts.height ?? 200;
  const draw = canvasSupported(opts.doc);
  const specs: ChartSpec[] = [];
  const historyBox = h('div', { class: 'price-graph-canvas' });
  const datesBox = h('div', { class: 'price-graph-canvas' });
  const section = h(
    'section',
    { class: 'price-graphs', 'aria-label': 'Price history' },
    h(
      'figure',
      { class: 'price-graph price-graph-history' },
      h('figcaption', {}, `Price for ${ph.departureDate} as we saw it over time`),
      historyBox,
      h('p', { class: 'price-graph-summary' }, historySummary(ph)),
    ),
    h(
      'figure',
      { class: 'price-graph price-graph-dates' },
      h('figcaption', {}, 'Price by departure date'),
      datesBox,
      h('p', { class: 'price-graph-summary' }, byDateSummary(ph)),
    ),
  );
  if (draw && ph.history.length > 0) {
    const band = ph.insight?.typicalLowMinor != null;
    specs.push({
      target: historyBox,
      opts: {
        width,
        height,
        scales: { x: { time: true } },
        series: [
          {},
          { label: 'Price', stroke: PRICE, width: 2, points: { show: ph.history.length < 40 } },
          { label: 'Typical low', stroke: BAND, dash: [4, 4], show: band },
          { label: 'Typical high', stroke: BAND, dash: [4, 4], show: band },
        ],
        axes: [{}, moneyAxis(ph.currency)],
      },
      data: historyData(ph),
    });
  }
  if (draw && ph.byDate.length > 0) {
    specs.push({
      target: datesBox,
      opts: {
        width,
        height,
        scales: { x: { time: true } },
        series: [{}, { label: 'Price', stroke: PRICE, width: 2, points: { show: true } }],
        axes: [{}, moneyAxis(ph.currency)],
      },
      data: byDateData(ph),
    });
  }
  const all: uPlot[] = [];
  charts.set(section, all);
  drawn.set(
    section,
    specs.length === 0
      ? Promise.resolve()
      : loadUPlot().then((UPlot) => {
          if (!charts.has(section)) return; /* destroyed meanwhile */
          for (const s of specs) all.push(new UPlot(s.opts, s.data, s.target));
        }),
  );
  return section;
}

/** Resolves once the section's charts are drawn (at once when there is nothing to draw). */
export function priceGraphsReady(section: HTMLElement): Promise<void> {
  return drawn.get(section) ?? Promise.resolve();
}

/** Frees the charts drawn inside `el` (a section from renderPriceGraphs or a parent of it). */
export function destroyPriceGraphs(el: HTMLElement): void {
  const sections = el.matches('.price-graphs') ? [el] : Array.from(el.querySelectorAll<HTMLElement>('.price-graphs'));
  for (const s of sections) {
    for (const c of charts.get(s) ?? []) c.destroy();
    charts.delete(s);
  }
}
