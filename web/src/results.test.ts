import { describe, expect, it } from 'vitest';
import { formatDay } from './dates';
import { ApiError } from './api';
import {
  cheapestIndex,
  countLabel,
  dayMarker,
  describeSearchError,
  fieldLabel,
  formatDuration,
  formatMoney,
  formPathFor,
  localTime,
  normalizeResponse,
  parseResultsQuery,
  queryProblem,
  resultsPathFor,
  resultsQueryString,
  searchRequestBody,
  stopsLabel,
  utcLabel,
  type ResultsQuery,
} from './results';
import { DEFAULT_STATE } from './searchForm';
import { eur, nonstopRaw, searchAnswer, selfTransferRaw } from './testSearchData';

describe('times and day markers', () => {
  it('reads the local wall-clock time as written, whatever the browser zone', () => {
    expect(localTime('2026-12-01T07:05:00+01:00')).toBe('07:05');
    expect(localTime('2026-12-01T23:59:00-10:00')).toBe('23:59');
    expect(localTime('garbage')).toBe('--:--');
  });

  it('marks later and earlier local dates', () => {
    expect(dayMarker('2026-12-01', '2026-12-01T23:00:00-05:00')).toBe('');
    expect(dayMarker('2026-12-01', '2026-12-02T00:30:00+01:00')).toBe('+1');
    expect(dayMarker('2026-12-31', '2027-01-02T06:00:00+09:00')).toBe('+2');
    expect(dayMarker('2026-12-02', '2026-12-01T20:00:00-08:00')).toBe('−1');
  });

  it('formats durations and UTC labels', () => {
    expect(formatDuration(45)).toBe('45m');
    expect(formatDuration(435)).toBe('7h 15m');
    expect(utcLabel('2026-12-01T06:05:00Z')).toBe('06:05 UTC');
    expect(utcLabel('2026-12-02T06:05:00Z', '2026-12-01')).toBe(`06:05 UTC (${formatDay('2026-12-02')})`);
  });
});

describe('money', () => {
  it('formats the requested currency and falls back for unknown codes', () => {
    expect(formatMoney(eur(41230))).toBe('€412.30');
    expect(formatMoney(eur(41230), { whole: true })).toBe('€412');
    expect(formatMoney({ amount: '12.00', amount_minor: 1200, currency: 'ZZZZ' })).toBe('12.00 ZZZZ');
  });

  it('finds the cheapest price, skipping nulls, first of equals', () => {
    expect(cheapestIndex([null, eur(500), eur(300), eur(300)])).toBe(2);
    expect(cheapestIndex([null, null])).toBe(-1);
  });
});

describe('server answers', () => {
  it('reads prices, offers (cheapest first), layovers and self-transfers', () => {
    const r = normalizeResponse(searchAnswer());
    expect(r.total).toBe(2);
    expect(r.unfiltered_total).toBe(5);
    const [a, b] = r.itineraries;
    expect(a!.price).toEqual(eur(41230));
    expect(a!.offers.map((o) => o.provider)).toEqual(['ota-eur', 'ba.com', 'skyshop']);
    // The server's display name is kept; an answer without one gives null (a generic label).
    expect(a!.offers.map((o) => o.provider_name)).toEqual(['Voyagio', null, null]);
    expect(a!.offers[2]!.original).toEqual(eur(38500, 'GBP'));
    expect(a!.slices[0]!.legs[0]!.carrier_name).toBe('British Airways');
    expect(b!.price).toBeNull();
    expect(b!.self_transfer).toBe(true);
    expect(b!.slices[0]!.layovers).toEqual([{ airport: 'DUB', nextAirport: 'DUB', minutes: 95, self_transfer: true, changeAirport: false, overnight: true }]);
    expect(stopsLabel(b!.slices[0]!)).toBe('1 stop via DUB');
    expect(r.facets.carriers.map((c) => c.code)).toEqual(['BA', 'EI']);
    expect(r.facets.price_range?.max.amount_minor).toBe(90000);
    expect(r.facets.alliances).toBeNull();
  });

  it('drops malformed itineraries and offers', () => {
    const broken = { ...nonstopRaw, slices: [{ legs: [{ carrier: 'BA' }] }] };
    const badOffer = { ...selfTransferRaw, offers: [{ provider: 'x' }, { provider: 'y', kind: 'agency', price: eur(100) }] };
    const r = normalizeResponse(searchAnswer([broken, badOffer, 42]));
    expect(r.itineraries.map((i) => i.id)).toEqual(['i_self']);
    expect(r.itineraries[0]!.offers.map((o) => o.provider)).toEqual(['y']);
  });
});

