/* A small HTTP/1.1 file server (RFC 9110, RFC 9112) for `synack serve --app http --root DIR`.
 *
 * GET and HEAD of regular files under the root, with Content-Length; persistent connections
 * (HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with "Connection: keep-alive"); pipelined
 * requests are answered in order, one at a time. 400 for a malformed request, 404 for what is
 * not there, 403 for a path that leaves the root (by ".." or by a symbolic link), 405 for other
 * methods, 501 for request bodies with Transfer-Encoding. Files are sent in chunks read with
 * pread() as the send buffer drains, so a file of any size costs one chunk of memory.
 *
 * Deadlines a trickle of bytes cannot reset (issue 10, slowloris): a request head must be
 * complete within ax->header_timeout of the connection's start or of the end of the previous
 * response (408 and close if part of one came, just close if nothing did); a request body being
 * discarded must move within ax->idle_timeout. With --log, one line per request on stderr:
 * peer, method, path, status, body bytes sent. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "app.h"

#define REQ_MAX 8192            /* request line + headers */
#define CHUNK (64 * 1024)       /* file bytes read at a time */
#define LOG_METHOD 16            /* bytes of the method and target kept for --log */
#define LOG_TARGET 200

static char real_root[PATH_MAX];

struct http {
    char req[REQ_MAX];
    size_t rlen;                /* bytes in req */
    uint64_t skip;              /* request body bytes still to discard */
    int peer_eof;
    /* the response under way */
    int responding;
    char hdr[1024];
    size_t hlen, hoff;
    const char *body;           /* small fixed body (error pages) */
    size_t blen, boff;
    int fd;                     /* file body, or -1 */
    off_t foff, fend;
    uint8_t *chunk;
    size_t clen, coff;
    int close_after;
    synack_time_us last;        /* last progress, for the idle timeout of a request body */
    synack_time_us req_start;   /* the wait for the current request head began */
    /* --log */
    int h, status;
    uint64_t sent;              /* body bytes of the response under way sent so far */
    char method[LOG_METHOD], target[LOG_TARGET];
};

static int http_init(struct app_ctx *ax)
{
    struct stat sb;
    if (!ax->root) {
        fprintf(stderr, "synack serve: --app http needs --root DIR\n");
        return -1;
    }
    if (!realpath(ax->root, real_root) || stat(real_root, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "synack serve: --root %s: %s\n", ax->root,
                errno ? strerror(errno) : "not a directory");
        return -1;
    }
    return 0;
}

static void *http_new(struct app_ctx *ax, int h)
{
    struct http *c = malloc(sizeof *c);
    if (!c) return NULL;
    c->rlen = 0;
    c->skip = 0;
    c->peer_eof = 0;
    c->responding = 0;
    c->fd = -1;
    c->chunk = NULL;
    c->last = c->req_start = ax->now;
    c->h = h;
    c->status = 0;
    c->sent = 0;
    c->method[0] = c->target[0] = 0;
    return c;
}

/* --log: "http PEER "METHOD TARGET" STATUS BYTES[ incomplete]" */
static void log_request(struct app_ctx *ax, struct http *c, const char *note)
{
    uint32_t a = 0;
    uint16_t port = 0;
    char ip[16];
    if (!ax->log || !c->status) return;
    synack_getpeername(ax->st, c->h, &a, &port);
    fprintf(stderr, "http %s:%u \"%s %s\" %d %llu%s\n", synack_ip_str(a, ip), (unsigned)port,
            c->method[0] ? c->method : "-", c->target[0] ? c->target : "-", c->status,
            (unsigned long long)c->sent, note);
    c->status = 0;
}

/* Keeps a printable copy of a request-line field for --log. */
static void log_copy(char *dst, size_t cap, const char *src, size_t len)
{
    size_t k = 0;
    for (size_t i = 0; i < len && k + 1 < cap; i++)
        dst[k++] = src[i] > ' ' && src[i] < 0x7f && src[i] != '"' ? src[i] : '?';
    dst[k] = 0;
}

static void http_free(void *p)
{
    struct http *c = p;
    if (c->fd >= 0) close(c->fd);
    free(c->chunk);
    free(c);
}

/* ---- responses ---- */

