import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { normalizePlace, type AirportPlace, type MetroPlace } from './api';
import { samePlace, samePlaceMessage } from './places';
import { mountSearchForm, type SearchFormHandle } from './searchForm';
import { JFK, NYC, flush, press, tableFetch, typeText } from './testUtils';

// As GET /api/v1/airports?q=london answers: the airport names its metro, the metro its airports.
const LON: MetroPlace = { code: 'LON', kind: 'metro', name: 'London', city: 'London', country: 'GB', country_name: 'United Kingdom', airports: ['LHR', 'LGW'] };
const LHR: AirportPlace = { code: 'LHR', kind: 'airport', name: 'London Heathrow Airport', city: 'London', country: 'GB', country_name: 'United Kingdom', metro: 'LON' };
const LGW: AirportPlace = { code: 'LGW', kind: 'airport', name: 'London Gatwick Airport', city: 'London', country: 'GB', country_name: 'United Kingdom', metro: 'LON' };

describe('samePlace (issue 18)', () => {
  it('keeps the airport’s metro from the server', () => {
    expect(normalizePlace({ code: 'LHR', kind: 'airport', name: 'London Heathrow Airport', city: 'London', country: 'GB', metro: 'LON' })).toMatchObject({ metro: 'LON' });
  });

  it('an airport and its metro area are one place; two airports of a city are not', () => {
    expect(samePlace(LHR, LON)).toBe(true);
    expect(samePlace(LON, LHR)).toBe(true);
    expect(samePlace(LHR, { ...LHR })).toBe(true);
    expect(samePlace(LHR, LGW)).toBe(false);
    expect(samePlace(LHR, NYC)).toBe(false);
    // Without `metro`: the metro's airport list; without either, the city and country.
    expect(samePlace(JFK, NYC)).toBe(true);
    expect(samePlace({ ...LHR, metro: undefined }, { ...LON, airports: [] })).toBe(true);
    expect(samePlace({ ...LHR, metro: undefined, city: 'London', country: 'CA' }, { ...LON, airports: [] })).toBe(false);
    expect(samePlace(null, LON)).toBe(false);
  });

  it('says which', () => {
    expect(samePlaceMessage(LHR, LON)).toBe('London Heathrow Airport (LHR) is one of London’s airports: choose a destination away from London.');
  });
});

describe('the search form refuses Heathrow to London before asking the server', () => {
  let form: SearchFormHandle;
  let root: HTMLElement;
  const fetchFn = vi.fn(tableFetch({ heathrow: [LHR], london: [LON, LHR, LGW], 'new york': [NYC, JFK] }));
  const onSearch = vi.fn();

  beforeEach(() => {
    vi.useFakeTimers();
    document.body.innerHTML = '<div id="root"></div>';
    root = document.getElementById('root')!;
    form = mountSearchForm(root, { fetchFn, syncUrl: false, today: () => '2030-01-01', onSearch });
  });
  afterEach(() => {
    form.destroy();
    vi.useRealTimers();
  });

  async function choose(input: HTMLInputElement, text: string, code: string) {
    input.focus();
    typeText(input, text);
    await vi.advanceTimersByTimeAsync(120);
    await flush();
    for (let i = 0; i < 10; i++) {
      press(input, 'ArrowDown');
      const id = input.getAttribute('aria-activedescendant');
      if (id && document.getElementById(id)?.querySelector('.opt-badge')?.textContent === code) break;
    }
    press(input, 'Enter');
  }

  it('shows the message on the destination field', async () => {
    await choose(root.querySelector<HTMLInputElement>('#origin-input')!, 'heathrow', 'LHR');
    await choose(root.querySelector<HTMLInputElement>('#destination-input')!, 'london', 'LON');
    expect(root.querySelector<HTMLInputElement>('#destination-code')!.value).toBe('LON');
    root.querySelector<HTMLInputElement>('input[value="oneway"]')!.click();
    const depart = root.querySelector<HTMLInputElement>('#depart-input')!;
    depart.value = '2030-02-01';
    depart.dispatchEvent(new Event('input', { bubbles: true }));
    expect(form.submit()).toBe(false);
    expect(onSearch).not.toHaveBeenCalled();
    const err = root.querySelector<HTMLElement>('#destination-error')!;
    expect(err.hidden).toBe(false);
    expect(err.textContent).toBe('London Heathrow Airport (LHR) is one of London’s airports: choose a destination away from London.');
    expect(root.querySelector('#destination-input')!.getAttribute('aria-invalid')).toBe('true');

    await choose(root.querySelector<HTMLInputElement>('#destination-input')!, 'new york', 'NYC');
    expect(form.submit()).toBe(true);
    expect(onSearch).toHaveBeenCalledTimes(1);
  });
});
