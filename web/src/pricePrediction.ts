/**
 * Buy or wait (docs/search-api.md, "prediction"): the price model's advice on a search
 * answer for its route, date and cabin: "buy_now" when the cheapest price is not expected to
 * fall within `within_days` (with the expected change of the price by then), "wait" when a
 * fall of more than the model's margin is expected (with the expected change to the lowest
 * price within those days), and a confidence. The server answers null without a model or
 * for a route it cannot judge. This module reads the object and words it for travellers
 * ("Likely to rise by about €40 within 7 days: booking now is the better bet").
 */
import { h } from './dom';
import { formatMoney } from './results';
import { moneyOfMinor } from './priceInsight';

export interface Prediction {
  advice: 'buy_now' | 'wait';
  /** Expected change in minor units of `currency`: positive a rise, negative a fall. */
  expectedChangeMinor: number;
  currency: string;
  withinDays: number;
  /** Probability in [0.5, 1) that the price goes the predicted way. */
  confidence: number;
}

type Rec = Record<string, unknown>;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The server's prediction object, or null when absent or malformed. */
export function normalizePrediction(raw: unknown): Prediction | null {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return null;
  const r = raw as Rec;
  if (r.advice !== 'buy_now' && r.advice !== 'wait') return null;
  if (!isNum(r.expected_change_minor) || typeof r.currency !== 'string' || !isNum(r.within_days) || !isNum(r.confidence)) return null;
  if (r.within_days <= 0 || r.confidence < 0 || r.confidence > 1) return null;
  return {
    advice: r.advice,
    expectedChangeMinor: Math.round(r.expected_change_minor),
    currency: r.currency,
    withinDays: Math.round(r.within_days),
    confidence: r.confidence,
  };
}

/** The advice in a traveller's words: the move, its size in whole units, and what to do. */
export function predictionText(p: Prediction): string {
  const amount = formatMoney(moneyOfMinor(Math.abs(p.expectedChangeMinor), p.currency), { whole: true });
  const days = p.withinDays === 1 ? '1 day' : `${p.withinDays} days`;
  const minor = moneyOfMinor(Math.abs(p.expectedChangeMinor), p.currency);
  const tiny = Number(minor.amount) < 1;
  if (p.advice === 'wait')
    return tiny ? `Prices may dip within ${days}: waiting could pay off.` : `Likely to drop by about ${amount} within ${days}: waiting could pay off.`;
  if (p.expectedChangeMinor > 0 && !tiny) return `Likely to rise by about ${amount} within ${days}: booking now is the better bet.`;
  return `Unlikely to drop within ${days}: no reason to wait.`;
}

/** "84 % sure", from the confidence. */
export function predictionConfidence(p: Prediction): string {
  return `${Math.round(p.confidence * 100)} % sure`;
}

/** The note under the insight badge (class prediction-buy_now / prediction-wait); null without a prediction. */
export function renderPredictionNote(p: Prediction | null): HTMLElement | null {
  if (!p) return null;
  return h(
    'div',
    { class: `prediction-note prediction-${p.advice}`, role: 'status', 'data-advice': p.advice },
    h('strong', { class: 'prediction-advice' }, p.advice === 'wait' ? 'Wait' : 'Book now'),
    h('span', { class: 'prediction-text' }, ` ${predictionText(p)}`),
    h('span', { class: 'prediction-confidence' }, ` (${predictionConfidence(p)}, from the price model.)`),
  );
}
