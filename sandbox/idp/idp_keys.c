/* idp_keys.c: the identity provider's RSA keys (OpenSSL's libcrypto) and RS256 signing (libjwt).
 *
 * The key pair is made with EVP_RSA_gen and kept as a PKCS#8 PEM file; the public key is
 * published from its modulus and exponent (EVP_PKEY_get_bn_param), base64url-encoded without
 * padding (RFC 7518 6.3.1), with the RFC 7638 thumbprint (SHA-256 of the canonical JSON of
 * e, kty, n) as its kid. */
#include "sandbox/idp/idp_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fileutil.h"

static void b64url(const unsigned char *bin, size_t len, char *out, size_t outlen)
{
    sodium_bin2base64(out, outlen, bin, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* The base64url big-endian bytes of one of the key's numbers ("n" or "e"). */
static int bn_member(EVP_PKEY *pkey, const char *name, char *out, size_t outlen)
{
    BIGNUM *bn = NULL;
    if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1)
        return -1;
    unsigned char bin[512];
    int n = BN_num_bytes(bn);
    int ok =
        n > 0 && (size_t)n <= sizeof(bin) &&
        sodium_base64_ENCODED_LEN((size_t)n, sodium_base64_VARIANT_URLSAFE_NO_PADDING) <= outlen;
    if (ok) {
        BN_bn2bin(bn, bin);
        b64url(bin, (size_t)n, out, outlen);
    }
    BN_free(bn);
    return ok ? 0 : -1;
}

/* Fills the public members and the kid from pkey, and the private PEM. */
static ct_status describe(EVP_PKEY *pkey, sb_idp_key *k)
{
    if (bn_member(pkey, OSSL_PKEY_PARAM_RSA_N, k->n, sizeof(k->n)) ||
        bn_member(pkey, OSSL_PKEY_PARAM_RSA_E, k->e, sizeof(k->e)))
        return CT_ERR;
    char canon[512];
    snprintf(canon, sizeof(canon), "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", k->e, k->n);
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *)canon, strlen(canon));
    b64url(digest, sizeof(digest), k->kid, sizeof(k->kid));
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL || PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) != 1) {
        BIO_free(bio);
        return CT_NOMEM;
    }
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    k->private_pem = malloc((size_t)len + 1);
    if (k->private_pem != NULL) {
        memcpy(k->private_pem, data, (size_t)len);
        k->private_pem[len] = '\0';
    }
    BIO_free(bio);
    return k->private_pem != NULL ? CT_OK : CT_NOMEM;
}

ct_status sb__idp_key_generate(sb_idp_key *k)
{
    memset(k, 0, sizeof(*k));
    EVP_PKEY *pkey = EVP_RSA_gen(2048);
    if (pkey == NULL)
        return CT_ERR;
    ct_status rc = describe(pkey, k);
    EVP_PKEY_free(pkey);
    return rc;
}

static ct_status write_new_key(const char *path, const sb_idp_key *k)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return CT_IO;
    ct_status rc = ct_file_write_all(fd, k->private_pem, strlen(k->private_pem));
    if (close(fd) != 0)
        rc = CT_IO;
    return rc;
}

ct_status sb__idp_key_load_or_create(const char *path, sb_idp_key *k, char *err, size_t errlen)
{
    memset(k, 0, sizeof(*k));
    FILE *f = fopen(path, "r");
    if (f == NULL && errno != ENOENT) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return CT_IO;
    }
    if (f == NULL) {
        ct_status rc = sb__idp_key_generate(k);
        if (rc == CT_OK && write_new_key(path, k) != CT_OK) {
            snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
            sb__idp_key_free(k);
            rc = CT_IO;
        }
        return rc;
    }
    EVP_PKEY *pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    ct_status rc = pkey != NULL && EVP_PKEY_is_a(pkey, "RSA") ? describe(pkey, k) : CT_INVALID;
    EVP_PKEY_free(pkey);
    if (rc)
        snprintf(err, errlen, "%s is not an RSA private key in PEM", path);
    return rc;
}

void sb__idp_key_free(sb_idp_key *k)
{
    free(k->private_pem);
    k->private_pem = NULL;
}

json_t *sb__idp_key_jwk(const sb_idp_key *k)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "kty", "RSA", "use", "sig", "alg", "RS256",
                     "kid", k->kid, "n", k->n, "e", k->e);
}

static int add_claim(jwt_t *jwt, const char *name, const json_t *v)
{
    if (json_is_string(v))
        return jwt_add_grant(jwt, name, json_string_value(v));
    if (json_is_integer(v))
        return jwt_add_grant_int(jwt, name, (long)json_integer_value(v));
    if (json_is_boolean(v))
        return jwt_add_grant_bool(jwt, name, json_is_true(v));
    return EINVAL;
}

char *sb__idp_key_sign(const sb_idp_key *k, const json_t *claims)
{
    jwt_t *jwt = NULL;
    if (jwt_new(&jwt) != 0)
        return NULL;
    int err = 0;
    const char *name;
    const json_t *v;
    json_object_foreach((json_t *)claims, name, v) err = err || add_claim(jwt, name, v);
    err = err || jwt_add_header(jwt, "kid", k->kid) ||
          jwt_set_alg(jwt, JWT_ALG_RS256, (const unsigned char *)k->private_pem,
                      (int)strlen(k->private_pem));
    char *token = err ? NULL : jwt_encode_str(jwt);
    jwt_free(jwt);
    return token;
}
