/* backtest.c: simulated buyers on held-back series (see predict.h, "The backtest").
 *
 * For a series of n observations (time order) a buyer arrives at every observation j whose
 * days before departure lie in [arrive_min, arrive_max]. Each policy picks the observation
 * k >= j it buys at:
 *   model         the first k whose predicted lowest price is not a fall of more than
 *                 the margin (the advice "buy_now"), else the last observation;
 *   buy now       k = j;
 *   buy N days    the first k with at most N days before departure (k = j when already
 *                 nearer), else the last observation.
 * The clairvoyant pays min(price[j..n-1]). A policy's savings share is
 * sum(price[j] - price[k]) / sum(price[j] - min), over all buyers: Etzioni et al.'s measure
 * (Hamlet: 61.8 % of the optimal savings). It is negative when a policy pays more than
 * buying at once. The sums are O(n^2) per series; series are a few hundred observations. */
#include "predict/predict.h"

#include <math.h>
#include <string.h>

void ct_predict_backtest_init(ct_predict_backtest *bt)
{
    if (bt->nbuy_days > CT_PREDICT_MAX_POLICIES - 2)
        bt->nbuy_days = CT_PREDICT_MAX_POLICIES - 2;
    bt->npolicies = 2 + bt->nbuy_days;
    memset(bt->r, 0, sizeof(bt->r));
    snprintf(bt->r[0].name, sizeof(bt->r[0].name), "model (xgboost)");
    snprintf(bt->r[1].name, sizeof(bt->r[1].name), "always buy now");
    for (int i = 0; i < bt->nbuy_days; i++)
        snprintf(bt->r[2 + i].name, sizeof(bt->r[2 + i].name), "buy %d days before",
                 bt->buy_days[i]);
    bt->rise_n = bt->rise_correct = bt->rise_actual = bt->rise_predicted = 0;
}

static size_t model_pick(const float *pred, double margin, size_t j, size_t n)
{
    for (size_t k = j; k < n; k++) {
        if (pred[k] >= -margin)
            return k;
    }
    return n - 1;
}

static size_t days_pick(const double *days_before, size_t j, size_t n, int days)
{
    for (size_t k = j; k < n; k++) {
        if (days_before[k] <= days)
            return k;
    }
    return n - 1;
}

static void add(ct_predict_policy_result *r, double first, double paid, double best)
{
    r->first += first;
    r->paid += paid;
    r->best += best;
    r->buyers++;
}

void ct_predict_backtest_series(ct_predict_backtest *bt, const double *price,
                                const double *days_before, const float *pred, size_t n)
{
    for (size_t j = 0; j < n; j++) {
        if (days_before[j] < bt->arrive_min || days_before[j] > bt->arrive_max)
            continue;
        double best = price[j];
        for (size_t k = j + 1; k < n; k++)
            best = price[k] < best ? price[k] : best;
        add(&bt->r[0], price[j], price[model_pick(pred, bt->wait_margin, j, n)], best);
        add(&bt->r[1], price[j], price[j], best);
        for (int i = 0; i < bt->nbuy_days; i++)
            add(&bt->r[2 + i], price[j], price[days_pick(days_before, j, n, bt->buy_days[i])],
                best);
    }
}

void ct_predict_backtest_rise(ct_predict_backtest *bt, double pred, double label)
{
    int predicted = pred > bt->rise_threshold, actual = label > bt->rise_threshold;
    bt->rise_n++;
    bt->rise_correct += predicted == actual;
    bt->rise_actual += actual;
    bt->rise_predicted += predicted;
}

double ct_predict_savings_share(const ct_predict_policy_result *r)
{
    double possible = r->first - r->best;
    return possible > 0 ? (r->first - r->paid) / possible : 0;
}

void ct_predict_backtest_print(const ct_predict_backtest *bt, FILE *out)
{
    fprintf(out, "| policy | buyers | mean paid (USD) | saved vs buying at arrival | share of the "
                 "clairvoyant's savings |\n|---|---:|---:|---:|---:|\n");
    for (int i = 0; i < bt->npolicies; i++) {
        const ct_predict_policy_result *r = &bt->r[i];
        double mean = r->buyers ? r->paid / (double)r->buyers : 0;
        double saved = r->first > 0 ? 100.0 * (r->first - r->paid) / r->first : 0;
        fprintf(out, "| %s | %ld | %.2f | %.2f %% | %.1f %% |\n", r->name, r->buyers, mean, saved,
                100.0 * ct_predict_savings_share(r));
    }
    if (bt->npolicies > 0) {
        const ct_predict_policy_result *r = &bt->r[1];
        double mean = r->buyers ? r->best / (double)r->buyers : 0;
        double saved = r->first > 0 ? 100.0 * (r->first - r->best) / r->first : 0;
        fprintf(out, "| clairvoyant | %ld | %.2f | %.2f %% | 100.0 %% |\n", r->buyers, mean, saved);
    }
    long n = bt->rise_n ? bt->rise_n : 1;
    long majority = bt->rise_actual > bt->rise_n - bt->rise_actual ? bt->rise_actual
                                                                   : bt->rise_n - bt->rise_actual;
    fprintf(out,
            "\n\"rises by more than %.0f %% within %d days\": accuracy %.1f %% on %ld held-back "
            "observations (it rose in %.1f %% of them; always answering the majority scores "
            "%.1f %%; predicted a rise %ld times)\n",
            100.0 * bt->rise_threshold, CT_PREDICT_WITHIN_DAYS,
            100.0 * (double)bt->rise_correct / (double)n, bt->rise_n,
            100.0 * (double)bt->rise_actual / (double)n, 100.0 * (double)majority / (double)n,
            bt->rise_predicted);
}
