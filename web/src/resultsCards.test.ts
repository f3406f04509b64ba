/**
 * Results cards (issue 18): totals name the travellers they cover and, for
 * more than one, the per-person share; amounts of 1,000 or more without
 * cents; near-identical itineraries grouped under the first.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { App } from './app';
import type { FetchFn } from './api';
import { resolve, type Router } from './router';
import { fakeResponse, flush } from './testUtils';
import { cardMoney, groupSimilar, normalizeItinerary, similarItineraries, splitMoney, travellersNote, type Itinerary } from './results';
import { eur, nonstopRaw, searchAnswer } from './testSearchData';
import { itineraryCard, itineraryGroupCard, resultsView } from './views/results';

afterEach(() => document.body.replaceChildren());

const base = normalizeItinerary(nonstopRaw)!;

/** `base` moved by `minutes` (departure and arrival), priced `minor`, on `carrier`. */
function variant(id: string, minutes: number, minor: number | null, carrier = 'BA'): Itinerary {
  const shift = (iso: string) => new Date(Date.parse(iso) + minutes * 60000).toISOString().replace('.000Z', 'Z');
  return {
    ...base,
    id,
    price: minor === null ? null : eur(minor),
    slices: base.slices.map((s) => ({
      ...s,
      departure_utc: shift(s.departure_utc),
      arrival_utc: shift(s.arrival_utc),
      legs: s.legs.map((l) => ({ ...l, carrier, departure_utc: shift(l.departure_utc), arrival_utc: shift(l.arrival_utc) })),
    })),
  };
}

describe('money on the cards', () => {
  it('from 1,000 on without cents, rounded; below with cents', () => {
    expect(cardMoney(eur(1791360))).toBe('€17,914');
    expect(cardMoney(eur(100049))).toBe('€1,000');
    expect(cardMoney(eur(99999))).toBe('€999.99');
    expect(cardMoney(eur(44960))).toBe('€449.60');
  });

  it('totals say whom they cover, with the per-person share for more than one', () => {
    expect(travellersNote(eur(82460), { adults: 2, children: 0, infants: 0 })).toBe('total for 2 · €412.30 per person');
    expect(travellersNote(eur(41230), { adults: 1, children: 0, infants: 0 })).toBe('total for 1 traveller');
    // A child pays 75 % of the adult fare, an infant on a lap 10 %: the share shown is an adult's.
    expect(travellersNote(eur(110000), { adults: 2, children: 1, infants: 0 })).toBe('total for 3 · about €400.00 per adult');
    expect(travellersNote(eur(84000), { adults: 2, children: 0, infants: 1 })).toBe('total for 3 · about €400.00 per adult');
    expect(travellersNote(eur(44000), { adults: 1, children: 0, infants: 1 })).toBe('total for 2 · about €400.00 per adult');
    // An infant with its own seat pays the child fare; three decimals stay three.
    expect(travellersNote({ amount: '250.000', amount_minor: 250000, currency: 'KWD' }, { adults: 1, children: 0, infants: 0, infantsInSeat: 1 })).toMatch(/^total for 2 · about KWD\s?142\.857 per adult$/);
    expect(splitMoney({ amount: '1000', amount_minor: 1000, currency: 'JPY' }, 3)).toEqual({ amount: '333', amount_minor: 333, currency: 'JPY' });
  });

  it('the card shows the total, whom it covers and the share; 1,000 or more without cents', () => {
    const card = itineraryCard({ ...base, price: eur(82460) }, 'oneway', undefined, { travellers: { adults: 2, children: 0, infants: 0 } });
    expect(`${card.querySelector('.price-amount')?.textContent} ${card.querySelector('.price-travellers')?.textContent}`).toBe('€824.60 total for 2 · €412.30 per person');
    expect(card.querySelector('h3')?.textContent).toMatch(/^€824\.60 total for 2, €412\.30 per person\. /);
    const big = itineraryCard({ ...base, price: eur(1791360), offers: base.offers.map((o) => ({ ...o, price: eur(1791360) })) }, 'oneway');
    expect(big.querySelector('.price-amount')?.textContent).toBe('€17,914');
    expect(big.querySelector('.price-travellers')?.textContent).toBe('total for 1 traveller');
    expect(Array.from(big.querySelectorAll('.offer-price')).map((o) => o.textContent)).toEqual(['€17,914', '€17,914', '€17,914']);
  });

  it("an offer whose original is in its price's currency shows the amount once", () => {
    const card = itineraryCard({ ...base, offers: [{ ...base.offers[0]!, price: eur(44960), original: eur(44960) }] }, 'oneway');
    const row = card.querySelector('.offer')!;
    expect(row.textContent).toBe('Voyagio€449.60');
    expect(row.querySelector('.offer-original')).toBeNull();
  });
});

