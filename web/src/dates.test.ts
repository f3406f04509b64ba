import { afterEach, describe, expect, it } from 'vitest';
import { dayParts, formatDate, formatDay, formatDayYear, formatInstant, formatWallClock, parseIsoDate, setDateLocale } from './dates';
import { formatDate as resultsDate } from './results';
import { legTime } from './views/orderDetail';
import { formatWhen } from './views/security';
import { formatDate as travellerDate } from './views/travellers';
import { formatTravelDate } from './explore';

afterEach(() => setDateLocale(undefined));

describe('dates: one Intl helper for every page', () => {
  it('formats a day of travel in the given locale, without zone shifts', () => {
    expect(formatDay('2026-12-15', 'en-GB')).toBe('Tue 15 Dec');
    expect(formatDay('2026-12-15', 'en-US')).toBe('Tue, Dec 15');
    expect(formatDay('2026-12-15', 'de-DE')).toBe('Di., 15. Dez.');
    expect(formatDayYear('2026-12-01', 'en-GB')).toBe('Tue, 1 Dec 2026');
    expect(formatDayYear('2026-12-01', 'en-US')).toBe('Tue, Dec 1, 2026');
    expect(formatDate('1990-03-12', 'en-GB')).toBe('12 Mar 1990');
    expect(formatDate('1990-03-12', 'en-US')).toBe('Mar 12, 1990');
    expect(dayParts('2026-12-10', 'en-GB')).toEqual({ weekday: 'Thu', day: '10', month: 'Dec', long: 'Thursday 10 December' });
    expect(formatWallClock('2026-12-01T23:10:00-08:00', 'en-GB')).toBe('Tue 1 Dec, 23:10');
    expect(formatWallClock('2026-12-01T08:05:00+02:00', 'en-US')).toBe('Tue, Dec 1, 08:05');
  });

  it('refuses dates that are not on the calendar', () => {
    expect(parseIsoDate('2026-02-30')).toBeNull();
    expect(formatDay('2026-02-30', 'en-GB')).toBe('');
    expect(formatDayYear('soon', 'en-GB')).toBe('soon');
  });

  it('every page follows the default locale (the browser’s unless set)', () => {
    setDateLocale('en-US');
    expect(resultsDate('2026-12-01')).toBe('Tue, Dec 1, 2026');
    expect(legTime('2026-12-01T08:10:00+00:00')).toBe('Tue, Dec 1, 08:10');
    expect(travellerDate('1990-03-12')).toBe('Mar 12, 1990');
    expect(formatTravelDate('2026-12-15')).toBe('Tue, Dec 15');
    expect(formatWhen(0)).toBe(formatInstant(0, 'en-US'));
    setDateLocale('en-GB');
    expect(resultsDate('2026-12-01')).toBe('Tue, 1 Dec 2026');
    expect(legTime('2026-12-01T08:10:00+00:00')).toBe('Tue 1 Dec, 08:10');
    expect(travellerDate('1990-03-12')).toBe('12 Mar 1990');
    setDateLocale(undefined);
    expect(formatDay('2026-12-15')).toBe(new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' }).format(new Date(Date.UTC(2026, 11, 15))));
  });

  it('no source file outside dates.ts makes its own date strings', () => {
    // Every source file's text (Vite's glob, as the build sees them), tests and this module aside.
    const sources = import.meta.glob<string>(['./**/*.ts', '!./**/*.test.ts', '!./dates.ts'], { query: '?raw', import: 'default', eager: true });
    expect(Object.keys(sources).length).toBeGreaterThan(20);
    const offenders = Object.entries(sources)
      .filter(([, s]) => /toLocaleDateString\(|toLocaleTimeString\(|Intl\.DateTimeFormat\(|\[\s*'Jan'\s*,\s*'Feb'|\[\s*'January'/.test(s))
      .map(([p]) => p);
    expect(offenders).toEqual([]);
  });
});
