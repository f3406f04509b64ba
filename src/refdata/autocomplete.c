/* autocomplete.c: ranked prefix search over airports and metro areas.
 *
 * Index: every word start of every searchable folded text (metro-area names; airport city,
 * name and country name; the cities' other names of aliases.c, scored as the city's or the
 * metro area's name) becomes one key: a pointer to the folded text at that word, the
 * place it belongs to and the score a match there earns. The keys are sorted once per
 * snapshot (about 25,000 of them). A query is folded the same way, its lower bound found by
 * binary search, and the keys are walked while they start with the query: the work is
 * proportional to the number of matches, not to the number of airports. Exact IATA and ICAO
 * codes come from the hash maps. Scores are documented in refdata.h.
 *
 * Matches are gathered with their best score per place, sorted, and metro areas are
 * followed by their airports.
 *
 * Typing mistakes: codes are matched only for a query typed in plain ASCII ("Mün" is a city,
 * not Maturín's code MUN); a three-letter query also matches the codes with two neighbouring
 * letters swapped ("JKF" finds JFK). When a query of 5 letters or more finds fewer places than
 * asked, every key is compared with it allowing one edit (two from 8 letters: a letter added,
 * dropped, changed, or two neighbours swapped; "Lodnon" finds London). That scan costs about
 * a millisecond, so it runs only then. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/map.h"
#include "base/text.h"
#include "refdata/refdata_internal.h"

#define QUERY_MAX 64

enum {
    SCORE_METRO_CODE = 1000,
    SCORE_AIRPORT_CODE = 950,
    SCORE_ICAO_CODE = 900,
    SCORE_METRO_NAME = 700,
    SCORE_CITY = 600,
    SCORE_NAME = 500,
    SCORE_LATER_WORD = 400,
    SCORE_COUNTRY = 300,
    SCORE_SWAPPED_CODE = 250,
    SCORE_TYPO = 200,
    SCORE_LARGE_BONUS = 30,
};

struct ct__place_key {
    const char *key;
    const ct_airport *airport; /* exactly one of airport / metro is set */
    const ct_metro *metro;
    int score;
};

typedef struct ct__place_key place_key;

typedef struct key_vec {
    place_key *items;
    size_t len, cap;
} key_vec;

static ct_status add_words(key_vec *v, const char *text, const ct_airport *a, const ct_metro *m,
                           int first_score, int later_score)
{
    for (const char *p = text; p != NULL && *p; p = strchr(p, ' ')) {
        if (*p == ' ')
            p++;
        if (v->len == v->cap) {
            size_t cap = v->cap ? v->cap * 2 : 4096;
            place_key *items = ct_realloc(v->items, cap * sizeof(*items));
            if (items == NULL)
                return CT_NOMEM;
            v->items = items;
            v->cap = cap;
        }
        v->items[v->len++] = (place_key){p, a, m, p == text ? first_score : later_score};
    }
    return CT_OK;
}

/* The cities' other names (aliases.c), folded into the snapshot's arena. */
static ct_status add_aliases(ct_refdata *rd, key_vec *v)
{
    ct_status rc = CT_OK;
    for (size_t i = 0; !rc && i < ct_place_aliases_count; i++) {
        const ct_place_alias *al = &ct_place_aliases[i];
        const ct_metro *m = ct_map_get(rd->metro_by_code, al->code);
        const ct_airport *a = m ? NULL : ct_map_get(rd->airport_by_code, al->code);
        if (m == NULL && a == NULL)
            continue;
        int bonus = a != NULL && a->size == CT_AIRPORT_LARGE ? SCORE_LARGE_BONUS : 0;
        for (int k = 0; !rc && k < 8 && al->names[k] != NULL; k++) {
            char buf[256];
            if (ct_text_fold(al->names[k], buf, sizeof(buf)) != CT_OK || buf[0] == '\0')
                continue;
            const char *key = ct_arena_strdup(rd->arena, buf);
            if (key == NULL)
                return CT_NOMEM;
            rc = add_words(v, key, a, m, m ? SCORE_METRO_NAME : SCORE_CITY + bonus,
                           SCORE_LATER_WORD + bonus);
        }
    }
    return rc;
}

