/* static.c: serves the built web app from a directory (see ct_http_serve_static).
 *
 * Safety: the request path is URL-decoded by MHD; any segment that is empty, "." or ".." or
 * that starts with a dot is refused before the file system is touched, so nothing outside the
 * root (nor dot-files) can be named. Files are sent with MHD_create_response_from_fd (sendfile).
 *
 * Client-side routes get index.html. The web build writes the app's paths to routes.json
 * (web/vite.config.ts, from web/src/router.ts): a path not among them still gets the app (which
 * shows its "Page not found") but with HTTP 404, so crawlers and monitors see a missing page.
 * Without routes.json every such path is 200, as before. The list is read once per root. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "http/http.h"
#include "http/problem.h"

static const char *mime_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},
        {".txt", "text/plain; charset=utf-8"},
        {".map", "application/json"},
        {".webmanifest", "application/manifest+json"},
    };
    const char *dot = strrchr(path, '.');
    if (dot != NULL) {
        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
            if (strcmp(dot, types[i].ext) == 0)
                return types[i].type;
        }
    }
    return "application/octet-stream";
}

static int path_is_safe(const char *path)
{
    if (path[0] != '/' || strlen(path) > 512)
        return 0;
    const char *seg = path + 1;
    while (*seg) {
        const char *end = strchr(seg, '/');
        size_t n = end ? (size_t)(end - seg) : strlen(seg);
        if ((n == 0 && end != NULL) || seg[0] == '.' || memchr(seg, '\\', n) != NULL)
            return 0;
        if (end == NULL)
            break;
        seg = end + 1;
    }
    return 1;
}

/* The app's paths of one root (routes.json), loaded on first use. */
static struct {
    pthread_mutex_t mu;
    char root[1024];
    json_t *paths; /* array of strings; NULL: no list (every path is the app's) */
} app_routes = {PTHREAD_MUTEX_INITIALIZER, "", NULL};

/* 1 when `path` (no query) is one of the app's routes, or when root has no routes.json. */
static int is_app_route(const char *root, const char *path)
{
    char p[600];
    size_t n = (size_t)snprintf(p, sizeof(p), "%s", path);
    while (n > 1 && p[n - 1] == '/') /* "/account/" is "/account", as the router has it */
        p[--n] = '\0';
    pthread_mutex_lock(&app_routes.mu);
    if (strcmp(app_routes.root, root) != 0) {
        json_decref(app_routes.paths);
        app_routes.paths = NULL;
        snprintf(app_routes.root, sizeof(app_routes.root), "%s", root);
        char file[1100];
        snprintf(file, sizeof(file), "%s/routes.json", root);
        json_t *doc = json_load_file(file, 0, NULL); /* the build's own file */
        if (json_is_array(doc))
            app_routes.paths = json_incref(doc);
        json_decref(doc);
    }
    int found = app_routes.paths == NULL;
    size_t i;
    json_t *x;
    json_array_foreach(app_routes.paths, i, x)
    {
        if (json_is_string(x) && strcmp(json_string_value(x), p) == 0)
            found = 1;
    }
    pthread_mutex_unlock(&app_routes.mu);
    return found;
}

/* Opens root+rel when it is a regular file. Returns the fd or -1. */
static int open_regular(const char *root, const char *rel, size_t *size)
{
    char full[1024];
    if (snprintf(full, sizeof(full), "%s/%s", root, rel) >= (int)sizeof(full))
        return -1;
    int fd = open(full, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return -1;
    }
    *size = (size_t)st.st_size;
    return fd;
}

void ct_http_serve_static(ct_http_req *req, void *root_dir)
{
    const char *root = root_dir;
    const char *path = ct_http_path(req);
    if (!path_is_safe(path)) {
        ct_http_problem(req, 404, "Not found", "no such file");
        return;
    }
    const char *rel = path + 1;
    size_t size = 0;
    int fd = *rel ? open_regular(root, rel, &size) : -1;
    int is_index = 0, status = 200;
    if (fd < 0) {
        /* Client-side routes and "/" load the app; a missing asset is a real 404. */
        if (strncmp(rel, "assets/", 7) == 0 || strrchr(rel, '.') != NULL) {
            ct_http_problem(req, 404, "Not found", "no such file");
            return;
        }
        fd = open_regular(root, "index.html", &size);
        is_index = 1;
        rel = "index.html";
        if (!is_app_route(root, path))
            status = 404; /* the app's own "Page not found", as a 404 */
    }
    if (fd < 0) {
        ct_http_problem(req, 404, "Not found",
                        "the web app is not built (run `make run`, which builds web/dist)");
        return;
    }
    ct_http_reply_fd(req, status, mime_type(rel), fd, size);
    /* The app loads nothing from elsewhere; verify and reset links carry tokens in the URL,
     * which must not leak through Referer. */
    ct_http_add_header(req, "Content-Security-Policy",
                       "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' "
                       "data:; connect-src 'self'; base-uri 'none'; form-action 'self'; "
                       "frame-ancestors 'none'");
    ct_http_add_header(req, "Referrer-Policy", "no-referrer");
    if (strncmp(rel, "assets/", 7) == 0)
        ct_http_add_header(req, "Cache-Control", "public, max-age=31536000, immutable");
    else
        ct_http_add_header(req, "Cache-Control", is_index ? "no-cache" : "public, max-age=300");
}
