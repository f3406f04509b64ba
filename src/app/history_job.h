/* history_job.h: serve's price history thread (history/history.h).
 *
 * One background thread owns the history's database work: every `flush_s` seconds it
 * writes the notes the searches took (ct_history_flush), every `compact_s` it downsamples
 * and expires (ct_history_compact), every `refresh_s` (and once at start) it rebuilds the
 * insight's distributions with the pricebook's rates (ct_history_refresh), and every
 * `reprice_s` it re-prices the routes searched in the last `reprice_window_s` whose
 * departure is still ahead: a cheapest-only search (search/search.h, ct_search_cheapest)
 * for one adult on each, at most `reprice_max` a pass, noted as a repriced observation, so
 * a route's history goes on while nobody searches it. At stop, a last flush. */
#ifndef CT_APP_HISTORY_JOB_H
#define CT_APP_HISTORY_JOB_H

#include <pthread.h>

#include "api/api.h"
#include "history/history.h"

typedef struct ct_app_history {
    /* Inputs. */
    ct_app *app; /* borrowed: pool, timetable and pricebook are read; app->history is set */
    ct_history_options opt;
    int flush_s, compact_s, refresh_s, reprice_s, reprice_window_s, reprice_max;
    /* State. */
    ct_history *history; /* owned; published as app->history */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop, started;
} ct_app_history;

/* Creates the history, publishes it in app->history (before the routes are registered) and
 * nothing else: the thread starts with ct_app_history_start. */
ct_status ct_app_history_open(ct_app_history *j);
/* Starts the thread. CT_ERR when it cannot be created. */
ct_status ct_app_history_start(ct_app_history *j);
/* Stops and joins the thread (a last flush), withdraws app->history and frees it. Safe on
 * one never opened. */
void ct_app_history_stop(ct_app_history *j);

/* One re-pricing pass now (what the thread does every reprice_s); returns the routes noted. */
size_t ct_app_history_reprice(ct_app_history *j);

#endif
