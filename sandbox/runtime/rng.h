/* rng.h: the deterministic draws of fares, inventory and faults.
 *
 * Every random-looking quantity in the sandbox's commercial model is a pure function of a
 * seed and the identity of what is drawn (a flight, a date, a request number), never of how
 * many draws came before: any process, in any order, computes the same value. splitmix64's
 * finaliser mixes; the draw is the top 53 bits as a double in [0, 1). Header-only because
 * the functions are three lines each and sit in inner loops. */
#ifndef CT_SANDBOX_RNG_H
#define CT_SANDBOX_RNG_H

#include <stdint.h>

static inline uint64_t sb_mix(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Hash of a seed and two identifiers. */
static inline uint64_t sb_hash(uint64_t seed, uint64_t a, uint64_t b)
{
    return sb_mix(sb_mix(seed ^ sb_mix(a)) ^ b);
}

/* A hash as a uniform double in [0, 1). */
static inline double sb_unit(uint64_t h)
{
    return (double)(h >> 11) * (1.0 / 9007199254740992.0);
}

/* A short code ("LX", "ZRH", "EUR") as an identifier for sb_hash. */
static inline uint64_t sb_code_key(const char *s)
{
    uint64_t k = 0;
    for (; *s; s++)
        k = k * 131 + (unsigned char)*s;
    return k;
}

#endif
