// Buy or wait (issue 16): the server's prediction read, worded and shown under the insight badge.
import { describe, expect, it } from 'vitest';
import { normalizePrediction, predictionConfidence, predictionText, renderPredictionNote } from './pricePrediction';
import { normalizeResponse } from './results';

const rise = { advice: 'buy_now', expected_change_minor: 4012, currency: 'EUR', within_days: 7, confidence: 0.84 };

describe('buy or wait', () => {
  it('reads the advice and refuses malformed objects', () => {
    const p = normalizePrediction(rise)!;
    expect(p.advice).toBe('buy_now');
    expect(p.expectedChangeMinor).toBe(4012);
    expect(p.withinDays).toBe(7);
    expect(normalizePrediction(null)).toBeNull();
    expect(normalizePrediction({ ...rise, advice: 'maybe' })).toBeNull();
    expect(normalizePrediction({ ...rise, confidence: 1.5 })).toBeNull();
    expect(normalizePrediction({ ...rise, within_days: 0 })).toBeNull();
    expect(normalizePrediction({ ...rise, expected_change_minor: '40' })).toBeNull();
  });

  it('words a rise, a fall and no move for travellers, in whole units of the currency', () => {
    expect(predictionText(normalizePrediction(rise)!)).toBe('Likely to rise by about €40 within 7 days: booking now is the better bet.');
    const fall = normalizePrediction({ advice: 'wait', expected_change_minor: -2500, currency: 'USD', within_days: 7, confidence: 0.6 })!;
    expect(predictionText(fall)).toBe('Likely to drop by about US$25 within 7 days: waiting could pay off.');
    const flat = normalizePrediction({ advice: 'buy_now', expected_change_minor: -30, currency: 'EUR', within_days: 7, confidence: 0.7 })!;
    expect(predictionText(flat)).toBe('Unlikely to drop within 7 days: no reason to wait.');
    // JPY has no minor digits: 4000 minor units are ¥4,000.
    const yen = normalizePrediction({ advice: 'buy_now', expected_change_minor: 4000, currency: 'JPY', within_days: 7, confidence: 0.9 })!;
    expect(predictionText(yen)).toContain('4,000');
    expect(predictionConfidence(normalizePrediction(rise)!)).toBe('84 % sure');
  });

  it('comes with the search answer and draws the note', () => {
    const r = normalizeResponse({ itineraries: [], prediction: rise });
    expect(r.prediction?.advice).toBe('buy_now');
    expect(normalizeResponse({ itineraries: [], prediction: null }).prediction).toBeNull();
    const el = renderPredictionNote(r.prediction ?? null)!;
    expect(el.className).toBe('prediction-note prediction-buy_now');
    expect(el.getAttribute('data-advice')).toBe('buy_now');
    expect(el.textContent).toContain('Book now');
    expect(el.textContent).toContain('rise by about €40');
    expect(el.textContent).toContain('84 % sure');
    expect(renderPredictionNote(null)).toBeNull();
  });
});
