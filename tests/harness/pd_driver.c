/* The packetdrill stand-in described in pd_driver.h: script parsing, segment building and
 * matching. Independent of the stack's own wire code on purpose. */
#include "pd_driver.h"
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "synack/synack.h"
#include "synack/socket.h"

#define MAX_OPTS 16

struct opt {
    int kind;           /* 0 eol, 1 nop, 2 mss, 3 wscale, 4 sackOK, 5 sack, 8 TS; -1 "..." */
    uint32_t v1, v2;
};

struct seg {
    int in;                     /* '<' */
    int none, sleep;            /* "> none", "sleep" */
    int any_time;
    long long dt;               /* us */
    uint8_t flags;
    uint32_t seq, end, len, ack;
    int has_ack, has_win;
    uint32_t win;
    int nopts, has_opts, any_opts;
    struct opt opts[MAX_OPTS];
};

static int errf(struct pdd *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int errf(struct pdd *d, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(d->err, sizeof d->err, "line %d: ", d->line);
    va_start(ap, fmt);
    vsnprintf(d->err + n, sizeof d->err - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- loading ---- */

static void *load(char *why, size_t whylen)
{
    const char *env = getenv("SYNACK_PD_SO");
    char path[PATH_MAX + 64], exe[PATH_MAX];
    void *h;
    ssize_t n;
    if (env && *env) {
        if ((h = dlopen(env, RTLD_NOW | RTLD_LOCAL))) return h;
        snprintf(why, whylen, "%s", dlerror());
        return NULL;
    }
    n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        char *slash;
        exe[n] = 0;
        if ((slash = strrchr(exe, '/'))) {
            *slash = 0;
            snprintf(path, sizeof path, "%s/libsynack-packetdrill.so", exe);
            if ((h = dlopen(path, RTLD_NOW | RTLD_LOCAL))) return h;
        }
    }
    if ((h = dlopen("build/libsynack-packetdrill.so", RTLD_NOW | RTLD_LOCAL))) return h;
    snprintf(why, whylen, "cannot load libsynack-packetdrill.so: %s", dlerror());
    return NULL;
}

/* Instances a failed test left open (CHECK returns early): freed at the next pdd_open() and
 * at exit, so that a failure does not also show up as a leak under the sanitizers. */
#define MAX_LIVE 16
static struct live { void *dl, *ud; void (*fr)(void *); } live[MAX_LIVE];

static void reap(void)
{
    for (int i = 0; i < MAX_LIVE; i++) {
        if (!live[i].dl) continue;
        live[i].fr(live[i].ud);
        dlclose(live[i].dl);
        memset(&live[i], 0, sizeof live[i]);
    }
}

long long pdd_now(struct pdd *d)
{
    struct timeval tv;
    d->ifc.gettimeofday(d->ud, &tv, NULL);
    return (long long)tv.tv_sec * 1000000 + tv.tv_usec;
}

int pdd_open(struct pdd *d, const char *flags)
{
    packetdrill_interface_init_t init;
    static int registered;
    reap();
    if (!registered) registered = atexit(reap) == 0;
    memset(d, 0, sizeof *d);
    if (!(d->dl = load(d->err, sizeof d->err))) return -1;
    init = (packetdrill_interface_init_t)dlsym(d->dl, "packetdrill_interface_init");
    d->pending = (synack_pd_pending_t)dlsym(d->dl, "synack_pd_pending");
    d->handle = (synack_pd_handle_t)dlsym(d->dl, "synack_pd_handle");
    d->stack = (synack_pd_stack_t)dlsym(d->dl, "synack_pd_stack");
    d->counter_get = (uint64_t (*)(const struct synack_stack *, int))dlsym(d->dl, "synack_counter_get");
    d->sock_getsockopt = (int (*)(struct synack_stack *, int, int, int *))dlsym(d->dl, "synack_getsockopt");
    if (!init || !d->pending || !d->handle || !d->stack || !d->counter_get || !d->sock_getsockopt) {
        snprintf(d->err, sizeof d->err, "missing symbol in the .so");
        dlclose(d->dl);
        return -1;
    }
    init(flags, &d->ifc);
    d->ud = d->ifc.userdata;
    for (int i = 0; i < MAX_LIVE; i++) {
        if (live[i].dl) continue;
        live[i].dl = d->dl;
        live[i].ud = d->ud;
        live[i].fr = d->ifc.free;
        break;
    }
    d->tolerance = 20000;
    d->laddr = 0xc0a80001u;     /* 192.168.0.1 */
    d->raddr = 0xc0000201u;     /* 192.0.2.1, packetdrill's remote address */
    d->lport = 8080;
    d->rport = 40000;
    d->last = pdd_now(d);
    return 0;
}

void pdd_close(struct pdd *d)
{
    for (int i = 0; i < MAX_LIVE; i++)
        if (live[i].dl && live[i].ud == d->ud) memset(&live[i], 0, sizeof live[i]);
    if (d->ifc.free) d->ifc.free(d->ud);
    if (d->dl) dlclose(d->dl);
    memset(d, 0, sizeof *d);
}

void pdd_new_conn(struct pdd *d, uint16_t rport, uint16_t lport)
{
    d->rport = rport;
    d->lport = lport;
    d->have_isn = 0;
    d->local_isn = 0;
}

int pdd_state(struct pdd *d, int fd)
{
    int h = d->handle(d->ud, fd), v = -1;
    if (h < 0 || d->sock_getsockopt(d->stack(d->ud), h, SYNACK_TCP_STATE, &v) < 0) return -1;
    return v;
}

uint64_t pdd_counter(struct pdd *d, int counter)
{
    return d->counter_get(d->stack(d->ud), counter);
}

/* ---- parsing ---- */

static const char *skipws(const char *p)
{
    while (*p == ' ' || *p == '\t') p++;
    return p;
}

static int word(const char **pp, const char *w)
{
    size_t n = strlen(w);
    const char *p = skipws(*pp);
    if (strncmp(p, w, n) || isalnum((unsigned char)p[n])) return 0;
    *pp = p + n;
    return 1;
}

static int num(const char **pp, uint32_t *v)
{
    char *end;
    unsigned long long x;
    const char *p = skipws(*pp);
    if (!isdigit((unsigned char)*p)) return 0;
    x = strtoull(p, &end, 10);
    if (x > UINT32_MAX) return 0;
    *v = (uint32_t)x;
    *pp = end;
    return 1;
}

static int parse_opts(struct pdd *d, const char **pp, struct seg *s)
{
    const char *p = skipws(*pp) + 1; /* after '<' */
    s->has_opts = 1;
    for (;;) {
        struct opt *o;
        p = skipws(p);
        if (*p == '>') { p++; break; }
        if (s->nopts == MAX_OPTS) return errf(d, "too many options");
        o = &s->opts[s->nopts];
        memset(o, 0, sizeof *o);
        if (!strncmp(p, "...", 3)) { p += 3; s->any_opts = 1; o->kind = -1; }
        else if (word(&p, "nop")) o->kind = 1;
        else if (word(&p, "eol")) o->kind = 0;
        else if (word(&p, "sackOK")) o->kind = 4;
        else if (word(&p, "mss")) { o->kind = 2; if (!num(&p, &o->v1)) return errf(d, "mss value"); }
        else if (word(&p, "wscale")) { o->kind = 3; if (!num(&p, &o->v1)) return errf(d, "wscale value"); }
        else if (word(&p, "TS")) {
            o->kind = 8;
            if (!word(&p, "val") || !num(&p, &o->v1) || !word(&p, "ecr") || !num(&p, &o->v2))
                return errf(d, "TS val N ecr N");
        } else return errf(d, "unknown option at '%.12s'", p);
        s->nopts++;
        p = skipws(p);
        if (*p == ',') p++;
    }
    *pp = p;
    return 0;
}

static int parse_line(struct pdd *d, const char *p, struct seg *s)
{
    memset(s, 0, sizeof *s);
    p = skipws(p);
    if (*p == '*') { s->any_time = 1; p++; }
    else if (*p == '+') {
        char *end;
        double t = strtod(p + 1, &end);
        if (end == p + 1 || t < 0) return errf(d, "bad time");
        s->dt = (long long)(t * 1e6 + 0.5);
        p = end;
    }
    p = skipws(p);
    if (word(&p, "sleep")) { s->sleep = 1; return 0; }
    if (*p != '<' && *p != '>') return errf(d, "expected <, > or sleep at '%.12s'", p);
    s->in = *p++ == '<';
    if (!s->in && word(&p, "none")) { s->none = 1; return 0; }
    p = skipws(p);
    for (; *p && *p != ' ' && *p != '\t'; p++) {
        switch (*p) {
        case 'S': s->flags |= SYNACK_SYN; break;
        case 'F': s->flags |= SYNACK_FIN; break;
        case 'R': s->flags |= SYNACK_RST; break;
        case 'P': s->flags |= SYNACK_PSH; break;
        case '.': s->flags |= SYNACK_ACK; break;
        default: return errf(d, "bad flag '%c'", *p);
        }
    }
    if (!num(&p, &s->seq) || *p++ != ':' || !num(&p, &s->end) || *p++ != '(' || !num(&p, &s->len) ||
        *p++ != ')')
        return errf(d, "expected SEQ:END(LEN)");
    if (s->end != s->seq + s->len) return errf(d, "END != SEQ + LEN");
    for (;;) {
        p = skipws(p);
        if (!*p) break;
        if (word(&p, "ack")) { if (!num(&p, &s->ack)) return errf(d, "ack value"); s->has_ack = 1; }
        else if (word(&p, "win")) { if (!num(&p, &s->win)) return errf(d, "win value"); s->has_win = 1; }
        else if (*p == '<') { if (parse_opts(d, &p, s) < 0) return -1; }
        else return errf(d, "unexpected '%.12s'", p);
    }
    return 0;
}

/* ---- wire ---- */

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
    for (size_t i = 0; i + 1 < n; i += 2) s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1) s += (uint32_t)p[n - 1] << 8;
    return s;
}

