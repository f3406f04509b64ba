import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_STATE,
  addDays,
  comingSoonMessage,
  fromQuery,
  isIsoDate,
  localToday,
  mountSearchForm,
  toQuery,
  validateSearch,
  type SearchFormHandle,
  type SearchState,
} from './searchForm';
import { JFK, NYC, ZRH, flush, press, tableFetch, typeText } from './testUtils';

const valid: SearchState = {
  trip: 'round',
  origin: 'ZRH',
  destination: 'NYC',
  depart: '2030-05-01',
  return: '2030-05-08',
  adults: 2,
  children: 1,
  infants: 1,
  cabin: 'business',
  legs: [],
};

describe('validateSearch', () => {
  it('accepts a complete round trip', () => {
    expect(validateSearch(valid, '2030-01-01')).toEqual({});
  });

  it('requires origin and destination', () => {
    const e = validateSearch({ ...valid, origin: '', destination: '' });
    expect(Object.keys(e).sort()).toEqual(['destination', 'origin']);
  });

  it('rejects the same origin and destination (case-insensitive)', () => {
    const e = validateSearch({ ...valid, origin: 'ZRH', destination: 'zrh' });
    expect(e.destination).toMatch(/different/);
    expect(e.origin).toBeUndefined();
  });

  it('requires a departure date', () => {
    expect(validateSearch({ ...valid, depart: '' }).depart).toMatch(/departure date/);
  });

  it('rejects impossible dates', () => {
    expect(validateSearch({ ...valid, depart: '2030-02-30' }).depart).toMatch(/valid/);
    expect(validateSearch({ ...valid, return: '2030-13-01' }).return).toMatch(/valid/);
  });

  it('rejects a departure in the past only when "today" is given', () => {
    expect(validateSearch({ ...valid, depart: '2029-12-31' }, '2030-01-01').depart).toMatch(/past/);
    expect(validateSearch({ ...valid, depart: '2030-01-01' }, '2030-01-01').depart).toBeUndefined();
    expect(validateSearch({ ...valid, depart: '2000-01-01', return: '2000-01-02' })).toEqual({});
  });

  it('requires a return date for round trips', () => {
    expect(validateSearch({ ...valid, return: '' }).return).toMatch(/return date/);
  });

  it('requires return >= departure', () => {
    expect(validateSearch({ ...valid, return: '2030-04-30' }).return).toMatch(/on or after/);
    expect(validateSearch({ ...valid, return: '2030-05-01' }).return).toBeUndefined();
  });

  it('ignores the return date for one-way trips', () => {
    expect(validateSearch({ ...valid, trip: 'oneway', return: '' })).toEqual({});
    expect(validateSearch({ ...valid, trip: 'oneway', return: '1999-01-01' })).toEqual({});
  });

  it('limits adults to whole numbers from 1 to 9', () => {
    for (const adults of [0, 10, 1.5, Number.NaN]) {
      expect(validateSearch({ ...valid, adults }).adults, `adults=${adults}`).toBeDefined();
    }
    for (const adults of [1, 9]) {
      expect(validateSearch({ ...valid, adults }).adults).toBeUndefined();
    }
  });

  it('rejects an unknown cabin', () => {
    expect(validateSearch({ ...valid, cabin: 'cargo' as SearchState['cabin'] }).cabin).toBeDefined();
  });

  it('reports every problem of an empty form at once', () => {
    expect(Object.keys(validateSearch(DEFAULT_STATE)).sort()).toEqual(['depart', 'destination', 'origin', 'return']);
  });
});

describe('date helpers', () => {
  it('isIsoDate checks real calendar dates', () => {
    expect(isIsoDate('2028-02-29')).toBe(true);
    expect(isIsoDate('2027-02-29')).toBe(false);
    expect(isIsoDate('2027-1-01')).toBe(false);
    expect(isIsoDate('')).toBe(false);
  });
  it('addDays crosses months and years', () => {
    expect(addDays('2030-01-31', 1)).toBe('2030-02-01');
    expect(addDays('2030-12-31', 1)).toBe('2031-01-01');
    expect(addDays('2030-03-01', -1)).toBe('2030-02-28');
  });
  it('localToday formats the local date', () => {
    expect(localToday(new Date(2030, 0, 5, 23, 59))).toBe('2030-01-05');
  });
});

describe('comingSoonMessage', () => {
  it('names the route and date', () => {
    expect(comingSoonMessage({ ...valid, trip: 'oneway' })).toBe('Search is coming soon: ZRH → NYC on 2030-05-01');
  });
  it('adds the return date for round trips', () => {
    expect(comingSoonMessage(valid)).toBe('Search is coming soon: ZRH → NYC on 2030-05-01, returning 2030-05-08');
  });
});

