/**
 * The booking form's passenger logic, without the DOM (views/book.ts draws it):
 * travel documents checked the way POST /api/v1/orders checks them
 * (src/booking/orders.c validate_document), the passenger bodies sent, a saved
 * traveller's document as the prefill, and the server's 400 field
 * ("passengers[1].document.expiry") taken back to the form field.
 *
 * An international trip (the offer's passport_required) needs every
 * passenger's passport: 5 to 20 capitals and digits, the issuing country's
 * ISO 3166-1 alpha-2 code, and an expiry date no earlier than the last
 * flight's date. Otherwise a document is optional (a passport or an ID card).
 */

import type { Traveller } from './accountApi';
import type { DocumentBody, LiveOffer, PassengerBody } from './bookingApi';
import { isIsoDate } from './searchForm';

export type DocField = 'type' | 'number' | 'country' | 'expiry';
export type DocErrors = Partial<Record<DocField, string>>;

/** What the document fields hold (as typed; see normalizeDocument). */
export interface DocInput {
  type: string;
  number: string;
  country: string;
  expiry: string;
}

export const EMPTY_DOC: DocInput = { type: 'passport', number: '', country: '', expiry: '' };

export interface DocRules {
  /** The offer's passport_required: the document must be there and be a passport. */
  required: boolean;
  /** The last flight's date (YYYY-MM-DD, '' when unknown): the document must be valid through it. */
  lastFlight: string;
  /** Today (UTC, YYYY-MM-DD). */
  today: string;
}

/** The date of the offer's last leg (the server's "last flight"), or ''. */
export function lastFlightDate(offer: Pick<LiveOffer, 'slices'>): string {
  let last = '';
  for (const s of offer.slices) for (const l of s.legs) if (isIsoDate(l.date) && l.date > last) last = l.date;
  return last;
}

/** Document numbers as the server wants them: capitals and digits, no spaces or dashes. */
export function normalizeDocNumber(s: string): string {
  return s.replace(/[\s-]+/g, '').toUpperCase();
}

export function normalizeDocument(d: DocInput): DocInput {
  return { type: d.type, number: normalizeDocNumber(d.number), country: d.country.trim().toUpperCase(), expiry: d.expiry.trim() };
}

export function isDocEmpty(d: DocInput): boolean {
  return d.number.trim() === '' && d.country.trim() === '' && d.expiry.trim() === '';
}

let regions: Intl.DisplayNames | null | undefined;

/** The country's English name for an alpha-2 code; null when unknown (or no Intl support: undefined). */
export function countryName(code: string): string | null | undefined {
  if (regions === undefined) {
    try {
      regions = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
      if (regions.of('DE') !== 'Germany') regions = null; // no region data: do not judge
    } catch {
      regions = null;
    }
  }
  if (regions === null) return undefined;
  if (!/^[A-Z]{2}$/.test(code)) return null;
  const name = regions.of(code);
  return name && name !== 'Unknown Region' ? name : null;
}

/** Messages per field, naming it (empty when valid). `d` as normalizeDocument leaves it. */
export function validateDocument(d: DocInput, rules: DocRules): DocErrors {
  const e: DocErrors = {};
  if (!rules.required && isDocEmpty(d)) return e;
  const word = d.type === 'id_card' && !rules.required ? 'ID card' : 'passport';
  const Word = word.charAt(0).toUpperCase() + word.slice(1);
  if (rules.required && d.type !== 'passport') e.type = 'An international trip needs a passport.';
  else if (d.type !== 'passport' && d.type !== 'id_card') e.type = 'Choose a passport or an ID card.';
  if (d.number === '') e.number = `Enter the ${word} number.`;
  else if (!/^[A-Z0-9]+$/.test(d.number)) e.number = `${Word} number: use only capital letters and digits.`;
  else if (d.number.length < 5) e.number = `${Word} number is too short: it has 5 to 20 capital letters and digits.`;
  else if (d.number.length > 20) e.number = `${Word} number is too long: it has 5 to 20 capital letters and digits.`;
  if (d.country === '') e.country = `Enter the ${word}’s issuing country.`;
  else if (!/^[A-Z]{2}$/.test(d.country)) e.country = 'Issuing country: use the two-letter code, like DE, GB or US.';
  else if (countryName(d.country) === null) e.country = `Issuing country: ${d.country} is not a country code. Use the two-letter code, like DE, GB or US.`;
  const through = rules.lastFlight > rules.today ? rules.lastFlight : rules.today;
  if (d.expiry === '') e.expiry = `Enter the ${word}’s expiry date.`;
  else if (!isIsoDate(d.expiry)) e.expiry = 'Expiry date: enter a real date (YYYY-MM-DD).';
  else if (d.expiry < rules.today) e.expiry = `This ${word} has expired (${d.expiry}).`;
  else if (d.expiry < through) e.expiry = `The ${word} expires on ${d.expiry}, before your last flight on ${through}: it must be valid through that day.`;
  return e;
}

export function documentBody(d: DocInput): DocumentBody {
  const n = normalizeDocument(d);
  return { type: n.type === 'id_card' ? 'id_card' : 'passport', number: n.number, country: n.country, expiry: n.expiry };
}

/**
 * A saved traveller's document for the form: only a passport when one is
 * required (an ID card's number is no passport number); null when none.
 */
export function documentFromTraveller(t: Traveller | undefined, required: boolean): DocInput | null {
  const d = t?.document;
  if (!d || (required && d.type !== 'passport')) return null;
  return { type: d.type, number: d.number ?? '', country: d.country ?? '', expiry: d.expiry ?? '' };
}

export interface PassengerInput {
  /** A saved traveller's id, or '' for typed details. */
  travellerId: string;
  given: string;
  family: string;
  birth: string;
  gender: string;
}

/**
 * The passenger as POST /orders takes it. A saved traveller without a
 * document on the form goes by id (the server adds its names, birth date and
 * saved document); with one, by its details and that document, since the
 * server takes a saved traveller's own document over anything sent with the id.
 */
export function passengerBody(p: PassengerInput, traveller: Traveller | undefined, doc: DocumentBody | null): PassengerBody {
  if (p.travellerId && !doc) return { traveller_id: p.travellerId };
  const base =
    p.travellerId && traveller
      ? { given_name: traveller.given_name, family_name: traveller.family_name, date_of_birth: traveller.birth_date, gender: traveller.gender ?? '' }
      : { given_name: p.given, family_name: p.family, date_of_birth: p.birth, gender: p.gender };
  const { gender, ...rest } = base;
  return { ...rest, ...(gender ? { gender } : {}), ...(doc ? { document: doc } : {}) };
}

export type PassengerField = 'traveller_id' | 'given_name' | 'family_name' | 'date_of_birth' | 'gender' | 'document' | DocField;

/** "passengers[1].document.expiry" → { index: 1, field: 'expiry' }; null for other fields. */
export function passengerProblemField(field: string | undefined): { index: number; field: PassengerField } | null {
  const m = /^passengers\[(\d+)\]\.(traveller_id|given_name|family_name|date_of_birth|gender|document)(?:\.(type|number|country|expiry))?$/.exec(field ?? '');
  if (!m) return null;
  return { index: Number(m[1]), field: (m[3] as DocField | undefined) ?? (m[2] as PassengerField) };
}
