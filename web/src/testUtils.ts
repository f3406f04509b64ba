/**
 * Helpers shared by the unit tests (not bundled: only *.test.ts import it).
 */
import type { AirportPlace, FetchFn, MetroPlace, Place } from './api';

export const ZRH: AirportPlace = {
  code: 'ZRH',
  kind: 'airport',
  name: 'Zürich Airport',
  city: 'Zurich',
  country: 'CH',
  country_name: 'Switzerland',
  tz: 'Europe/Zurich',
  size: 'large',
};
export const ZAG: AirportPlace = {
  code: 'ZAG',
  kind: 'airport',
  name: 'Zagreb Airport',
  city: 'Zagreb',
  country: 'HR',
  country_name: 'Croatia',
};
export const NYC: MetroPlace = {
  code: 'NYC',
  kind: 'metro',
  name: 'New York',
  city: 'New York',
  country: 'US',
  country_name: 'United States',
  airports: ['JFK', 'LGA', 'EWR'],
};
export const JFK: AirportPlace = {
  code: 'JFK',
  kind: 'airport',
  name: 'John F. Kennedy International Airport',
  city: 'New York',
  country: 'US',
  country_name: 'United States',
};
export const LGA: AirportPlace = {
  code: 'LGA',
  kind: 'airport',
  name: 'LaGuardia Airport',
  city: 'New York',
  country: 'US',
  country_name: 'United States',
};

/** Minimal stand-in for a fetch Response. */
export function fakeResponse(body: unknown, status = 200, contentType = 'application/json'): Response {
  return {
    ok: status >= 200 && status < 300,
    status,
    headers: new Headers({ 'content-type': contentType }),
    json: () => (typeof body === 'string' ? Promise.reject(new SyntaxError('not json')) : Promise.resolve(body)),
  } as unknown as Response;
}

export interface PendingCall {
  url: string;
  q: string;
  init: RequestInit | undefined;
  signal: AbortSignal | undefined;
  respond(items: Place[]): void;
  respondWith(res: Response): void;
  fail(err: unknown): void;
}

/**
 * A fetch whose responses are released by hand, in any order, so tests can
 * check debouncing, aborting and out-of-order handling.
 */
export function controlledFetch(): { fetchFn: FetchFn & { mock: unknown }; calls: PendingCall[] } {
  const calls: PendingCall[] = [];
  const impl = (url: string, init?: RequestInit) =>
    new Promise<Response>((resolve, reject) => {
      const q = new URL(url, 'http://test.invalid').searchParams.get('q') ?? '';
      calls.push({
        url,
        q,
        init,
        signal: init?.signal ?? undefined,
        respond: (items) => resolve(fakeResponse({ query: q, items })),
        respondWith: (res) => resolve(res),
        fail: (err) => reject(err),
      });
    });
  const fetchFn = Object.assign(impl, { mock: true });
  return { fetchFn, calls };
}

/** A fetch that answers immediately from a table keyed by the query. */
export function tableFetch(table: Record<string, Place[]>): FetchFn {
  return async (url: string) => {
    const q = new URL(url, 'http://test.invalid').searchParams.get('q') ?? '';
    return fakeResponse({ query: q, items: table[q.toLowerCase()] ?? [] });
  };
}

/** Let pending promise callbacks run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

export function typeText(input: HTMLInputElement, text: string): void {
  input.value = text;
  input.dispatchEvent(new Event('input', { bubbles: true }));
}

export function press(target: HTMLElement, key: string, init: KeyboardEventInit = {}): KeyboardEvent {
  const e = new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true, ...init });
  target.dispatchEvent(e);
  return e;
}
