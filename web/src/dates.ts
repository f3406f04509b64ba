/**
 * Every date the pages show, formatted one way: by Intl.DateTimeFormat in the browser's
 * locale (issue 18). No hand-made date strings, no fixed 'en-GB' elsewhere: import these.
 *
 * Dates of travel ("2026-12-01") and local times as written by the schedules
 * ("2026-12-01T08:10:00+02:00") are shown as they are, never shifted into the browser's
 * zone: they are formatted as UTC wall-clock values. Instants (Unix seconds: a sign-in, a
 * key's creation) are shown in the browser's zone.
 */

export type DateLocale = string | readonly string[] | undefined;

/** undefined: the browser's locale (navigator.language, through Intl's default). */
let defaultLocale: DateLocale;

/** For tests and for a user's chosen language: the locale every helper uses by default. */
export function setDateLocale(locale: DateLocale): void {
  defaultLocale = locale;
  cache.clear();
}

const cache = new Map<string, Intl.DateTimeFormat>();

function formatter(opts: Intl.DateTimeFormatOptions, locale: DateLocale): Intl.DateTimeFormat {
  const loc = locale ?? defaultLocale;
  const key = `${JSON.stringify(loc ?? null)}|${JSON.stringify(opts)}`;
  let f = cache.get(key);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat(loc as string[] | undefined, opts);
    } catch {
      f = new Intl.DateTimeFormat(undefined, opts); // a bad locale tag: the browser's
    }
    cache.set(key, f);
  }
  return f;
}

/** "2026-12-01" → that day at 00:00 UTC; null when it is not a real calendar date. */
export function parseIsoDate(iso: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d ? t : null;
}

const DAY: Intl.DateTimeFormatOptions = { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' };
const DAY_YEAR: Intl.DateTimeFormatOptions = { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' };
const DATE: Intl.DateTimeFormatOptions = { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' };
const LONG_DAY: Intl.DateTimeFormatOptions = { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' };
const MONTH: Intl.DateTimeFormatOptions = { month: 'long', year: 'numeric', timeZone: 'UTC' };
const TIME: Intl.DateTimeFormatOptions = { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'UTC' };

/** "2026-12-15" → "Tue 15 Dec" (en-GB), "Tue, Dec 15" (en-US); '' for a bad date. */
export function formatDay(iso: string, locale?: DateLocale): string {
  const d = parseIsoDate(iso);
  return d ? formatter(DAY, locale).format(d) : '';
}

/** "2026-12-01" → "Tue, 1 Dec 2026" (en-GB), "Tue, Dec 1, 2026" (en-US); the input for a bad date. */
export function formatDayYear(iso: string, locale?: DateLocale): string {
  const d = parseIsoDate(iso);
  return d ? formatter(DAY_YEAR, locale).format(d) : iso;
}

/** "1990-03-12" → "12 Mar 1990" (en-GB), "Mar 12, 1990" (en-US); the input for a bad date. */
export function formatDate(iso: string, locale?: DateLocale): string {
  const d = parseIsoDate(iso);
  return d ? formatter(DATE, locale).format(d) : iso;
}

/** The parts of a day for the price strip: "Tue", "1", "Dec" and "Tuesday 1 December". */
export function dayParts(iso: string, locale?: DateLocale): { weekday: string; day: string; month: string; long: string } {
  const d = parseIsoDate(iso) ?? new Date(NaN);
  if (Number.isNaN(d.getTime())) return { weekday: '', day: '', month: '', long: iso };
  const part = (o: Intl.DateTimeFormatOptions) => formatter({ timeZone: 'UTC', ...o }, locale).format(d);
  return { weekday: part({ weekday: 'short' }), day: part({ day: 'numeric' }), month: part({ month: 'short' }), long: formatter(LONG_DAY, locale).format(d) };
}

/** "2026-12-01T08:10:00+02:00" → "Tue 1 Dec, 08:10": the local time as written (no zone shift). */
/** "January 2027" from "2027-01" (a month of the calendar, no time zone involved). */
export function formatMonth(month: string, locale?: DateLocale): string {
  const d = parseIsoDate(`${month}-01`);
  if (!d) return month;
  return formatter(MONTH, locale).format(d);
}

export function formatWallClock(iso: string, locale?: DateLocale): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(iso);
  if (!m) return iso;
  const t = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5])));
  if (Number.isNaN(t.getTime())) return iso;
  return `${formatter(DAY, locale).format(t)}, ${formatter(TIME, locale).format(t)}`;
}

/** Unix seconds → "1 Dec 2026, 08:10" in the browser's zone (a sign-in, a key's creation). */
export function formatInstant(seconds: number, locale?: DateLocale): string {
  return formatter({ dateStyle: 'medium', timeStyle: 'short' }, locale).format(new Date(seconds * 1000));
}

/** An ISO 8601 instant ("2026-12-04T21:30:00.123Z") → "4 Dec 2026, 21:30" in the browser's
 * zone (a notification's time); the input when it is not one. */
export function formatIsoInstant(iso: string, locale?: DateLocale): string {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return iso;
  return formatter({ dateStyle: 'medium', timeStyle: 'short' }, locale).format(t);
}
