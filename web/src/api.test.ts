import { describe, expect, it, vi } from 'vitest';
import { ApiError, airportsUrl, isAbortError, normalizePlace, searchAirports } from './api';
import { NYC, ZRH, fakeResponse } from './testUtils';

describe('airportsUrl', () => {
  it('encodes the query and the limit', () => {
    expect(airportsUrl('new york')).toBe('/api/v1/airports?q=new+york&limit=8');
    expect(airportsUrl('zür&x=1', 5)).toBe('/api/v1/airports?q=z%C3%BCr%26x%3D1&limit=5');
  });
});

describe('searchAirports', () => {
  it('GETs the endpoint with an Accept header and the abort signal', async () => {
    const fetchFn = vi.fn(async (_url: string, _init?: RequestInit) => fakeResponse({ query: 'zur', items: [ZRH, NYC] }));
    const ctrl = new AbortController();
    const res = await searchAirports('zur', { fetchFn, signal: ctrl.signal });
    expect(fetchFn).toHaveBeenCalledTimes(1);
    const [url, init] = fetchFn.mock.calls[0]!;
    expect(url).toBe('/api/v1/airports?q=zur&limit=8');
    expect(init?.signal).toBe(ctrl.signal);
    expect(new Headers(init?.headers).get('accept')).toBe('application/json');
    expect(res).toEqual({ query: 'zur', items: [ZRH, NYC] });
  });

  it('drops malformed items', async () => {
    const fetchFn = async () => fakeResponse({ query: 'z', items: [null, { kind: 'airport' }, 42, ZRH] });
    const res = await searchAirports('z', { fetchFn });
    expect(res.items.map((p) => p.code)).toEqual(['ZRH']);
  });

  it('throws ApiError with the problem details on 400', async () => {
    const problem = {
      type: 'about:blank',
      title: 'Invalid parameter',
      status: 400,
      detail: 'q too long',
      errors: [{ field: 'q', message: 'must be at most 64 characters' }],
    };
    const fetchFn = async () => fakeResponse(problem, 400, 'application/problem+json');
    const err = await searchAirports('x', { fetchFn }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(400);
    expect((err as ApiError).problem?.errors?.[0]?.field).toBe('q');
    expect((err as ApiError).message).toBe('q too long');
  });

  it('throws ApiError without details for a non-JSON error page', async () => {
    const fetchFn = async () => fakeResponse('<h1>Bad gateway</h1>', 502, 'text/html');
    const err = await searchAirports('x', { fetchFn }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(502);
    expect((err as ApiError).problem).toBeNull();
  });

  it('passes fetch rejections (e.g. aborts) through', async () => {
    const abort = new DOMException('aborted', 'AbortError');
    const fetchFn = async () => {
      throw abort;
    };
    const err = await searchAirports('x', { fetchFn }).catch((e: unknown) => e);
    expect(err).toBe(abort);
    expect(isAbortError(err)).toBe(true);
    expect(isAbortError(new TypeError('Failed to fetch'))).toBe(false);
  });
});

describe('normalizePlace', () => {
  it('keeps metro airports and defaults missing fields', () => {
    expect(normalizePlace({ code: 'NYC', kind: 'metro', name: 'New York', airports: ['JFK', 7, 'EWR'] })).toEqual({
      code: 'NYC',
      kind: 'metro',
      name: 'New York',
      city: '',
      country: '',
      country_name: '',
      airports: ['JFK', 'EWR'],
    });
  });
  it('treats unknown kinds as airports and uses the code as a missing name', () => {
    expect(normalizePlace({ code: 'XXX', kind: 'heliport', country: 'CH' })).toMatchObject({
      code: 'XXX',
      kind: 'airport',
      name: 'XXX',
      country_name: 'CH',
    });
  });
});
