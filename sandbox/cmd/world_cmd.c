/* world_cmd.c: `contrail-sandbox world`: the whole simulated outside world in one command.
 *
 * Generates the world's SSIM files into DIR/ssim, starts every service of the world (the
 * table `services` below) as its own supervised process on a free loopback port, waits until
 * each has written its port file, then publishes DIR/world.json: the directory of partner
 * endpoints a platform operator would otherwise configure by hand (provider base URLs, the
 * payment processor, the mail server, the SMS gateway with its account and token, the identity
 * provider). Stops everything on SIGTERM/SIGINT and removes world.json. `make run` reaches this
 * through `contrail serve --sandbox`. */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sandbox/cmd/commands.h"
#include "base/fileutil.h"
#include "base/log.h"
#include "sandbox/idp/idp.h"
#include "sandbox/providers/provider.h"
#include "sandbox/world/sandbox_data.h"
#include "sandbox/world/ssim_write.h"
#include "sandbox/runtime/supervise.h"
#include "sandbox/sms/sms.h"

/* The services of the world: name, kind (for world.json) and the subcommand with its own
 * flags; every one also gets the world flags and --port 0 --port-file DIR/run/NAME.port. */
typedef struct service {
    const char *name;
    const char *kind; /* "provider", "payments", "mail", "sms" or "idp" */
    const char *args[8];
} service;

static const service services[] = {
    {"payments", "payments", {"payments", NULL}},
    {"mail", "mail", {"mail", NULL}},
    {"sms", "sms", {"sms", NULL}},
    {"idp", "idp", {"idp", NULL}},
    {"airline-1", "provider", {"provider", "--name=airline-1", NULL}},
    {"airline-2", "provider", {"provider", "--name=airline-2", NULL}},
    {"ota-eur", "provider", {"provider", "--name=ota-eur", NULL}},
    {"ota-usd", "provider", {"provider", "--name=ota-usd", NULL}},
    {"combiner", "provider", {"provider", "--name=combiner", NULL}},
    {NULL, NULL, {NULL}},
};

