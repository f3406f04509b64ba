import { describe, expect, it } from 'vitest';
import { ApiError } from './api';
import {
  allCarriers,
  countLabel,
  dayMarker,
  describeSearchError,
  filterItineraries,
  formatDuration,
  formPathFor,
  layovers,
  localTime,
  normalizeResponse,
  parseResultsQuery,
  queryProblem,
  resultsPathFor,
  resultsQueryString,
  sortItineraries,
  stopsLabel,
  timeWindowOf,
  utcLabel,
  type Itinerary,
  type Leg,
} from './results';

function leg(carrier: string, n: number, from: string, to: string, depLocal: string, depUtc: string, arrLocal: string, arrUtc: string): Leg {
  return {
    carrier,
    flight_number: n,
    departure_date: depLocal.slice(0, 10),
    origin: from,
    destination: to,
    departure_local: depLocal,
    departure_utc: depUtc,
    arrival_local: arrLocal,
    arrival_utc: arrUtc,
  };
}

function itin(legs: Leg[]): Itinerary {
  const dep = Date.parse(legs[0]!.departure_utc);
  const arr = Date.parse(legs[legs.length - 1]!.arrival_utc);
  return { stops: legs.length - 1, duration_minutes: (arr - dep) / 60000, priced: false, legs };
}

// LHR 08:00 → JFK 11:00 (-05:00): 8 h nonstop, BA.
const nonstop = itin([leg('BA', 117, 'LHR', 'JFK', '2026-12-01T08:00:00+00:00', '2026-12-01T08:00:00Z', '2026-12-01T11:00:00-05:00', '2026-12-01T16:00:00Z')]);
// LHR 06:30 → ZRH 09:10, ZRH 10:20 → JFK 13:30: 12 h, 1 stop, LX only.
const viaZrh = itin([
  leg('LX', 317, 'LHR', 'ZRH', '2026-12-01T06:30:00+00:00', '2026-12-01T06:30:00Z', '2026-12-01T09:10:00+01:00', '2026-12-01T08:10:00Z'),
  leg('LX', 14, 'ZRH', 'JFK', '2026-12-01T10:20:00+01:00', '2026-12-01T09:20:00Z', '2026-12-01T13:30:00-05:00', '2026-12-01T18:30:00Z'),
]);
// LGW 21:00 → ARN → EWR with an overnight connection and an arrival the next local day: 2 stops, SK + BA.
const overnight = itin([
  leg('SK', 1500, 'LGW', 'ARN', '2026-12-01T21:00:00+00:00', '2026-12-01T21:00:00Z', '2026-12-02T00:30:00+01:00', '2026-12-01T23:30:00Z'),
  leg('SK', 903, 'ARN', 'CPH', '2026-12-02T07:00:00+01:00', '2026-12-02T06:00:00Z', '2026-12-02T08:10:00+01:00', '2026-12-02T07:10:00Z'),
  leg('BA', 9, 'CPH', 'EWR', '2026-12-02T09:30:00+01:00', '2026-12-02T08:30:00Z', '2026-12-02T12:00:00-05:00', '2026-12-02T17:00:00Z'),
]);
const all = [viaZrh, nonstop, overnight];

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

  it('formats durations', () => {
    expect(formatDuration(45)).toBe('45m');
    expect(formatDuration(60)).toBe('1h 00m');
    expect(formatDuration(435)).toBe('7h 15m');
    expect(formatDuration(1184)).toBe('19h 44m');
  });

  it('labels UTC times, with the date when it differs', () => {
    expect(utcLabel('2026-12-01T06:05:00Z')).toBe('06:05 UTC');
    expect(utcLabel('2026-12-02T01:00:00Z', '2026-12-01')).toBe('01:00 UTC (2026-12-02)');
  });

  it('puts departures into time windows', () => {
    expect(timeWindowOf('2026-12-01T05:00:00+00:00')).toBe('morning');
    expect(timeWindowOf('2026-12-01T11:59:00+00:00')).toBe('morning');
    expect(timeWindowOf('2026-12-01T12:00:00+00:00')).toBe('afternoon');
    expect(timeWindowOf('2026-12-01T18:30:00+00:00')).toBe('evening');
    expect(timeWindowOf('2026-12-01T22:00:00+00:00')).toBe('night');
    expect(timeWindowOf('2026-12-01T04:59:00+00:00')).toBe('night');
  });
});

