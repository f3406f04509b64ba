/**
 * Accessible form building blocks shared by the account pages:
 *
 * - every control has a <label>; hints and errors are tied to it with
 *   aria-describedby (the error id only while there is an error);
 * - invalid controls get aria-invalid="true" and the first one is focused;
 * - a summary goes to a role="alert" box, success to a polite role="status";
 * - after the first failed submit, fields re-validate as the user fixes them.
 */

import { h, icon, ICONS, nextId, setDescribedBy } from './dom';
import { problemToFormErrors, type ProblemMapping } from './problems';

export type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

export interface Field {
  wrap: HTMLElement;
  control: Control;
  error: HTMLElement;
  label: HTMLLabelElement;
}

export interface FieldSpec {
  label: string;
  name: string;
  type?: string;
  hint?: string;
  autocomplete?: string;
  value?: string;
  placeholder?: string;
  required?: boolean;
  /** Adds "(optional)" to the label. */
  optional?: boolean;
  attrs?: Record<string, string>;
  /** For type 'select'. */
  options?: readonly { value: string; label: string }[];
  /** Extra class on the wrapper (grid placement). */
  className?: string;
}

/** A labelled input/select with hint and (hidden) error message. */
export function field(spec: FieldSpec): Field {
  const id = nextId(`f-${spec.name}`);
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  let control: Control;
  if (spec.type === 'select') {
    const select = h('select', { id, name: spec.name, class: 'field-input field-select' });
    for (const o of spec.options ?? []) select.add(new Option(o.label, o.value));
    if (spec.value !== undefined) select.value = spec.value;
    control = select;
  } else {
    control = h('input', {
      id,
      name: spec.name,
      type: spec.type ?? 'text',
      class: 'field-input',
      autocomplete: spec.autocomplete,
      placeholder: spec.placeholder,
    });
    if (spec.value !== undefined) control.value = spec.value;
  }
  if (spec.required) control.setAttribute('aria-required', 'true');
  for (const [k, v] of Object.entries(spec.attrs ?? {})) control.setAttribute(k, v);
  const label = h('label', { for: id, class: 'field-label' }, spec.label, spec.optional ? h('span', { class: 'field-optional' }, ' (optional)') : null);
  const hint = spec.hint ? h('p', { id: hintId, class: 'field-hint' }, spec.hint) : null;
  if (hint) setDescribedBy(control, hintId, true);
  const error = h('p', { id: errorId, class: 'field-error', hidden: true });
  const wrap = h('div', { class: `field form-field ${spec.className ?? ''}`.trim(), 'data-field': spec.name }, label, control, hint, error);
  return { wrap, control, error, label };
}

/** A password input with a "Show password" toggle button. */
export function passwordField(spec: FieldSpec): Field & { toggle: HTMLButtonElement } {
  const f = field({ ...spec, type: 'password' });
  f.control.setAttribute('autocapitalize', 'off');
  f.control.setAttribute('spellcheck', 'false');
  const toggle = h('button', {
    type: 'button',
    class: 'pw-toggle',
    'aria-pressed': 'false',
    'aria-controls': f.control.id,
    'aria-label': 'Show password',
    title: 'Show password',
  });
  toggle.append(icon(ICONS.eye, 18));
  toggle.addEventListener('click', () => {
    const input = f.control as HTMLInputElement;
    const show = input.type === 'password';
    input.type = show ? 'text' : 'password';
    toggle.setAttribute('aria-pressed', String(show));
    toggle.replaceChildren(icon(show ? ICONS.eyeOff : ICONS.eye, 18));
  });
  const box = h('div', { class: 'pw-box' });
  f.control.replaceWith(box);
  box.append(f.control, toggle);
  return { ...f, toggle };
}

/** A checkbox styled as a switch, with its label on the right. */
export function switchField(spec: { name: string; label: string; hint?: string; checked?: boolean }): { wrap: HTMLElement; control: HTMLInputElement } {
  const id = nextId(`f-${spec.name}`);
  const control = h('input', { id, name: spec.name, type: 'checkbox', class: 'switch-input', role: 'switch' });
  control.checked = !!spec.checked;
  const hintId = `${id}-hint`;
  if (spec.hint) control.setAttribute('aria-describedby', hintId);
  const wrap = h(
    'div',
    { class: 'switch-row' },
    control,
    h('label', { for: id, class: 'switch-label' }, h('span', { class: 'switch-track', 'aria-hidden': 'true' }), h('span', { class: 'switch-text' }, spec.label)),
    spec.hint ? h('p', { id: hintId, class: 'field-hint switch-hint' }, spec.hint) : null,
  );
  return { wrap, control };
}

export interface FormControllerOptions<F extends string> {
  form: HTMLFormElement;
  fields: Partial<Record<F, Field>>;
  /** Focus / summary order. */
  order: readonly F[];
  /** Current client-side errors (used to re-validate while fixing). */
  validate?: () => Partial<Record<F, string>>;
  /** Where non-field errors go (role="alert"). Created when omitted. */
  alert?: HTMLElement;
  /** Polite live region for success messages. Created when omitted. */
  status?: HTMLElement;
  submit?: HTMLButtonElement;
}

export class FormController<F extends string> {
  readonly form: HTMLFormElement;
  readonly alert: HTMLElement;
  readonly status: HTMLElement;
  private readonly opts: FormControllerOptions<F>;
  private shown: Partial<Record<F, string>> = {};
  private busyFlag = false;
  private submitLabel: string | null = null;