static uint16_t fold(uint32_t s)
{
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, v); }
static uint32_t get16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t get32(const uint8_t *p) { return get16(p) << 16 | get16(p + 2); }

static size_t build(struct pdd *d, const struct seg *s, uint8_t *pkt)
{
    uint8_t *tcp = pkt + 20, *o = tcp + 20;
    size_t olen = 0, tlen, total;
    uint32_t ps;
    for (int i = 0; i < s->nopts; i++) {
        const struct opt *op = &s->opts[i];
        switch (op->kind) {
        case 0: o[olen++] = 0; break;
        case 1: o[olen++] = 1; break;
        case 2: o[olen++] = 2; o[olen++] = 4; put16(o + olen, op->v1); olen += 2; break;
        case 3: o[olen++] = 3; o[olen++] = 3; o[olen++] = (uint8_t)op->v1; break;
        case 4: o[olen++] = 4; o[olen++] = 2; break;
        case 8: o[olen++] = 8; o[olen++] = 10; put32(o + olen, op->v1); put32(o + olen + 4, op->v2); olen += 8; break;
        default: break;
        }
    }
    while (olen % 4) o[olen++] = 0;
    tlen = 20 + olen + s->len;
    total = 20 + tlen;
    memset(tcp + 20 + olen, 'x', s->len);
    put16(tcp, d->rport);
    put16(tcp + 2, d->lport);
    put32(tcp + 4, s->seq);
    put32(tcp + 8, s->has_ack ? s->ack + (d->have_isn ? d->local_isn : 0) : 0);
    tcp[12] = (uint8_t)((20 + olen) / 4 << 4);
    tcp[13] = s->flags;
    put16(tcp + 14, s->has_win ? s->win : 65535);
    put16(tcp + 16, 0);
    put16(tcp + 18, 0);
    ps = sum16(tcp, tlen, 0);
    ps += (d->raddr >> 16) + (d->raddr & 0xffff) + (d->laddr >> 16) + (d->laddr & 0xffff) + 6 + (uint32_t)tlen;
    put16(tcp + 16, fold(ps));
    memset(pkt, 0, 20);
    pkt[0] = 0x45;
    put16(pkt + 2, (uint32_t)total);
    pkt[8] = 64;
    pkt[9] = 6;
    put32(pkt + 12, d->raddr);
    put32(pkt + 16, d->laddr);
    put16(pkt + 10, fold(sum16(pkt, 20, 0)));
    return total;
}

