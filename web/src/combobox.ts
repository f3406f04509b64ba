/**
 * Reusable autocomplete combobox following the WAI-ARIA 1.2 combobox pattern
 * ("list autocomplete with manual selection"):
 *
 *   <input role="combobox" aria-expanded aria-controls aria-activedescendant
 *          aria-autocomplete="list">
 *   <ul role="listbox"> <li role="option" aria-selected> ... </ul>
 *
 * DOM focus stays on the input; the active option is conveyed with
 * aria-activedescendant. Data comes from an injected async `source`, so the
 * class has no knowledge of the network and is easy to test.
 *
 * Keyboard: ArrowDown / ArrowUp move the active option (wrapping), Enter
 * selects it (the top suggestion when none is active; typed before the
 * suggestions arrived, the top one once they do), Escape closes the list (or clears the text when already
 * closed), Tab closes the list. Mouse click selects.
 */

export interface ComboboxMessages {
  noMatches: string;
  error: (err: unknown) => string;
  /** Text announced through the polite live region when results arrive. */
  results: (count: number) => string;
}

export interface ComboboxOptions<T> {
  input: HTMLInputElement;
  /** Fetch suggestions; must honour `signal` when possible. */
  source: (query: string, signal: AbortSignal) => Promise<T[]>;
  /** Stable identity of an item (e.g. an IATA code). */
  getKey: (item: T) => string;
  /** Text put in the input once an item is selected. */
  formatValue: (item: T) => string;
  /** Content of one option element. */
  renderOption: (item: T, index: number, items: readonly T[]) => Node;
  /** Extra CSS classes for one option element. */
  optionClass?: (item: T, index: number, items: readonly T[]) => string;
  /** Called when the selection changes (null when the user edits the text). */
  onSelect?: (item: T | null) => void;
  /** Delay before querying, in ms. Default 120. */
  debounceMs?: number;
  /** Minimum trimmed query length sent to `source`. Default 1. */
  minChars?: number;
  /** Prefix for generated element ids; defaults to the input id. */
  idPrefix?: string;
  messages?: Partial<ComboboxMessages>;
}

const DEFAULT_MESSAGES: ComboboxMessages = {
  noMatches: 'No matches',
  error: () => 'Something went wrong. Please try again.',
  results: (n) => (n === 1 ? '1 result available.' : `${n} results available.`),
};

type PopupState = 'closed' | 'options' | 'empty' | 'error';

let instanceCounter = 0;

export class Combobox<T> {
  readonly input: HTMLInputElement;
  readonly listbox: HTMLUListElement;
  /** Shown below the input for "No matches" and errors. */
  readonly message: HTMLDivElement;
  /** Visually hidden polite live region for screen-reader announcements. */
  readonly liveRegion: HTMLDivElement;

  private readonly opts: ComboboxOptions<T>;
  private readonly messages: ComboboxMessages;
  private readonly debounceMs: number;
  private readonly minChars: number;
  private readonly idPrefix: string;

  private items: T[] = [];
  private optionEls: HTMLLIElement[] = [];
  private activeIndex = -1;
  private state: PopupState = 'closed';
  private selected: T | null = null;

  private timer: ReturnType<typeof setTimeout> | null = null;
  private controller: AbortController | null = null;
  /** Incremented for every request (and every invalidation). */
  private seq = 0;
  /** Query whose results are currently held in `items`. */
  private resultsQuery: string | null = null;
  /** Enter was pressed while the suggestions for the text were still coming: take the top one. */
  private enterPending = false;
  private readonly cleanup: (() => void)[] = [];