describe('layovers and stops', () => {
  it('computes connection times from UTC, not local times', () => {
    expect(layovers(nonstop)).toEqual([]);
    expect(layovers(viaZrh)).toEqual([{ airport: 'ZRH', nextAirport: 'ZRH', minutes: 70, changeAirport: false, overnight: false }]);
    const l = layovers(overnight);
    expect(l.map((x) => x.minutes)).toEqual([390, 80]);
    expect(l[0]!.overnight).toBe(false); // arrives 00:30 and leaves 07:00 the same local date
  });

  it('flags an airport change', () => {
    const change = itin([
      leg('BA', 1, 'EDI', 'LHR', '2026-12-01T07:00:00+00:00', '2026-12-01T07:00:00Z', '2026-12-01T08:30:00+00:00', '2026-12-01T08:30:00Z'),
      leg('U2', 2, 'LGW', 'NCE', '2026-12-01T12:00:00+00:00', '2026-12-01T12:00:00Z', '2026-12-01T15:00:00+01:00', '2026-12-01T14:00:00Z'),
    ]);
    expect(layovers(change)[0]).toMatchObject({ changeAirport: true, airport: 'LHR', nextAirport: 'LGW', minutes: 210 });
    expect(stopsLabel(change)).toBe('1 stop via LHR/LGW');
  });

  it('names the stops', () => {
    expect(stopsLabel(nonstop)).toBe('Nonstop');
    expect(stopsLabel(viaZrh)).toBe('1 stop via ZRH');
    expect(stopsLabel(overnight)).toBe('2 stops via ARN, CPH');
  });

  it('lists carriers', () => {
    expect(allCarriers([all])).toEqual(['BA', 'LX', 'SK']);
  });
});

describe('sorting', () => {
  const keys = (l: Itinerary[]) => l.map((i) => i.legs[0]!.carrier + i.legs[0]!.flight_number);
  it('sorts by earliest and latest departure', () => {
    expect(keys(sortItineraries(all, 'earliest'))).toEqual(['LX317', 'BA117', 'SK1500']);
    expect(keys(sortItineraries(all, 'latest'))).toEqual(['SK1500', 'BA117', 'LX317']);
  });
  it('sorts by duration and by stops', () => {
    expect(keys(sortItineraries(all, 'fastest'))).toEqual(['BA117', 'LX317', 'SK1500']);
    expect(keys(sortItineraries([overnight, viaZrh, nonstop], 'stops'))).toEqual(['BA117', 'LX317', 'SK1500']);
  });
  it('does not modify its input', () => {
    const copy = [...all];
    sortItineraries(all, 'fastest');
    expect(all).toEqual(copy);
  });
});

describe('filtering', () => {
  it('filters by maximum stops', () => {
    expect(filterItineraries(all, { maxStops: 0, carriers: null, times: null })).toEqual([nonstop]);
    expect(filterItineraries(all, { maxStops: 1, carriers: null, times: null })).toHaveLength(2);
    expect(filterItineraries(all, { maxStops: 2, carriers: null, times: null })).toHaveLength(3);
  });
  it('keeps an itinerary only when all its carriers are selected', () => {
    expect(filterItineraries(all, { maxStops: 2, carriers: ['BA'], times: null })).toEqual([nonstop]);
    expect(filterItineraries(all, { maxStops: 2, carriers: ['BA', 'SK'], times: null })).toEqual([nonstop, overnight]);
    expect(filterItineraries(all, { maxStops: 2, carriers: [], times: null })).toEqual([]);
  });
  it('filters by departure window', () => {
    expect(filterItineraries(all, { maxStops: 2, carriers: null, times: ['morning'] })).toEqual([viaZrh, nonstop]);
    expect(filterItineraries(all, { maxStops: 2, carriers: null, times: ['evening'] })).toEqual([overnight]);
  });
  it('counts', () => {
    expect(countLabel(12, 47)).toBe('12 of 47 itineraries');
    expect(countLabel(1, 1)).toBe('1 of 1 itinerary');
  });
});

