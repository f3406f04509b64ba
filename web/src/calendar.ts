/**
 * Price calendar (one-way: a strip of days) and round-trip date grid (7×7)
 * over GET /api/v1/calendar (docs/search-api.md): URLs, answer checks, the
 * cheapest day / cell, and the DOM of both. Every day and cell is a link to
 * the results page for that date (or pair), so the router re-searches and
 * back/forward works.
 */

import { apiUrl } from './api';
import { h } from './dom';
import { cheapestIndex, formatMoney, moneyWords, normalizeMoney, resultsPath, type Money, type ResultsQuery } from './results';
import { addDays } from './searchForm';
import { dayParts } from './dates';

export const CALENDAR_DAYS = 30;

export interface CalendarDay {
  date: string;
  price: Money | null;
  stops: number | null;
  duration_minutes: number | null;
}

export interface Calendar {
  currency: string;
  days: CalendarDay[];
}

/** cells[d][r]: null when that return is before that departure. */
export type GridCell = { price: Money | null } | null;

export interface DateGrid {
  currency: string;
  departures: string[];
  returns: string[];
  cells: GridCell[][];
}

type Rec = Record<string, unknown>;
const asRec = (v: unknown): Rec | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : null);
const ISO = /^\d{4}-\d{2}-\d{2}$/;

/** First day of the strip: three days before the searched date, never before today. */
export function calendarStart(date: string, today: string): string {
  const s = addDays(date, -3);
  return s < today ? today : s;
}

function commonParams(q: ResultsQuery): Record<string, string | number | null> {
  return {
    currency: q.currency,
    cabin: q.cabin,
    adults: q.adults,
    children: q.children || null,
    infants: q.infants || null,
  };
}

/** GET /api/v1/calendar?origin&destination&start&days=30&currency&cabin&adults… */
export function calendarUrl(q: ResultsQuery, today: string, days = CALENDAR_DAYS): string {
  const s = q.slices[0]!;
  return apiUrl('/calendar', { origin: s.origin, destination: s.destination, start: calendarStart(s.date, today), days, ...commonParams(q) });
}

/** GET /api/v1/calendar?origin&destination&depart&return&… (the 7×7 grid). */
export function gridUrl(q: ResultsQuery): string {
  const out = q.slices[0]!;
  const back = q.slices[1]!;
  return apiUrl('/calendar', { origin: out.origin, destination: out.destination, depart: out.date, return: back.date, ...commonParams(q) });
}

export function normalizeCalendar(body: unknown): Calendar {
  const r = asRec(body) ?? {};
  const days: CalendarDay[] = [];
  for (const d of Array.isArray(r.days) ? r.days.map(asRec) : []) {
    if (!d || typeof d.date !== 'string' || !ISO.test(d.date)) continue;
    days.push({
      date: d.date,
      price: normalizeMoney(d.price),
      stops: typeof d.stops === 'number' ? d.stops : null,
      duration_minutes: typeof d.duration_minutes === 'number' ? d.duration_minutes : null,
    });
  }
  days.sort((a, b) => a.date.localeCompare(b.date));
  return { currency: typeof r.currency === 'string' ? r.currency : '', days };
}

export function normalizeGrid(body: unknown): DateGrid | null {
  const r = asRec(body) ?? {};
  const g = asRec(r.grid);
  if (!g) return null;
  const dates = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && ISO.test(x)) : []);
  const departures = dates(g.departures);
  const returns = dates(g.returns);
  if (departures.length === 0 || returns.length === 0) return null;
  const rows = Array.isArray(g.cells) ? g.cells : [];
  const cells: GridCell[][] = departures.map((_, d) => {
    const row = Array.isArray(rows[d]) ? (rows[d] as unknown[]) : [];
    return returns.map((_r, i) => {
      const c = asRec(row[i]);
      return c ? { price: normalizeMoney(c.price) } : null;
    });
  });
  return { currency: typeof r.currency === 'string' ? r.currency : '', departures, returns, cells };
}

/** Index of the cheapest day (the earliest of equal prices), -1 when none is priced. */
export function cheapestDay(days: readonly CalendarDay[]): number {
  return cheapestIndex(days.map((d) => d.price));
}