static const char *flagstr(uint8_t f, char *b)
{
    int n = 0;
    if (f & SYNACK_SYN) b[n++] = 'S';
    if (f & SYNACK_FIN) b[n++] = 'F';
    if (f & SYNACK_RST) b[n++] = 'R';
    if (f & SYNACK_PSH) b[n++] = 'P';
    if (f & SYNACK_ACK) b[n++] = '.';
    if (!n) b[n++] = '-';
    b[n] = 0;
    return b;
}

/* Checks a segment we sent against the script's expectation. */
static int match(struct pdd *d, const struct seg *s, const uint8_t *pkt, size_t len)
{
    const uint8_t *tcp, *o;
    size_t ihl, doff, olen, plen;
    uint32_t seq, ack, rel;
    uint8_t flags;
    char fa[8], fb[8];
    struct opt got[MAX_OPTS];
    int ngot = 0;
    if (len < 40 || (pkt[0] >> 4) != 4 || pkt[9] != 6) return errf(d, "not a TCP/IPv4 packet (%zu bytes)", len);
    ihl = (size_t)(pkt[0] & 15) * 4;
    if (get16(pkt + 2) != len || ihl + 20 > len) return errf(d, "bad IPv4 length");
    if (fold(sum16(pkt, ihl, 0)) != 0) return errf(d, "bad IPv4 checksum");
    tcp = pkt + ihl;
    doff = (size_t)(tcp[12] >> 4) * 4;
    if (doff < 20 || ihl + doff > len) return errf(d, "bad TCP header length");
    {
        uint32_t ps = sum16(tcp, len - ihl, 0);
        uint32_t sa = get32(pkt + 12), da = get32(pkt + 16);
        ps += (sa >> 16) + (sa & 0xffff) + (da >> 16) + (da & 0xffff) + 6 + (uint32_t)(len - ihl);
        if (fold(ps) != 0) return errf(d, "bad TCP checksum");
    }
    if (get32(pkt + 12) != d->laddr || get32(pkt + 16) != d->raddr) return errf(d, "wrong addresses");
    flags = tcp[13];
    if (!d->lport && (flags & SYNACK_SYN)) d->lport = (uint16_t)get16(tcp);
    if (get16(tcp) != d->lport || get16(tcp + 2) != d->rport)
        return errf(d, "wrong ports %u > %u (expected %u > %u)", get16(tcp), get16(tcp + 2), d->lport, d->rport);
    seq = get32(tcp + 4);
    ack = get32(tcp + 8);
    if ((flags & SYNACK_SYN) && !d->have_isn) { d->local_isn = seq; d->have_isn = 1; }
    rel = seq - (d->have_isn ? d->local_isn : 0);
    plen = len - ihl - doff;
    if (flags != s->flags || rel != s->seq || plen != s->len || (s->has_ack && ack != s->ack) ||
        (s->has_win && get16(tcp + 14) != s->win))
        return errf(d, "expected %s %u:%u(%u) ack %u%s, got %s %u:%u(%zu) ack %u win %u", flagstr(s->flags, fa),
                    s->seq, s->end, s->len, s->ack, s->has_ack ? "" : "(any)", flagstr(flags, fb), rel,
                    rel + (uint32_t)plen, plen, ack, get16(tcp + 14));
    if (!s->has_opts || s->any_opts) return 0;
    o = tcp + 20;
    olen = doff - 20;
    for (size_t i = 0; i < olen && ngot < MAX_OPTS;) {
        struct opt *g = &got[ngot++];
        memset(g, 0, sizeof *g);
        g->kind = o[i];
        if (o[i] == 0) break;
        if (o[i] == 1) { i++; continue; }
        if (i + 1 >= olen || o[i + 1] < 2 || i + o[i + 1] > olen) return errf(d, "malformed options");
        if (o[i] == 2 && o[i + 1] == 4) g->v1 = get16(o + i + 2);
        if (o[i] == 3 && o[i + 1] == 3) g->v1 = o[i + 2];
        if (o[i] == 8 && o[i + 1] == 10) { g->v1 = get32(o + i + 2); g->v2 = get32(o + i + 6); }
        i += o[i + 1];
    }
    /* trailing EOL padding is not written in scripts */
    while (ngot > s->nopts && got[ngot - 1].kind == 0) ngot--;
    if (ngot != s->nopts) return errf(d, "expected %d options, got %d", s->nopts, ngot);
    for (int i = 0; i < ngot; i++) {
        const struct opt *e = &s->opts[i], *g = &got[i];
        if (e->kind != g->kind || ((e->kind == 2 || e->kind == 3) && e->v1 != g->v1) ||
            (e->kind == 8 && e->v2 != g->v2))
            return errf(d, "option %d: expected kind %d value %u/%u, got kind %d value %u/%u", i, e->kind,
                        e->v1, e->v2, g->kind, g->v1, g->v2);
    }
    return 0;
}

