/* idp.h: the sandbox identity provider, an OpenID Connect provider of the simulated world.
 *
 * A separate HTTP server (subcommand `idp`) that the platform signs users in with, exactly as
 * it would with a real provider: OAuth 2.0 authorization code with PKCE (RFC 6749, RFC 7636)
 * and OpenID Connect Core 1.0 ID tokens signed RS256.
 *
 *   GET  /.well-known/openid-configuration  the discovery document (issuer, endpoints, what
 *                                           is supported)
 *   GET  /jwks.json                         the RSA public key as a JWK (kid: its RFC 7638
 *                                           thumbprint)
 *   GET  /authorize                         checks the request, then a login page listing the
 *                                           test users and their passwords
 *   POST /authorize                         the page's form: allow (e-mail + password) or deny;
 *                                           302 back to the client with code+state, or
 *                                           error=access_denied+state
 *   POST /token                             authorization_code grant: client_secret_basic or
 *                                           client_secret_post; the code is single use, lives
 *                                           60 seconds, and the PKCE verifier must match;
 *                                           answers {access_token, token_type, expires_in,
 *                                           id_token}
 *   GET  /userinfo                          the claims of an access token (Bearer)
 *   GET  /healthz
 *
 * /authorize checks client_id and redirect_uri (an exact match of a registered URI) first and
 * shows an error page for them, never redirecting anywhere unregistered; then response_type
 * code, a scope holding "openid", state, nonce, and code_challenge with method S256 only
 * (an error redirect with error=invalid_request).
 *
 * Test users (docs/sandbox.md): alice@idp.test / alice-pass and bob@idp.test / bob-pass
 * (verified e-mail), eve@idp.test / eve-pass (email_verified false), and mallory@idp.test /
 * mallory-pass, whose ID tokens are signed with a key that is not in the JWKS (a forged
 * token, for the platform's tests).
 *
 * The RSA key pair (2048 bits) is generated once and kept in `key_file` (PEM, mode 0600).
 * Codes and access tokens live in memory only (a restart forgets them, like a provider
 * failing over). ID token times are real time: the platform checks them against its own
 * clock, not the world's. */
#ifndef SB_IDP_H
#define SB_IDP_H

#include "base/config.h"

#include <stddef.h>

#include "base/status.h"
#include "http/http.h"

#define SB_IDP_DEFAULT_PORT          8097
#define SB_IDP_DEFAULT_KEY_FILE      "var/sandbox/idp-key.pem"
#define SB_IDP_DEFAULT_CLIENT_ID     "contrail-web"
#define SB_IDP_DEFAULT_CLIENT_SECRET "sandbox-idp-secret"
#define SB_IDP_DEFAULT_REDIRECT_URIS                                                               \
    "http://127.0.0.1:8080/api/v1/auth/oidc/sandbox/callback,"                                     \
    "http://localhost:8080/api/v1/auth/oidc/sandbox/callback"
#define SB_IDP_CODE_TTL  60  /* seconds */
#define SB_IDP_TOKEN_TTL 300 /* seconds: ID and access tokens */

typedef struct sb_idp sb_idp;

typedef struct sb_idp_options {
    ct_http_options http;      /* port 0 = ephemeral */
    const char *key_file;      /* the RSA key pair (created when missing) */
    const char *issuer;        /* NULL: http://HOST:PORT once bound */
    const char *client_id;     /* the one registered client */
    const char *client_secret; /* its secret */
    const char *redirect_uris; /* comma-separated exact redirect URIs of that client */
} sb_idp_options;

/* Loads or creates the key, starts serving. Options are copied. On failure writes a message to
 * err and returns non-OK; nothing keeps running. Stop with sb_idp_stop. */
ct_status sb_idp_start(const sb_idp_options *opt, sb_idp **out, char *err, size_t errlen);

/* The bound port, and the issuer ("http://127.0.0.1:PORT" unless set). */
int sb_idp_port(const sb_idp *p);
const char *sb_idp_issuer(const sb_idp *p);

/* Stops serving and frees everything. NULL is allowed. */
void sb_idp_stop(sb_idp *p);

/* The `idp` command's own flags (a base/config.h table). */
extern const ct_flag sb_idp_flags[];

/* Entry point (sandbox/cmd/main.c): the identity provider until SIGINT/SIGTERM. */
int sb_idp_main(const ct_config *cfg);

#endif
