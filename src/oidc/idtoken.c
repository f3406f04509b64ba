/* idtoken.c: ID token validation and JWK -> PEM (see oidc.h for the rules).
 *
 * libjwt 1.10 verifies a signature with whatever algorithm the token's header names, using
 * the key it is given: handed an RSA public key in PEM and a token saying HS256, it would
 * check an HMAC keyed with that (public) PEM text. So the header is read here first and
 * anything but RS256 is refused before libjwt runs, and libjwt's algorithm is checked again
 * after. libjwt checks no claim; every claim is checked below. libjwt has no JWK support in
 * this version, so the JWK's modulus and exponent become a PEM key through OpenSSL 3's
 * EVP_PKEY_fromdata. */
#include "oidc/oidc.h"

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_MAX 8192

/* Decodes base64url (no padding) text of `len` bytes; returns the byte count or -1. */
static long b64url_decode(const char *in, size_t len, unsigned char *out, size_t cap)
{
    size_t n = 0;
    if (sodium_base642bin(out, cap, in, len, NULL, &n, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return -1;
    return (long)n;
}

static BIGNUM *jwk_number(const json_t *jwk, const char *name)
{
    const char *v = json_string_value(json_object_get(jwk, name));
    unsigned char bin[1024];
    long n = v ? b64url_decode(v, strlen(v), bin, sizeof(bin)) : -1;
    return n > 0 ? BN_bin2bn(bin, (int)n, NULL) : NULL;
}

static char *pubkey_pem(EVP_PKEY *pkey)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *pem = NULL;
    if (bio != NULL && PEM_write_bio_PUBKEY(bio, pkey) == 1) {
        char *data = NULL;
        long len = BIO_get_mem_data(bio, &data);
        pem = malloc((size_t)len + 1);
        if (pem != NULL) {
            memcpy(pem, data, (size_t)len);
            pem[len] = '\0';
        }
    }
    BIO_free(bio);
    return pem;
}

ct_status ct_oidc_jwk_to_pem(const json_t *jwk, char **pem)
{
    *pem = NULL;
    const char *kty = json_string_value(json_object_get(jwk, "kty"));
    if (kty == NULL || strcmp(kty, "RSA") != 0)
        return CT_INVALID;
    BIGNUM *n = jwk_number(jwk, "n"), *e = jwk_number(jwk, "e");
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *pkey = NULL;
    ct_status rc = CT_INVALID;
    if (n == NULL || e == NULL || bld == NULL || BN_num_bits(n) < 2048)
        goto done;
    if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
        (params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
        goto done;
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
        goto done;
    *pem = pubkey_pem(pkey);
    rc = *pem != NULL ? CT_OK : CT_NOMEM;
done:
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    return rc;
}

/* The token's JOSE header as JSON (caller decrefs), NULL when malformed. */
static json_t *token_header(const char *token)
{
    size_t len = strcspn(token, ".");
    unsigned char raw[1024];
    long n = token[len] == '.' ? b64url_decode(token, len, raw, sizeof(raw) - 1) : -1;
    if (n <= 0)
        return NULL;
    return json_loadb((const char *)raw, (size_t)n, 0, NULL);
}

static int fail(char *err, size_t errlen, const char *why)
{
    snprintf(err, errlen, "%s", why);
    return 0;
}

static ct_status invalid(char *err, size_t errlen, const char *why)
{
    fail(err, errlen, why);
    return CT_INVALID;
}

/* 1 when the audience is the client: "aud" the client id, or an array holding it (then azp,
 * when several audiences, must be the client). */
static int audience_ok(jwt_t *jwt, const char *client_id)
{
    const char *aud = jwt_get_grant(jwt, "aud");
    if (aud != NULL)
        return strcmp(aud, client_id) == 0;
    char *text = jwt_get_grants_json(jwt, "aud");
    json_t *list = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    free(text);
    int found = 0;
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) found =
        found || (json_is_string(v) && strcmp(json_string_value(v), client_id) == 0);
    size_t count = json_array_size(list);
    json_decref(list);
    const char *azp = jwt_get_grant(jwt, "azp");
    return found && (count == 1 ? azp == NULL || strcmp(azp, client_id) == 0
                                : azp != NULL && strcmp(azp, client_id) == 0);
}

static int same(const char *a, const char *b)
{
    size_t n = strlen(a);
    return n == strlen(b) && sodium_memcmp(a, b, n) == 0;
}

static int claims_ok(jwt_t *jwt, const char *issuer, const char *client_id, const char *nonce,
                     int64_t now, char *err, size_t errlen)
{
    const char *iss = jwt_get_grant(jwt, "iss"), *sub = jwt_get_grant(jwt, "sub");
    const char *tnonce = jwt_get_grant(jwt, "nonce");
    long exp = jwt_get_grant_int(jwt, "exp"), iat = jwt_get_grant_int(jwt, "iat");
    if (iss == NULL || strcmp(iss, issuer) != 0)
        return fail(err, errlen, "iss is not the provider's issuer");
    if (!audience_ok(jwt, client_id))
        return fail(err, errlen, "aud is not this client");
    if (exp <= 0 || now >= exp)
        return fail(err, errlen, "the token has expired");
    if (iat <= 0 || iat > now + CT_OIDC_SKEW || iat < now - CT_OIDC_MAX_AGE)
        return fail(err, errlen, "iat is in the future or too old");
    if (tnonce == NULL || !same(tnonce, nonce))
        return fail(err, errlen, "nonce is not the sign-in's");
    if (sub == NULL || !sub[0] || strlen(sub) > 255)
        return fail(err, errlen, "sub is missing");
    return 1;
}

static void copy_identity(jwt_t *jwt, ct_oidc_identity *id)
{
    memset(id, 0, sizeof(*id));
    const char *email = jwt_get_grant(jwt, "email"), *name = jwt_get_grant(jwt, "name");
    snprintf(id->issuer, sizeof(id->issuer), "%s", jwt_get_grant(jwt, "iss"));
    snprintf(id->subject, sizeof(id->subject), "%s", jwt_get_grant(jwt, "sub"));
    snprintf(id->email, sizeof(id->email), "%s", email ? email : "");
    snprintf(id->name, sizeof(id->name), "%s", name ? name : "");
    id->email_verified = jwt_get_grant_bool(jwt, "email_verified") == 1;
}

ct_status ct_oidc_check_id_token(const char *token, const char *kid, const char *pem,
                                 const char *issuer, const char *client_id, const char *nonce,
                                 int64_t now, ct_oidc_identity *id, char *err, size_t errlen)
{
    size_t n = strlen(token);
    int dots = 0;
    for (size_t i = 0; i < n; i++)
        dots += token[i] == '.';
    if (n == 0 || n > TOKEN_MAX || dots != 2)
        return invalid(err, errlen, "not a signed JWT");
    /* libjwt skips the signature check when given no key: never call it without one. */
    if (pem == NULL || strstr(pem, "-----BEGIN PUBLIC KEY-----") == NULL)
        return invalid(err, errlen, "no public key to verify with");
    json_t *header = token_header(token);
    const char *alg = json_string_value(json_object_get(header, "alg"));
    const char *tkid = json_string_value(json_object_get(header, "kid"));
    int header_ok = alg != NULL && strcmp(alg, "RS256") == 0 &&
                    (kid == NULL || (tkid != NULL && strcmp(tkid, kid) == 0));
    json_decref(header);
    if (!header_ok)
        return invalid(err, errlen, "the header is not RS256 with the provider's key");
    jwt_t *jwt = NULL;
    if (jwt_decode(&jwt, token, (const unsigned char *)pem, (int)strlen(pem)) != 0 || jwt == NULL)
        return invalid(err, errlen, "the signature does not verify");
    ct_status rc = CT_INVALID;
    if (jwt_get_alg(jwt) != JWT_ALG_RS256)
        fail(err, errlen, "the algorithm is not RS256");
    else if (claims_ok(jwt, issuer, client_id, nonce, now, err, errlen)) {
        copy_identity(jwt, id);
        rc = CT_OK;
    }
    jwt_free(jwt);
    return rc;
}