describe('URL state', () => {
  it('round-trips every setting and drops defaults', () => {
    const q = parseResultsQuery('?from=lon&to=NYC&date=2026-12-01&return=2026-12-08&stops=1&sort=fastest&carriers=LX,BA&times=evening,morning');
    expect(q).toMatchObject({ origin: 'LON', destination: 'NYC', date: '2026-12-01', return: '2026-12-08', maxStops: 1, sort: 'fastest', carriers: ['BA', 'LX'], times: ['morning', 'evening'] });
    expect(resultsQueryString(q)).toBe('from=LON&to=NYC&date=2026-12-01&return=2026-12-08&sort=fastest&stops=1&carriers=BA%2CLX&times=morning%2Cevening');
    expect(parseResultsQuery(resultsQueryString(q))).toEqual(q);
    expect(resultsQueryString(parseResultsQuery('from=LON&to=NYC&date=2026-12-01&stops=2&sort=earliest'))).toBe('from=LON&to=NYC&date=2026-12-01');
  });
  it('ignores malformed values', () => {
    const q = parseResultsQuery('from=<x>&to=NYC&date=2026-02-30&stops=7&sort=cheapest&times=noon');
    expect(q).toMatchObject({ origin: '', destination: 'NYC', date: '', maxStops: 2, sort: 'earliest', times: null });
    expect(queryProblem(q)).toMatch(/incomplete/);
    expect(queryProblem(parseResultsQuery('from=LON&to=LON&date=2026-12-01'))).toMatch(/different/);
  });
  it('an empty carrier list stays empty (nothing selected)', () => {
    expect(parseResultsQuery('from=LON&to=NYC&date=2026-12-01&carriers=').carriers).toEqual([]);
  });
  it('links the form and the results', () => {
    const path = resultsPathFor({ trip: 'oneway', origin: 'LON', destination: 'NYC', depart: '2026-12-01', return: '2026-12-09', adults: 2, cabin: 'business' });
    expect(path).toBe('/search?from=LON&to=NYC&date=2026-12-01&adults=2&cabin=business');
    const q = parseResultsQuery(path.split('?')[1]!);
    expect(formPathFor(q)).toBe('/?trip=oneway&from=LON&to=NYC&depart=2026-12-01&adults=2&cabin=business');
  });
});

describe('server answers', () => {
  it('drops malformed itineraries', () => {
    const r = normalizeResponse({ priced: false, itineraries: [nonstop, { legs: [] }, { legs: [{ carrier: 'BA' }] }, 'x'] });
    expect(r.itineraries).toEqual([nonstop]);
    expect(normalizeResponse(null).itineraries).toEqual([]);
  });
  const slice = { origin: 'LON', destination: 'NYC', date: '2027-12-01' };
  it('maps field errors to words', () => {
    const e = new ApiError(400, { status: 400, errors: [{ field: 'slices[0].date', message: 'is outside the loaded schedules' }] });
    const info = describeSearchError(e, slice);
    expect(info).toMatchObject({ retry: false, fix: true });
    expect(info.message).toMatch(/no schedules loaded for Wed, 1 Dec 2027/);
    const o = describeSearchError(new ApiError(400, { errors: [{ field: 'slices[0].origin', message: 'must be a known airport or city code' }] }), slice);
    expect(o.message).toMatch(/know the place “LON”/);
  });
  it('503 asks to retry', () => {
    const info = describeSearchError(new ApiError(503, { status: 503, detail: 'no schedules are loaded yet' }), slice);
    expect(info).toEqual({ message: 'Schedules are still loading, try again in a few seconds.', retry: true, fix: false });
  });
  it('network failures ask to retry', () => {
    expect(describeSearchError(new TypeError('Failed to fetch'), slice).retry).toBe(true);
  });
});
