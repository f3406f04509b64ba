/**
 * The schedules' window as the server states it (GET /readyz: "schedules": {first_date,
 * last_date}), for the search form's date pickers: their max is the last date with flights.
 * null when the server does not say (not ready, no schedules loaded yet, an older server).
 */
import type { FetchFn } from './api';

const ISO = /^\d{4}-\d{2}-\d{2}$/;

export async function loadLastScheduleDate(fetchFn: FetchFn = (u, i) => fetch(u, i)): Promise<string | null> {
  try {
    const res = await fetchFn('/readyz', { headers: { Accept: 'application/json' } });
    if (!res.ok) return null;
    const body = (await res.json()) as { schedules?: { last_date?: unknown } | null };
    const last = body?.schedules?.last_date;
    return typeof last === 'string' && ISO.test(last) ? last : null;
  } catch {
    return null;
  }
}
