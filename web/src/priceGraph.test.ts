// Price graphs (issue 16): GET /api/v1/price-history read, the charts' data, the summaries, and
// the module's markup (jsdom draws no canvas: the summaries stand alone there; Chromium's
// drawing is checked by web/e2e/history.mjs).
import { describe, expect, it } from 'vitest';
import { byDateData, byDateSummary, canvasSupported, destroyPriceGraphs, fetchPriceHistory, historyData, historySummary, normalizePriceHistory, priceGraphsReady, priceHistoryUrl, renderPriceGraphs } from './priceGraph';

const usd = (minor: number) => ({ amount: (minor / 100).toFixed(2), amount_minor: minor, currency: 'USD' });
const answer = {
  origin: 'LON',
  destination: 'NYC',
  departure_date: '2026-12-20',
  cabin: 'economy',
  currency: 'USD',
  history: [
    { observed_at: '2026-11-01T00:00:00Z', span: 'day', price: usd(50000) },
    { observed_at: '2026-12-04T21:00:00Z', span: 'hour', price: usd(48000) },
    { observed_at: 'yesterday', span: 'hour', price: usd(1) },
    { observed_at: '2026-12-04T22:00:00Z', span: 'hour', price: usd(51000) },
  ],
  by_departure_date: {
    from: '2026-12-04',
    to: '2027-02-01',
    days: [
      { date: '2026-12-20', price: usd(51000), lowest: usd(48000), observed_at: '2026-12-04T22:00:00Z' },
      { date: '2026-12-22', price: usd(46000), lowest: usd(46000), observed_at: '2026-12-04T22:00:00Z' },
      { date: 'soon', price: usd(1), lowest: usd(1) },
    ],
  },
  insight: { level: 'typical', typical_low_minor: 47000, typical_high_minor: 52000, currency: 'USD', basis: { sample_size: 30, bucket: '14-27' } },
};

describe('price graphs', () => {
  it('asks the endpoint with the route, date, cabin and currency', async () => {
    expect(priceHistoryUrl({ origin: 'LON', destination: 'NYC', departureDate: '2026-12-20', currency: 'USD' })).toBe(
      '/api/v1/price-history?origin=LON&destination=NYC&departure_date=2026-12-20&currency=USD',
    );
    const seen: string[] = [];
    const ph = await fetchPriceHistory(
      { origin: 'LON', destination: 'NYC', departureDate: '2026-12-20', cabin: 'business' },
      { fetchFn: async (url) => (seen.push(url), new Response(JSON.stringify(answer), { headers: { 'Content-Type': 'application/json' } })) },
    );
    expect(seen[0]).toContain('cabin=business');
    expect(ph.history).toHaveLength(3);
  });

  it('reads the answer, dropping malformed points', () => {
    const ph = normalizePriceHistory(answer);
    expect(ph.history.map((p) => p.price.amount_minor)).toEqual([50000, 48000, 51000]);
    expect(ph.history[0]!.span).toBe('day');
    expect(ph.history[1]!.t).toBe(Date.UTC(2026, 11, 4, 21) / 1000);
    expect(ph.byDate.map((d) => d.date)).toEqual(['2026-12-20', '2026-12-22']);
    expect(ph.insight!.level).toBe('typical');
  });

  it('gives the charts their data in major units, with the band', () => {
    const ph = normalizePriceHistory(answer);
    const [xs, ys, lo, hi] = historyData(ph);
    expect(xs).toHaveLength(3);
    expect(ys).toEqual([500, 480, 510]);
    expect(lo).toEqual([470, 470, 470]);
    expect(hi).toEqual([520, 520, 520]);
    const [dx, dy] = byDateData(ph);
    expect(dx).toEqual([Date.UTC(2026, 11, 20) / 1000, Date.UTC(2026, 11, 22) / 1000]);
    expect(dy).toEqual([510, 460]);
    const noBand = historyData(normalizePriceHistory({ ...answer, insight: { level: null, currency: 'USD', reason: 'few' } }));
    expect(noBand[2]).toEqual([null, null, null]);
  });

  it('summarises each chart in words', () => {
    const ph = normalizePriceHistory(answer);
    expect(historySummary(ph)).toBe('3 observations for 2026-12-20: now US$510.00, lowest US$480.00.');
    expect(byDateSummary(ph)).toBe('2 departure dates with prices; the cheapest is 2026-12-22 at US$460.00.');
    const empty = normalizePriceHistory({ departure_date: '2026-12-20', history: [], by_departure_date: { days: [] } });
    expect(historySummary(empty)).toBe('No prices recorded yet for 2026-12-20.');
    expect(byDateSummary(empty)).toBe('No prices recorded yet for nearby departure dates.');
  });

  it("renders two captioned figures without inline styles (no canvas in jsdom: summaries only)", async () => {
    expect(canvasSupported()).toBe(false);
    const el = renderPriceGraphs(normalizePriceHistory(answer));
    expect(el.querySelectorAll('figure.price-graph')).toHaveLength(2);
    expect(el.querySelector('.price-graph-history figcaption')!.textContent).toContain('2026-12-20');
    expect(el.querySelectorAll('.price-graph-summary')).toHaveLength(2);
    expect(el.querySelector('canvas')).toBeNull();
    expect(el.outerHTML).not.toContain('style=');
    await priceGraphsReady(el);
    destroyPriceGraphs(el); // nothing drawn: nothing to free, no error
  });
});
