/* idp_internal.h: the identity provider's signing keys, shared by the idp/ files only. */
#ifndef SB_IDP_INTERNAL_H
#define SB_IDP_INTERNAL_H

#include <jansson.h>
#include <stddef.h>

#include "base/status.h"

/* One RSA key pair: the private key as PEM (for libjwt), the public key's JWK members and its
 * RFC 7638 thumbprint as the kid. */
typedef struct sb_idp_key {
    char *private_pem; /* owned */
    char n[400];       /* base64url modulus */
    char e[16];        /* base64url exponent */
    char kid[48];
} sb_idp_key;

/* Reads the key pair at `path`, or generates one (2048 bits) and writes it there (0600).
 * CT_IO with a message in err when the file cannot be read or written. */
ct_status sb__idp_key_load_or_create(const char *path, sb_idp_key *k, char *err, size_t errlen);

/* A fresh key pair in memory only (the forged-token test user's). */
ct_status sb__idp_key_generate(sb_idp_key *k);

void sb__idp_key_free(sb_idp_key *k);

/* The key as a JWK object {kty, use, alg, kid, n, e}; NULL on OOM. */
json_t *sb__idp_key_jwk(const sb_idp_key *k);

/* Signs `claims` (an object of strings, integers and booleans) as an RS256 JWT with the kid
 * header; a malloc'd string the caller frees, NULL on failure. */
char *sb__idp_key_sign(const sb_idp_key *k, const json_t *claims);

#endif
