// Price insight (issue 16): the server's insight object read and shown as the results' badge.
import { describe, expect, it } from 'vitest';
import { insightBand, insightHeadline, minorDigits, moneyOfMinor, normalizeInsight, renderInsightBadge } from './priceInsight';
import { normalizeResponse } from './results';

const low = {
  level: 'low',
  typical_low_minor: 41200,
  typical_high_minor: 52950,
  currency: 'EUR',
  basis: { sample_size: 214, days_before_departure: 9, bucket: '7-13', percentiles: [25, 75] },
};

describe('price insight', () => {
  it('reads a level with its band, and null levels with their reason', () => {
    const i = normalizeInsight(low)!;
    expect(i.level).toBe('low');
    expect(i.typicalLowMinor).toBe(41200);
    expect(i.sampleSize).toBe(214);
    expect(i.bucket).toBe('7-13');
    const none = normalizeInsight({ level: null, typical_low_minor: null, typical_high_minor: null, currency: 'EUR', reason: 'too few observations', basis: { sample_size: 3 } })!;
    expect(none.level).toBeNull();
    expect(none.reason).toBe('too few observations');
    expect(normalizeInsight(null)).toBeNull();
    expect(normalizeInsight({ level: 'cheap', currency: 'EUR' })!.level).toBeNull();
    // A level without its band is not believed.
    expect(normalizeInsight({ level: 'low', currency: 'EUR' })!.level).toBeNull();
  });

  it('says the level and the band in whole units of the currency', () => {
    const i = normalizeInsight(low)!;
    expect(insightHeadline(i)).toBe('Prices are low for this trip');
    expect(insightBand(i)).toBe('Usually €412–€530 at this time before departure.');
    expect(insightBand(normalizeInsight({ ...low, currency: 'JPY', typical_low_minor: 61000, typical_high_minor: 75000 })!)).toBe('Usually JP¥61,000–JP¥75,000 at this time before departure.');
    expect(insightBand(normalizeInsight({ ...low, basis: { bucket: 'any' } })!)).toBe('Usually €412–€530.');
    expect(minorDigits('JPY')).toBe(0);
    expect(moneyOfMinor(41250, 'EUR')).toEqual({ amount: '412.50', amount_minor: 41250, currency: 'EUR' });
  });

  it('the badge carries its level as a class, no inline style', () => {
    for (const level of ['low', 'typical', 'high'] as const) {
      const b = renderInsightBadge(normalizeInsight({ ...low, level }))!;
      expect(b.classList.contains(`insight-${level}`)).toBe(true);
      expect(b.textContent).toContain(`Prices are ${level} for this trip`);
      expect(b.textContent).toContain('€412–€530');
      expect(b.getAttribute('role')).toBe('status');
      expect(b.outerHTML).not.toContain('style=');
    }
    const none = renderInsightBadge(normalizeInsight({ level: null, currency: 'EUR', reason: 'x' }))!;
    expect(none.classList.contains('insight-none')).toBe(true);
    expect(none.textContent).toBe('Not enough price history for this trip yet');
    expect(renderInsightBadge(null)).toBeNull();
  });

  it('search answers carry it', () => {
    expect(normalizeResponse({ itineraries: [], insight: low }).insight!.level).toBe('low');
    expect(normalizeResponse({ itineraries: [], insight: null }).insight).toBeNull();
  });
});
