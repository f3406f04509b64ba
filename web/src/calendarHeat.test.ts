// Flexible dates (issue 18): heat-map colours in the 7×7 grid, a price graph by departure
// date, arrows on the 30-day strip and the cheapest day scrolled into view.
import { describe, expect, it } from 'vitest';
import { heatLevel, normalizeCalendar, normalizeGrid, renderCalendarPanel, renderDateGrid, renderPriceGraph, revealCheapest } from './calendar';
import { parseResultsQuery } from './results';
import { eur } from './testSearchData';

const day = (i: number) => new Date(Date.UTC(2026, 11, 1 + i)).toISOString().slice(0, 10);
const cal = normalizeCalendar({ currency: 'EUR', days: Array.from({ length: 30 }, (_, i) => ({ date: day(i), price: i === 4 ? null : eur(40000 + ((i * 37) % 11) * 1000 - (i === 20 ? 15000 : 0)) })) });
const q = parseResultsQuery(`from=LON&to=NYC&date=${day(2)}`);

describe('flexible dates', () => {
  it('heat levels run from the cheapest (0) to the dearest (4)', () => {
    expect(heatLevel(100, 100, 200)).toBe(0);
    expect(heatLevel(200, 100, 200)).toBe(4);
    expect(heatLevel(150, 100, 200)).toBe(2);
    expect(heatLevel(5, 5, 5)).toBe(0);
  });

  it('the grid colours each priced cell by its price', () => {
    const days7 = (s: number) => Array.from({ length: 7 }, (_, i) => day(s + i));
    const grid = normalizeGrid({ currency: 'EUR', grid: { departures: days7(0), returns: days7(7), cells: days7(0).map((_, d) => days7(7).map((_r, r) => ({ price: eur(30000 + d * 1000 + r * 500) }))) } })!;
    const t = renderDateGrid(grid, parseResultsQuery(`from=LON&to=NYC&date=${day(0)}&return=${day(7)}`));
    const cells = Array.from(t.querySelectorAll('td.grid-cell'));
    expect(cells[0]!.classList.contains('heat-0')).toBe(true);
    expect(cells[48]!.classList.contains('heat-4')).toBe(true);
    expect(new Set(cells.map((c) => Array.from(c.classList).find((k) => k.startsWith('heat-')))).size).toBe(5);
  });

  it('the graph has a bar per priced day, the cheapest marked, each linking to its day', () => {
    const g = renderPriceGraph(cal, q);
    const bars = Array.from(g.querySelectorAll('rect.cal-bar'));
    expect(bars).toHaveLength(29);
    const cheapest = g.querySelector('rect.is-cheapest')!;
    expect(cheapest.getAttribute('data-date')).toBe(day(20));
    expect(Number(cheapest.getAttribute('height'))).toBe(Math.min(...bars.map((b) => Number(b.getAttribute('height')))));
    expect(g.querySelector('rect.is-selected')!.getAttribute('data-date')).toBe(day(2));
    expect(cheapest.parentElement!.getAttribute('href')).toContain(`date=${day(20)}`);
  });

  it('the strip has arrows and scrolls the cheapest day into view', () => {
    const panel = renderCalendarPanel(cal, q);
    document.body.append(panel);
    expect(panel.querySelector('.cal-prev')!.getAttribute('aria-label')).toBe('Earlier days');
    expect(panel.querySelector('.cal-next')!.getAttribute('aria-label')).toBe('Later days');
    const wrap = panel.querySelector<HTMLElement>('.cal-strip-wrap')!;
    const cheapest = panel.querySelector<HTMLElement>('.cal-day.is-cheapest')!;
    Object.defineProperty(cheapest, 'offsetLeft', { value: 1600 });
    Object.defineProperty(cheapest, 'offsetWidth', { value: 80 });
    Object.defineProperty(wrap, 'clientWidth', { value: 480 });
    revealCheapest(panel);
    expect(wrap.scrollLeft).toBe(1600 - 200);
    panel.remove();
  });
});
