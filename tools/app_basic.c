/* The classic test services: echo (RFC 862), discard (RFC 863) and character generator
 * (RFC 864), over TCP. Each runs until the peer closes its side, then asks for a clean close;
 * a connection that moves no byte either way for ax->idle_timeout is closed (APP_TIMEOUT). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "app.h"

#define ECHO_BUF (64 * 1024)

/* What every connection of these apps starts with: when a byte last moved. */
struct basic { synack_time_us last; };

/* Reads and drops whatever is waiting. Returns 1 at the peer's FIN, -1 on error, 0 otherwise. */
static int drain_input(struct app_ctx *ax, struct basic *b, int h)
{
    uint8_t junk[16384];
    for (;;) {
        ssize_t n = synack_recv(ax->st, h, junk, sizeof junk);
        if (n > 0) { b->last = ax->now; continue; }
        if (n == 0) return 1;
        return errno == EAGAIN ? 0 : -1;
    }
}

/* APP_OPEN, or APP_TIMEOUT (counted) when nothing moved for the idle limit. */
static enum app_result idle_check(struct app_ctx *ax, const struct basic *b)
{
    if (ax->now - b->last < ax->idle_timeout) return APP_OPEN;
    ax->idle_timeouts++;
    return APP_TIMEOUT;
}

static synack_time_us basic_deadline(struct app_ctx *ax, void *c)
{
    return ((const struct basic *)c)->last + ax->idle_timeout;
}

static synack_time_us basic_idle_since(struct app_ctx *ax, void *c)
{
    (void)ax;
    return ((const struct basic *)c)->last;
}

/* ---- echo: everything received is sent back ---- */

struct echo {
    struct basic b;
    size_t len, off;
    int eof;
    uint8_t buf[ECHO_BUF];
};

static void *echo_new(struct app_ctx *ax, int h)
{
    (void)h;
    struct echo *e = malloc(sizeof *e);
    if (e) { e->b.last = ax->now; e->len = e->off = 0; e->eof = 0; }
    return e;
}

static void app_free(void *c) { free(c); }

static enum app_result echo_step(struct app_ctx *ax, void *c, int h, int ev)
{
    struct echo *e = c;
    (void)ev;
    if (ax->stopping) return APP_CLOSE;
    for (;;) {
        int progress = 0;
        if (e->off < e->len) {
            ssize_t n = synack_send(ax->st, h, e->buf + e->off, e->len - e->off);
            if (n > 0) { e->off += (size_t)n; progress = 1; e->b.last = ax->now; }
            else if (n < 0 && errno != EAGAIN) return APP_ABORT;
        }
        if (e->off == e->len) e->off = e->len = 0;
        if (!e->eof && e->len < sizeof e->buf) {
            /* Only read what can be held: the rest waits in the stack, whose window then
             * closes, which is TCP's own backpressure. */
            ssize_t n = synack_recv(ax->st, h, e->buf + e->len, sizeof e->buf - e->len);
            if (n > 0) { e->len += (size_t)n; progress = 1; e->b.last = ax->now; }
            else if (n == 0) e->eof = 1;
            else if (errno != EAGAIN) return APP_ABORT;
        }
        if (e->eof && e->off == e->len) return APP_CLOSE;
        if (!progress) return idle_check(ax, &e->b);
    }
}

const struct app app_echo = {"echo", NULL, echo_new, app_free, echo_step, basic_deadline,
                             basic_idle_since};

/* ---- discard: everything received is dropped ---- */

static void *basic_new(struct app_ctx *ax, int h)
{
    (void)h;
    struct basic *b = malloc(sizeof *b);
    if (b) b->last = ax->now;
    return b;
}

static enum app_result discard_step(struct app_ctx *ax, void *c, int h, int ev)
{
    (void)ev;
    if (ax->stopping) return APP_CLOSE;
    int r = drain_input(ax, c, h);
    return r < 0 ? APP_ABORT : r > 0 ? APP_CLOSE : idle_check(ax, c);
}

const struct app app_discard = {"discard", NULL, basic_new, app_free, discard_step, basic_deadline,
                                basic_idle_since};

/* ---- chargen: RFC 864's rotating 72-character lines, sent until the peer closes ---- */

#define CG_LINE 74              /* 72 characters + CR LF */
#define CG_PERIOD (95 * CG_LINE)/* the pattern repeats after 95 lines */
#define CG_REPEAT 10
static uint8_t cg_pattern[CG_PERIOD * CG_REPEAT];

static int chargen_init(struct app_ctx *ax)
{
    (void)ax;
    for (int r = 0; r < CG_REPEAT; r++)
        for (int line = 0; line < 95; line++) {
            uint8_t *p = cg_pattern + (size_t)r * CG_PERIOD + (size_t)line * CG_LINE;
            for (int i = 0; i < 72; i++) p[i] = (uint8_t)(' ' + (line + i) % 95);
            p[72] = '\r';
            p[73] = '\n';
        }
    return 0;
}

struct chargen { struct basic b; size_t pos; };

static void *chargen_new(struct app_ctx *ax, int h)
{
    (void)h;
    struct chargen *g = malloc(sizeof *g);
    if (g) { g->b.last = ax->now; g->pos = 0; }
    return g;
}

static enum app_result chargen_step(struct app_ctx *ax, void *c, int h, int ev)
{
    struct chargen *g = c;
    (void)ev;
    if (ax->stopping) return APP_CLOSE;
    int r = drain_input(ax, &g->b, h);
    if (r < 0) return APP_ABORT;
    if (r > 0) return APP_CLOSE;
    for (;;) {
        ssize_t n = synack_send(ax->st, h, cg_pattern + g->pos, sizeof cg_pattern - CG_PERIOD);
        if (n > 0) { g->pos = (g->pos + (size_t)n) % CG_PERIOD; g->b.last = ax->now; continue; }
        if (n < 0 && errno != EAGAIN) return APP_ABORT;
        return idle_check(ax, &g->b);
    }
}

const struct app app_chargen = {"chargen", chargen_init, chargen_new, app_free, chargen_step,
                                basic_deadline, basic_idle_since};
