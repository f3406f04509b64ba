import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Place } from './api';
import type { Combobox } from './combobox';
import { createPlaceCombobox } from './places';
import { JFK, LGA, NYC, ZAG, ZRH, controlledFetch, fakeResponse, flush, press, typeText } from './testUtils';

function setup() {
  document.body.innerHTML = `
    <form id="f">
      <label for="from">From</label>
      <div class="cb"><input id="from" type="text" /></div>
    </form>`;
  const input = document.getElementById('from') as HTMLInputElement;
  input.focus();
  const { fetchFn, calls } = controlledFetch();
  const onSelect = vi.fn<(p: Place | null) => void>();
  const cb = createPlaceCombobox(input, { fetchFn, onSelect });
  const listbox = () => document.getElementById(input.getAttribute('aria-controls')!) as HTMLUListElement;
  const options = () => Array.from(listbox().querySelectorAll<HTMLLIElement>('[role="option"]'));
  const codes = () => options().map((o) => o.querySelector('.opt-badge')?.textContent);
  const active = () => {
    const id = input.getAttribute('aria-activedescendant');
    return id ? document.getElementById(id) : null;
  };
  return { input, cb, calls, onSelect, listbox, options, codes, active };
}

/** Type, wait out the debounce, answer the request and let it render. */
async function search(ctx: ReturnType<typeof setup>, text: string, items: Place[]) {
  typeText(ctx.input, text);
  await vi.advanceTimersByTimeAsync(120);
  const call = ctx.calls.at(-1)!;
  expect(call.q).toBe(text);
  call.respond(items);
  await flush();
}

let ctx: ReturnType<typeof setup>;
let cb: Combobox<Place>;

beforeEach(() => {
  vi.useFakeTimers();
  ctx = setup();
  cb = ctx.cb;
});

afterEach(() => {
  cb.destroy();
  vi.useRealTimers();
});

describe('ARIA wiring', () => {
  it('marks up the input as a collapsed combobox controlling a listbox', () => {
    const { input, listbox } = ctx;
    expect(input.getAttribute('role')).toBe('combobox');
    expect(input.getAttribute('aria-expanded')).toBe('false');
    expect(input.getAttribute('aria-autocomplete')).toBe('list');
    expect(input.getAttribute('autocomplete')).toBe('off');
    expect(listbox().getAttribute('role')).toBe('listbox');
    expect(listbox().hidden).toBe(true);
    expect(input.hasAttribute('aria-activedescendant')).toBe(false);
    // The listbox is labelled by the field's label.
    const labelId = listbox().getAttribute('aria-labelledby')!;
    expect(document.getElementById(labelId)?.textContent).toBe('From');
  });

  it('opens with role=option items when results arrive', async () => {
    await search(ctx, 'new', [NYC, JFK, LGA]);
    expect(ctx.input.getAttribute('aria-expanded')).toBe('true');
    expect(ctx.listbox().hidden).toBe(false);
    expect(ctx.codes()).toEqual(['NYC', 'JFK', 'LGA']);
    for (const o of ctx.options()) {
      expect(o.id).toMatch(/^from-option-\d$/);
      expect(o.getAttribute('aria-selected')).toBe('false');
    }
    expect(ctx.cb.liveRegion.textContent).toMatch(/3 airports found/);
  });

  it('marks airports that belong to the preceding metro', async () => {
    await search(ctx, 'new', [NYC, JFK, LGA, ZRH]);
    const cls = ctx.options().map((o) => o.classList.contains('is-member'));
    expect(cls).toEqual([false, true, true, false]);
    expect(ctx.options()[0]!.classList.contains('is-metro')).toBe(true);
  });
});