static int mkdir_one(const char *path)
{
    return mkdir(path, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static int read_port(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    int port = 0;
    if (fscanf(f, "%d", &port) != 1)
        port = 0;
    fclose(f);
    return port;
}

typedef struct world_run {
    const ct_config *cfg;
    const char *dir;
    char self[1024];
    sb_child children[16];
    const char *kinds[16];
    sb_directory_entry partners[16]; /* by service index: what world.json says of providers */
    char storage[16][SB_CHILD_MAX_ARGS][512];
    int n;
} world_run;

/* Appends the argument prefix+value (dropped, with a log line, if it would not fit). */
static void add_arg(world_run *r, sb_child *c, int *argc, const char *prefix, const char *value)
{
    if (*argc >= SB_CHILD_MAX_ARGS) {
        ct_log(CT_LOG_ERROR, "sandbox.world", "error", "too many arguments", "arg", prefix, NULL);
        return;
    }
    char *slot = r->storage[c - r->children][*argc];
    int n = snprintf(slot, sizeof(r->storage[0][0]), "%s%s", prefix, value);
    if (n < 0 || (size_t)n >= sizeof(r->storage[0][0])) {
        ct_log(CT_LOG_ERROR, "sandbox.world", "error", "argument too long", "arg", prefix, NULL);
        return;
    }
    c->argv[(*argc)++] = slot;
    c->argv[*argc] = NULL;
}

/* The port a service was published on last time (DIR/run/ports.json), or 0. */
static int last_port(const world_run *r, const char *name)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/run/ports.json", r->dir);
    json_t *doc = json_load_file(path, 0, NULL);
    json_int_t port = json_integer_value(json_object_get(doc, name));
    json_decref(doc);
    return port > 0 && port < 65536 ? (int)port : 0;
}

/* 1 when a loopback TCP port can be bound now. */
static int port_free(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    if (fd < 0)
        return 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
}

static void build_children(world_run *r)
{
    static const char *world_flags[] = {"seed", "start", "size", "refdata_dir"};
    for (size_t i = 0; services[i].name != NULL && r->n < 16; i++) {
        sb_child *c = &r->children[r->n];
        memset(c, 0, sizeof(*c));
        c->name = services[i].name;
        r->kinds[r->n] = services[i].kind;
        int provider = strcmp(services[i].kind, "provider") == 0;
        int argc = 0;
        add_arg(r, c, &argc, "", r->self);
        for (int k = 0; services[i].args[k] != NULL; k++)
            add_arg(r, c, &argc, "", services[i].args[k]);
        /* Each service gets only flags it has (its command checks them). */
        for (size_t k = 0; provider && k < sizeof(world_flags) / sizeof(world_flags[0]); k++) {
            const char *v = ct_config_get(r->cfg, world_flags[k], NULL);
            if (v != NULL) {
                char flag[64];
                snprintf(flag, sizeof(flag), "--%s=", world_flags[k]);
                for (char *f = flag; *f; f++)
                    *f = *f == '_' ? '-' : *f;
                add_arg(r, c, &argc, flag, v);
            }
        }
        const char *level = ct_config_get(r->cfg, "log_level", NULL);
        if (level != NULL)
            add_arg(r, c, &argc, "--log-level=", level);
        char path[600];
        int idp = strcmp(services[i].kind, "idp") == 0;
        if (!provider && !idp) {
            snprintf(path, sizeof(path), "%s/%s.db", r->dir, services[i].name);
            add_arg(r, c, &argc, "--db=sqlite:", path);
        }
        if (idp) { /* its key pair, made once, and the platform's callback URLs */
            snprintf(path, sizeof(path), "%s/idp-key.pem", r->dir);
            add_arg(r, c, &argc, "--key-file=", path);
            add_arg(r, c, &argc, "--redirect-uris=",
                    ct_config_get(r->cfg, "idp_redirect_uris", SB_IDP_DEFAULT_REDIRECT_URIS));
        }
        snprintf(path, sizeof(path), "%s/clock.json", r->dir);
        add_arg(r, c, &argc, "--clock=", path);
        if (provider) {
            snprintf(path, sizeof(path), "%s/inventory.db", r->dir);
            add_arg(r, c, &argc, "--inventory=", path);
        }
        if (strcmp(services[i].kind, "mail") == 0) {
            add_arg(r, c, &argc, "--smtp-port=", ct_config_get(r->cfg, "smtp_port", "2525"));
            snprintf(path, sizeof(path), "%s/run/%s.smtp.port", r->dir, services[i].name);
            add_arg(r, c, &argc, "--smtp-port-file=", path);
        }
        /* The port this service had last time, when still free: partners that remember
         * where it was (the platform's saved feed state) find it there again. */
        char port[16] = "0";
        int last = last_port(r, services[i].name);
        if (last > 0 && port_free(last))
            snprintf(port, sizeof(port), "%d", last);
        add_arg(r, c, &argc, "--port=", port);
        char pf[600];
        snprintf(pf, sizeof(pf), "%s/run/%s.port", r->dir, services[i].name);
        unlink(pf);
        add_arg(r, c, &argc, "--port-file=", pf);
        r->n++;
    }
}

/* Writes a JSON document to `path`, replaced atomically (base/fileutil.h). */
static ct_status dump_file(const json_t *doc, size_t flags, const char *path)
{
    char *text = json_dumps(doc, flags);
    if (text == NULL)
        return CT_NOMEM;
    ct_file_buf buf = {text, strlen(text)};
    ct_status rc = ct_file_replace(path, ct_file_write_buf, &buf);
    free(text);
    return rc;
}

/* Waits for every port file (60 s at most) and writes world.json: CT_OK, CT_UNAVAILABLE when
 * a service did not start, CT_IO when world.json cannot be written. */
static ct_status publish(world_run *r, const char *ssim_dir)
{
    json_t *doc = json_object();
    json_t *providers = json_array();
    json_object_set_new(doc, "ssim_dir", json_string(ssim_dir));
    json_t *ports = json_object();
    for (int i = 0; i < r->n; i++) {
        char pf[600];
        snprintf(pf, sizeof(pf), "%s/run/%s.port", r->dir, r->children[i].name);
        int port = 0;
        for (int t = 0; t < 600 && (port = read_port(pf)) == 0; t++) {
            struct timespec ts = {0, 100 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        if (port == 0) {
            ct_log(CT_LOG_ERROR, "sandbox.world", "error", "service did not start", "service",
                   r->children[i].name, NULL);
            json_decref(doc);
            json_decref(providers);
            json_decref(ports);
            return CT_UNAVAILABLE;
        }
        /* A restarted service comes back on the same port, so world.json stays true. */
        for (int k = 0; r->children[i].argv[k] != NULL; k++) {
            if (strncmp(r->children[i].argv[k], "--port=", 7) == 0)
                snprintf(r->children[i].argv[k], 512, "--port=%d", port);
        }
        json_object_set_new(ports, r->children[i].name, json_integer(port));
        char url[64];
        snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
        json_t *entry = json_pack("{s:s, s:s}", "name", r->children[i].name, "url", url);
        if (strcmp(r->kinds[i], "mail") == 0) {
            /* The mail server writes its HTTP port file first and its SMTP one just after:
             * wait for that one too (reading it at once wrote "smtp://127.0.0.1:0" under
             * load), and pin it like the HTTP port for a restart. */
            char smtp_pf[640], smtp[64];
            snprintf(smtp_pf, sizeof(smtp_pf), "%s/run/%s.smtp.port", r->dir, r->children[i].name);
            int smtp_port = 0;
            for (int t = 0; t < 600 && (smtp_port = read_port(smtp_pf)) == 0; t++) {
                struct timespec ts = {0, 100 * 1000 * 1000};
                nanosleep(&ts, NULL);
            }
            if (smtp_port == 0) {
                ct_log(CT_LOG_ERROR, "sandbox.world", "error", "SMTP port not announced", "service",
                       r->children[i].name, NULL);
                json_decref(entry);
                json_decref(doc);
                json_decref(providers);
                json_decref(ports);
                return CT_UNAVAILABLE;
            }
            for (int k = 0; r->children[i].argv[k] != NULL; k++) {
                if (strncmp(r->children[i].argv[k], "--smtp-port=", 12) == 0)
                    snprintf(r->children[i].argv[k], 512, "--smtp-port=%d", smtp_port);
            }
            snprintf(smtp, sizeof(smtp), "smtp://127.0.0.1:%d", smtp_port);
            json_object_set_new(entry, "smtp", json_string(smtp));
        }
        if (strcmp(r->kinds[i], "sms") == 0) {
            /* The gateway runs with its default credentials: the platform reads them here. */
            json_object_set_new(entry, "account", json_string(SB_SMS_DEFAULT_ACCOUNT));
            json_object_set_new(entry, "token", json_string(SB_SMS_DEFAULT_TOKEN));
        }
        if (strcmp(r->kinds[i], "idp") == 0) {
            /* An OpenID Connect provider is known by its issuer (discovery at
             * ISSUER/.well-known/openid-configuration) and the client registered there. */
            json_object_set_new(entry, "issuer", json_string(url));
            json_object_set_new(entry, "client_id", json_string(SB_IDP_DEFAULT_CLIENT_ID));
            json_object_set_new(entry, "client_secret", json_string(SB_IDP_DEFAULT_CLIENT_SECRET));
        }
        if (strcmp(r->kinds[i], "provider") == 0) {
            /* The partner directory's facts (src/providers/directory.h): the platform takes
             * a partner's dialect and brand from here, never from its name. */
            const sb_directory_entry *d = &r->partners[i];
            if (d->dialect != NULL) {
                json_object_set_new(entry, "dialect", json_string(d->dialect));
                json_object_set_new(entry, "kind", json_string(d->kind));
                json_object_set_new(entry, "display_name", json_string(d->display_name));
            }
            json_array_append_new(providers, entry);
        } else
            json_object_set_new(doc, r->kinds[i], entry);
    }
    json_object_set_new(doc, "providers", providers);
    char path[600];
    snprintf(path, sizeof(path), "%s/run/ports.json", r->dir);
    if (dump_file(ports, 0, path) != CT_OK)
        ct_log(CT_LOG_WARN, "sandbox.world", "error", "cannot save the ports", NULL);
    json_decref(ports);
    snprintf(path, sizeof(path), "%s/world.json", r->dir);
    ct_status rc = dump_file(doc, JSON_INDENT(2), path);
    json_decref(doc);
    return rc;
}

const ct_flag sb_world_cmd_flags[] = {
    {"dir", CT_FLAG_PATH, "var/sandbox", "the world's files: SSIM, databases, ports, world.json"},
    {"smtp_port", CT_FLAG_INT, "2525", "the mail server's SMTP port"},
    {"idp_redirect_uris", CT_FLAG_STRING, SB_IDP_DEFAULT_REDIRECT_URIS,
     "the identity provider's registered redirect URIs (the platform's OIDC callbacks)"},
    {NULL, 0, NULL, NULL},
};

int sb_world_main(const ct_config *cfg)
{
    static world_run r;
    memset(&r, 0, sizeof(r));
    r.cfg = cfg;
    r.dir = ct_config_get(cfg, "dir", "var/sandbox");
    ssize_t n = readlink("/proc/self/exe", r.self, sizeof(r.self) - 1);
    if (n <= 0) {
        fprintf(stderr, "contrail-sandbox world: cannot find its own executable\n");
        return 1;
    }
    r.self[n] = '\0';
    char run_dir[600], ssim_dir[600];
    snprintf(run_dir, sizeof(run_dir), "%s/run", r.dir);
    snprintf(ssim_dir, sizeof(ssim_dir), "%s/ssim", r.dir);
    if (mkdir_one(r.dir) || mkdir_one(run_dir) || mkdir_one(ssim_dir)) {
        fprintf(stderr, "contrail-sandbox world: cannot create %s: %s\n", r.dir, strerror(errno));
        return 1;
    }
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGCHLD);
    sigprocmask(SIG_BLOCK, &sigs, NULL);

    sb_world_params p;
    char err[256];
    sb_data data;
    if (sb_world_params_from_config(cfg, &p, err, sizeof(err)) ||
        sb_data_open(&p, &data, err, sizeof(err))) {
        fprintf(stderr, "contrail-sandbox world: %s\n", err);
        return 1;
    }
    sb_ssim_stats stats = {0};
    ct_status rc = sb_ssim_write_world(data.world, ssim_dir, p.start_day, &stats);
    for (size_t i = 0; services[i].name != NULL && i < 16; i++) {
        if (strcmp(services[i].kind, "provider") == 0)
            sb_provider_directory_entry(data.world, services[i].name, &r.partners[i]);
    }
    sb_data_close(&data);
    if (rc) {
        fprintf(stderr, "contrail-sandbox world: cannot write SSIM into %s\n", ssim_dir);
        return 1;
    }
    build_children(&r);
    sb_supervisor sup = {r.children, r.n, 5000};
    int code = 1;
    if (sb_supervisor_start(&sup) != CT_OK || publish(&r, ssim_dir) != CT_OK)
        goto stop;
    ct_log(CT_LOG_INFO, "sandbox.world.ready", "dir", r.dir, NULL);
    for (;;) {
        struct timespec tick = {1, 0};
        int sig = sigtimedwait(&sigs, NULL, &tick);
        if (sig == SIGINT || sig == SIGTERM)
            break;
        sb_supervisor_poll(&sup);
    }
    code = 0;
stop:
    sb_supervisor_stop(&sup);
    char path[600];
    snprintf(path, sizeof(path), "%s/world.json", r.dir);
    unlink(path);
    ct_log(CT_LOG_INFO, "sandbox.world.stopped", NULL);
    return code;
}