describe('URL state', () => {
  const full =
    'from=LON&to=NYC&date=2026-12-01&return=2026-12-08&adults=2&children=1&infants=1&cabin=business&currency=USD&sort=cheapest' +
    '&stops=0,1&carriers=BA,LX&alliances=oneworld,star&dep=06:00-12:00&arr=14:00-23:59&maxdur=900&via=DUB,LHR&minlay=60&maxlay=300&noself=1&maxprice=850.5&offset=20&limit=10';

  it('round-trips every setting', () => {
    const q = parseResultsQuery(full);
    expect(q.trip).toBe('round');
    expect(q.slices).toEqual([
      { origin: 'LON', destination: 'NYC', date: '2026-12-01' },
      { origin: 'NYC', destination: 'LON', date: '2026-12-08' },
    ]);
    expect(q.filters.departure).toEqual({ from: '06:00', to: '12:00' });
    expect(q.filters.maxPrice).toBe(850.5);
    expect(parseResultsQuery(resultsQueryString(q))).toEqual(q);
    expect(new URLSearchParams(resultsQueryString(q)).toString()).toBe(new URLSearchParams(full).toString());
  });

  it('drops defaults and keeps the currency', () => {
    const q = parseResultsQuery('from=LON&to=NYC&date=2026-12-01', 'CHF');
    expect(resultsQueryString(q)).toBe('from=LON&to=NYC&date=2026-12-01&currency=CHF');
  });

  it('reads multi-city trips (2-6 flights)', () => {
    const q = parseResultsQuery('trip=multi&s=LON-NYC-2026-12-01&s=NYC-LAX-2026-12-04&s=LAX-LON-2026-12-09');
    expect(q.trip).toBe('multi');
    expect(q.slices.map((s) => s.destination)).toEqual(['NYC', 'LAX', 'LON']);
    expect(parseResultsQuery(resultsQueryString(q))).toEqual(q);
    expect(queryProblem(q)).toBe('');
    const seven = `trip=multi${'&s=LON-NYC-2026-12-01'.repeat(7)}`;
    expect(parseResultsQuery(seven).slices).toHaveLength(6);
  });

  it('ignores malformed values but passes an unknown currency on to the server', () => {
    const q = parseResultsQuery('from=<x>&to=nyc&date=tomorrow&adults=12&cabin=sleeper&sort=random&stops=7&dep=25:00-26:00&maxprice=-3&offset=-1&currency=xyz');
    expect(q.slices[0]).toEqual({ origin: '', destination: 'NYC', date: '' });
    expect(q.adults).toBe(1);
    expect(q.cabin).toBe('economy');
    expect(q.sort).toBe('best');
    expect(q.filters.stops).toBeNull();
    expect(q.filters.departure).toBeNull();
    expect(q.filters.maxPrice).toBeNull();
    expect(q.offset).toBe(0);
    expect(q.currency).toBe('XYZ');
    expect(queryProblem(q)).toMatch(/incomplete/);
  });

  it('links the form and the results', () => {
    const path = resultsPathFor({ ...DEFAULT_STATE, trip: 'round', origin: 'ZRH', destination: 'NYC', depart: '2030-05-01', return: '2030-05-08', adults: 2, children: 1, cabin: 'business' }, 'GBP');
    const q = parseResultsQuery(path.split('?')[1]!);
    expect(q.slices[1]).toEqual({ origin: 'NYC', destination: 'ZRH', date: '2030-05-08' });
    expect(q.currency).toBe('GBP');
    expect(q.children).toBe(1);
    expect(formPathFor(q)).toBe('/?trip=round&from=ZRH&to=NYC&depart=2030-05-01&return=2030-05-08&adults=2&children=1&cabin=business');
  });

  it('checks passengers and dates before calling', () => {
    const base = parseResultsQuery('from=LON&to=NYC&date=2026-12-01');
    expect(queryProblem({ ...base, adults: 1, infants: 2 })).toMatch(/infant/);
    expect(queryProblem({ ...base, adults: 5, children: 5 })).toMatch(/9 seats/);
    expect(queryProblem(parseResultsQuery('from=LON&to=NYC&date=2026-12-08&return=2026-12-01'))).toMatch(/return date/);
  });
});