describe('debounce and requests', () => {
  it('waits ~120 ms and sends only the latest text', async () => {
    typeText(ctx.input, 'z');
    await vi.advanceTimersByTimeAsync(60);
    typeText(ctx.input, 'zu');
    await vi.advanceTimersByTimeAsync(60);
    typeText(ctx.input, 'zur');
    await vi.advanceTimersByTimeAsync(119);
    expect(ctx.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(ctx.calls).toHaveLength(1);
    expect(ctx.calls[0]!.url).toBe('/api/v1/airports?q=zur&limit=8');
  });

  it('does not send queries shorter than one character', async () => {
    typeText(ctx.input, '   ');
    await vi.advanceTimersByTimeAsync(500);
    typeText(ctx.input, '');
    await vi.advanceTimersByTimeAsync(500);
    expect(ctx.calls).toHaveLength(0);
    expect(ctx.input.getAttribute('aria-expanded')).toBe('false');
  });

  it('aborts the previous request when a new one starts', async () => {
    typeText(ctx.input, 'zu');
    await vi.advanceTimersByTimeAsync(120);
    typeText(ctx.input, 'zur');
    await vi.advanceTimersByTimeAsync(120);
    expect(ctx.calls).toHaveLength(2);
    expect(ctx.calls[0]!.signal?.aborted).toBe(true);
    expect(ctx.calls[1]!.signal?.aborted).toBe(false);
  });

  it('aborts an in-flight request when the text is cleared', async () => {
    typeText(ctx.input, 'zu');
    await vi.advanceTimersByTimeAsync(120);
    typeText(ctx.input, '');
    expect(ctx.calls[0]!.signal?.aborted).toBe(true);
    ctx.calls[0]!.respond([ZRH]);
    await flush();
    expect(ctx.options()).toHaveLength(0);
    expect(ctx.input.getAttribute('aria-expanded')).toBe('false');
  });
});

describe('out-of-order responses', () => {
  it('ignores an older response that arrives after the newer one', async () => {
    typeText(ctx.input, 'z');
    await vi.advanceTimersByTimeAsync(120);
    typeText(ctx.input, 'zur');
    await vi.advanceTimersByTimeAsync(120);
    const [older, newer] = ctx.calls;
    newer!.respond([ZRH]);
    await flush();
    expect(ctx.codes()).toEqual(['ZRH']);
    // The stale answer for "z" comes in late (server ignored the abort).
    older!.respond([ZAG, ZRH]);
    await flush();
    expect(ctx.codes()).toEqual(['ZRH']);
    expect(ctx.input.getAttribute('aria-expanded')).toBe('true');
  });

  it('ignores an older response that arrives before the newer one', async () => {
    typeText(ctx.input, 'z');
    await vi.advanceTimersByTimeAsync(120);
    typeText(ctx.input, 'zur');
    await vi.advanceTimersByTimeAsync(120);
    const [older, newer] = ctx.calls;
    older!.respond([ZAG]);
    await flush();
    expect(ctx.codes()).toEqual([]);
    expect(ctx.input.getAttribute('aria-expanded')).toBe('false');
    newer!.respond([ZRH]);
    await flush();
    expect(ctx.codes()).toEqual(['ZRH']);
  });

  it('ignores a late failure of a superseded request', async () => {
    typeText(ctx.input, 'z');
    await vi.advanceTimersByTimeAsync(120);
    typeText(ctx.input, 'zur');
    await vi.advanceTimersByTimeAsync(120);
    ctx.calls[1]!.respond([ZRH]);
    await flush();
    ctx.calls[0]!.fail(new DOMException('The operation was aborted.', 'AbortError'));
    await flush();
    expect(ctx.cb.message.hidden).toBe(true);
    expect(ctx.codes()).toEqual(['ZRH']);
  });

  it('ignores a response that arrives after the user picked an option', async () => {
    await search(ctx, 'zur', [ZRH]);
    typeText(ctx.input, 'zuri');
    await vi.advanceTimersByTimeAsync(120);
    // Pick from the still-rendered "zur" list before "zuri" answers.
    ctx.cb.setValue(ZRH);
    ctx.calls.at(-1)!.respond([ZAG]);
    await flush();
    expect(ctx.input.value).toBe('Zürich Airport (ZRH)');
    expect(ctx.input.getAttribute('aria-expanded')).toBe('false');
  });
});

describe('keyboard', () => {
  it('ArrowDown moves through options and wraps to the first', async () => {
    await search(ctx, 'new', [NYC, JFK, LGA]);
    const { input } = ctx;
    const seen: (string | null | undefined)[] = [];
    for (let i = 0; i < 4; i++) {
      const e = press(input, 'ArrowDown');
      expect(e.defaultPrevented).toBe(true);
      seen.push(ctx.active()?.dataset.key);
    }
    expect(seen).toEqual(['metro:NYC', 'airport:JFK', 'airport:LGA', 'metro:NYC']);
  });

  it('ArrowUp starts at the last option and wraps from the first to the last', async () => {
    await search(ctx, 'new', [NYC, JFK, LGA]);
    press(ctx.input, 'ArrowUp');
    expect(ctx.active()?.dataset.key).toBe('airport:LGA');
    press(ctx.input, 'ArrowUp');
    press(ctx.input, 'ArrowUp');
    expect(ctx.active()?.dataset.key).toBe('metro:NYC');
    press(ctx.input, 'ArrowUp');
    expect(ctx.active()?.dataset.key).toBe('airport:LGA');
  });

  it('keeps aria-activedescendant and aria-selected in sync', async () => {
    await search(ctx, 'new', [NYC, JFK, LGA]);
    press(ctx.input, 'ArrowDown');
    press(ctx.input, 'ArrowDown');
    const id = ctx.input.getAttribute('aria-activedescendant');
    expect(id).toBe(ctx.options()[1]!.id);
    expect(ctx.options().map((o) => o.getAttribute('aria-selected'))).toEqual(['false', 'true', 'false']);
    expect(ctx.options()[1]!.classList.contains('is-active')).toBe(true);
  });

  it('Enter selects the active option and closes the list', async () => {
    await search(ctx, 'new', [NYC, JFK, LGA]);
    press(ctx.input, 'ArrowDown');
    const e = press(ctx.input, 'Enter');
    expect(e.defaultPrevented).toBe(true);
    expect(ctx.input.value).toBe('New York (NYC) — all airports');
    expect(ctx.onSelect).toHaveBeenLastCalledWith(NYC);
    expect(ctx.cb.value).toEqual(NYC);
    expect(ctx.input.getAttribute('aria-expanded')).toBe('false');
    expect(ctx.input.hasAttribute('aria-activedescendant')).toBe(false);
    expect(ctx.listbox().hidden).toBe(true);
  });

  it('Enter with no active option takes the top suggestion (issue 18)', async () => {
    await search(ctx, 'new', [NYC, JFK]);
    const e = press(ctx.input, 'Enter');
    expect(e.defaultPrevented).toBe(true);
    expect(ctx.onSelect).toHaveBeenLastCalledWith(NYC);
    expect(ctx.input.value).toBe('New York (NYC) — all airports');
    expect(ctx.input.getAttribute('aria-expanded')).toBe('false');
  });

  it('Enter typed before the suggestions arrive takes the top one when they do (not the form submit)', async () => {
    typeText(ctx.input, 'zur');
    const early = press(ctx.input, 'Enter');
    expect(early.defaultPrevented).toBe(true);
    await vi.advanceTimersByTimeAsync(120);
    ctx.calls.at(-1)!.respond([ZRH, ZAG]);
    await flush();
    expect(ctx.onSelect).toHaveBeenLastCalledWith(ZRH);
    expect(ctx.input.value).toBe('Zürich Airport (ZRH)');
    expect(ctx.input.getAttribute('aria-expanded')).toBe('false');
    // Typing again cancels a pending Enter.
    typeText(ctx.input, 'new');
    press(ctx.input, 'Enter');
    typeText(ctx.input, 'newa');
    await vi.advanceTimersByTimeAsync(120);
    ctx.calls.at(-1)!.respond([NYC]);
    await flush();
    expect(ctx.onSelect).toHaveBeenLastCalledWith(null);
    expect(ctx.input.getAttribute('aria-expanded')).toBe('true');
  });

  it('Enter on "no matches" closes the message and selects nothing', async () => {
    await search(ctx, 'qqq', []);
    const e = press(ctx.input, 'Enter');
    expect(e.defaultPrevented).toBe(true);
    expect(ctx.onSelect).not.toHaveBeenCalled();
    expect(ctx.input.value).toBe('qqq');
  });

  it('Enter while closed is left alone (so the form can submit)', () => {
    const e = press(ctx.input, 'Enter');
    expect(e.defaultPrevented).toBe(false);
  });

  it('Escape closes the list and keeps the text; a second Escape clears it', async () => {
    await search(ctx, 'zur', [ZRH]);
    press(ctx.input, 'ArrowDown');
    press(ctx.input, 'Escape');
    expect(ctx.input.getAttribute('aria-expanded')).toBe('false');
    expect(ctx.input.hasAttribute('aria-activedescendant')).toBe(false);
    expect(ctx.input.value).toBe('zur');
    expect(ctx.onSelect).not.toHaveBeenCalled();
    press(ctx.input, 'Escape');
    expect(ctx.input.value).toBe('');
  });

  it('ArrowDown reopens closed results for the same text', async () => {
    await search(ctx, 'zur', [ZRH, ZAG]);
    press(ctx.input, 'Escape');
    press(ctx.input, 'ArrowDown');
    expect(ctx.input.getAttribute('aria-expanded')).toBe('true');
    expect(ctx.active()?.dataset.key).toBe('airport:ZRH');
    expect(ctx.calls).toHaveLength(1);
  });

  it('Tab closes the list without selecting', async () => {
    await search(ctx, 'zur', [ZRH]);
    press(ctx.input, 'ArrowDown');
    const e = press(ctx.input, 'Tab');
    expect(e.defaultPrevented).toBe(false);
    expect(ctx.input.getAttribute('aria-expanded')).toBe('false');
    expect(ctx.onSelect).not.toHaveBeenCalled();
  });

  it('editing the text after a selection clears the selection', async () => {
    await search(ctx, 'zur', [ZRH]);
    press(ctx.input, 'ArrowDown');
    press(ctx.input, 'Enter');
    expect(ctx.cb.value).toEqual(ZRH);
    typeText(ctx.input, 'Zürich Airport (ZR');
    expect(ctx.cb.value).toBeNull();
    expect(ctx.onSelect).toHaveBeenLastCalledWith(null);
  });
});

describe('mouse', () => {
  it('clicking an option selects it', async () => {
    await search(ctx, 'new', [NYC, JFK, LGA]);
    const jfk = ctx.options()[1]!;
    const down = new MouseEvent('mousedown', { bubbles: true, cancelable: true });
    jfk.querySelector('.opt-name')!.dispatchEvent(down);
    expect(down.defaultPrevented).toBe(true); // focus stays in the input
    jfk.querySelector('.opt-name')!.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    expect(ctx.input.value).toBe('John F. Kennedy International Airport (JFK)');
    expect(ctx.onSelect).toHaveBeenLastCalledWith(JFK);
    expect(ctx.input.getAttribute('aria-expanded')).toBe('false');
  });

  it('blurring the input closes the list', async () => {
    await search(ctx, 'new', [NYC]);
    ctx.input.blur();
    expect(ctx.input.getAttribute('aria-expanded')).toBe('false');
  });
});

describe('empty and error states', () => {
  it('shows "No matches" when the server returns no items', async () => {
    await search(ctx, 'qqq', []);
    expect(ctx.cb.message.hidden).toBe(false);
    expect(ctx.cb.message.textContent).toBe('No matches');
    expect(ctx.cb.message.classList.contains('is-error')).toBe(false);
    expect(ctx.input.getAttribute('aria-expanded')).toBe('false');
    expect(ctx.input.getAttribute('aria-describedby')).toContain(ctx.cb.message.id);
    expect(ctx.cb.liveRegion.textContent).toBe('No matches');
  });

  it('shows an error for a failed request and recovers on the next one', async () => {
    typeText(ctx.input, 'zur');
    await vi.advanceTimersByTimeAsync(120);
    ctx.calls[0]!.respondWith(fakeResponse({ title: 'Internal error', status: 500 }, 500, 'application/problem+json'));
    await flush();
    expect(ctx.cb.message.hidden).toBe(false);
    expect(ctx.cb.message.classList.contains('is-error')).toBe(true);
    expect(ctx.cb.message.textContent).toMatch(/unavailable/i);
    expect(ctx.input.getAttribute('aria-expanded')).toBe('false');

    await search(ctx, 'zuri', [ZRH]);
    expect(ctx.cb.message.hidden).toBe(true);
    expect(ctx.input.getAttribute('aria-describedby')).toBeNull();
    expect(ctx.codes()).toEqual(['ZRH']);
  });

  it('shows the field message of a 400 problem+json answer', async () => {
    typeText(ctx.input, 'x');
    await vi.advanceTimersByTimeAsync(120);
    ctx.calls[0]!.respondWith(
      fakeResponse(
        {
          type: 'https://contrail.example/problems/invalid-parameter',
          title: 'Invalid parameter',
          status: 400,
          detail: 'q is invalid',
          errors: [{ field: 'q', message: 'must be at most 64 characters' }],
        },
        400,
        'application/problem+json',
      ),
    );
    await flush();
    expect(ctx.cb.message.textContent).toContain('must be at most 64 characters');
  });

  it('shows a network error message when fetch rejects', async () => {
    typeText(ctx.input, 'zur');
    await vi.advanceTimersByTimeAsync(120);
    ctx.calls[0]!.fail(new TypeError('Failed to fetch'));
    await flush();
    expect(ctx.cb.message.textContent).toMatch(/could not reach/i);
  });

  it('sets aria-busy while a request is in flight', async () => {
    typeText(ctx.input, 'zur');
    await vi.advanceTimersByTimeAsync(120);
    expect(ctx.input.getAttribute('aria-busy')).toBe('true');
    ctx.calls[0]!.respond([ZRH]);
    await flush();
    expect(ctx.input.hasAttribute('aria-busy')).toBe(false);
  });
});
