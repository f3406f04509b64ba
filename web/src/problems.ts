/**
 * Turning failed API calls into what a form shows: a message on the right
 * field (from RFC 9457 `errors: [{field, message}]` on 400, or the
 * "field: message" detail of a 409), or one message for the whole form.
 */

import { ApiError } from './api';
import { SessionExpiredError } from './session';

export interface FormErrors<F extends string> {
  fields: Partial<Record<F, string>>;
  /** Shown above the submit button when no field is to blame. */
  form: string | null;
}

export interface ProblemMapping<F extends string> {
  /** Server field name → form field. Unknown server fields become a form error. */
  fields: Partial<Record<string, F>>;
  /** How a field is called on screen ("Given name"), to prefix server messages. */
  labels: Partial<Record<F, string>>;
  /** Replace the text for a status (e.g. 401 on sign-in, 404 for a deleted item). */
  statusMessages?: Partial<Record<number, string>>;
}

/** "must be 10 to 128 characters" + "Password" → "Password must be 10 to 128 characters." */
export function fieldMessage(label: string | undefined, message: string): string {
  const m = message.trim();
  if (!m) return label ? `${label} is not valid.` : 'This value is not valid.';
  // Server messages are predicate fragments ("is required", "must be …").
  const fragment = /^(is|are|must|should|cannot|can't|does|has|already|not)\b/i.test(m);
  const text = fragment && label ? `${label} ${m}` : m;
  const sentence = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

/** "about 3 minutes", "45 seconds", "an hour". */
export function formatWait(seconds: number): string {
  if (seconds <= 1) return 'a moment';
  if (seconds < 60) return `${Math.ceil(seconds)} seconds`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes === 1) return 'a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(minutes / 60);
  return hours <= 1 ? 'an hour' : `${hours} hours`;
}

export const NETWORK_MESSAGE = 'Could not reach Contrail. Check your connection and try again.';
export const SERVER_MESSAGE = 'Something went wrong on our side. Please try again in a moment.';

/** One sentence for any error, when there is no field to put it on. */
export function describeError(err: unknown, statusMessages: Partial<Record<number, string>> = {}): string {
  if (err instanceof SessionExpiredError) return err.message;
  if (err instanceof ApiError) {
    const custom = statusMessages[err.status];
    if (custom) return custom;
    if (err.status === 429) {
      return err.retryAfter != null ? `Too many attempts. Please try again in ${formatWait(err.retryAfter)}.` : 'Too many attempts. Please wait a little and try again.';
    }
    if (err.status >= 500) return SERVER_MESSAGE;
    if (err.status === 404) return 'That no longer exists. It may have been deleted elsewhere.';
    if (err.status === 403) return "You don't have permission to do that.";
    const detail = err.problem?.detail;
    if (detail) return fieldMessage(undefined, detail);
    return err.problem?.title ? fieldMessage(undefined, err.problem.title) : `Request failed (HTTP ${err.status}).`;
  }
  if (err instanceof TypeError) return NETWORK_MESSAGE; // fetch() network failure
  return SERVER_MESSAGE;
}

/**
 * Map an error from an API call onto a form. Field errors from the server win
 * over the generic text; a field the form does not know goes to `form`.
 */
export function problemToFormErrors<F extends string>(err: unknown, mapping: ProblemMapping<F>): FormErrors<F> {
  const out: FormErrors<F> = { fields: {}, form: null };
  if (!(err instanceof ApiError) || mapping.statusMessages?.[err.status]) {
    out.form = describeError(err, mapping.statusMessages);
    return out;
  }
  const pairs: { field: string; message: string }[] = [];
  if (err.status === 400 && Array.isArray(err.problem?.errors)) {
    for (const e of err.problem.errors) {
      if (e && typeof e.field === 'string' && typeof e.message === 'string') pairs.push(e);
    }
  } else if (err.status === 409 && err.problem?.detail) {
    // The server words conflicts as "<field>: <message>".
    const m = /^([\w.]+):\s*(.+)$/.exec(err.problem.detail);
    if (m) pairs.push({ field: m[1]!, message: m[2]! });
  }
  const unplaced: string[] = [];
  for (const { field, message } of pairs) {
    const target = mapping.fields[field];
    if (target !== undefined) {
      if (!out.fields[target]) out.fields[target] = fieldMessage(mapping.labels[target], message);
    } else {
      unplaced.push(fieldMessage(field === 'body' ? 'The request' : field, message));
    }
  }
  if (unplaced.length) out.form = unplaced.join(' ');
  else if (pairs.length === 0) out.form = describeError(err, mapping.statusMessages);
  return out;
}