describe('URL state', () => {
  it('round-trips through the query string', () => {
    expect(fromQuery(`?${toQuery(valid)}`)).toEqual({ ...valid, legs: undefined });
  });
  it('round-trips a multi-city trip (the extra flights in `s`)', () => {
    const multi: SearchState = {
      ...valid,
      trip: 'multi',
      return: '',
      legs: [
        { origin: 'ZRH', destination: 'NYC', date: '2030-05-01' },
        { origin: 'NYC', destination: 'LAX', date: '2030-05-04' },
        { origin: 'LAX', destination: 'ZRH', date: '2030-05-09' },
      ],
    };
    const qs = toQuery(multi);
    expect(new URLSearchParams(qs).getAll('s')).toEqual(['NYC-LAX-2030-05-04', 'LAX-ZRH-2030-05-09']);
    expect(fromQuery(qs)).toEqual({ ...multi, return: undefined });
  });
  it('omits the return date for one-way trips', () => {
    const q = new URLSearchParams(toQuery({ ...valid, trip: 'oneway' }));
    expect(q.has('return')).toBe(false);
    expect(q.get('trip')).toBe('oneway');
  });
  it('ignores malformed values', () => {
    expect(fromQuery('trip=weekly&from=<script>&to=jfk&depart=tomorrow&adults=12&cabin=cargo')).toEqual({ destination: 'JFK' });
  });
});

