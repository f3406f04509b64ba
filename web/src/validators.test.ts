import { describe, expect, it } from 'vitest';
import {
  byteLength,
  normalizeTraveller,
  travellerBody,
  utcToday,
  validateAirportCode,
  validateBirthDate,
  validateCurrency,
  validateDisplayName,
  validateEmail,
  validateNewPassword,
  validateProfile,
  validateTraveller,
  validateTravellerName,
  type TravellerInput,
} from './validators';

const TODAY = '2026-11-23';

const ada: TravellerInput = {
  given_name: 'Ada',
  family_name: 'Lovelace',
  birth_date: '1990-03-12',
  gender: 'F',
  has_document: true,
  doc_type: 'passport',
  doc_number: 'X1234567',
  doc_country: 'GB',
  doc_expiry: '2031-01-01',
};

describe('validateEmail (mirrors ct__accounts_normalize_email)', () => {
  it.each(['ada@example.com', 'A.Lovelace+trips@mail.example.co.uk', 'x@y.z', "o'brien@example.ie"])('accepts %s', (e) => {
    expect(validateEmail(e)).toBeNull();
  });
  it.each([
    ['', /Enter your e-mail/],
    ['ada', /valid/],
    ['@example.com', /valid/],
    ['ada@@example.com', /valid/],
    ['a@b@example.com', /valid/],
    ['ada@example', /valid/],
    ['ada@.com', /valid/],
    ['ada@example.', /valid/],
    ['ada lovelace@example.com', /valid/],
    ['adä@example.com', /valid/],
    ['ada@exa(mple).com', /valid/],
    ['"ada"@example.com', /valid/],
    ['a.b@example', /valid/], // the only dot is before the '@'
  ])('rejects %j', (e, msg) => {
    expect(validateEmail(e)).toMatch(msg);
  });
  it('rejects more than 254 bytes', () => {
    expect(validateEmail(`${'a'.repeat(250)}@x.io`)).toMatch(/valid/);
    expect(validateEmail(`${'a'.repeat(247)}@x.io`)).toBeNull();
  });
});

describe('validateNewPassword (10-128 bytes, not the e-mail)', () => {
  it('counts UTF-8 bytes like the server', () => {
    expect(byteLength('é')).toBe(2);
    expect(validateNewPassword('ééééé')).toBeNull(); // 5 characters, 10 bytes
    expect(validateNewPassword('123456789')).toMatch(/at least 10/);
    expect(validateNewPassword('1234567890')).toBeNull();
    expect(validateNewPassword('x'.repeat(128))).toBeNull();
    expect(validateNewPassword('x'.repeat(129))).toMatch(/at most 128/);
    expect(validateNewPassword('é'.repeat(65))).toMatch(/at most 128/);
  });
  it('requires a value', () => {
    expect(validateNewPassword('')).toMatch(/Choose a password/);
  });
  it('refuses the e-mail address, in any case', () => {
    expect(validateNewPassword('Ada@Example.com', 'ada@example.com')).toMatch(/e-mail/);
    expect(validateNewPassword('ada@example.com!', 'ada@example.com')).toBeNull();
  });
});

describe('profile rules (profile.c)', () => {
  it('limits the name to 100 bytes', () => {
    expect(validateDisplayName('a'.repeat(100))).toBeNull();
    expect(validateDisplayName('a'.repeat(101))).toMatch(/100/);
    expect(validateDisplayName('ü'.repeat(51))).toMatch(/100/);
  });
  it('wants three capitals for airport and currency, or nothing', () => {
    expect(validateAirportCode('ZRH')).toBeNull();
    expect(validateAirportCode('')).toBeNull();
    expect(validateAirportCode('zrh')).not.toBeNull();
    expect(validateAirportCode('ZRHX')).not.toBeNull();
    expect(validateCurrency('CHF')).toBeNull();
    expect(validateCurrency('CH')).not.toBeNull();
  });
  it('collects every field error', () => {
    expect(validateProfile({ name: 'Ada', home_airport: 'ZRH', currency: 'CHF', cabin: 'business' })).toEqual({});
    expect(Object.keys(validateProfile({ name: 'x'.repeat(101), home_airport: 'z', currency: '1', cabin: 'cargo' })).sort()).toEqual(['cabin', 'currency', 'home_airport', 'name']);
  });
});

