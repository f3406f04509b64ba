/* daemon.c: process plumbing shared by the sandbox servers (see daemon.h). */
#include "sandbox/runtime/daemon.h"

#include "base/fileutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const ct_flag sb_daemon_http_flags[] = {
    {"host", CT_FLAG_STRING, "127.0.0.1", "bind address"},
    {"port", CT_FLAG_INT, NULL, "HTTP port, 0 = any free one"},
    {"threads", CT_FLAG_INT, NULL, "HTTP worker threads"},
    {"access_log", CT_FLAG_BOOL, "true", "log every request"},
    {"port_file", CT_FLAG_PATH, NULL, "write the bound HTTP port there once listening"},
    {NULL, 0, NULL, NULL},
};

void sb_daemon_block_stop_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

const char *sb_daemon_wait_stop(const sigset_t *set)
{
    int sig = 0;
    while (sigwait(set, &sig) != 0)
        ;
    return sig == SIGINT ? "SIGINT" : "SIGTERM";
}

ct_status sb_daemon_write_port_file(const char *path, int port)
{
    char text[16];
    int n = snprintf(text, sizeof(text), "%d\n", port);
    ct_file_buf buf = {text, (size_t)n};
    return ct_file_replace(path, ct_file_write_buf, &buf);
}

ct_status sb_daemon_make_parent_dir(const char *path)
{
    char dir[1024];
    const char *slash = strrchr(path, '/');
    if (slash == NULL || slash == path)
        return CT_OK;
    if ((size_t)(slash - path) >= sizeof(dir))
        return CT_TOO_LARGE;
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = '\0';
    for (char *p = dir + 1;; p++) {
        char c = *p;
        if (c != '/' && c != '\0')
            continue;
        *p = '\0';
        if (mkdir(dir, 0755) != 0 && errno != EEXIST)
            return CT_IO;
        *p = c;
        if (c == '\0')
            return CT_OK;
    }
}

ct_status sb_daemon_store_url(const char *db, char *out, size_t len)
{
    int pg = strncmp(db, "postgres://", 11) == 0 || strncmp(db, "postgresql://", 13) == 0;
    int prefixed = pg || strncmp(db, "sqlite:", 7) == 0;
    int n = snprintf(out, len, "%s%s", prefixed ? "" : "sqlite:", db);
    if (n < 0 || (size_t)n >= len)
        return CT_TOO_LARGE;
    if (pg)
        return CT_OK;
    return sb_daemon_make_parent_dir(out + 7);
}

ct_status sb_daemon_http_options(const ct_config *cfg, int default_port, int default_threads,
                                 ct_http_options *out, char *err, size_t errlen)
{
    long port = 0, threads = 0;
    if (ct_config_get_int(cfg, "port", default_port, 0, 65535, &port, err, errlen) ||
        ct_config_get_int(cfg, "threads", default_threads, 1, 64, &threads, err, errlen))
        return CT_INVALID;
    int access_log = 1;
    if (ct_config_get_bool(cfg, "access_log", 1, &access_log, err, errlen))
        return CT_INVALID;
    memset(out, 0, sizeof(*out));
    out->host = ct_config_get(cfg, "host", "127.0.0.1");
    out->port = (int)port;
    out->threads = (int)threads;
    out->access_log = access_log;
    return CT_OK;
}
