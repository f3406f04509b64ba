/**
 * Typed client for the Contrail server API (`/api/v1/...`).
 *
 * Every function takes an optional `fetchFn` so tests (and the combobox) can
 * inject a fake `fetch` and never need a running server.
 */

export type FetchFn = (input: string, init?: RequestInit) => Promise<Response>;

/** A single airport. */
export interface AirportPlace {
  code: string;
  kind: 'airport';
  name: string;
  city: string;
  country: string;
  country_name: string;
  tz?: string;
  size?: string;
  /** The metropolitan area the airport belongs to (LHR → "LON"), when the server says. */
  metro?: string;
}

/** A metropolitan area grouping several airports (e.g. NYC = JFK, LGA, EWR). */
export interface MetroPlace {
  code: string;
  kind: 'metro';
  name: string;
  city: string;
  country: string;
  country_name: string;
  airports: string[];
}

export type Place = AirportPlace | MetroPlace;

export interface AirportsResponse {
  query: string;
  items: Place[];
}

/** RFC 9457 problem details. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  instance?: string;
  errors?: { field: string; message: string }[];
}

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem | null;
  /** Seconds from a `Retry-After` header (429, 503), or null. */
  readonly retryAfter: number | null;

  constructor(status: number, problem: Problem | null, message?: string, retryAfter: number | null = null) {
    super(message ?? problem?.detail ?? problem?.title ?? `Request failed (HTTP ${status})`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
    this.retryAfter = retryAfter;
  }

  /** Build the error for a non-2xx response (reads problem+json and Retry-After). */
  static async fromResponse(res: Response): Promise<ApiError> {
    return new ApiError(res.status, await readProblem(res), undefined, parseRetryAfter(res.headers.get('retry-after')));
  }
}

/**
 * Seconds to wait from a Retry-After value: delay-seconds or an HTTP date.
 * Null when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value == null) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  const t = Date.parse(v);
  if (Number.isNaN(t)) return null;
  return Math.max(0, Math.ceil((t - now) / 1000));
}

export interface RequestOptions {
  signal?: AbortSignal;
  fetchFn?: FetchFn;
  /** Prefix for API URLs; '' means same origin. */
  baseUrl?: string;
}

export const API_PREFIX = '/api/v1';
export const DEFAULT_AIRPORT_LIMIT = 8;

export function defaultFetch(): FetchFn {
  // Bind so `this` is the global object (required by browsers).
  return (input, init) => globalThis.fetch(input, init);
}

/** Build the URL for an airport lookup. Exported for tests. */
export function airportsUrl(q: string, limit = DEFAULT_AIRPORT_LIMIT, baseUrl = ''): string {
  const params = new URLSearchParams({ q, limit: String(limit) });
  return `${baseUrl}${API_PREFIX}/airports?${params.toString()}`;
}

export async function readProblem(res: Response): Promise<Problem | null> {
  const type = res.headers.get('content-type') ?? '';
  if (!/json/i.test(type)) return null;
  try {
    const body: unknown = await res.json();
    return body && typeof body === 'object' ? (body as Problem) : null;
  } catch {
    return null;
  }
}

function isString(v: unknown): v is string {
  return typeof v === 'string';
}

/**
 * Validate and normalise one item from the server. Unknown or malformed items
 * are dropped rather than crashing the UI.
 */
export function normalizePlace(raw: unknown): Place | null {
  if (!raw || typeof raw !== 'object') return null;
  const r = raw as Record<string, unknown>;
  if (!isString(r.code) || r.code === '') return null;
  const base = {
    code: r.code,
    name: isString(r.name) && r.name ? r.name : r.code,
    city: isString(r.city) ? r.city : '',
    country: isString(r.country) ? r.country : '',
    country_name: isString(r.country_name) ? r.country_name : isString(r.country) ? r.country : '',
  };
  if (r.kind === 'metro') {
    const airports = Array.isArray(r.airports) ? r.airports.filter(isString) : [];
    return { ...base, kind: 'metro', airports };
  }
  const airport: AirportPlace = { ...base, kind: 'airport' };
  if (isString(r.tz)) airport.tz = r.tz;
  if (isString(r.size)) airport.size = r.size;
  if (isString(r.metro) && r.metro) airport.metro = r.metro;
  return airport;
}

/**
 * GET /api/v1/airports?q=<text>&limit=<n>
 *
 * Throws `ApiError` for non-2xx answers (with the parsed problem+json body
 * when present) and re-throws fetch errors (including `AbortError`).
 */
export async function searchAirports(
  q: string,
  { limit = DEFAULT_AIRPORT_LIMIT, signal, fetchFn, baseUrl = '' }: RequestOptions & { limit?: number } = {},
): Promise<AirportsResponse> {
  const doFetch = fetchFn ?? defaultFetch();
  const res = await doFetch(airportsUrl(q, limit, baseUrl), {
    method: 'GET',
    headers: { Accept: 'application/json' },
    signal,
  });
  if (!res.ok) {
    throw new ApiError(res.status, await readProblem(res));
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new ApiError(res.status, null, 'The server sent an unreadable response');
  }
  const obj = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const rawItems = Array.isArray(obj.items) ? obj.items : [];
  const items = rawItems.map(normalizePlace).filter((p): p is Place => p !== null);
  return { query: isString(obj.query) ? obj.query : q, items };
}

/** True for errors caused by AbortController.abort(). */
export function isAbortError(err: unknown): boolean {
  return (
    !!err &&
    typeof err === 'object' &&
    'name' in err &&
    ((err as { name: unknown }).name === 'AbortError' || (err as { name: unknown }).name === 'TimeoutError')
  );
}

/** One slice of a search: an origin and destination (airport or metro code) on a local date. */
export interface SearchSlice {
  origin: string;
  destination: string;
  date: string;
}

/** Read a JSON body or throw an ApiError naming the unreadable answer. */
async function readJson(res: Response): Promise<unknown> {
  if (!res.ok) throw await ApiError.fromResponse(res);
  try {
    return await res.json();
  } catch {
    throw new ApiError(res.status, null, 'The server sent an unreadable response');
  }
}

/**
 * POST /api/v1/searches with a full request body (docs/search-api.md: all
 * slices at once, passengers, cabin, currency, filters, sort, offset/limit;
 * build it with `searchRequestBody` from results.ts). Resolves with the
 * parsed JSON (check it with `normalizeResponse`); throws `ApiError` for
 * non-2xx answers.
 */
export async function postSearch(body: Record<string, unknown>, { signal, fetchFn, baseUrl = '' }: RequestOptions = {}): Promise<unknown> {
  const doFetch = fetchFn ?? defaultFetch();
  const res = await doFetch(`${baseUrl}${API_PREFIX}/searches`, {
    method: 'POST',
    headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
  return readJson(res);
}

/** GET `${API_PREFIX}${path}?params` (params with '' or null values left out). */
export function apiUrl(path: string, params: Record<string, string | number | null | undefined>, baseUrl = ''): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') p.set(k, String(v));
  const qs = p.toString();
  return `${baseUrl}${API_PREFIX}${path}${qs ? `?${qs}` : ''}`;
}

/** GET a JSON answer (calendar, explore); throws `ApiError` for non-2xx answers. */
export async function getJson(url: string, { signal, fetchFn }: RequestOptions = {}): Promise<unknown> {
  const doFetch = fetchFn ?? defaultFetch();
  const res = await doFetch(url, { method: 'GET', headers: { Accept: 'application/json' }, signal });
  return readJson(res);
}