describe('near-identical itineraries', () => {
  it('same carriers, same stops, times within 30 minutes, prices within 2 %', () => {
    const a = variant('a', 0, 41230);
    expect(similarItineraries(a, variant('b', 30, 42000))).toBe(true);
    expect(similarItineraries(a, variant('c', -25, 40500))).toBe(true);
    expect(similarItineraries(a, variant('d', 31, 41230))).toBe(false);
    expect(similarItineraries(a, variant('e', 10, 42100))).toBe(false); // 2.1 %
    expect(similarItineraries(a, variant('f', 10, 41230, 'AA'))).toBe(false);
    expect(similarItineraries(a, variant('g', 10, null))).toBe(false);
    const oneStop = { ...variant('h', 0, 41230), slices: base.slices.map((s) => ({ ...s, stops: 1 })) };
    expect(similarItineraries(a, oneStop)).toBe(false);
  });

  it('groups each under the first it matches, in order', () => {
    const list = [variant('a', 0, 41230), variant('x', 300, 41230), variant('b', 20, 41500), variant('c', -20, 41000), variant('y', 310, 41300)];
    expect(groupSimilar(list).map((g) => [g.lead.id, g.similar.map((i) => i.id)])).toEqual([
      ['a', ['b', 'c']],
      ['x', ['y']],
    ]);
  });

  it('"2 similar options" under the first card expands to their cards', () => {
    const card = itineraryGroupCard(variant('a', 0, 41230), [variant('b', 20, 41500), variant('c', -20, 41000)], 'oneway');
    document.body.append(card);
    const toggle = card.querySelector<HTMLButtonElement>('.similar-toggle')!;
    expect(toggle.textContent).toBe('2 similar options');
    const list = document.getElementById(toggle.getAttribute('aria-controls')!)!;
    expect(list.hidden).toBe(true);
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    toggle.click();
    expect(list.hidden).toBe(false);
    expect(Array.from(list.querySelectorAll<HTMLElement>(':scope > .itin')).map((i) => i.dataset.id)).toEqual(['b', 'c']);
    expect(itineraryGroupCard(variant('a', 0, 41230), [], 'oneway').querySelector('.similar-toggle')).toBeNull();
  });
});

describe('results page cards', () => {
  it('groups near-identical itineraries and prices the cards for the searched travellers', async () => {
    const later = { ...nonstopRaw, id: 'i_later', price: eur(83000), slices: nonstopRaw.slices.map((sl) => ({ ...sl, departure_utc: '2026-12-01T08:20:00Z', arrival_utc: '2026-12-01T16:20:00Z' })) };
    const fetchFn: FetchFn = async (url) =>
      new URL(url, 'http://t').pathname === '/api/v1/searches' ? fakeResponse(searchAnswer([{ ...nonstopRaw, price: eur(82460) }, later])) : fakeResponse({ query: '', items: [] });
    const app = { fetchFn, router: { navigate: vi.fn(), refresh: vi.fn(), route: null } as unknown as Router, announce: vi.fn(), toast: vi.fn(), today: () => '2026-11-23', download: vi.fn() } as unknown as App;
    const href = '/search?from=LON&to=NYC&date=2026-12-01&adults=2';
    const r = resolve(href, false);
    if (r.kind !== 'render') throw new Error('redirect');
    window.history.replaceState(null, '', href);
    const view = resultsView(app, { route: r.route, url: r.url, flash: null, initial: false });
    document.body.append(view.el);
    await flush();
    await flush();
    const top = Array.from(view.el.querySelectorAll<HTMLElement>('.itin-list > .itin'));
    expect(top.map((i) => i.dataset.id)).toEqual(['i_nonstop']);
    expect(top[0]!.dataset.similar).toBe('1');
    expect(top[0]!.querySelector('.similar-toggle')?.textContent).toBe('1 similar option');
    expect(top[0]!.querySelector('.price-travellers')?.textContent).toBe('total for 2 · €412.30 per person');
    view.destroy?.();
  });
});
