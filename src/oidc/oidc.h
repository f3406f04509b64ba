/* oidc.h: the platform's OpenID Connect client (relying party): sign-in with an identity
 * provider by the authorization code flow with PKCE (RFC 6749, RFC 7636, OIDC Core 1.0).
 *
 * A provider is named by the platform ("sandbox") and configured by its issuer, client id and
 * secret; its endpoints come from ISSUER/.well-known/openid-configuration (whose issuer must
 * be the configured one) and its keys from the jwks_uri, both fetched over the upstream client
 * when first needed (the JWKS again when a token names an unknown kid: key rotation).
 *
 * The flow's secrets never sit in a database: ct_oidc_begin makes the state, the nonce and the
 * PKCE verifier (32 random bytes each, base64url) and seals them with the provider name, the
 * redirect URI and an expiry (CT_OIDC_FLOW_TTL) into an opaque value for an HttpOnly cookie
 * (XSalsa20-Poly1305, key derived from the platform's secret): tampering, another
 * platform's cookie or an old one do not open. The callback must bring that cookie, so a
 * state sent to someone else's browser (login CSRF) does not match.
 *
 * ID tokens (ct_oidc_check_id_token): RS256 only, decided from the token's header before any
 * signature check (so "none", HS256 signed with the public key as secret, and every other
 * algorithm are refused), the key chosen by kid among the JWKS keys converted to PEM (OpenSSL's
 * libcrypto), the signature verified by libjwt, then iss (exactly the issuer), aud (the client
 * id, or an array holding it with azp the client id), exp (in the future), iat (not in the
 * future, at most CT_OIDC_MAX_AGE old, with CT_OIDC_SKEW seconds of tolerance), nonce (the
 * flow's), and sub present. Thread-safe: one mutex around the provider table. */
#ifndef CT_OIDC_OIDC_H
#define CT_OIDC_OIDC_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

#define CT_OIDC_FLOW_TTL  600 /* seconds from start to callback */
#define CT_OIDC_SKEW      60  /* seconds of clock tolerance */
#define CT_OIDC_MAX_AGE   600 /* an ID token issued longer ago is refused */
#define CT_OIDC_PROVIDERS 8

typedef struct ct_oidc ct_oidc;

/* What a validated ID token says. */
typedef struct ct_oidc_identity {
    char provider[32];
    char issuer[256];
    char subject[256];
    char email[256];    /* "" when the token has none */
    int email_verified; /* the email_verified claim is true */
    char name[200];     /* "" when none */
} ct_oidc_identity;

/* Why a callback failed, for the sign-in page (ct_oidc_complete). */
typedef enum ct_oidc_failure {
    CT_OIDC_OK = 0,
    CT_OIDC_BAD_STATE,   /* no flow cookie, a tampered or expired one, or another state */
    CT_OIDC_EXCHANGE,    /* the provider refused the code (used, expired, wrong verifier) */
    CT_OIDC_BAD_TOKEN,   /* the ID token failed validation */
    CT_OIDC_UNAVAILABLE, /* the provider could not be reached or answered nonsense */
} ct_oidc_failure;

/* A client whose flow cookies are sealed with a key derived from `secret` (at least 32
 * bytes). curl_global_init must have been called. CT_INVALID, CT_NOMEM, CT_ERR. */
ct_status ct_oidc_new(const char *secret, ct_oidc **out);
void ct_oidc_free(ct_oidc *o);

/* Adds (or replaces) provider `name` ([a-z0-9-], at most 31) with an http(s) issuer and a
 * non-empty client id and secret. CT_INVALID, CT_TOO_LARGE when full. */
ct_status ct_oidc_add_provider(ct_oidc *o, const char *name, const char *issuer,
                               const char *client_id, const char *client_secret);

/* Provider "sandbox" comes from the "idp" block {issuer, client_id, client_secret} of this
 * world.json, read when that provider is first asked for and not yet known (the world may
 * start after the platform). The path is copied. */
void ct_oidc_use_world(ct_oidc *o, const char *world_json);

/* 1 when `name` is a configured provider. */
int ct_oidc_known(ct_oidc *o, const char *name);

/* The names of the configured providers, as a JSON array of strings (caller's). */
json_t *ct_oidc_provider_names(ct_oidc *o);

/* Starts a sign-in at `name`: the provider's authorization URL into url and the sealed flow
 * into cookie (for the callback at `redirect_uri`). CT_NOT_FOUND for an unknown provider,
 * CT_UNAVAILABLE when its discovery document cannot be had, CT_TOO_LARGE. */
ct_status ct_oidc_begin(ct_oidc *o, const char *name, const char *redirect_uri, int64_t now,
                        char *cookie, size_t cookie_len, char *url, size_t url_len);

/* Finishes a sign-in: opens the flow cookie, checks it is for `name` and that `state` is its
 * state, exchanges `code` with the verifier at the token endpoint (client_secret_basic) and
 * validates the ID token. CT_OK with *id filled, else non-OK with *why. */
ct_status ct_oidc_complete(ct_oidc *o, const char *name, const char *cookie, const char *state,
                           const char *code, int64_t now, ct_oidc_identity *id,
                           ct_oidc_failure *why);

/* Validates an ID token with the RSA public key `pem` of id `kid` (NULL: any kid) as above
 * (exposed for tests). CT_OK with *id filled (provider left empty); CT_INVALID with the reason
 * in err. */
ct_status ct_oidc_check_id_token(const char *token, const char *kid, const char *pem,
                                 const char *issuer, const char *client_id, const char *nonce,
                                 int64_t now, ct_oidc_identity *id, char *err, size_t errlen);

/* An RSA JWK ({"kty":"RSA","n","e"}) as a PEM public key (SubjectPublicKeyInfo), malloc'd
 * into *pem (caller frees). CT_INVALID for anything else or a modulus under 2048 bits. */
ct_status ct_oidc_jwk_to_pem(const json_t *jwk, char **pem);

#endif
