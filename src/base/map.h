/* map.h: a string-keyed hash map (open addressing, linear probing, FNV-1a).
 *
 * Keys are copied into the map; values are opaque pointers the map does not own. The table
 * keeps its load factor under 0.7 by doubling. Not thread-safe for writers; any number of
 * readers may share a map nobody writes to (the refdata snapshot relies on that). */
#ifndef CT_BASE_MAP_H
#define CT_BASE_MAP_H

#include <stddef.h>

#include "base/status.h"

typedef struct ct_map ct_map;

/* Creates an empty map. NULL on OOM. */
ct_map *ct_map_create(void);

/* Frees the map and its key copies (not the values). NULL is allowed. */
void ct_map_destroy(ct_map *m);

/* Inserts or replaces. CT_NOMEM on failure (the map is unchanged). */
ct_status ct_map_put(ct_map *m, const char *key, void *value);

/* Returns the value for `key`, or NULL when absent. */
void *ct_map_get(const ct_map *m, const char *key);

/* Number of entries. */
size_t ct_map_len(const ct_map *m);

/* Iteration: returns the next occupied slot index at or after `*pos`, setting key and value;
 * returns 0 at the end. Start with *pos = 0. */
int ct_map_next(const ct_map *m, size_t *pos, const char **key, void **value);

#endif