describe('request body', () => {
  it('sends every slice, passengers, cabin, currency, sort and page, and only the filters that are set', () => {
    const q = parseResultsQuery('from=LON&to=NYC&date=2026-12-01&return=2026-12-08&currency=USD&sort=fastest&offset=40');
    expect(searchRequestBody(q)).toEqual({
      slices: [
        { origin: 'LON', destination: 'NYC', date: '2026-12-01' },
        { origin: 'NYC', destination: 'LON', date: '2026-12-08' },
      ],
      passengers: { adults: 1, children: 0, infants: 0 },
      cabin: 'economy',
      currency: 'USD',
      sort: 'fastest',
      offset: 40,
      limit: 20,
    });
  });

  it('maps every filter to the contract', () => {
    const q: ResultsQuery = parseResultsQuery(
      'from=LON&to=NYC&date=2026-12-01&stops=0,1&carriers=BA,AA&alliances=star&dep=06:00-12:00&arr=00:00-23:59&maxdur=900&via=LHR&minlay=60&maxlay=300&noself=1&maxprice=850',
    );
    expect(searchRequestBody(q).filters).toEqual({
      stops: [0, 1],
      carriers: ['AA', 'BA'],
      alliances: ['star'],
      departure_window: { from: '06:00', to: '12:00' },
      arrival_window: { from: '00:00', to: '23:59' },
      max_duration_minutes: 900,
      layover_airports: ['LHR'],
      min_layover_minutes: 60,
      max_layover_minutes: 300,
      no_self_transfer: true,
      max_price: 850,
    });
  });
});

describe('errors', () => {
  const problem = (errors: { field: string; message: string }[]) => new ApiError(400, { status: 400, title: 'Bad Request', errors });

  it('names the fields the server refused', () => {
    const info = describeSearchError(problem([{ field: 'currency', message: 'unknown currency code' }]));
    expect(info).toEqual({ message: 'Currency: unknown currency code.', retry: false, fix: true, fields: ['currency'] });
    const two = describeSearchError(
      problem([
        { field: 'slices[1].date', message: 'outside the loaded schedules' },
        { field: 'filters.max_price', message: 'must be positive' },
      ]),
      'round',
    );
    expect(two.message).toBe('Return date: outside the loaded schedules. Maximum price: must be positive.');
  });

  it('labels fields for every kind of trip', () => {
    expect(fieldLabel('slices[0].origin')).toBe('Origin');
    expect(fieldLabel('slices[2].destination', 'multi')).toBe('Flight 3 destination');
    expect(fieldLabel('passengers.infants')).toBe('Infants');
    expect(fieldLabel('filters.departure_window.from')).toBe('Departure time (from)');
    expect(fieldLabel('mystery')).toBe('mystery');
  });

  it('503 and network failures ask to retry', () => {
    expect(describeSearchError(new ApiError(503, null)).retry).toBe(true);
    expect(describeSearchError(new TypeError('Failed to fetch')).message).toMatch(/reach Contrail/);
  });

  it('counts', () => {
    expect(countLabel(1, 1)).toBe('1 of 1 itinerary');
    expect(countLabel(12, 47)).toBe('12 of 47 itineraries');
  });
});
