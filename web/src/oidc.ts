/**
 * Sign-in with an identity provider (OpenID Connect), the web app's half.
 *
 * The button is a plain link to `GET /api/v1/auth/oidc/{provider}/start`: the
 * server makes the state, nonce and PKCE verifier, keeps them in an HttpOnly
 * cookie and sends the browser to the provider's login page. After the login
 * the provider sends the browser to the server's callback, which signs the
 * user in and redirects here, to the sign-in page, with the outcome in the URL
 * fragment (never sent to a server, never in a Referer):
 *
 * - `#oidc_refresh=…&user_id=…&outcome=signin|linked|created`: a fresh
 *   session's refresh token. It is swapped at once for a new pair (the token
 *   rotates, so the one left in the history is spent) and the fragment is
 *   removed from the address bar.
 * - `#oidc_error=REASON`: shown as a readable message on the sign-in page.
 *
 * Where to go after signing in (`next`) is kept in sessionStorage across the
 * round trip, checked again by safeNext when used.
 */

import type { Session } from './session';

/** The sandbox world's identity provider, the only one configured by default. */
export const SANDBOX_PROVIDER = 'sandbox';
export const OIDC_NEXT_KEY = 'contrail.oidc.next';

export function oidcStartUrl(provider: string = SANDBOX_PROVIDER): string {
  return `/api/v1/auth/oidc/${encodeURIComponent(provider)}/start`;
}

export type OidcReturn =
  | { kind: 'session'; refreshToken: string; userId: string; outcome: string }
  | { kind: 'error'; reason: string; message: string };

const MESSAGES: Record<string, string> = {
  denied: 'Sign-in with Sandbox ID was cancelled. You can try again or sign in with your password.',
  provider_error: 'Sandbox ID could not sign you in. Please try again.',
  state: 'That sign-in link has expired or was started in another browser. Please start again.',
  exchange: 'That sign-in had already been used or took too long. Please start again.',
  token: 'Sandbox ID sent a sign-in we could not verify, so we did not sign you in. Please try again.',
  unverified_email:
    'An account with this e-mail address already exists, and Sandbox ID has not verified the address, so we cannot link them. Sign in with your password instead.',
  no_email: 'Sandbox ID did not give us an e-mail address, so we cannot create your account.',
  unavailable: 'Sign-in with Sandbox ID is not available right now. Please try again later or use your password.',
};

export function oidcErrorMessage(reason: string): string {
  return MESSAGES[reason] ?? 'We could not sign you in with Sandbox ID. Please try again.';
}

/** What the server's callback put in the fragment; null when it is not an OIDC return. */
export function parseOidcReturn(hash: string): OidcReturn | null {
  const params = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
  const error = params.get('oidc_error');
  if (error !== null) return { kind: 'error', reason: error, message: oidcErrorMessage(error) };
  const refreshToken = params.get('oidc_refresh');
  const userId = params.get('user_id');
  if (refreshToken && userId) return { kind: 'session', refreshToken, userId, outcome: params.get('outcome') ?? 'signin' };
  return null;
}

type StorageLike = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

function storage(): StorageLike | null {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null;
  }
}

/** Remembers where to go after the round trip (called when the button is clicked). */
export function rememberNext(next: string | null, store: StorageLike | null = storage()): void {
  try {
    if (next) store?.setItem(OIDC_NEXT_KEY, next);
    else store?.removeItem(OIDC_NEXT_KEY);
  } catch {
    /* storage disabled: the user lands on the default page */
  }
}

/** The remembered `next`, forgotten as it is read. */
export function takeNext(store: StorageLike | null = storage()): string | null {
  try {
    const v = store?.getItem(OIDC_NEXT_KEY) ?? null;
    store?.removeItem(OIDC_NEXT_KEY);
    return v;
  } catch {
    return null;
  }
}

/** Adopts the session of a successful return (rotating its refresh token at once). */
export async function completeOidcSignIn(session: Session, ret: Extract<OidcReturn, { kind: 'session' }>): Promise<void> {
  await session.adoptRefreshToken(ret.refreshToken, ret.userId);
}