  constructor(opts: FormControllerOptions<F>) {
    this.opts = opts;
    this.form = opts.form;
    this.form.noValidate = true;
    this.alert = opts.alert ?? h('div', { class: 'form-alert', role: 'alert' });
    this.status = opts.status ?? h('p', { class: 'form-status', role: 'status', 'aria-live': 'polite' });
    if (!opts.alert) this.form.append(this.alert);
    if (!opts.status) this.form.append(this.status);
    const recheck = (e: Event) => this.recheck(e.target as Element | null);
    this.form.addEventListener('input', recheck);
    this.form.addEventListener('change', recheck);
  }

  get busy(): boolean {
    return this.busyFlag;
  }

  get errors(): Partial<Record<F, string>> {
    return { ...this.shown };
  }

  /** Show field errors (and an optional form message). Returns true when there were any. */
  show(errors: Partial<Record<F, string>>, formMessage: string | null = null, { focus = true }: { focus?: boolean } = {}): boolean {
    this.shown = { ...errors };
    for (const key of Object.keys(this.opts.fields) as F[]) this.paint(key, errors[key]);
    const keys = this.opts.order.filter((k) => errors[k]);
    if (formMessage) {
      this.alert.textContent = formMessage;
    } else if (keys.length > 0) {
      this.alert.textContent = keys.length === 1 ? 'Please fix the highlighted field.' : `Please fix the ${keys.length} highlighted fields.`;
    } else {
      this.alert.textContent = '';
    }
    if (keys.length || formMessage) this.setStatus('');
    if (focus && keys.length > 0) {
      const first = this.opts.fields[keys[0]!];
      first?.control.focus();
    }
    return keys.length > 0 || !!formMessage;
  }

  clear(): void {
    this.show({}, null, { focus: false });
  }

  /** Validate with the client rules; show and focus the first error. True when valid. */
  check(): boolean {
    const errors = this.opts.validate?.() ?? {};
    return !this.show(errors);
  }

  /** Map a failed API call onto the fields. */
  showProblem(err: unknown, mapping: ProblemMapping<F>): void {
    const fe = problemToFormErrors(err, mapping);
    const hasField = Object.keys(fe.fields).length > 0;
    this.show(fe.fields, fe.form ?? (hasField ? null : 'Something went wrong. Please try again.'));
  }

  setStatus(message: string): void {
    this.status.textContent = message;
    this.status.classList.toggle('is-visible', message !== '');
  }

  /** Success: clear errors and announce politely. */
  succeed(message: string): void {
    this.clear();
    this.setStatus(message);
  }

  /**
   * Mark the form busy. The submit button stays focusable (aria-disabled)
   * so keyboard focus is not lost while the request runs.
   */
  setBusy(busy: boolean, label?: string): void {
    this.busyFlag = busy;
    this.form.setAttribute('aria-busy', String(busy));
    const btn = this.opts.submit;
    if (!btn) return;
    const text = btn.querySelector('.btn-text') ?? btn;
    if (busy) {
      this.submitLabel = text.textContent;
      btn.setAttribute('aria-disabled', 'true');
      btn.classList.add('is-busy');
      if (label) text.textContent = label;
    } else {
      btn.removeAttribute('aria-disabled');
      btn.classList.remove('is-busy');
      if (this.submitLabel !== null) text.textContent = this.submitLabel;
      this.submitLabel = null;
    }
  }

  private paint(key: F, message: string | undefined): void {
    const f = this.opts.fields[key];
    if (!f) return;
    f.error.textContent = message ?? '';
    f.error.hidden = !message;
    if (message) f.control.setAttribute('aria-invalid', 'true');
    else f.control.removeAttribute('aria-invalid');
    setDescribedBy(f.control, f.error.id, !!message);
    f.wrap.classList.toggle('has-error', !!message);
  }

  /** While fixing: update the errors already shown (don't flag new fields early). */
  private recheck(target: Element | null): void {
    if (!this.opts.validate || Object.keys(this.shown).length === 0) return;
    if (!target || !this.form.contains(target)) return;
    const now = this.opts.validate();
    let changed = false;
    const next: Partial<Record<F, string>> = {};
    for (const k of Object.keys(this.shown) as F[]) {
      if (now[k]) next[k] = now[k];
      if (now[k] !== this.shown[k]) changed = true;
    }
    if (!changed) return;
    this.shown = next;
    for (const key of Object.keys(this.opts.fields) as F[]) this.paint(key, next[key]);
    // The summary is a role="alert": only clear it, don't re-announce a count per keystroke.
    if (Object.keys(next).length === 0) this.alert.textContent = '';
  }
}

/** A primary/secondary/danger button with an inner text span (for busy labels). */
export function button(text: string, opts: { type?: 'submit' | 'button'; variant?: 'primary' | 'secondary' | 'danger' | 'ghost'; iconPath?: string; attrs?: Record<string, string> } = {}): HTMLButtonElement {
  const b = h('button', { type: opts.type ?? 'button', class: `btn btn-${opts.variant ?? 'primary'}` });
  if (opts.iconPath) b.append(icon(opts.iconPath, 18));
  b.append(h('span', { class: 'btn-text' }, text));
  for (const [k, v] of Object.entries(opts.attrs ?? {})) b.setAttribute(k, v);
  return b;
}