describe('mountSearchForm', () => {
  let root: HTMLElement;
  let form: SearchFormHandle;
  const fetchFn = tableFetch({ zur: [ZRH], 'new york': [NYC, JFK], zrh: [ZRH], nyc: [NYC, JFK] });

  beforeEach(() => {
    vi.useFakeTimers();
    document.body.innerHTML = '<div id="root"></div>';
    root = document.getElementById('root')!;
    window.history.replaceState(null, '', '/');
    form = mountSearchForm(root, { fetchFn, today: () => '2030-01-01' });
  });

  afterEach(() => {
    form.destroy();
    vi.useRealTimers();
  });

  const $ = <E extends HTMLElement>(sel: string) => root.querySelector<E>(sel)!;

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

  it('renders labelled fields and the action button', () => {
    expect($('label[for="origin-input"]').textContent).toBe('From');
    expect($('label[for="destination-input"]').textContent).toBe('To');
    expect($<HTMLSelectElement>('#adults-input').options).toHaveLength(9);
    // The cabins POST /api/v1/searches accepts.
    expect(Array.from($<HTMLSelectElement>('#cabin-input').options).map((o) => o.value)).toEqual(['economy', 'premium_economy', 'business', 'first']);
    expect(Array.from($<HTMLSelectElement>('#cabin-input').options).map((o) => o.textContent)).toEqual(['Economy', 'Premium economy', 'Business', 'First']);
    expect($<HTMLSelectElement>('#children-input').options).toHaveLength(9);
    expect($<HTMLSelectElement>('#infants-input').options).toHaveLength(10);
    expect($('button[type="submit"]').textContent?.trim()).toBe('Search flights');
    expect(form.status.getAttribute('role')).toBe('status');
  });

  it('shows accessible inline errors for an empty form and focuses the first one', () => {
    expect(form.submit()).toBe(false);
    const origin = $<HTMLInputElement>('#origin-input');
    const err = $('#origin-error');
    expect(err.hidden).toBe(false);
    expect(err.textContent).toMatch(/flying from/);
    expect(origin.getAttribute('aria-invalid')).toBe('true');
    expect(origin.getAttribute('aria-describedby')?.split(' ')).toContain('origin-error');
    expect(document.activeElement).toBe(origin);
    expect($('#form-alert').textContent).toMatch(/4 highlighted fields/);
    expect(form.status.textContent).toBe('');
  });

  it('disables the return date for one-way trips', () => {
    const ret = $<HTMLInputElement>('#return-input');
    expect(ret.disabled).toBe(false);
    const oneway = $<HTMLInputElement>('input[name="trip"][value="oneway"]');
    oneway.checked = true;
    oneway.dispatchEvent(new Event('change', { bubbles: true }));
    expect(ret.disabled).toBe(true);
    expect(form.getState().return).toBe('');
  });

  it('multi-city mode shows flight rows, adds and removes them, and returns every flight', async () => {
    const multi = $<HTMLInputElement>('input[name="trip"][value="multi"]');
    multi.checked = true;
    multi.dispatchEvent(new Event('change', { bubbles: true }));
    expect($<HTMLFieldSetElement>('#multi-legs').hidden).toBe(false);
    expect($<HTMLInputElement>('#return-input').disabled).toBe(true);
    expect(root.querySelectorAll('.multi-leg')).toHaveLength(1);
    expect($('label[for="leg1-origin"]').textContent).toBe('Flight 2 from');
    $<HTMLButtonElement>('#multi-add').click();
    expect(root.querySelectorAll('.multi-leg')).toHaveLength(2);
    await form.setState({ origin: 'ZRH', destination: 'NYC', depart: '2030-03-10' });
    await choose($<HTMLInputElement>('#leg1-origin'), 'nyc', 'NYC');
    await choose($<HTMLInputElement>('#leg1-destination'), 'zrh', 'ZRH');
    $<HTMLInputElement>('#leg1-date').value = '2030-03-05';
    // Flight 3 is empty and flight 2 leaves before flight 1.
    expect(form.submit()).toBe(false);
    expect($('#leg1-error').textContent).toMatch(/before flight 1/);
    expect($('#leg2-error').textContent).toMatch(/flight 3/);
    root.querySelector<HTMLButtonElement>('.multi-leg[data-leg="2"] .multi-remove')!.click();
    expect(root.querySelectorAll('.multi-leg')).toHaveLength(1);
    $<HTMLInputElement>('#leg1-date').value = '2030-03-15';
    expect(form.submit()).toBe(true);
    expect(form.getState().legs).toEqual([
      { origin: 'ZRH', destination: 'NYC', date: '2030-03-10' },
      { origin: 'NYC', destination: 'ZRH', date: '2030-03-15' },
    ]);
  });

  it('limits seats and infants', () => {
    expect(validateSearch({ ...valid, adults: 5, children: 5 }).children).toMatch(/9 seats/);
    expect(validateSearch({ ...valid, adults: 1, infants: 2 }).infants).toMatch(/one infant per adult/);
  });

  it('stores codes from the comboboxes and shows the coming-soon status on a valid search', async () => {
    await choose($<HTMLInputElement>('#origin-input'), 'zur', 'ZRH');
    await choose($<HTMLInputElement>('#destination-input'), 'new york', 'NYC');
    expect($<HTMLInputElement>('#origin-input').value).toBe('Zürich Airport (ZRH)');
    expect($<HTMLInputElement>('#destination-input').value).toBe('New York (NYC) — all airports');
    expect($<HTMLInputElement>('#origin-code').value).toBe('ZRH');
    expect($<HTMLInputElement>('#destination-code').value).toBe('NYC');

    $<HTMLInputElement>('#depart-input').value = '2030-03-10';
    $<HTMLInputElement>('#return-input').value = '2030-03-17';
    $<HTMLFormElement>('form').dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));

    expect(form.status.textContent).toBe('Search is coming soon: ZRH → NYC on 2030-03-10, returning 2030-03-17');
    expect(root.querySelectorAll('[aria-invalid="true"]')).toHaveLength(0);
    const params = new URLSearchParams(window.location.search);
    expect(params.get('from')).toBe('ZRH');
    expect(params.get('to')).toBe('NYC');
  });

  it('flags a return date before the departure', async () => {
    await form.setState({ origin: 'ZRH', destination: 'NYC', depart: '2030-03-10', return: '2030-03-01' });
    expect(form.submit()).toBe(false);
    expect($('#return-error').textContent).toMatch(/on or after/);
    expect(document.activeElement).toBe($('#return-input'));
  });

  it('restores a search (with place names) from state', async () => {
    await form.setState(fromQuery('trip=oneway&from=ZRH&to=NYC&depart=2030-04-01&adults=3&children=2&cabin=business'));
    expect($<HTMLInputElement>('#origin-input').value).toBe('Zürich Airport (ZRH)');
    expect($<HTMLInputElement>('#destination-input').value).toBe('New York (NYC) — all airports');
    expect(form.getState()).toEqual({
      trip: 'oneway',
      origin: 'ZRH',
      destination: 'NYC',
      depart: '2030-04-01',
      return: '',
      adults: 3,
      children: 2,
      infants: 0,
      cabin: 'business',
      legs: [],
    });
  });

  it('swaps origin and destination', async () => {
    await form.setState({ origin: 'ZRH', destination: 'NYC' });
    $<HTMLButtonElement>('#swap-button').click();
    expect(form.getState().origin).toBe('NYC');
    expect(form.getState().destination).toBe('ZRH');
    expect($<HTMLInputElement>('#origin-input').value).toBe('New York (NYC) — all airports');
  });

  it('clears a shown error once the field is fixed', async () => {
    form.submit();
    expect($('#origin-error').hidden).toBe(false);
    await choose($<HTMLInputElement>('#origin-input'), 'zur', 'ZRH');
    expect($('#origin-error').hidden).toBe(true);
    expect($('#origin-input').hasAttribute('aria-invalid')).toBe(false);
    // Other errors stay until fixed.
    expect($('#destination-error').hidden).toBe(false);
  });
});

describe('mountSearchForm with typed but unpicked places', () => {
  it('asks the user to pick from the suggestions', () => {
    document.body.innerHTML = '<div id="root"></div>';
    const root = document.getElementById('root')!;
    const form = mountSearchForm(root, { fetchFn: tableFetch({}), syncUrl: false, today: () => '2030-01-01' });
    const origin = root.querySelector<HTMLInputElement>('#origin-input')!;
    origin.value = 'Zurich';
    expect(form.submit()).toBe(false);
    expect(root.querySelector('#origin-error')!.textContent).toBe('Pick a city or airport from the suggestions.');
    expect(root.querySelector('#destination-error')!.textContent).toBe('Choose where you are flying to.');
    form.destroy();
  });
});
