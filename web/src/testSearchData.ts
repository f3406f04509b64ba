/**
 * Server answers in the shape of docs/search-api.md, shared by the unit
 * tests (not bundled: only *.test.ts import it).
 */

export const eur = (minor: number, currency = 'EUR') => ({ amount: (minor / 100).toFixed(2), amount_minor: minor, currency });

function leg(carrier: string, name: string, n: number, from: string, to: string, depLocal: string, depUtc: string, arrLocal: string, arrUtc: string) {
  return {
    carrier,
    carrier_name: name,
    flight_number: n,
    departure_date: depLocal.slice(0, 10),
    origin: from,
    destination: to,
    departure_local: depLocal,
    departure_utc: depUtc,
    arrival_local: arrLocal,
    arrival_utc: arrUtc,
    duration_minutes: (Date.parse(arrUtc) - Date.parse(depUtc)) / 60000,
  };
}

/** LHR 08:00 → JFK 11:00 nonstop, BA, two offers. */
export const nonstopRaw = {
  id: 'i_nonstop',
  price: eur(41230),
  score: 512.4,
  duration_minutes: 480,
  stops: 0,
  self_transfer: false,
  carriers: ['BA'],
  slices: [
    {
      origin: 'LHR',
      destination: 'JFK',
      departure_utc: '2026-12-01T08:00:00Z',
      arrival_utc: '2026-12-01T16:00:00Z',
      departure_local: '2026-12-01T08:00:00+00:00',
      arrival_local: '2026-12-01T11:00:00-05:00',
      duration_minutes: 480,
      stops: 0,
      legs: [leg('BA', 'British Airways', 117, 'LHR', 'JFK', '2026-12-01T08:00:00+00:00', '2026-12-01T08:00:00Z', '2026-12-01T11:00:00-05:00', '2026-12-01T16:00:00Z')],
      layovers: [],
    },
  ],
  offers: [
    { provider: 'skyshop', kind: 'agency', price: eur(45000), original: eur(38500, 'GBP'), self_transfer: false },
    { provider: 'ota-eur', provider_name: 'Voyagio', kind: 'agency', price: eur(41230), original: eur(41230), self_transfer: false },
    { provider: 'ba.com', kind: 'airline', price: eur(43000), original: eur(43000), self_transfer: false },
  ],
};

/** LGW 21:00 → DUB (self-transfer, 95 min) → EWR next day; unpriced. */
export const selfTransferRaw = {
  id: 'i_self',
  price: null,
  duration_minutes: 900,
  stops: 1,
  self_transfer: true,
  carriers: ['FR', 'EI'],
  slices: [
    {
      origin: 'LGW',
      destination: 'EWR',
      departure_utc: '2026-12-01T21:00:00Z',
      arrival_utc: '2026-12-02T12:00:00Z',
      departure_local: '2026-12-01T21:00:00+00:00',
      arrival_local: '2026-12-02T07:00:00-05:00',
      duration_minutes: 900,
      stops: 1,
      legs: [
        leg('FR', 'Ryanair', 118, 'LGW', 'DUB', '2026-12-01T21:00:00+00:00', '2026-12-01T21:00:00Z', '2026-12-01T22:25:00+00:00', '2026-12-01T22:25:00Z'),
        leg('EI', 'Aer Lingus', 107, 'DUB', 'EWR', '2026-12-02T00:00:00+00:00', '2026-12-02T00:00:00Z', '2026-12-02T07:00:00-05:00', '2026-12-02T12:00:00Z'),
      ],
      layovers: [{ airport: 'DUB', minutes: 95, self_transfer: true }],
    },
  ],
  offers: [],
};

export const searchAnswer = (itineraries: unknown[] = [nonstopRaw, selfTransferRaw], extra: Record<string, unknown> = {}) => ({
  search_id: 's_1',
  currency: 'EUR',
  priced: true,
  passengers: { adults: 1, children: 0, infants: 0 },
  cabin: 'economy',
  sort: 'best',
  offset: 0,
  limit: 20,
  total: itineraries.length,
  unfiltered_total: 5,
  slices: [{ origin: 'LON', destination: 'NYC', date: '2026-12-01' }],
  itineraries,
  facets: {
    carriers: [
      { code: 'BA', name: 'British Airways', count: 3, min_price: eur(41230) },
      { code: 'EI', name: 'Aer Lingus', count: 1, min_price: null },
    ],
    stops: [
      { stops: 0, count: 3, min_price: eur(41230) },
      { stops: 1, count: 2, min_price: null },
    ],
    layover_airports: [{ code: 'DUB', count: 2 }],
    price_range: { min: eur(41230), max: eur(90000) },
    duration_range: { min: 480, max: 900 },
  },
  ...extra,
});