static int key_cmp(const void *x, const void *y)
{
    const place_key *a = x, *b = y;
    return strcmp(a->key, b->key);
}

ct_status ct__refdata_build_index(ct_refdata *rd)
{
    key_vec v = {0};
    ct_status rc = CT_OK;
    for (size_t i = 0; !rc && i < rd->nmetros; i++)
        rc = add_words(&v, rd->metros[i].k_name, NULL, &rd->metros[i], SCORE_METRO_NAME,
                       SCORE_LATER_WORD);
    for (size_t i = 0; !rc && i < rd->nairports; i++) {
        const ct_airport *a = &rd->airports[i];
        int bonus = a->size == CT_AIRPORT_LARGE ? SCORE_LARGE_BONUS : 0;
        rc = add_words(&v, a->k_city, a, NULL, SCORE_CITY + bonus, SCORE_LATER_WORD + bonus);
        if (!rc)
            rc = add_words(&v, a->k_name, a, NULL, SCORE_NAME + bonus, SCORE_LATER_WORD + bonus);
        if (!rc)
            rc = add_words(&v, a->k_country, a, NULL, SCORE_COUNTRY + bonus, SCORE_COUNTRY + bonus);
    }
    if (!rc)
        rc = add_aliases(rd, &v);
    if (!rc) {
        if (v.len > 1)
            qsort(v.items, v.len, sizeof(place_key), key_cmp);
        rd->keys = ct_arena_alloc(rd->arena, v.len * sizeof(place_key) + 1);
        if (rd->keys == NULL)
            rc = CT_NOMEM;
        else {
            if (v.len > 0) /* no key: v.items is NULL */
                memcpy(rd->keys, v.items, v.len * sizeof(place_key));
            rd->nkeys = v.len;
        }
    }
    ct_free(v.items);
    return rc;
}

/* Folds a query into out, its length in *len. Pure-ASCII text folds by hand to exactly what
 * ICU's transliterator gives for it (lower case, non-alphanumerics to single spaces), skipping
 * ICU on the common path. */
static ct_status fold_query(const char *query, char *out, size_t outlen, size_t *len)
{
    size_t n = 0;
    int pending_space = 0;
    for (const unsigned char *p = (const unsigned char *)query; *p; p++) {
        if (*p >= 0x80) {
            ct_status rc = ct_text_fold(query, out, outlen);
            *len = rc ? 0 : strlen(out);
            return rc;
        }
        if (isalnum(*p)) {
            if (pending_space && n > 0)
                out[n++] = ' ';
            pending_space = 0;
            out[n++] = (char)tolower(*p);
        } else if (*p != '\'') {
            pending_space = 1;
        }
        if (n + 2 >= outlen)
            return CT_TOO_LARGE;
    }
    out[n] = '\0';
    *len = n;
    return CT_OK;
}

