import { afterEach, describe, expect, it } from 'vitest';
import { setDateLocale } from './dates';
import { lastSearchDate, mountSearchForm, pastHorizonMessage, SCHEDULE_HORIZON_DAYS, validateSearch, type SearchState } from './searchForm';
import { tableFetch } from './testUtils';

const valid: SearchState = { trip: 'round', origin: 'ZRH', destination: 'NYC', depart: '2030-05-01', return: '2030-05-08', adults: 1, children: 0, infants: 0, cabin: 'economy', legs: [] };

afterEach(() => {
  document.body.replaceChildren();
  setDateLocale(undefined);
});

describe("date pickers limited to the schedules' horizon (issue 18)", () => {
  it('the horizon is today + 364 days (nothing on /healthz or /readyz states it)', () => {
    expect(SCHEDULE_HORIZON_DAYS).toBe(364);
    expect(lastSearchDate('2026-12-04')).toBe('2027-12-03');
  });

  it('the form’s date inputs get min = today and max = the last date', () => {
    const root = document.createElement('div');
    document.body.append(root);
    const f = mountSearchForm(root, { fetchFn: tableFetch({}), syncUrl: false, today: () => '2026-12-04' });
    const depart = root.querySelector<HTMLInputElement>('#depart-input')!;
    const ret = root.querySelector<HTMLInputElement>('#return-input')!;
    expect([depart.min, depart.max]).toEqual(['2026-12-04', '2027-12-03']);
    expect([ret.min, ret.max]).toEqual(['2026-12-04', '2027-12-03']);
    f.destroy();
    const g = mountSearchForm(root, { fetchFn: tableFetch({}), syncUrl: false, today: () => '2026-12-04', lastDate: () => '2027-06-30' });
    expect(root.querySelector<HTMLInputElement>('#depart-input')!.max).toBe('2027-06-30');
    g.destroy();
  });

  it('a date past the horizon is refused with the server’s wording', () => {
    setDateLocale('en-GB');
    expect(pastHorizonMessage('2027-12-03')).toBe('We have schedules up to 3 Dec 2027: choose a date until then.');
    const e = validateSearch({ ...valid, depart: '2027-12-04', return: '2027-12-10' }, '2026-12-04', '2027-12-03');
    expect(e.depart).toBe('We have schedules up to 3 Dec 2027: choose a date until then.');
    expect(validateSearch({ ...valid, depart: '2027-12-01', return: '2027-12-04' }, '2026-12-04', '2027-12-03').return).toMatch(/schedules up to 3 Dec 2027/);
    expect(validateSearch({ ...valid, depart: '2027-12-03', return: '2027-12-03' }, '2026-12-04', '2027-12-03')).toEqual({});
    const multi: SearchState = { ...valid, trip: 'multi', return: '', depart: '2027-11-01', legs: [{ origin: 'ZRH', destination: 'NYC', date: '2027-11-01' }, { origin: 'NYC', destination: 'LAX', date: '2027-12-05' }] };
    expect(validateSearch(multi, '2026-12-04', '2027-12-03').leg1).toMatch(/Flight 2: We have schedules up to/);
  });
});