/** [departure index, return index] of the cheapest cell, or null. */
export function cheapestCell(grid: DateGrid): [number, number] | null {
  let best: [number, number] | null = null;
  let bestMinor = Infinity;
  grid.cells.forEach((row, d) =>
    row.forEach((c, r) => {
      if (c?.price && c.price.amount_minor < bestMinor) {
        bestMinor = c.price.amount_minor;
        best = [d, r];
      }
    }),
  );
  return best;
}

/** 0 (cheapest) to 4 (dearest) of a price between min and max: the heat-map colour class. */
export function heatLevel(minor: number, min: number, max: number): number {
  if (!(max > min)) return 0;
  return Math.min(4, Math.max(0, Math.floor(((minor - min) / (max - min)) * 5)));
}

const SVG_NS = 'http://www.w3.org/2000/svg';

function svgEl<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, ...children: (Node | string)[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}

export const GRAPH_WIDTH = 600;
export const GRAPH_HEIGHT = 120;

/** The price by departure date as bars (cheapest green, the searched day outlined); each bar
 * links to that day. Decorative for screen readers: the strip below says the same. */
export function renderPriceGraph(cal: Calendar, q: ResultsQuery): SVGSVGElement {
  const priced = cal.days.filter((d) => d.price);
  const min = Math.min(...priced.map((d) => d.price!.amount_minor));
  const max = Math.max(...priced.map((d) => d.price!.amount_minor));
  const best = cheapestDay(cal.days);
  const n = Math.max(1, cal.days.length);
  const slot = GRAPH_WIDTH / n;
  const root = svgEl('svg', { viewBox: `0 0 ${GRAPH_WIDTH} ${GRAPH_HEIGHT}`, class: 'cal-graph', 'aria-hidden': 'true', focusable: 'false' });
  cal.days.forEach((d, i) => {
    if (!d.price) return;
    // The cheapest day a third of the height, the dearest the full height.
    const share = max > min ? (d.price.amount_minor - min) / (max - min) : 0;
    const hgt = Math.round(GRAPH_HEIGHT * (0.33 + 0.62 * share));
    const cls = ['cal-bar', `heat-${heatLevel(d.price.amount_minor, min, max)}`, i === best ? 'is-cheapest' : '', d.date === q.slices[0]!.date ? 'is-selected' : ''].filter(Boolean).join(' ');
    const bar = svgEl('rect', { x: (i * slot + 1).toFixed(1), y: GRAPH_HEIGHT - hgt, width: Math.max(1, slot - 2).toFixed(1), height: hgt, class: cls, 'data-date': d.date });
    const link = svgEl('a', { href: resultsPath(withDates(q, d.date)), tabindex: -1 }, bar, svgEl('title', {}, `${dayParts(d.date).long}: ${formatMoney(d.price, { whole: true })}`));
    root.append(link);
  });
  return root;
}

/** The 30-day strip with its graph and arrows (a week back / on); the cheapest day is scrolled
 * into view by revealCheapest once the panel is in the page. */
export function renderCalendarPanel(cal: Calendar, q: ResultsQuery): HTMLElement {
  const wrap = h('div', { class: 'cal-strip-wrap' }, renderCalendarStrip(cal, q));
  const scroll = (dir: number) => wrap.scrollBy({ left: dir * wrap.clientWidth * 0.8, behavior: 'smooth' });
  return h(
    'div',
    { class: 'cal-panel' },
    renderPriceGraph(cal, q),
    h(
      'div',
      { class: 'cal-scroller' },
      h('button', { type: 'button', class: 'cal-arrow cal-prev', 'aria-label': 'Earlier days', onclick: () => scroll(-1) }, '‹'),
      wrap,
      h('button', { type: 'button', class: 'cal-arrow cal-next', 'aria-label': 'Later days', onclick: () => scroll(1) }, '›'),
    ),
  );
}

/** Scrolls the strip so that the cheapest day is in view (centred when possible). */
export function revealCheapest(panel: HTMLElement): void {
  const wrap = panel.querySelector<HTMLElement>('.cal-strip-wrap');
  const cheapest = panel.querySelector<HTMLElement>('.cal-day.is-cheapest');
  if (!wrap || !cheapest) return;
  const left = cheapest.offsetLeft - (wrap.clientWidth - cheapest.offsetWidth) / 2;
  wrap.scrollLeft = Math.max(0, left);
}


