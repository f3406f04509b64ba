/**
 * Client-side validation for the account forms. The rules mirror the server
 * (src/accounts/*.c) so users see the same verdict before a round trip; the
 * server stays the authority and its 400 answers are mapped back onto the
 * same fields (see problems.ts).
 *
 * Every validator returns a message for the user, or null when valid.
 */

import { isCabin } from './options';
import { isIsoDate } from './searchForm';

export type Errors<F extends string> = Partial<Record<F, string>>;

const utf8 = new TextEncoder();

/** Length in UTF-8 bytes: the server counts bytes (strlen), not characters. */
export function byteLength(s: string): number {
  return utf8.encode(s).length;
}

/** Today's date in UTC as YYYY-MM-DD: the server's "today" (time / 86400). */
export function utcToday(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/* -------------------------------------------------------------------- */
/* Credentials (credentials.c, accounts_util.c)                         */
/* -------------------------------------------------------------------- */

export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 128;

/**
 * Mirrors ct__accounts_normalize_email: 3-254 bytes, exactly one '@' with
 * something before it, a dot in the domain that is neither right after the
 * '@' nor last, and no spaces, control or non-ASCII characters, nor any of
 * "(),:;<>[\].
 */
export function validateEmail(email: string): string | null {
  if (email === '') return 'Enter your e-mail address.';
  const bad = 'Enter a valid e-mail address, like name@example.com.';
  if (email.length < 3 || email.length > 254) return bad;
  const at = email.indexOf('@');
  if (at <= 0 || email.indexOf('@', at + 1) !== -1) return bad;
  const dot = email.lastIndexOf('.');
  if (dot < at || dot === at + 1 || dot === email.length - 1) return bad;
  for (const ch of email) {
    const c = ch.codePointAt(0)!;
    if (c <= 0x20 || c >= 0x7f || '"(),:;<>[\\]'.includes(ch)) return bad;
  }
  return null;
}

/** Mirrors password_ok: 10-128 bytes of UTF-8, not the e-mail address. */
export function validateNewPassword(password: string, email?: string): string | null {
  if (password === '') return 'Choose a password.';
  const n = byteLength(password);
  if (n < PASSWORD_MIN) return `Use at least ${PASSWORD_MIN} characters.`;
  if (n > PASSWORD_MAX) return `Use at most ${PASSWORD_MAX} characters.`;
  if (email && password.toLowerCase() === email.trim().toLowerCase()) return "Don't use your e-mail address as your password.";
  return null;
}

/** For sign-in and confirmations: anything non-empty may be right. */
export function validateRequired(value: string, message: string): string | null {
  return value === '' ? message : null;
}

/* -------------------------------------------------------------------- */
/* Profile (profile.c)                                                  */
/* -------------------------------------------------------------------- */

export const NAME_MAX_BYTES = 100;

export function validateDisplayName(name: string): string | null {
  return byteLength(name) > NAME_MAX_BYTES ? `Use at most ${NAME_MAX_BYTES} characters.` : null;
}

/** Three capital letters: an IATA airport or metro code (home airport). */
export function validateAirportCode(code: string): string | null {
  return code === '' || /^[A-Z]{3}$/.test(code) ? null : 'Pick an airport from the suggestions.';
}

/** Three capital letters: an ISO 4217 currency code. */
export function validateCurrency(code: string): string | null {
  return code === '' || /^[A-Z]{3}$/.test(code) ? null : 'Choose a currency.';
}

/** Any cabin a profile may hold (options.ts), or none. */
export function validateCabinPreference(cabin: string): string | null {
  return cabin === '' || isCabin(cabin) ? null : 'Choose a cabin class.';
}

export interface ProfileInput {
  name: string;
  home_airport: string;
  currency: string;
  cabin: string;
}
export type ProfileField = keyof ProfileInput;

export function validateProfile(p: ProfileInput): Errors<ProfileField> {
  const e: Errors<ProfileField> = {};
  const name = validateDisplayName(p.name);
  if (name) e.name = name;
  const home = validateAirportCode(p.home_airport);
  if (home) e.home_airport = home;
  const cur = validateCurrency(p.currency);
  if (cur) e.currency = cur;
  const cabin = validateCabinPreference(p.cabin);
  if (cabin) e.cabin = cabin;
  return e;
}

/* -------------------------------------------------------------------- */
/* Travellers (travellers.c)                                            */
/* -------------------------------------------------------------------- */

export const TRAVELLER_NAME_MAX_BYTES = 64;
export const EARLIEST_BIRTH_DATE = '1900-01-01';

/**
 * Mirrors valid_name: 1-64 bytes, no leading or trailing space, at least one
 * letter; only letters (any script), spaces, hyphens, apostrophes and full
 * stops. The server treats every non-ASCII character as a letter; here only
 * real letters, combining marks and typographic apostrophes pass, so emoji
 * and symbols are caught before the round trip.
 */
export function validateTravellerName(name: string, label: string): string | null {
  if (name === '') return `Enter the ${label.toLowerCase()} as written in the travel document.`;
  if (byteLength(name) > TRAVELLER_NAME_MAX_BYTES) return `${label} is too long (at most ${TRAVELLER_NAME_MAX_BYTES} characters).`;
  if (name !== name.trim()) return `${label} cannot start or end with a space.`;
  if (!/^[\p{L}\p{M} '’ʼ.-]+$/u.test(name)) return `${label} can only contain letters, spaces, hyphens and apostrophes.`;
  if (!/\p{L}/u.test(name)) return `${label} must contain at least one letter.`;
  return null;
}

export function validateBirthDate(date: string, today: string): string | null {
  if (date === '') return 'Enter the date of birth.';
  if (!isIsoDate(date)) return 'Enter a real date (YYYY-MM-DD).';
  if (date < EARLIEST_BIRTH_DATE) return 'The date of birth must be in 1900 or later.';
  if (date > today) return 'The date of birth cannot be in the future.';
  return null;
}

export type DocumentType = 'passport' | 'id_card';
export type Gender = '' | 'F' | 'M' | 'X';

export interface TravellerInput {
  given_name: string;
  family_name: string;
  birth_date: string;
  gender: Gender | string;
  /** ISO 3166-1 alpha-2, '' (or absent) when not given. */
  nationality?: string;
  /** false: no travel document (the doc_* fields are ignored). */
  has_document: boolean;
  doc_type: DocumentType | string;
  doc_number: string;
  doc_country: string;
  doc_expiry: string;
}
export type TravellerField = Exclude<keyof TravellerInput, 'has_document'>;

export const TRAVELLER_FIELDS: readonly TravellerField[] = [
  'given_name',
  'family_name',
  'birth_date',
  'gender',
  'nationality',
  'doc_type',
  'doc_number',
  'doc_country',
  'doc_expiry',
];

/** What users type, tidied the way the server wants it (capitals, no spaces). */
export function normalizeTraveller(t: TravellerInput): TravellerInput {
  return {
    ...t,
    given_name: t.given_name.trim().replace(/\s+/g, ' '),
    family_name: t.family_name.trim().replace(/\s+/g, ' '),
    doc_number: t.doc_number.replace(/[\s-]+/g, '').toUpperCase(),
    doc_country: t.doc_country.trim().toUpperCase(),
    ...(t.nationality !== undefined ? { nationality: t.nationality.trim().toUpperCase() } : {}),
  };
}

export function validateTraveller(t: TravellerInput, today: string): Errors<TravellerField> {
  const e: Errors<TravellerField> = {};
  const given = validateTravellerName(t.given_name, 'Given names');
  if (given) e.given_name = given;
  const family = validateTravellerName(t.family_name, 'Family name');
  if (family) e.family_name = family;
  const birth = validateBirthDate(t.birth_date, today);
  if (birth) e.birth_date = birth;
  if (!['', 'F', 'M', 'X'].includes(t.gender)) e.gender = 'Choose F, M, X or leave it unspecified.';
  if (t.nationality && !/^[A-Z]{2}$/.test(t.nationality)) e.nationality = 'Choose a country from the list.';
  if (t.has_document) {
    if (t.doc_type !== 'passport' && t.doc_type !== 'id_card') e.doc_type = 'Choose passport or ID card.';
    if (t.doc_number === '') e.doc_number = 'Enter the document number.';
    else if (!/^[A-Z0-9]{5,20}$/.test(t.doc_number)) e.doc_number = 'Use 5 to 20 capital letters and digits.';
    if (t.doc_country === '') e.doc_country = 'Enter the issuing country.';
    else if (!/^[A-Z]{2}$/.test(t.doc_country)) e.doc_country = 'Use the two-letter country code, like CH or US.';
    if (t.doc_expiry === '') e.doc_expiry = 'Enter the expiry date.';
    else if (!isIsoDate(t.doc_expiry)) e.doc_expiry = 'Enter a real date (YYYY-MM-DD).';
    else if (t.doc_expiry <= today) e.doc_expiry = 'This document has expired. The expiry date must be after today.';
  }
  return e;
}

/** Server representation of a traveller (the body of POST/PUT /me/travellers). */
export interface TravellerBody {
  given_name: string;
  family_name: string;
  birth_date: string;
  gender: 'F' | 'M' | 'X' | null;
  /** ISO 3166-1 alpha-2; absent when not given (a PUT without it clears it). */
  nationality?: string;
  document: { type: string; number: string; country: string; expiry: string } | null;
}

export function travellerBody(t: TravellerInput): TravellerBody {
  return {
    given_name: t.given_name,
    family_name: t.family_name,
    birth_date: t.birth_date,
    gender: t.gender === 'F' || t.gender === 'M' || t.gender === 'X' ? t.gender : null,
    ...(t.nationality ? { nationality: t.nationality } : {}),
    document: t.has_document ? { type: t.doc_type, number: t.doc_number, country: t.doc_country, expiry: t.doc_expiry } : null,
  };
}

/** Server field names (400 `errors[].field`) → traveller form fields. */
export const TRAVELLER_SERVER_FIELDS: Record<string, TravellerField> = {
  given_name: 'given_name',
  family_name: 'family_name',
  birth_date: 'birth_date',
  gender: 'gender',
  nationality: 'nationality',
  document: 'doc_type',
  'document.type': 'doc_type',
  'document.number': 'doc_number',
  'document.country': 'doc_country',
  'document.expiry': 'doc_expiry',
};

export function hasAny(e: object): boolean {
  return Object.keys(e).length > 0;
}