  constructor(opts: ComboboxOptions<T>) {
    this.opts = opts;
    this.input = opts.input;
    this.messages = { ...DEFAULT_MESSAGES, ...opts.messages };
    this.debounceMs = opts.debounceMs ?? 120;
    this.minChars = opts.minChars ?? 1;
    instanceCounter += 1;
    this.idPrefix = opts.idPrefix ?? (this.input.id || `combobox-${instanceCounter}`);

    const doc = this.input.ownerDocument;
    const host = this.input.parentElement;
    if (!host) throw new Error('Combobox input must be attached to a parent element');

    this.listbox = doc.createElement('ul');
    this.listbox.id = `${this.idPrefix}-listbox`;
    this.listbox.className = 'cb-listbox';
    this.listbox.setAttribute('role', 'listbox');
    this.listbox.hidden = true;
    const labelledBy = this.labelIds();
    if (labelledBy) this.listbox.setAttribute('aria-labelledby', labelledBy);

    this.message = doc.createElement('div');
    this.message.id = `${this.idPrefix}-message`;
    this.message.className = 'cb-message';
    this.message.hidden = true;

    this.liveRegion = doc.createElement('div');
    this.liveRegion.id = `${this.idPrefix}-live`;
    this.liveRegion.className = 'visually-hidden';
    this.liveRegion.setAttribute('role', 'status');
    this.liveRegion.setAttribute('aria-live', 'polite');
    this.liveRegion.setAttribute('aria-atomic', 'true');

    host.append(this.listbox, this.message, this.liveRegion);

    const input = this.input;
    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-expanded', 'false');
    input.setAttribute('aria-controls', this.listbox.id);
    input.setAttribute('aria-haspopup', 'listbox');
    input.setAttribute('autocomplete', 'off');
    input.setAttribute('autocapitalize', 'off');
    input.setAttribute('spellcheck', 'false');
    input.removeAttribute('aria-activedescendant');

    this.listen(input, 'input', () => this.onInput());
    this.listen(input, 'keydown', (e) => this.onKeyDown(e as KeyboardEvent));
    this.listen(input, 'blur', () => this.close());
    this.listen(input, 'click', () => this.onInputClick());
    // Keep focus in the input while clicking an option.
    this.listen(this.listbox, 'mousedown', (e) => e.preventDefault());
    this.listen(this.listbox, 'click', (e) => this.onListClick(e as MouseEvent));
    this.listen(this.listbox, 'mousemove', (e) => this.onListHover(e as MouseEvent));
  }

  /* ------------------------------------------------------------------ */
  /* Public API                                                         */
  /* ------------------------------------------------------------------ */

  /** The currently selected item, or null. */
  get value(): T | null {
    return this.selected;
  }

  get isOpen(): boolean {
    return this.state === 'options';
  }

  /** Items currently rendered in the listbox. */
  get options(): readonly T[] {
    return this.items;
  }

  get activeOption(): T | null {
    return this.activeIndex >= 0 ? (this.items[this.activeIndex] ?? null) : null;
  }

  /** Programmatically select (or clear with null) an item. */
  setValue(item: T | null, { notify = true }: { notify?: boolean } = {}): void {
    this.invalidatePending();
    this.enterPending = false;
    this.selected = item;
    this.input.value = item ? this.opts.formatValue(item) : '';
    this.input.title = this.input.value;
    this.close();
    if (notify) this.opts.onSelect?.(item);
  }

  /** Run the query for the current input text immediately (no debounce). */
  refresh(): Promise<void> {
    this.clearTimer();
    return this.runQuery(this.input.value);
  }

  /** Remove listeners and generated elements. */
  destroy(): void {
    this.invalidatePending();
    for (const off of this.cleanup.splice(0)) off();
    this.listbox.remove();
    this.message.remove();
    this.liveRegion.remove();
  }

  /* ------------------------------------------------------------------ */
  /* Event handlers                                                     */
  /* ------------------------------------------------------------------ */

