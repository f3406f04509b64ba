/* deadletters_cmd.c: `contrail dead-letters list | replay` (see deadletters_cmd.h) over
 * broker/broker.h's ct_broker_dead_list and ct_broker_dead_replay. */
#include "app/deadletters_cmd.h"

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/json.h"
#include "broker/broker.h"

const ct_flag ct_app_deadletters_flags[] = {
    {"amqp", CT_FLAG_STRING, NULL, "amqp://USER:PASSWORD@HOST:PORT/VHOST (required)"},
    {"event", CT_FLAG_STRING, NULL, "replay: the event id whose dead letters go back"},
    {"all", CT_FLAG_BOOL, "false", "replay: every dead letter"},
    {"max", CT_FLAG_INT, "100", "list: at most this many"},
    {NULL, 0, NULL, NULL},
};

static int usage(void)
{
    fprintf(stderr, "contrail: usage: contrail dead-letters list --amqp URL [--max N]\n"
                    "       contrail dead-letters replay --amqp URL (--event ID | --all)\n");
    return 2;
}

static int list(ct_broker *b, const ct_config *cfg)
{
    long max = 100;
    char err[256] = "";
    if (ct_config_get_int(cfg, "max", 100, 1, 100000, &max, err, sizeof(err))) {
        fprintf(stderr, "contrail: %s\n", err);
        return 2;
    }
    json_t *items = NULL;
    if (ct_broker_dead_list(b, (int)max, &items, err, sizeof(err)) != CT_OK) {
        fprintf(stderr, "contrail: dead letters: %s\n", err);
        return 1;
    }
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item)
    {
        char *line = NULL;
        if (ct_json_dumps(item, JSON_COMPACT, &line) == CT_OK)
            printf("%s\n", line);
        ct_free(line);
    }
    fprintf(stderr, "%zu dead letter%s\n", json_array_size(items),
            json_array_size(items) == 1 ? "" : "s");
    json_decref(items);
    return 0;
}

static int replay(ct_broker *b, const ct_config *cfg)
{
    const char *event = ct_config_get(cfg, "event", NULL);
    int all = 0, n = 0;
    char err[256] = "";
    if (ct_config_get_bool(cfg, "all", 0, &all, err, sizeof(err))) {
        fprintf(stderr, "contrail: %s\n", err);
        return 2;
    }
    if ((event == NULL) == !all) /* exactly one of them */
        return usage();
    ct_status rc = ct_broker_dead_replay(b, all ? NULL : event, &n, err, sizeof(err));
    if (rc != CT_OK) {
        fprintf(stderr, "contrail: replay: %s (%d replayed)\n", err, n);
        return 1;
    }
    printf("%d dead letter%s replayed\n", n, n == 1 ? "" : "s");
    return 0;
}

int ct_app_deadletters_main(const ct_config *cfg)
{
    const char *what = ct_config_positional(cfg, 1);
    const char *url = ct_config_get(cfg, "amqp", NULL);
    if (what == NULL || ct_config_npositional(cfg) != 2 || url == NULL ||
        (strcmp(what, "list") != 0 && strcmp(what, "replay") != 0))
        return usage();
    ct_broker_config bc = {.url = url};
    ct_broker *b = NULL;
    if (ct_broker_new(&bc, &b) != CT_OK) {
        fprintf(stderr, "contrail: --amqp: expected amqp://USER:PASSWORD@HOST:PORT/VHOST\n");
        return 2;
    }
    int code = strcmp(what, "list") == 0 ? list(b, cfg) : replay(b, cfg);
    ct_broker_free(b);
    return code;
}
