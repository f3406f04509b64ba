/* daemon.c: process plumbing shared by the sandbox servers (see daemon.h). */
#include "sandbox/runtime/daemon.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    char tmp[1024];
    if (snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid()) >= (int)sizeof(tmp))
        return CT_TOO_LARGE;
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return CT_IO;
    fprintf(f, "%d\n", port);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        return CT_IO;
    }
    return CT_OK;
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
    const char *access_log = ct_config_get(cfg, "access_log", "true");
    memset(out, 0, sizeof(*out));
    out->host = ct_config_get(cfg, "host", "127.0.0.1");
    out->port = (int)port;
    out->threads = (int)threads;
    out->access_log = strcmp(access_log, "false") != 0 && strcmp(access_log, "0") != 0;
    return CT_OK;
}