/* First key >= q. */
static size_t lower_bound(const ct_refdata *rd, const char *q)
{
    size_t lo = 0, hi = rd->nkeys;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(rd->keys[mid].key, q) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The matches of one query: the best score per place, indexed by place id (airports first,
 * then metro areas), and the ids touched, so the work stays proportional to the matches. */
typedef struct match_set {
    const ct_refdata *rd;
    int *best;     /* nairports + nmetros entries, zeroed */
    uint32_t *ids; /* places with best > 0, in first-seen order */
    size_t len;
} match_set;

static void add_match(match_set *s, const ct_airport *a, const ct_metro *m, int score)
{
    uint32_t id = a ? (uint32_t)(a - s->rd->airports)
                    : (uint32_t)(s->rd->nairports + (size_t)(m - s->rd->metros));
    if (s->best[id] == 0)
        s->ids[s->len++] = id;
    if (score > s->best[id])
        s->best[id] = score;
}

static const char *place_name(const ct_place *p)
{
    return p->airport ? p->airport->name : p->metro->name;
}

static int place_cmp(const void *x, const void *y)
{
    const ct_place *a = x, *b = y;
    if (a->score != b->score)
        return b->score - a->score;
    int sa = a->airport ? (int)a->airport->size : 3, sb = b->airport ? (int)b->airport->size : 3;
    if (sa != sb)
        return sb - sa;
    return strcmp(place_name(a), place_name(b));
}

static int contains_airport(const ct_place *out, int n, const ct_airport *a)
{
    for (int i = 0; i < n; i++) {
        if (out[i].airport == a)
            return 1;
    }
    return 0;
}

/* Gathers every place whose code equals the query or one of whose words starts with it. */
static void collect(const ct_refdata *rd, const char *q, const char *code, match_set *s)
{
    const ct_metro *m = code[0] ? ct_map_get(rd->metro_by_code, code) : NULL;
    if (m != NULL)
        add_match(s, NULL, m, SCORE_METRO_CODE);
    const ct_airport *a = code[0] ? ct_map_get(rd->airport_by_code, code) : NULL;
    if (a != NULL)
        add_match(s, a, NULL,
                  SCORE_AIRPORT_CODE + (a->size == CT_AIRPORT_LARGE ? SCORE_LARGE_BONUS : 0));
    a = code[0] ? ct_map_get(rd->airport_by_icao, code) : NULL;
    if (a != NULL)
        add_match(s, a, NULL, SCORE_ICAO_CODE);
    size_t qlen = strlen(q);
    for (size_t i = lower_bound(rd, q); i < rd->nkeys; i++) {
        const place_key *k = &rd->keys[i];
        if (strncmp(k->key, q, qlen) != 0)
            break;
        add_match(s, k->airport, k->metro, k->score);
    }
}

static int large_bonus(const ct_airport *a)
{
    return a != NULL && a->size == CT_AIRPORT_LARGE ? SCORE_LARGE_BONUS : 0;
}

/* The codes that swap two neighbouring letters of a three-letter code. */
static void collect_swapped(const ct_refdata *rd, const char *code, match_set *s)
{
    for (int i = 0; i < 2; i++) {
        char t[4] = {code[0], code[1], code[2], 0};
        if (t[i] == t[i + 1])
            continue;
        char c = t[i];
        t[i] = t[i + 1];
        t[i + 1] = c;
        const ct_airport *a = ct_map_get(rd->airport_by_code, t);
        if (a != NULL)
            add_match(s, a, NULL, SCORE_SWAPPED_CODE + large_bonus(a));
        const ct_metro *m = ct_map_get(rd->metro_by_code, t);
        if (m != NULL)
            add_match(s, NULL, m, SCORE_SWAPPED_CODE + SCORE_LARGE_BONUS);
    }
}

/* 1 when the first qlen +- max characters of key are within `max` edits of q (optimal string
 * alignment distance: insertions, deletions, substitutions, adjacent transpositions). */
static int near_prefix(const char *q, size_t qlen, const char *key, int max)
{
    enum { W = QUERY_MAX + 3 };
    int rows[3][W]; /* rolling rows over key positions; columns over q */
    size_t klen = strnlen(key, qlen + (size_t)max);
    if (klen + (size_t)max < qlen)
        return 0;
    int *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= qlen; j++)
        prev[j] = (int)j;
    int best = (int)qlen; /* q against the key's empty prefix */
    for (size_t i = 1; i <= klen; i++) {
        cur[0] = (int)i;
        int row_min = cur[0];
        for (size_t j = 1; j <= qlen; j++) {
            int cost = key[i - 1] == q[j - 1] ? 0 : 1;
            int v = prev[j] + 1;
            if (cur[j - 1] + 1 < v)
                v = cur[j - 1] + 1;
            if (prev[j - 1] + cost < v)
                v = prev[j - 1] + cost;
            if (i > 1 && j > 1 && key[i - 1] == q[j - 2] && key[i - 2] == q[j - 1] &&
                prev2[j - 2] + 1 < v)
                v = prev2[j - 2] + 1;
            cur[j] = v;
            if (v < row_min)
                row_min = v;
        }
        if (cur[qlen] < best) /* q against the key's first i characters */
            best = cur[qlen];
        if (row_min > max)
            break;
        int *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return best <= max;
}

/* The typo fallback: every key near the query (see the top of this file). */
static void collect_near(const ct_refdata *rd, const char *q, size_t qlen, match_set *s)
{
    int max = qlen >= 8 ? 2 : 1;
    for (size_t i = 0; i < rd->nkeys; i++) {
        const place_key *k = &rd->keys[i];
        if (near_prefix(q, qlen, k->key, max))
            add_match(s, k->airport, k->metro, SCORE_TYPO + large_bonus(k->airport));
    }
}

/* Turns the match set into ct_place records (caller frees). NULL on OOM. */
static ct_place *match_places(const match_set *s)
{
    ct_place *p = ct_malloc((s->len ? s->len : 1) * sizeof(*p));
    if (p == NULL)
        return NULL;
    for (size_t i = 0; i < s->len; i++) {
        uint32_t id = s->ids[i];
        if (id < s->rd->nairports)
            p[i] = (ct_place){&s->rd->airports[id], NULL, s->best[id]};
        else
            p[i] = (ct_place){NULL, &s->rd->metros[id - s->rd->nairports], s->best[id]};
    }
    return p;
}

ct_status ct_refdata_autocomplete(const ct_refdata *rd, const char *query, ct_place *out, int limit,
                                  int *nout_out)
{
    char q[QUERY_MAX * 4 + 1];
    *nout_out = 0;
    size_t rawlen = strlen(query);
    if (rawlen == 0 || rawlen > QUERY_MAX)
        return CT_INVALID;
    size_t qlen;
    ct_status rc = fold_query(query, q, sizeof(q), &qlen);
    if (rc)
        return rc;
    if (qlen == 0)
        return CT_OK; /* only punctuation: nothing can match */
    char code[8] = "";
    int ascii = 1; /* a code is typed in plain ASCII letters and digits */
    for (size_t i = 0; i < rawlen; i++)
        ascii &= isalnum((unsigned char)query[i]) != 0;
    if (ascii && (rawlen == 3 || rawlen == 4)) {
        for (size_t i = 0; i < rawlen; i++)
            code[i] = (char)toupper((unsigned char)query[i]);
        code[rawlen] = '\0';
    }
    size_t nplaces = rd->nairports + rd->nmetros;
    match_set s = {rd, ct_calloc(nplaces, sizeof(int)), ct_malloc(nplaces * sizeof(uint32_t)), 0};
    ct_place *places = NULL;
    if (s.best != NULL && s.ids != NULL) {
        collect(rd, q, code, &s);
        if (rawlen == 3 && code[0] && isalpha((unsigned char)code[0]))
            collect_swapped(rd, code, &s);
        if (qlen >= 5 && qlen <= QUERY_MAX && s.len < (size_t)limit)
            collect_near(rd, q, qlen, &s);
        places = match_places(&s);
    }
    ct_free(s.best);
    ct_free(s.ids);
    if (places == NULL)
        return CT_NOMEM;
    qsort(places, s.len, sizeof(ct_place), place_cmp);
    int nout = 0;
    for (size_t i = 0; i < s.len && nout < limit; i++) {
        if (places[i].airport != NULL) {
            if (!contains_airport(out, nout, places[i].airport))
                out[nout++] = places[i];
            continue;
        }
        out[nout++] = places[i];
        const ct_metro *m = places[i].metro;
        for (int k = 0; k < m->nairports && nout < limit; k++) {
            if (!contains_airport(out, nout, m->airports[k]))
                out[nout++] = (ct_place){m->airports[k], NULL, places[i].score};
        }
    }
    ct_free(places);
    *nout_out = nout;
    return CT_OK;
}