describe('traveller names (valid_name)', () => {
  it.each(['Ada', "O'Brien", 'Jean-Luc', 'Mary Ann', 'Zoë', 'Łukasz', 'José María', 'St. John', 'Nguyễn', '李', 'D’Angelo'])('accepts %s', (n) => {
    expect(validateTravellerName(n, 'Given names')).toBeNull();
  });
  it.each([
    ['', /Enter the given names/],
    ['R2-D2', /only contain letters/],
    ['Ada!', /only contain letters/],
    ['Ada_L', /only contain letters/],
    [' Ada', /start or end with a space/],
    ['Ada ', /start or end with a space/],
    ["-'", /at least one letter/],
    ['Ada 🙂', /only contain letters/],
  ])('rejects %j', (n, msg) => {
    expect(validateTravellerName(n, 'Given names')).toMatch(msg);
  });
  it('limits names to 64 bytes', () => {
    expect(validateTravellerName('a'.repeat(64), 'Family name')).toBeNull();
    expect(validateTravellerName('a'.repeat(65), 'Family name')).toMatch(/too long/);
    expect(validateTravellerName('ö'.repeat(33), 'Family name')).toMatch(/too long/);
  });
});

describe('birth date (1900-01-01 .. today)', () => {
  it('accepts the bounds', () => {
    expect(validateBirthDate('1900-01-01', TODAY)).toBeNull();
    expect(validateBirthDate(TODAY, TODAY)).toBeNull();
  });
  it('rejects outside the range and non-dates', () => {
    expect(validateBirthDate('1899-12-31', TODAY)).toMatch(/1900/);
    expect(validateBirthDate('2026-11-24', TODAY)).toMatch(/future/);
    expect(validateBirthDate('1990-02-30', TODAY)).toMatch(/real date/);
    expect(validateBirthDate('12/03/1990', TODAY)).toMatch(/real date/);
    expect(validateBirthDate('', TODAY)).toMatch(/Enter/);
  });
});

describe('validateTraveller', () => {
  it('accepts a complete traveller and one without a document', () => {
    expect(validateTraveller(ada, TODAY)).toEqual({});
    expect(validateTraveller({ ...ada, has_document: false, doc_number: '', doc_country: '' }, TODAY)).toEqual({});
    expect(validateTraveller({ ...ada, gender: '' }, TODAY)).toEqual({});
  });
  it('checks the document: type, 5-20 capitals/digits, ISO-2 country, expiry after today', () => {
    const e = validateTraveller({ ...ada, doc_type: 'visa', doc_number: 'ab12', doc_country: 'GBR', doc_expiry: TODAY }, TODAY);
    expect(e.doc_type).toMatch(/passport or ID card/);
    expect(e.doc_number).toMatch(/5 to 20/);
    expect(e.doc_country).toMatch(/two-letter/);
    expect(e.doc_expiry).toMatch(/after today/);
    expect(validateTraveller({ ...ada, doc_number: 'A'.repeat(21) }, TODAY).doc_number).toMatch(/5 to 20/);
    expect(validateTraveller({ ...ada, doc_number: 'A'.repeat(20), doc_type: 'id_card', doc_expiry: '2026-11-24' }, TODAY)).toEqual({});
  });
  it('rejects an unknown gender', () => {
    expect(validateTraveller({ ...ada, gender: 'Q' }, TODAY).gender).toBeDefined();
  });
  it('normalizes what users type before validating', () => {
    const n = normalizeTraveller({ ...ada, given_name: '  Ada   Augusta ', doc_number: 'x12 345-67', doc_country: ' gb ' });
    expect(n.given_name).toBe('Ada Augusta');
    expect(n.doc_number).toBe('X1234567');
    expect(n.doc_country).toBe('GB');
    expect(validateTraveller(n, TODAY)).toEqual({});
  });
  it('builds the server body (null document and gender when absent)', () => {
    expect(travellerBody(ada)).toEqual({
      given_name: 'Ada',
      family_name: 'Lovelace',
      birth_date: '1990-03-12',
      gender: 'F',
      document: { type: 'passport', number: 'X1234567', country: 'GB', expiry: '2031-01-01' },
    });
    expect(travellerBody({ ...ada, gender: '', has_document: false })).toMatchObject({ gender: null, document: null });
  });
});

describe('utcToday', () => {
  it("is the server's UTC date, not the local one", () => {
    expect(utcToday(new Date('2026-11-23T23:30:00-05:00'))).toBe('2026-11-24');
    expect(utcToday(new Date('2026-11-24T00:30:00+02:00'))).toBe('2026-11-23');
  });
});
