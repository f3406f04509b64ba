import { describe, expect, it } from 'vitest';
import { ApiError, type Place } from './api';
import {
  describeLookupError,
  formatPlaceDetail,
  formatPlaceValue,
  isMetroMember,
  placeholderPlace,
  renderPlaceOption,
  resolvePlace,
} from './places';
import { JFK, LGA, NYC, ZRH, tableFetch } from './testUtils';

function render(p: Place): HTMLElement {
  const li = document.createElement('li');
  li.append(renderPlaceOption(p, document));
  return li;
}

describe('formatPlaceValue', () => {
  it('formats an airport as "Name (CODE)"', () => {
    expect(formatPlaceValue(ZRH)).toBe('Zürich Airport (ZRH)');
  });
  it('formats a metro as "Name (CODE) — all airports"', () => {
    expect(formatPlaceValue(NYC)).toBe('New York (NYC) — all airports');
  });
  it('shows just the code when the name is unknown', () => {
    expect(formatPlaceValue(placeholderPlace('lhr'))).toBe('LHR');
  });
});

describe('formatPlaceDetail', () => {
  it('is "city, country_name" for airports', () => {
    expect(formatPlaceDetail(ZRH)).toBe('Zurich, Switzerland');
  });
  it('skips a missing city', () => {
    expect(formatPlaceDetail({ ...ZRH, city: '' })).toBe('Switzerland');
  });
  it('lists the airports of a metro', () => {
    expect(formatPlaceDetail(NYC)).toBe('All airports: JFK, LGA, EWR');
  });
  it('copes with a metro without airports', () => {
    expect(formatPlaceDetail({ ...NYC, airports: [] })).toBe('All airports');
  });
});

describe('renderPlaceOption', () => {
  it('renders the code badge, the name and the detail line of an airport', () => {
    const el = render(ZRH);
    expect(el.querySelector('.opt-badge')?.textContent).toBe('ZRH');
    expect(el.querySelector('.opt-name')?.textContent).toBe('Zürich Airport');
    expect(el.querySelector('.opt-detail')?.textContent).toBe('Zurich, Switzerland');
    expect(el.querySelector('svg')?.getAttribute('aria-hidden')).toBe('true');
  });

  it('renders a metro with its airports', () => {
    const el = render(NYC);
    expect(el.querySelector('.opt-badge')?.textContent).toBe('NYC');
    expect(el.querySelector('.opt-name')?.textContent).toBe('New York');
    expect(el.querySelector('.opt-detail')?.textContent).toBe('All airports: JFK, LGA, EWR');
  });

  it('treats server text as text, not HTML', () => {
    const evil: Place = { ...ZRH, name: '<img src=x onerror=alert(1)>', city: '<b>x</b>' };
    const el = render(evil);
    expect(el.querySelector('img')).toBeNull();
    expect(el.querySelector('b')).toBeNull();
    expect(el.querySelector('.opt-name')?.textContent).toBe('<img src=x onerror=alert(1)>');
  });
});

describe('isMetroMember', () => {
  it('is true only for airports listed by the preceding metro', () => {
    const items = [NYC, JFK, LGA, ZRH];
    expect(items.map((_, i) => isMetroMember(items, i))).toEqual([false, true, true, false]);
  });
  it('is false without a preceding metro', () => {
    expect(isMetroMember([JFK, NYC], 0)).toBe(false);
  });
});

describe('describeLookupError', () => {
  it('uses the field message of a 400 problem', () => {
    const err = new ApiError(400, { title: 'Invalid parameter', status: 400, errors: [{ field: 'q', message: 'too long' }] });
    expect(describeLookupError(err)).toBe("Can't search for that: too long");
  });
  it('has distinct messages for rate limits, server errors and network errors', () => {
    const msgs = [new ApiError(429, null), new ApiError(503, null), new TypeError('Failed to fetch')].map(describeLookupError);
    expect(new Set(msgs).size).toBe(3);
  });
});

describe('resolvePlace', () => {
  it('finds the exact code among the results', async () => {
    const fetchFn = tableFetch({ nyc: [JFK, NYC] });
    await expect(resolvePlace('nyc', fetchFn)).resolves.toEqual(NYC);
  });
  it('falls back to a placeholder when nothing matches', async () => {
    const fetchFn = tableFetch({});
    await expect(resolvePlace('XYZ', fetchFn)).resolves.toEqual(placeholderPlace('XYZ'));
  });
});