  private onInput(): void {
    this.enterPending = false;
    if (this.selected) {
      this.selected = null;
      this.input.title = '';
      this.opts.onSelect?.(null);
    }
    const q = this.input.value.trim();
    this.clearTimer();
    if (q.length < this.minChars) {
      this.invalidatePending();
      this.items = [];
      this.resultsQuery = null;
      this.close();
      this.announce('');
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.runQuery(this.input.value);
    }, this.debounceMs);
  }

  private onInputClick(): void {
    // Re-open previous results when clicking into an unselected field.
    if (this.state === 'closed' && !this.selected && this.items.length > 0 && this.resultsQuery === this.input.value.trim()) {
      this.setState('options');
    }
  }

  private onKeyDown(e: KeyboardEvent): void {
    if (e.altKey && e.key === 'ArrowDown') {
      // Alt+Down opens without moving the active option.
      if (this.items.length > 0) this.setState('options');
      e.preventDefault();
      return;
    }
    switch (e.key) {
      case 'ArrowDown':
      case 'Down':
        e.preventDefault();
        this.move(1);
        break;
      case 'ArrowUp':
      case 'Up':
        e.preventDefault();
        this.move(-1);
        break;
      case 'Enter':
        if (this.state === 'options' && this.items.length > 0) {
          // The active option, else the top suggestion.
          e.preventDefault();
          this.selectIndex(this.activeIndex >= 0 ? this.activeIndex : 0);
        } else if (this.state !== 'closed') {
          // Don't submit the surrounding form while the popup is showing.
          e.preventDefault();
          this.close();
        } else if (!this.selected && (this.timer !== null || this.controller !== null) && this.input.value.trim().length >= this.minChars) {
          // Typed faster than the suggestions came: take the top one when they arrive.
          e.preventDefault();
          this.enterPending = true;
        }
        break;
      case 'Escape':
      case 'Esc':
        this.enterPending = false;
        if (this.state !== 'closed') {
          e.preventDefault();
          this.invalidatePending();
          this.close();
        } else if (this.input.value !== '') {
          e.preventDefault();
          this.setValue(null);
        }
        break;
      case 'Tab':
        this.enterPending = false;
        this.invalidatePending();
        this.close();
        break;
      default:
        break;
    }
  }

  private onListClick(e: MouseEvent): void {
    const li = this.optionFromEvent(e);
    if (!li) return;
    const index = this.optionEls.indexOf(li);
    if (index >= 0) this.selectIndex(index);
  }

  private onListHover(e: MouseEvent): void {
    const li = this.optionFromEvent(e);
    if (!li) return;
    const index = this.optionEls.indexOf(li);
    if (index >= 0 && index !== this.activeIndex) this.setActive(index, false);
  }

  private optionFromEvent(e: Event): HTMLLIElement | null {
    const target = e.target as Element | null;
    const li = target?.closest?.('[role="option"]');
    return li && this.listbox.contains(li) ? (li as HTMLLIElement) : null;
  }

  /* ------------------------------------------------------------------ */
  /* Querying                                                           */
  /* ------------------------------------------------------------------ */

  private async runQuery(raw: string): Promise<void> {
    const q = raw.trim();
    if (q.length < this.minChars) return;
    // Abort the previous request; a newer sequence number also guards
    // against sources that resolve after being aborted (out of order).
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    const id = ++this.seq;
    this.input.setAttribute('aria-busy', 'true');
    this.input.parentElement?.classList.add('is-loading');
    try {
      const items = await this.opts.source(q, controller.signal);
      if (id !== this.seq || controller.signal.aborted) return;
      this.showResults(q, items);
    } catch (err) {
      if (id !== this.seq || controller.signal.aborted) return;
      this.showError(err);
    } finally {
      if (id === this.seq) {
        this.input.removeAttribute('aria-busy');
        this.input.parentElement?.classList.remove('is-loading');
        if (this.controller === controller) this.controller = null;
      }
    }
  }

  /** Cancel the debounce timer and any in-flight request. */
  private invalidatePending(): void {
    this.clearTimer();
    this.seq += 1;
    this.controller?.abort();
    this.controller = null;
    this.input.removeAttribute('aria-busy');
    this.input.parentElement?.classList.remove('is-loading');
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  /* ------------------------------------------------------------------ */
  /* Rendering                                                          */
  /* ------------------------------------------------------------------ */

  private showResults(q: string, items: T[]): void {
    this.items = items.slice();
    this.resultsQuery = q;
    this.renderOptions();
    if (this.enterPending) {
      this.enterPending = false;
      if (items.length > 0 && this.input.ownerDocument.activeElement === this.input) {
        this.selectIndex(0);
        return;
      }
    }
    // Only pop the list open while the user is in the field.
    const focused = this.input.ownerDocument.activeElement === this.input;
    if (items.length === 0) {
      this.message.textContent = this.messages.noMatches;
      this.message.classList.remove('is-error');
      this.setState(focused ? 'empty' : 'closed');
      this.announce(this.messages.noMatches);
    } else {
      this.setState(focused ? 'options' : 'closed');
      this.announce(this.messages.results(items.length));
    }
  }

  private showError(err: unknown): void {
    this.items = [];
    this.resultsQuery = null;
    this.renderOptions();
    const text = this.messages.error(err);
    this.message.textContent = text;
    this.message.classList.add('is-error');
    this.setState('error');
    this.announce(text);
  }

  private renderOptions(): void {
    const doc = this.input.ownerDocument;
    this.listbox.replaceChildren();
    this.optionEls = this.items.map((item, i) => {
      const li = doc.createElement('li');
      li.id = `${this.idPrefix}-option-${i}`;
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', 'false');
      li.className = 'cb-option';
      const extra = this.opts.optionClass?.(item, i, this.items);
      if (extra) li.className += ` ${extra}`;
      li.dataset.key = this.opts.getKey(item);
      li.append(this.opts.renderOption(item, i, this.items));
      return li;
    });
    this.listbox.append(...this.optionEls);
    this.activeIndex = -1;
    this.input.removeAttribute('aria-activedescendant');
  }

  private setState(state: PopupState): void {
    this.state = state;
    const showList = state === 'options';
    this.listbox.hidden = !showList;
    this.message.hidden = !(state === 'empty' || state === 'error');
    this.input.setAttribute('aria-expanded', showList ? 'true' : 'false');
    this.syncDescribedBy(!this.message.hidden);
    if (!showList) this.setActive(-1, false);
  }

  private close(): void {
    if (this.state !== 'closed') this.setState('closed');
  }

  private move(delta: 1 | -1): void {
    if (this.state !== 'options') {
      if (this.items.length > 0 && this.resultsQuery === this.input.value.trim() && !this.selected) {
        this.setState('options');
        this.setActive(delta === 1 ? 0 : this.items.length - 1);
      } else if (this.input.value.trim().length >= this.minChars && !this.selected) {
        // Nothing loaded yet for this text: search right away.
        void this.refresh();
      }
      return;
    }
    const n = this.items.length;
    if (n === 0) return;
    let next: number;
    if (this.activeIndex < 0) next = delta === 1 ? 0 : n - 1;
    else next = (this.activeIndex + delta + n) % n;
    this.setActive(next);
  }

  private setActive(index: number, scroll = true): void {
    const prev = this.optionEls[this.activeIndex];
    if (prev) {
      prev.classList.remove('is-active');
      prev.setAttribute('aria-selected', 'false');
    }
    this.activeIndex = index;
    const el = this.optionEls[index];
    if (el) {
      el.classList.add('is-active');
      el.setAttribute('aria-selected', 'true');
      this.input.setAttribute('aria-activedescendant', el.id);
      if (scroll && typeof el.scrollIntoView === 'function') el.scrollIntoView({ block: 'nearest' });
    } else {
      this.activeIndex = -1;
      this.input.removeAttribute('aria-activedescendant');
    }
  }

  private selectIndex(index: number): void {
    const item = this.items[index];
    if (item === undefined) return;
    this.enterPending = false;
    this.invalidatePending();
    this.selected = item;
    this.input.value = this.opts.formatValue(item);
    this.input.title = this.input.value;
    this.close();
    this.announce('');
    this.opts.onSelect?.(item);
  }

  private announce(text: string): void {
    this.liveRegion.textContent = text;
  }

  /** Add/remove the message id from the input's aria-describedby list. */
  private syncDescribedBy(on: boolean): void {
    const ids = (this.input.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean);
    const has = ids.includes(this.message.id);
    if (on && !has) ids.push(this.message.id);
    if (!on && has) ids.splice(ids.indexOf(this.message.id), 1);
    if (ids.length) this.input.setAttribute('aria-describedby', ids.join(' '));
    else this.input.removeAttribute('aria-describedby');
  }

  private labelIds(): string | null {
    const labels = this.input.labels;
    if (!labels || labels.length === 0) return null;
    const ids: string[] = [];
    labels.forEach((label, i) => {
      if (!label.id) label.id = `${this.idPrefix}-label${i ? `-${i}` : ''}`;
      ids.push(label.id);
    });
    return ids.join(' ');
  }

  private listen(target: EventTarget, type: string, fn: (e: Event) => void): void {
    target.addEventListener(type, fn);
    this.cleanup.push(() => target.removeEventListener(type, fn));
  }
}
