// Emissions per itinerary (issue 18): read from the answer, shown on the card, the "lower
// emissions" filter and the lowest-emissions sort sent to the server and kept in the URL.
import { describe, expect, it } from 'vitest';
import { normalizeItinerary, parseResultsQuery, resultsQueryString, searchRequestBody, SORTS } from './results';
import { nonstopRaw } from './testSearchData';
import { emissionsText, itineraryCard } from './views/results';

const withCo2 = (label: string, kg: number, pct: number) => ({ ...nonstopRaw, emissions: { co2e_kg: kg, typical_kg: 480, percent_vs_typical: pct, label } });

describe('emissions', () => {
  it('are read from the answer; a missing or malformed object is null', () => {
    expect(normalizeItinerary(withCo2('lower', 412, -14))!.emissions).toEqual({ co2e_kg: 412, typical_kg: 480, percent_vs_typical: -14, label: 'lower' });
    expect(normalizeItinerary(nonstopRaw)!.emissions).toBeNull();
    expect(normalizeItinerary(withCo2('green', 412, -14))!.emissions).toBeNull();
    expect(normalizeItinerary({ ...nonstopRaw, emissions: { co2e_kg: 'x', label: 'lower' } })!.emissions).toBeNull();
  });

  it('say how they compare with the route', () => {
    expect(emissionsText({ co2e_kg: 412, typical_kg: 480, percent_vs_typical: -14, label: 'lower' })).toBe('412 kg CO2e per passenger · 14 % below typical');
    expect(emissionsText({ co2e_kg: 1250, typical_kg: 480, percent_vs_typical: 160, label: 'higher' })).toBe('1,250 kg CO2e per passenger · 160 % above typical');
    expect(emissionsText({ co2e_kg: 480, typical_kg: 480, percent_vs_typical: 0, label: 'typical' })).toBe('480 kg CO2e per passenger · typical for this route');
  });

  it('show on the card, with a badge when lower', () => {
    const card = itineraryCard(normalizeItinerary(withCo2('lower', 412, -14))!, 'oneway');
    const line = card.querySelector('.itin-co2')!;
    expect(line.classList.contains('is-lower')).toBe(true);
    expect(line.getAttribute('data-co2e-kg')).toBe('412');
    expect(line.textContent).toContain('Lower emissions');
    expect(line.textContent).toContain('14 % below typical');
    expect(itineraryCard(normalizeItinerary(nonstopRaw)!, 'oneway').querySelector('.itin-co2')).toBeNull();
  });

  it('filter and sort reach the server and the URL', () => {
    expect(SORTS.map((s) => s.value)).toContain('lowest_emissions');
    const q = parseResultsQuery('from=LON&to=NYC&date=2026-12-01&sort=lowest_emissions&lowco2=1');
    expect(q.sort).toBe('lowest_emissions');
    expect(q.filters.lowerEmissions).toBe(true);
    const body = searchRequestBody(q);
    expect(body.sort).toBe('lowest_emissions');
    expect(body.filters).toMatchObject({ emissions: 'lower' });
    expect(resultsQueryString(q)).toContain('lowco2=1');
    expect(searchRequestBody(parseResultsQuery('from=LON&to=NYC&date=2026-12-01')).filters).toBeUndefined();
  });
});