/** The results query for another outbound date (filters kept, first page). */
export function withDates(q: ResultsQuery, depart: string, ret?: string): ResultsQuery {
  const slices = q.slices.map((s) => ({ ...s }));
  slices[0]!.date = depart;
  if (ret !== undefined && slices[1]) slices[1].date = ret;
  return { ...q, slices, offset: 0 };
}

/** The 30-day strip: an ordered list of links, the searched day marked current, the cheapest highlighted. */
export function renderCalendarStrip(cal: Calendar, q: ResultsQuery): HTMLElement {
  const selected = q.slices[0]!.date;
  const best = cheapestDay(cal.days);
  const items = cal.days.map((d, i) => {
    const parts = dayParts(d.date);
    const cheapest = i === best;
    const label = `${parts.long}: ${d.price ? `from ${moneyWords(d.price)}` : 'no price'}${cheapest ? ', cheapest day' : ''}`;
    const cls = ['cal-day', cheapest ? 'is-cheapest' : '', d.date === selected ? 'is-selected' : '', d.price ? '' : 'is-unpriced'].filter(Boolean).join(' ');
    return h(
      'li',
      {},
      h(
        'a',
        { class: cls, href: resultsPath(withDates(q, d.date)), 'aria-label': label, 'aria-current': d.date === selected ? 'date' : null, 'data-date': d.date, 'data-minor': d.price ? String(d.price.amount_minor) : null },
        h('span', { class: 'cal-weekday' }, parts.weekday),
        h('span', { class: 'cal-date' }, `${parts.day} ${parts.month}`),
        h('span', { class: 'cal-price' }, d.price ? formatMoney(d.price, { whole: true }) : '—'),
        cheapest ? h('span', { class: 'cal-badge' }, 'Cheapest') : null,
      ),
    );
  });
  return h('ol', { class: 'cal-strip', 'aria-label': `Prices for ${cal.days.length} days` }, items);
}

/** The 7×7 grid: a table, departures down, returns across; each priced cell links to that pair. */
export function renderDateGrid(grid: DateGrid, q: ResultsQuery): HTMLElement {
  const dep = q.slices[0]!.date;
  const ret = q.slices[1]?.date ?? '';
  const best = cheapestCell(grid);
  const prices = grid.cells.flat().flatMap((c) => (c?.price ? [c.price.amount_minor] : []));
  const lo = Math.min(...prices), hi = Math.max(...prices);
  const head = h(
    'tr',
    {},
    h('th', { scope: 'col', class: 'grid-corner' }, h('span', { class: 'visually-hidden' }, 'Departure \\ return'), h('span', { 'aria-hidden': 'true' }, 'Depart ↓ Return →')),
    grid.returns.map((r) => h('th', { scope: 'col', class: r === ret ? 'is-selected' : null }, dayParts(r).weekday, ' ', dayParts(r).day, ' ', dayParts(r).month)),
  );
  const rows = grid.departures.map((d, di) =>
    h(
      'tr',
      {},
      h('th', { scope: 'row', class: d === dep ? 'is-selected' : null }, dayParts(d).weekday, ' ', dayParts(d).day, ' ', dayParts(d).month),
      grid.returns.map((r, ri) => {
        const cell = grid.cells[di]?.[ri] ?? null;
        const cheapest = !!best && best[0] === di && best[1] === ri;
        const current = d === dep && r === ret;
        const heat = cell?.price ? `heat-${heatLevel(cell.price.amount_minor, lo, hi)}` : '';
        const cls = ['grid-cell', heat, cheapest ? 'is-cheapest' : '', current ? 'is-selected' : '', cell ? '' : 'is-invalid'].filter(Boolean).join(' ');
        if (!cell) return h('td', { class: cls }, h('span', { 'aria-label': 'not possible' }, '·'));
        const label = `Depart ${dayParts(d).long}, return ${dayParts(r).long}: ${cell.price ? `from ${moneyWords(cell.price)}` : 'no price'}${cheapest ? ', cheapest' : ''}`;
        return h(
          'td',
          { class: cls, 'data-depart': d, 'data-return': r },
          h('a', { href: resultsPath(withDates(q, d, r)), 'aria-label': label, 'aria-current': current ? 'true' : null }, cell.price ? formatMoney(cell.price, { whole: true }) : '—'),
        );
      }),
    ),
  );
  return h('table', { class: 'date-grid' }, h('caption', { class: 'visually-hidden' }, 'Round-trip prices by departure (rows) and return (columns) date'), h('thead', {}, head), h('tbody', {}, rows));
}
