/**
 * The passenger form's logic (passengerForm.ts): travel documents checked as
 * src/booking/orders.c checks them, the bodies sent, the saved traveller's
 * document as prefill and the server's passenger fields read back.
 */
import { describe, expect, it } from 'vitest';
import type { Traveller } from './accountApi';
import {
  countryName,
  documentBody,
  documentFromTraveller,
  EMPTY_DOC,
  lastFlightDate,
  normalizeDocNumber,
  normalizeDocument,
  passengerBody,
  passengerProblemField,
  validateDocument,
  type DocInput,
} from './passengerForm';

const TODAY = '2026-11-23';
const REQUIRED = { required: true, lastFlight: '2026-12-08', today: TODAY };
const OPTIONAL = { ...REQUIRED, required: false };
const good: DocInput = { type: 'passport', number: 'C01X00T47', country: 'DE', expiry: '2035-01-01' };

const leg = (date: string) => ({ carrier: 'LX', flight_number: 1, date, from: 'ZRH', to: 'JFK', departs_at: '', arrives_at: '', booking_class: 'Y' });

describe('lastFlightDate', () => {
  it('is the latest leg date of every slice, or empty', () => {
    expect(lastFlightDate({ slices: [{ legs: [leg('2026-12-01'), leg('2026-12-02')] }, { legs: [leg('2026-12-08')] }] })).toBe('2026-12-08');
    expect(lastFlightDate({ slices: [{ legs: [leg('2026-12-09'), leg('2026-12-02')] }] })).toBe('2026-12-09');
    expect(lastFlightDate({ slices: [] })).toBe('');
  });
});

describe('validateDocument (mirrors validate_document in src/booking/orders.c)', () => {
  it('accepts a valid passport, and one expiring on the last flight’s day', () => {
    expect(validateDocument(good, REQUIRED)).toEqual({});
    expect(validateDocument({ ...good, expiry: '2026-12-08' }, REQUIRED)).toEqual({});
    expect(validateDocument({ ...good, number: 'A'.repeat(20) }, REQUIRED)).toEqual({});
    expect(validateDocument({ ...good, number: 'AB123' }, REQUIRED)).toEqual({});
  });

  it('required: an empty document names every field', () => {
    expect(validateDocument(normalizeDocument(EMPTY_DOC), REQUIRED)).toEqual({
      number: 'Enter the passport number.',
      country: 'Enter the passport’s issuing country.',
      expiry: 'Enter the passport’s expiry date.',
    });
  });

  it('the number: 5 to 20 capitals and digits, named in the message', () => {
    expect(validateDocument({ ...good, number: 'AB12' }, REQUIRED).number).toBe('Passport number is too short: it has 5 to 20 capital letters and digits.');
    expect(validateDocument({ ...good, number: 'A'.repeat(21) }, REQUIRED).number).toMatch(/^Passport number is too long/);
    expect(validateDocument({ ...good, number: 'c01x00t47' }, REQUIRED).number).toBe('Passport number: use only capital letters and digits.');
    expect(validateDocument({ ...good, number: 'C01/X00' }, REQUIRED).number).toMatch(/^Passport number: use only/);
    // Typed with spaces and in lower case, it is tidied first.
    expect(normalizeDocNumber(' c01 x00-t47 ')).toBe('C01X00T47');
    expect(validateDocument(normalizeDocument({ ...good, number: 'c01 x00 t47', country: ' de ' }), REQUIRED)).toEqual({});
  });

  it('the issuing country: a two-letter ISO code of a country', () => {
    expect(validateDocument({ ...good, country: 'DEU' }, REQUIRED).country).toBe('Issuing country: use the two-letter code, like DE, GB or US.');
    expect(validateDocument({ ...good, country: 'D1' }, REQUIRED).country).toMatch(/two-letter code/);
    expect(validateDocument({ ...good, country: 'XX' }, REQUIRED).country).toBe('Issuing country: XX is not a country code. Use the two-letter code, like DE, GB or US.');
    expect(countryName('CH')).toBe('Switzerland');
    expect(countryName('QQ')).toBeNull();
  });

  it('the expiry: a real date, valid through the last flight', () => {
    expect(validateDocument({ ...good, expiry: '2026-12-07' }, REQUIRED).expiry).toBe('The passport expires on 2026-12-07, before your last flight on 2026-12-08: it must be valid through that day.');
    expect(validateDocument({ ...good, expiry: '2026-11-01' }, REQUIRED).expiry).toBe('This passport has expired (2026-11-01).');
    expect(validateDocument({ ...good, expiry: '2027-02-30' }, REQUIRED).expiry).toBe('Expiry date: enter a real date (YYYY-MM-DD).');
    // Without a known last flight, today is the limit.
    expect(validateDocument({ ...good, expiry: TODAY }, { ...REQUIRED, lastFlight: '' })).toEqual({});
  });

  it('required: only a passport; optional: a passport or an ID card, or nothing at all', () => {
    expect(validateDocument({ ...good, type: 'id_card' }, REQUIRED).type).toBe('An international trip needs a passport.');
    expect(validateDocument({ ...good, type: 'id_card' }, OPTIONAL)).toEqual({});
    expect(validateDocument(EMPTY_DOC, OPTIONAL)).toEqual({});
    // Started, it must be complete, in the words of the document chosen.
    expect(validateDocument({ ...EMPTY_DOC, type: 'id_card', number: 'X12' }, OPTIONAL)).toEqual({
      number: 'ID card number is too short: it has 5 to 20 capital letters and digits.',
      country: 'Enter the ID card’s issuing country.',
      expiry: 'Enter the ID card’s expiry date.',
    });
  });
});