static const char *reason(int code)
{
    switch (code) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

static const char *content_type(const char *path)
{
    static const struct { const char *ext, *type; } types[] = {
        {".html", "text/html; charset=utf-8"}, {".htm", "text/html; charset=utf-8"},
        {".txt", "text/plain; charset=utf-8"}, {".css", "text/css"},
        {".js", "text/javascript"}, {".json", "application/json"}, {".png", "image/png"},
        {".jpg", "image/jpeg"}, {".jpeg", "image/jpeg"}, {".gif", "image/gif"},
        {".svg", "image/svg+xml"}, {".pdf", "application/pdf"},
    };
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
    if (dot && (!slash || dot > slash))
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (!strcasecmp(dot, types[i].ext)) return types[i].type;
    return "application/octet-stream";
}

/* Starts a response: the header, then either body (a static string) or the file fd. */
static void respond(struct http *c, int code, int head_only, int keep, int http10,
                    const char *ctype, uint64_t length, const char *body, int fd)
{
    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    int n = snprintf(c->hdr, sizeof c->hdr,
                     "HTTP/1.1 %d %s\r\nServer: synack\r\nDate: %s\r\nContent-Type: %s\r\n"
                     "Content-Length: %llu\r\n%s%s\r\n",
                     code, reason(code), date, ctype, (unsigned long long)length,
                     code == 405 ? "Allow: GET, HEAD\r\n" : "",
                     !keep ? "Connection: close\r\n" : http10 ? "Connection: keep-alive\r\n" : "");
    c->hlen = n > 0 && (size_t)n < sizeof c->hdr ? (size_t)n : 0;
    c->hoff = 0;
    c->body = head_only ? NULL : body;
    c->blen = c->body ? strlen(body) : 0;
    c->boff = 0;
    if (fd >= 0 && head_only) { close(fd); fd = -1; }
    c->fd = fd;
    c->foff = 0;
    c->fend = fd >= 0 ? (off_t)length : 0;
    c->clen = c->coff = 0;
    c->close_after = !keep;
    c->responding = 1;
    c->status = code;
    c->sent = 0;
}

static void respond_error(struct http *c, int code, int head_only, int keep, int http10)
{
    static char bodies[7][64];
    static const int codes[7] = {400, 403, 404, 405, 408, 501, 505};
    const char *body = "error\n";
    for (int i = 0; i < 7; i++)
        if (codes[i] == code) {
            if (!bodies[i][0]) snprintf(bodies[i], sizeof bodies[i], "%d %s\n", code, reason(code));
            body = bodies[i];
        }
    respond(c, code, head_only, keep, http10, "text/plain; charset=utf-8", strlen(body), body, -1);
}

/* ---- request parsing ---- */

static int is_tchar(int ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* Does the comma-separated header value list contain token (case-insensitive)? */
static int has_token(const char *v, size_t vlen, const char *token)
{
    size_t tl = strlen(token), i = 0;
    while (i < vlen) {
        while (i < vlen && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) i++;
        size_t s = i;
        while (i < vlen && v[i] != ',') i++;
        size_t e = i;
        while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t')) e--;
        if (e - s == tl && !strncasecmp(v + s, token, tl)) return 1;
    }
    return 0;
}

/* Turns the request target into a path under real_root in out (PATH_MAX). Returns 0, or the
 * HTTP status to answer with (400 malformed, 403 outside the root). */
static int map_path(const char *t, size_t tlen, char *out)
{
    char dec[PATH_MAX];
    size_t dl = 0;
    /* absolute-form (RFC 9112 §3.2.2): drop scheme and authority */
    if (tlen > 7 && !strncasecmp(t, "http://", 7)) {
        const char *p = memchr(t + 7, '/', tlen - 7);
        if (!p) { t = "/"; tlen = 1; }
        else { tlen -= (size_t)(p - t); t = p; }
    }
    if (tlen == 0 || t[0] != '/') return 400;
    for (size_t i = 0; i < tlen && t[i] != '?' && t[i] != '#'; i++) {
        int ch = (unsigned char)t[i];
        if (ch == '%') {
            int hi = i + 2 < tlen ? hexval(t[i + 1]) : -1, lo = hi >= 0 ? hexval(t[i + 2]) : -1;
            if (hi < 0 || lo < 0) return 400;
            ch = hi * 16 + lo;
            i += 2;
            if (ch == 0) return 400;
        } else if (ch <= ' ' || ch == 0x7f) {
            return 400;
        }
        if (dl + 1 >= sizeof dec) return 400;
        dec[dl++] = (char)ch;
    }
    dec[dl] = 0;
    /* Resolve "." and ".." segments; one that climbs above the root is refused. */
    size_t rl = strlen(real_root), ol = rl;
    memcpy(out, real_root, rl + 1);
    char *save = NULL;
    for (char *seg = strtok_r(dec, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
        if (!strcmp(seg, ".")) continue;
        if (!strcmp(seg, "..")) {
            if (ol == rl) return 403;
            while (ol > rl && out[ol - 1] != '/') ol--;
            ol--; /* the slash */
            out[ol] = 0;
            continue;
        }
        size_t sl = strlen(seg);
        if (ol + 1 + sl + 1 >= PATH_MAX) return 400;
        out[ol++] = '/';
        memcpy(out + ol, seg, sl + 1);
        ol += sl;
    }
    return 0;
}

/* Opens the file for path; a directory serves its index.html. Returns the fd, or -code. */
static int open_file(char *path, off_t *size)
{
    char real[PATH_MAX];
    struct stat sb;
    if (stat(path, &sb) < 0) return errno == EACCES ? -403 : -404;
    if (S_ISDIR(sb.st_mode)) {
        size_t l = strlen(path);
        if (l + sizeof "/index.html" > PATH_MAX) return -404;
        memcpy(path + l, "/index.html", sizeof "/index.html");
    }
    /* A symbolic link may point anywhere: what is opened must resolve inside the root. */
    if (!realpath(path, real)) return errno == EACCES ? -403 : -404;
    size_t rl = strlen(real_root);
    if (strncmp(real, real_root, rl) || (real[rl] != '/' && real[rl] != 0 && rl > 1)) return -403;
    int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) return errno == EACCES ? -403 : -404;
    if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return -404;
    }
    *size = sb.st_size;
    return fd;
}

/* Looks for a complete request head in c->req. Returns 0 if more bytes are needed; otherwise
 * consumes it, starts the response and returns 1. */
static int handle_request(struct http *c)
{
    char *buf = c->req;
    size_t len = c->rlen, start = 0;
    /* RFC 9112 §2.2: ignore empty lines before the request line. */
    while (start < len && (buf[start] == '\r' || buf[start] == '\n')) start++;
    if (start == len) { c->rlen = 0; return 0; }
    /* find the end of the head: an empty line (CRLF CRLF, or bare LF LF) */
    size_t end = 0;
    for (size_t i = start; i < len; i++) {
        if (buf[i] != '\n') continue;
        if (i + 1 < len && buf[i + 1] == '\n') { end = i + 2; break; }
        if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n') { end = i + 3; break; }
    }
    if (!end) {
        if (len < sizeof c->req) return 0;
        c->method[0] = c->target[0] = 0;
        respond_error(c, 400, 0, 0, 0); /* head too large */
        c->rlen = 0;
        return 1;
    }

    /* request line: method SP target SP version */
    const char *line = buf + start, *eol = memchr(line, '\n', end - start);
    size_t ll = (size_t)(eol - line);
    if (ll && line[ll - 1] == '\r') ll--;
    const char *sp1 = memchr(line, ' ', ll), *sp2 = sp1 ? memchr(sp1 + 1, ' ', ll - (size_t)(sp1 + 1 - line)) : NULL;
    int code = 0, head_only = 0, http10 = 0, keep = 1, host_count = 0, te = 0;
    long long clen = -1;
    char path[PATH_MAX];
    if (!sp1 || !sp2 || sp1 == line || sp2 == sp1 + 1) code = 400;
    const char *method = line, *target = sp1 ? sp1 + 1 : NULL, *version = sp2 ? sp2 + 1 : NULL;
    size_t mlen = sp1 ? (size_t)(sp1 - line) : 0, tlen = sp2 ? (size_t)(sp2 - target) : 0;
    size_t vlen = version ? ll - (size_t)(version - line) : 0;
    if (!code) {
        for (size_t i = 0; i < mlen; i++) if (!is_tchar((unsigned char)method[i])) code = 400;
        if (vlen == 8 && !memcmp(version, "HTTP/1.", 7) && version[7] >= '0' && version[7] <= '9')
            http10 = version[7] == '0';
        else if (vlen == 8 && !memcmp(version, "HTTP/", 5) && version[5] >= '2' && version[5] <= '9' &&
                 version[6] == '.')
            code = 505;
        else
            code = 400;
    }
    keep = !http10;

    /* header fields */
    const char *p = eol + 1, *head_end = buf + end;
    while (p < head_end) {
        const char *e = memchr(p, '\n', (size_t)(head_end - p));
        size_t fl = (size_t)(e - p);
        if (fl && p[fl - 1] == '\r') fl--;
        if (fl == 0) break;
        const char *colon = memchr(p, ':', fl);
        if (!colon || colon == p || p[0] == ' ' || p[0] == '\t') { code = code ? code : 400; break; }
        for (const char *q = p; q < colon; q++) if (!is_tchar((unsigned char)*q)) code = code ? code : 400;
        size_t nl = (size_t)(colon - p);
        const char *v = colon + 1;
        size_t vl = fl - nl - 1;
        while (vl && (*v == ' ' || *v == '\t')) { v++; vl--; }
        while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t')) vl--;
        if (nl == 10 && !strncasecmp(p, "connection", 10)) {
            if (has_token(v, vl, "close")) keep = 0;
            else if (http10 && has_token(v, vl, "keep-alive")) keep = 1;
        } else if (nl == 4 && !strncasecmp(p, "host", 4)) {
            host_count++;
        } else if (nl == 14 && !strncasecmp(p, "content-length", 14)) {
            long long x = 0;
            if (vl == 0 || vl > 18) code = code ? code : 400;
            for (size_t i = 0; i < vl; i++) {
                if (v[i] < '0' || v[i] > '9') { code = code ? code : 400; break; }
                x = x * 10 + (v[i] - '0');
            }
            if (clen >= 0 && clen != x) code = code ? code : 400;
            clen = x;
        } else if (nl == 17 && !strncasecmp(p, "transfer-encoding", 17)) {
            te = 1;
        }
        p = e + 1;
    }
    /* the target is read from the buffer before the head is consumed */
    int is_head = mlen == 4 && !memcmp(method, "HEAD", 4), is_get = mlen == 3 && !memcmp(method, "GET", 3);
    log_copy(c->method, sizeof c->method, method, mlen);
    log_copy(c->target, sizeof c->target, target ? target : "", tlen);
    int mc = !code && (is_get || is_head) ? map_path(target, tlen, path) : 0;
    memmove(buf, buf + end, len - end);
    c->rlen = len - end;

    if (!code && !http10 && host_count != 1) code = 400;      /* RFC 9112 §3.2 */
    if (!code && te) code = 501;
    if (code) {
        /* The framing may be lost: answer and close. */
        respond_error(c, code, 0, 0, http10);
        return 1;
    }
    if (clen > 0) c->skip = (uint64_t)clen;
    if (is_head) head_only = 1;
    else if (!is_get) {
        respond_error(c, 405, 0, keep, http10);
        return 1;
    }
    if (mc) {
        respond_error(c, mc, head_only, mc == 400 ? 0 : keep, http10);
        return 1;
    }
    off_t size = 0;
    int fd = open_file(path, &size);
    if (fd < 0) {
        respond_error(c, -fd, head_only, keep, http10);
        return 1;
    }
    respond(c, 200, head_only, keep, http10, content_type(path), (uint64_t)size, NULL, fd);
    return 1;
}

/* ---- sending ---- */

/* Sends what the response has left. Returns 1 when it is complete, 0 when the send buffer is
 * full, -1 on an error. */
static int push(struct app_ctx *ax, struct http *c, int h)
{
    for (;;) {
        const void *src;
        size_t n;
        if (c->hoff < c->hlen) { src = c->hdr + c->hoff; n = c->hlen - c->hoff; }
        else if (c->boff < c->blen) { src = c->body + c->boff; n = c->blen - c->boff; }
        else if (c->fd >= 0) {
            if (c->coff == c->clen) {
                if (c->foff >= c->fend) { close(c->fd); c->fd = -1; continue; }
                if (!c->chunk && !(c->chunk = malloc(CHUNK))) return -1;
                size_t want = (size_t)(c->fend - c->foff) < CHUNK ? (size_t)(c->fend - c->foff) : CHUNK;
                ssize_t r = pread(c->fd, c->chunk, want, c->foff);
                if (r <= 0) return -1; /* the file shrank or failed: the length cannot be kept */
                c->foff += r;
                c->clen = (size_t)r;
                c->coff = 0;
            }
            src = c->chunk + c->coff;
            n = c->clen - c->coff;
        } else {
            c->responding = 0;
            free(c->chunk);
            c->chunk = NULL;
            return 1;
        }
        ssize_t s = synack_send(ax->st, h, src, n);
        if (s < 0) return errno == EAGAIN ? 0 : -1;
        if (s == 0) return 0;
        c->last = ax->now;
        if (c->hoff < c->hlen) c->hoff += (size_t)s;
        else if (c->boff < c->blen) { c->boff += (size_t)s; c->sent += (uint64_t)s; }
        else { c->coff += (size_t)s; c->sent += (uint64_t)s; }
    }
}

/* The header deadline passed: a 408 if part of a request came (it fits in the send buffer:
 * one try), then the timeout close. */
static enum app_result header_timeout(struct app_ctx *ax, struct http *c, int h)
{
    ax->header_timeouts++;
    if (c->rlen) {
        c->method[0] = c->target[0] = 0;
        respond_error(c, 408, 0, 0, 0);
        int e = errno;
        push(ax, c, h);
        errno = e;
        log_request(ax, c, c->responding ? " incomplete" : "");
    }
    return APP_TIMEOUT;
}

static enum app_result http_step(struct app_ctx *ax, void *p, int h, int ev)
{
    struct http *c = p;
    (void)ev;
    for (;;) {
        if (c->responding) {
            int r = push(ax, c, h);
            if (r < 0) {
                int e = errno;
                log_request(ax, c, " aborted");
                errno = e; /* serve counts send timeouts (ETIMEDOUT) */
                return APP_ABORT;
            }
            if (r == 0) return APP_OPEN;
            log_request(ax, c, "");
            if (c->close_after) return APP_CLOSE;
            c->req_start = c->last = ax->now; /* the next request's head has its own deadline */
        }
        if (ax->stopping) return APP_CLOSE;
        if (c->skip && c->rlen) {
            size_t k = c->skip < c->rlen ? (size_t)c->skip : c->rlen;
            memmove(c->req, c->req + k, c->rlen - k);
            c->rlen -= k;
            c->skip -= k;
        }
        if (!c->skip && c->rlen && handle_request(c)) continue;
        if (c->peer_eof) return APP_CLOSE; /* nothing more will come (a partial head is dropped) */
        if (c->rlen == sizeof c->req) return APP_ABORT; /* cannot happen: handled above */
        ssize_t n = synack_recv(ax->st, h, c->req + c->rlen, sizeof c->req - c->rlen);
        if (n > 0) {
            c->rlen += (size_t)n;
            c->last = ax->now;
            continue;
        }
        if (n == 0) { c->peer_eof = 1; continue; }
        if (errno != EAGAIN) return APP_ABORT;
        if (c->skip) {
            if (ax->now - c->last < ax->idle_timeout) return APP_OPEN;
            ax->idle_timeouts++;
            return APP_TIMEOUT;
        }
        if (ax->now - c->req_start >= ax->header_timeout) return header_timeout(ax, c, h);
        return APP_OPEN;
    }
}

static synack_time_us http_deadline(struct app_ctx *ax, void *p)
{
    struct http *c = p;
    if (c->responding) return SYNACK_TIME_NEVER;
    return c->skip ? c->last + ax->idle_timeout : c->req_start + ax->header_timeout;
}

/* Waiting for a request: since the wait began (bytes trickling in do not count); a request
 * body or a response under way: since a byte last moved (a reader whose window stays closed
 * ages; one that reads does not). */
static synack_time_us http_idle_since(struct app_ctx *ax, void *p)
{
    struct http *c = p;
    (void)ax;
    return c->responding || c->skip ? c->last : c->req_start;
}

const struct app app_http = {"http", http_init, http_new, http_free, http_step, http_deadline,
                             http_idle_since};