/* ---- playing ---- */

static void wait_until(struct pdd *d, long long t)
{
    long long now = pdd_now(d);
    if (t > now) d->ifc.usleep(d->ud, (useconds_t)(t - now));
}

static int play_line(struct pdd *d, const char *line)
{
    struct seg s;
    uint8_t pkt[2048];
    if (parse_line(d, line, &s) < 0) return -1;
    if (s.in || s.sleep || s.none) {
        if (s.any_time) return errf(d, "* is for outbound segments");
        wait_until(d, d->last + s.dt);
        d->last = pdd_now(d);
        if (s.sleep) return 0;
        if (s.none) {
            size_t n = d->pending(d->ud);
            return n ? errf(d, "expected nothing sent, %zu segment(s) queued", n) : 0;
        }
        if (s.len > 1400) return errf(d, "payload too long");
        if (d->ifc.netdev_send(d->ud, pkt, build(d, &s, pkt)) < 0) return errf(d, "netdev_send failed");
        return 0;
    }
    {
        size_t n = sizeof pkt;
        long long t;
        if (d->ifc.netdev_receive(d->ud, pkt, &n, &t) < 0) return errf(d, "netdev_receive failed");
        if (n == 0) return errf(d, "expected a segment, nothing was sent");
        if (match(d, &s, pkt, n) < 0) return -1;
        if (!s.any_time) {
            long long want = d->last + s.dt, diff = t - want;
            if (diff < -d->tolerance || diff > d->tolerance)
                return errf(d, "segment sent at +%.6f s, expected +%.6f s", (t - d->last) / 1e6, s.dt / 1e6);
        }
        d->last = t;
        return 0;
    }
}

int pdd_play(struct pdd *d, const char *script)
{
    const char *p = script;
    d->line = 0;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char line[512];
        d->line++;
        if (n >= sizeof line) return errf(d, "line too long");
        memcpy(line, p, n);
        line[n] = 0;
        p += n + (nl ? 1 : 0);
        {
            const char *q = skipws(line);
            if (!*q || *q == '#') continue;
        }
        if (play_line(d, line) < 0) return -1;
    }
    return 0;
}