describe('the passenger body', () => {
  const typed = { travellerId: '', given: 'Ada', family: 'Lovelace', birth: '1990-12-10', gender: '' };
  const ada: Traveller = { id: 'trv_1', given_name: 'Ada', family_name: 'Lovelace', birth_date: '1990-12-10', gender: 'F', document: { type: 'passport', number: 'P1234567', country: 'GB', expiry: '2031-01-01' } };

  it('typed: the details, with the document as {type: passport, …} when there is one', () => {
    expect(passengerBody(typed, undefined, null)).toEqual({ given_name: 'Ada', family_name: 'Lovelace', date_of_birth: '1990-12-10' });
    expect(passengerBody({ ...typed, gender: 'F' }, undefined, documentBody({ ...good, number: 'c01x00t47' }))).toEqual({
      given_name: 'Ada',
      family_name: 'Lovelace',
      date_of_birth: '1990-12-10',
      gender: 'F',
      document: { type: 'passport', number: 'C01X00T47', country: 'DE', expiry: '2035-01-01' },
    });
  });

  it('a saved traveller: by id without a document on the form, else its details with that document', () => {
    expect(passengerBody({ ...typed, travellerId: 'trv_1' }, ada, null)).toEqual({ traveller_id: 'trv_1' });
    expect(passengerBody({ ...typed, travellerId: 'trv_1', given: '' }, ada, documentBody(good))).toEqual({
      given_name: 'Ada',
      family_name: 'Lovelace',
      date_of_birth: '1990-12-10',
      gender: 'F',
      document: { type: 'passport', number: 'C01X00T47', country: 'DE', expiry: '2035-01-01' },
    });
  });

  it('prefill: a saved traveller’s passport; an ID card only when a passport is not required', () => {
    expect(documentFromTraveller(ada, true)).toEqual({ type: 'passport', number: 'P1234567', country: 'GB', expiry: '2031-01-01' });
    const card: Traveller = { ...ada, document: { type: 'id_card', number: 'X1234567', country: 'DE', expiry: '2030-01-01' } };
    expect(documentFromTraveller(card, true)).toBeNull();
    expect(documentFromTraveller(card, false)).toMatchObject({ type: 'id_card', number: 'X1234567' });
    expect(documentFromTraveller({ ...ada, document: null }, true)).toBeNull();
    expect(documentFromTraveller(undefined, true)).toBeNull();
  });
});

describe('passengerProblemField (a 400 field of POST /orders)', () => {
  it.each([
    ['passengers[0].document', { index: 0, field: 'document' }],
    ['passengers[1].document.number', { index: 1, field: 'number' }],
    ['passengers[2].document.expiry', { index: 2, field: 'expiry' }],
    ['passengers[0].document.type', { index: 0, field: 'type' }],
    ['passengers[0].given_name', { index: 0, field: 'given_name' }],
    ['passengers[3].traveller_id', { index: 3, field: 'traveller_id' }],
  ])('%s', (f, want) => {
    expect(passengerProblemField(f)).toEqual(want);
  });
  it.each(['passengers', 'card.number', 'passengers[x].document', 'passengers[0].document.colour', undefined])('%s is no passenger field', (f) => {
    expect(passengerProblemField(f)).toBeNull();
  });
});
