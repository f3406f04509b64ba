// The schedules' last date from GET /readyz reaches the search form's pickers and its check.
import { describe, expect, it } from 'vitest';
import { loadLastScheduleDate } from './horizon';
import { mountSearchForm } from './searchForm';
import { fakeResponse } from './testUtils';

describe('schedule horizon', () => {
  it('is read from /readyz, null when it is not stated', async () => {
    const ok = await loadLastScheduleDate(async () => fakeResponse({ status: 'ready', schedules: { first_date: '2026-12-04', last_date: '2027-06-30' } }));
    expect(ok).toBe('2027-06-30');
    expect(await loadLastScheduleDate(async () => fakeResponse({ status: 'ready', schedules: null }))).toBeNull();
    expect(await loadLastScheduleDate(async () => fakeResponse({ title: 'Not ready' }, 503))).toBeNull();
    expect(await loadLastScheduleDate(async () => Promise.reject(new Error('offline')))).toBeNull();
  });

  it('sets the pickers max once known', () => {
    const root = document.createElement('div');
    document.body.append(root);
    const g = mountSearchForm(root, { syncUrl: false, today: () => '2026-12-04' });
    const depart = root.querySelector<HTMLInputElement>('input[type="date"]')!;
    expect(depart.max).toBe('2027-12-03'); // today + 364 days until the server says
    g.setLastDate('2027-06-30');
    expect(depart.max).toBe('2027-06-30');
    g.setLastDate('not a date');
    expect(depart.max).toBe('2027-06-30');
    g.destroy();
    root.remove();
  });
});
