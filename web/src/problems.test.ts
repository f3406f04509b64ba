import { describe, expect, it } from 'vitest';
import { ApiError, parseRetryAfter, type Problem } from './api';
import { describeError, fieldMessage, formatWait, NETWORK_MESSAGE, problemToFormErrors, SERVER_MESSAGE, type ProblemMapping } from './problems';
import { SessionExpiredError } from './session';
import { TRAVELLER_SERVER_FIELDS, type TravellerField } from './validators';

function problem400(field: string, message: string): ApiError {
  const p: Problem = { type: 'https://contrail.dev/problems/invalid-request', title: 'Invalid parameter', status: 400, detail: `${field}: ${message}`, errors: [{ field, message }] };
  return new ApiError(400, p);
}

const signUp: ProblemMapping<'email' | 'password' | 'name'> = {
  fields: { email: 'email', password: 'password', name: 'name' },
  labels: { email: 'E-mail address', password: 'Password', name: 'Name' },
};

const travellerLabels: Record<TravellerField, string> = {
  given_name: 'Given names',
  family_name: 'Family name',
  birth_date: 'Date of birth',
  gender: 'Gender',
  nationality: 'Nationality',
  doc_type: 'Document type',
  doc_number: 'Document number',
  doc_country: 'Issuing country',
  doc_expiry: 'Expiry date',
};

describe('problemToFormErrors', () => {
  it('puts a 400 field error on the matching field, with its label', () => {
    const fe = problemToFormErrors(problem400('password', 'must be 10 to 128 characters'), signUp);
    expect(fe).toEqual({ fields: { password: 'Password must be 10 to 128 characters.' }, form: null });
  });

  it('maps nested server fields (document.number) onto form fields', () => {
    const mapping = { fields: TRAVELLER_SERVER_FIELDS, labels: travellerLabels };
    expect(problemToFormErrors(problem400('document.number', 'must be 5-20 capital letters and digits'), mapping).fields).toEqual({
      doc_number: 'Document number must be 5-20 capital letters and digits.',
    });
    expect(problemToFormErrors(problem400('document.expiry', 'must be a date (YYYY-MM-DD) after today'), mapping).fields.doc_expiry).toBe(
      'Expiry date must be a date (YYYY-MM-DD) after today.',
    );
    expect(problemToFormErrors(problem400('given_name', 'must be 1-64 letters, spaces, hyphens or apostrophes'), mapping).fields.given_name).toMatch(/^Given names must be 1-64/);
  });

  it('keeps several errors, the first per field', () => {
    const err = new ApiError(400, {
      status: 400,
      errors: [
        { field: 'email', message: 'is required' },
        { field: 'password', message: 'is required' },
        { field: 'email', message: 'second message' },
      ],
    });
    expect(problemToFormErrors(err, signUp).fields).toEqual({ email: 'E-mail address is required.', password: 'Password is required.' });
  });

  it('sends an error for a field the form does not have to the form message', () => {
    const fe = problemToFormErrors(problem400('body', 'must be a JSON object'), signUp);
    expect(fe.fields).toEqual({});
    expect(fe.form).toBe('The request must be a JSON object.');
  });

  it('reads the field from a 409 detail ("email: is already registered")', () => {
    const err = new ApiError(409, { status: 409, title: 'Conflict', detail: 'email: is already registered' });
    expect(problemToFormErrors(err, signUp).fields).toEqual({ email: 'E-mail address is already registered.' });
  });

  it('uses status messages for 401 and the like', () => {
    const err = new ApiError(401, { status: 401, title: 'Unauthorized', detail: 'e-mail or password is not correct' });
    expect(problemToFormErrors(err, { ...signUp, statusMessages: { 401: 'Wrong e-mail or password.' } })).toEqual({ fields: {}, form: 'Wrong e-mail or password.' });
    expect(problemToFormErrors(err, signUp)).toEqual({ fields: {}, form: 'E-mail or password is not correct.' });
  });

  it('explains 429 with the Retry-After wait', () => {
    const err = new ApiError(429, { status: 429, detail: 'too many failed sign-ins; retry later' }, undefined, 125);
    expect(problemToFormErrors(err, signUp).form).toBe('Too many attempts. Please try again in 3 minutes.');
    expect(describeError(new ApiError(429, null))).toMatch(/wait a little/);
  });

  it('turns 5xx, network failures and expired sessions into one sentence', () => {
    expect(problemToFormErrors(new ApiError(503, { status: 503, detail: 'database busy' }), signUp).form).toBe(SERVER_MESSAGE);
    expect(problemToFormErrors(new TypeError('Failed to fetch'), signUp).form).toBe(NETWORK_MESSAGE);
    expect(problemToFormErrors(new SessionExpiredError(), signUp).form).toMatch(/sign in again/);
    expect(problemToFormErrors(new Error('boom'), signUp).form).toBe(SERVER_MESSAGE);
  });
});

describe('fieldMessage', () => {
  it('prefixes predicate fragments with the label and ends with a full stop', () => {
    expect(fieldMessage('Current password', 'is not correct')).toBe('Current password is not correct.');
    expect(fieldMessage('Home airport', 'must be a three-letter IATA code in capitals')).toBe('Home airport must be a three-letter IATA code in capitals.');
  });
  it('leaves whole sentences alone', () => {
    expect(fieldMessage('Password', 'Too short!')).toBe('Too short!');
    expect(fieldMessage(undefined, 'is invalid')).toBe('Is invalid.');
  });
});

describe('formatWait / parseRetryAfter', () => {
  it('formats seconds for people', () => {
    expect(formatWait(0)).toBe('a moment');
    expect(formatWait(45)).toBe('45 seconds');
    expect(formatWait(60)).toBe('a minute');
    expect(formatWait(61)).toBe('2 minutes');
    expect(formatWait(3599)).toBe('an hour');
    expect(formatWait(7200)).toBe('2 hours');
  });
  it('reads delay-seconds and HTTP dates', () => {
    expect(parseRetryAfter('120')).toBe(120);
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter('soon')).toBeNull();
    const now = Date.parse('2026-11-23T12:00:00Z');
    expect(parseRetryAfter('Mon, 23 Nov 2026 12:01:30 GMT', now)).toBe(90);
  });
  it('ApiError.fromResponse keeps the problem and Retry-After', async () => {
    const res = new Response(JSON.stringify({ status: 429, detail: 'rate limit exceeded; retry later' }), {
      status: 429,
      headers: { 'content-type': 'application/problem+json', 'retry-after': '30' },
    });
    const err = await ApiError.fromResponse(res);
    expect(err.status).toBe(429);
    expect(err.retryAfter).toBe(30);
    expect(err.problem?.detail).toMatch(/rate limit/);
  });
});
