/* Bulk transfers over the in-memory link: see xfer.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "synack/socket.h"
#include "synack/sim.h"
#include "xfer.h"

#define XFER_CLIENT_ADDR 0x0a4e0001u /* 10.78.0.1 */
#define XFER_SERVER_ADDR 0x0a4e0002u /* 10.78.0.2 */
#define XFER_PORT 5001
#define CHUNK 65536

/* ---- stream and hash ---- */

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t stream_word(uint64_t seed, uint64_t k)
{
    return mix64(seed * 0xd6e8feb86659fd93ull + k * 0x9e3779b97f4a7c15ull + 0x2545f4914f6cdd1dull);
}

void xfer_fill(uint64_t seed, uint64_t off, uint8_t *p, size_t n)
{
    uint64_t k = off / 8;
    unsigned skip = (unsigned)(off % 8);
    while (n) {
        uint64_t w = stream_word(seed, k++);
        uint8_t b[8];
        for (int i = 0; i < 8; i++) b[i] = (uint8_t)(w >> (8 * i));
        size_t take = 8 - skip < n ? 8 - skip : n;
        memcpy(p, b + skip, take);
        p += take;
        n -= take;
        skip = 0;
    }
}

static uint64_t rotl64(uint64_t v, int k) { return (v << k) | (v >> (64 - k)); }

static void xhash_word(struct xhash *x, uint64_t w)
{
    x->h ^= w * 0x87c37b91114253d5ull;
    x->h = rotl64(x->h, 27) * 0x4cf5ad432745937full + 0x52dce729u;
}

static uint64_t load_le64(const uint8_t *p)
{
    uint64_t w = 0;
    for (int i = 7; i >= 0; i--) w = (w << 8) | p[i];
    return w;
}

void xhash_init(struct xhash *x) { memset(x, 0, sizeof *x); x->h = 0x736f6d6570736575ull; }

void xhash_update(struct xhash *x, const uint8_t *p, size_t n)
{
    x->len += n;
    while (n && x->nbuf) {
        x->buf[x->nbuf++] = *p++;
        n--;
        if (x->nbuf == 8) { xhash_word(x, load_le64(x->buf)); x->nbuf = 0; }
    }
    for (; n >= 8; p += 8, n -= 8) xhash_word(x, load_le64(p));
    while (n--) x->buf[x->nbuf++] = *p++;
}

uint64_t xhash_final(const struct xhash *x)
{
    struct xhash t = *x;
    uint8_t pad[8] = {0};
    memcpy(pad, t.buf, t.nbuf);
    pad[7] ^= (uint8_t)(0x80 | t.nbuf);
    xhash_word(&t, load_le64(pad));
    xhash_word(&t, t.len);
    return mix64(t.h);
}

/* ---- the run ---- */

struct end {
    struct xfer_side *out;
    struct synack_stack *st;
    int fd;                 /* the connection (-1 before accept / after close) */
    int ls;                 /* server: the listener (-1 when none) */
    int is_server;
    int established;
    int wr_shut, closed;
    uint64_t tx_total, rx_total, tx_seed, rx_seed;
    struct xhash h_sent, h_rcvd, h_exp;
    uint8_t *stage, *rbuf, *ebuf;
    uint64_t stage_off;
    size_t stage_len;
    uint64_t rng;
    synack_time_us tw_enter;
    uint64_t seen_rto, seen_fast, seen_paws; /* counters as last traced */
    int ignore_conn;        /* the listener's handle (its transitions are not recorded) */
    struct run *run;
};

struct run {
    const struct xfer_cfg *cfg;
    struct xfer_result *res;
    struct synack_sim *sim;
    struct end e[2];
    synack_time_us last_progress;
    int failed;
    FILE *trace;            /* XFER_TRACE=path: every segment, for diagnosis */
};

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    return *s = x;
}

static void fail(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct run *r, const char *fmt, ...)
{
    va_list ap;
    if (r->failed) return;
    r->failed = 1;
    va_start(ap, fmt);
    vsnprintf(r->res->err, sizeof r->res->err, fmt, ap);
    va_end(ap);
}

static void on_state(void *ctx, synack_time_us now, int conn, int from, int to, const char *ev)
{
    struct end *e = ctx;
    struct xfer_side *s = e->out;
    if (conn < 0) { s->half_open_trans++; return; }  /* a syncache entry, not a socket */
    if (conn == e->ignore_conn) return;
    if (s->ntrans < XFER_MAX_TRANS) {
        s->tr[s->ntrans].from = from;
        s->tr[s->ntrans].to = to;
        s->tr[s->ntrans].at = now;
        s->tr[s->ntrans].ev = ev;
        s->ntrans++;
    }
    if (to == SYNACK_ESTABLISHED && !e->is_server && e->run->res->t_connected < 0)
        e->run->res->t_connected = now;
    if (to == SYNACK_TIME_WAIT) e->tw_enter = now;
    if (from == SYNACK_TIME_WAIT && e->tw_enter >= 0) s->time_wait_us = now - e->tw_enter;
    if (to == SYNACK_CLOSED) s->closed_at = now;
}

static void on_segment(void *ctx, synack_time_us now, enum synack_dir dir,
                       const struct synack_seg_info *seg)
{
    struct end *e = ctx;
    struct xfer_side *s = e->out;
    if (seg->flags & SYNACK_SYN) {
        if (dir == SYNACK_DIR_OUT) s->iss = seg->seq;
        else s->irs = seg->seq;
    }
    if (e->run->trace) {
        uint64_t rto = synack_counter_get(e->st, SYNACK_C_tcp_rexmit_timeouts);
        uint64_t fr = synack_counter_get(e->st, SYNACK_C_tcp_fast_rexmit);
        uint64_t pw = synack_counter_get(e->st, SYNACK_C_tcp_drop_paws);
        /* counter changes since the previous segment of this side */
        if (rto != e->seen_rto || fr != e->seen_fast || pw != e->seen_paws)
            fprintf(e->run->trace, "%.6f %c %s\n", now / 1e6, e->is_server ? 'S' : 'C',
                    rto != e->seen_rto ? "RTO" : fr != e->seen_fast ? "FAST REXMIT" : "PAWS DROP");
        e->seen_rto = rto;
        e->seen_fast = fr;
        e->seen_paws = pw;
        /* one line per segment: time, side, direction, flags, sequence numbers relative to
         * the sender's ISS and the receiver's IRS, payload length, raw window */
        uint32_t rs = dir == SYNACK_DIR_OUT ? seg->seq - s->iss : seg->seq - s->irs;
        uint32_t ra = dir == SYNACK_DIR_OUT ? seg->ack - s->irs : seg->ack - s->iss;
        fprintf(e->run->trace, "%.6f %c %s %c%c%c%c%c seq %u ack %u len %u win %u ts %u %u\n",
                now / 1e6,
                e->is_server ? 'S' : 'C', dir == SYNACK_DIR_OUT ? "out" : "in ",
                seg->flags & SYNACK_SYN ? 'S' : '.', seg->flags & SYNACK_FIN ? 'F' : '.',
                seg->flags & SYNACK_RST ? 'R' : '.', seg->flags & SYNACK_PSH ? 'P' : '.',
                seg->flags & SYNACK_ACK ? 'A' : '.', rs, ra, seg->len, seg->window, seg->tsval,
                seg->tsecr);
    }
    if (dir == SYNACK_DIR_OUT) {
        uint32_t end;
        s->segs_out++;
        if ((seg->flags & SYNACK_RST) && s->first_rst_out < 0) s->first_rst_out = now;
        if (seg->len) {
            uint32_t rel = seg->seq - s->iss;
            s->data_segs_out++;
            /* data below the highest sequence sent so far is a retransmission (trace-based,
             * independent of the stack's own counters) */
            if (rel < s->out_max_seq) {
                uint32_t dup = s->out_max_seq - rel;
                s->rexmit_segs_out++;
                s->rexmit_bytes_out += dup < seg->len ? dup : seg->len;
            }
        }
        end = seg->seq - s->iss + seg->len + ((seg->flags & (SYNACK_SYN | SYNACK_FIN)) ? 1 : 0);
        if (!(seg->flags & SYNACK_RST) && end > s->out_max_seq && end < 0x80000000u)
            s->out_max_seq = end;
        if (seg->flags & SYNACK_ACK) s->out_last_ack = seg->ack - s->irs;
    } else {
        s->segs_in++;
        if (seg->flags & SYNACK_SYN) { s->irs = seg->seq; s->ws_in = seg->has_ws ? seg->ws : 0; }
        if (seg->flags & SYNACK_ACK) {
            uint32_t a = seg->ack - s->iss;
            if (a > s->in_max_ack && a < 0x80000000u) s->in_max_ack = a;
            s->in_last_wnd = (seg->flags & SYNACK_SYN) ? seg->window
                                                         : (uint32_t)seg->window << s->ws_in;
        }
    }
}

/* RFC 1071 sum, written independently of the stack's, to check every packet it emits. */
static uint32_t sum16(const uint8_t *p, size_t n, uint32_t acc)
{
    size_t i;
    for (i = 0; i + 1 < n; i += 2) acc += (uint32_t)p[i] << 8 | p[i + 1];
    if (i < n) acc += (uint32_t)p[i] << 8;
    return acc;
}

static uint16_t fold16(uint32_t acc)
{
    while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
    return (uint16_t)acc;
}

/* The link's tap: sees every packet as sent. Counts packets with a bad IPv4 or TCP checksum. */
static void tap(void *ctx, synack_time_us now, const uint8_t *pkt, size_t len)
{
    struct run *r = ctx;
    size_t ihl, tot;
    uint32_t acc;
    int bad = 0;
    if (len < 20) { r->res->bad_packets++; return; }
    ihl = (size_t)(pkt[0] & 15) * 4;
    tot = (size_t)pkt[2] << 8 | pkt[3];
    if (ihl < 20 || tot != len || fold16(sum16(pkt, ihl, 0)) != 0xffff) bad = 1;
    else if (pkt[9] == 6) {
        acc = sum16(pkt + 12, 8, 0) + 6 + (uint32_t)(tot - ihl);
        if (fold16(sum16(pkt + ihl, tot - ihl, acc)) != 0xffff) bad = 2;
    }
    if (bad) {
        r->res->bad_packets++;
        if (r->trace)
            fprintf(r->trace, "%.6f BAD %s checksum: packet of %zu bytes from %u.%u.%u.%u\n",
                    now / 1e6, bad == 1 ? "IPv4" : "TCP", len, pkt[12], pkt[13], pkt[14], pkt[15]);
    }
}

static size_t pick_size(uint64_t *rng)
{
    uint64_t r = rng_next(rng);
    /* mostly large calls, one in eight small, so that partial reads and writes happen */
    if ((r & 7) == 0) return 1 + (size_t)((r >> 8) % 1500);
    return 1 + (size_t)((r >> 8) % CHUNK);
}

/* Pushes what send accepts. Returns 1 if any byte went in. */
static int push(struct run *r, struct end *e)
{
    int progress = 0;
    while (e->out->sent < e->tx_total) {
        uint64_t off = e->out->sent;
        size_t want = pick_size(&e->rng), avail;
        ssize_t n;
        if (off < e->stage_off || off >= e->stage_off + e->stage_len) {
            uint64_t left = e->tx_total - off;
            e->stage_off = off;
            e->stage_len = left < CHUNK ? (size_t)left : CHUNK;
            xfer_fill(e->tx_seed, off, e->stage, e->stage_len);
        }
        avail = (size_t)(e->stage_off + e->stage_len - off);
        if (want > avail) want = avail;
        n = synack_send(e->st, e->fd, e->stage + (off - e->stage_off), want);
        if (n < 0) {
            if (errno == EAGAIN) break;
            fail(r, "%s: send at byte %llu: %s", e->is_server ? "server" : "client",
                 (unsigned long long)off, strerror(errno));
            return progress;
        }
        if (n == 0 || (size_t)n > want) {
            fail(r, "%s: send(%zu) returned %zd", e->is_server ? "server" : "client", want, n);
            return progress;
        }
        xhash_update(&e->h_sent, e->stage + (off - e->stage_off), (size_t)n);
        e->out->sent += (uint64_t)n;
        progress = 1;
    }
    return progress;
}

/* Reads all recv gives and checks it. Returns 1 if any byte came. */
static int pull(struct run *r, struct end *e)
{
    int progress = 0;
    const char *who = e->is_server ? "server" : "client";
    while (!e->out->eof) {
        size_t want = pick_size(&e->rng);
        ssize_t n = synack_recv(e->st, e->fd, e->rbuf, want);
        if (n < 0) {
            if (errno == EAGAIN) break;
            fail(r, "%s: recv at byte %llu: %s", who, (unsigned long long)e->out->rcvd,
                 strerror(errno));
            return progress;
        }
        if (n == 0) {
            if (e->out->rcvd != e->rx_total)
                fail(r, "%s: EOF after %llu of %llu bytes", who, (unsigned long long)e->out->rcvd,
                     (unsigned long long)e->rx_total);
            e->out->eof = 1;
            break;
        }
        if (e->out->rcvd + (uint64_t)n > e->rx_total) {
            fail(r, "%s: received %llu bytes, more than the %llu sent", who,
                 (unsigned long long)(e->out->rcvd + (uint64_t)n), (unsigned long long)e->rx_total);
            return progress;
        }
        xfer_fill(e->rx_seed, e->out->rcvd, e->ebuf, (size_t)n);
        if (memcmp(e->rbuf, e->ebuf, (size_t)n)) {
            size_t i = 0;
            while (e->rbuf[i] == e->ebuf[i]) i++;
            fail(r, "%s: byte %llu of the stream is 0x%02x, expected 0x%02x (recv of %zd bytes)",
                 who, (unsigned long long)(e->out->rcvd + i), e->rbuf[i], e->ebuf[i], n);
            return progress;
        }
        xhash_update(&e->h_rcvd, e->rbuf, (size_t)n);
        xhash_update(&e->h_exp, e->ebuf, (size_t)n);
        e->out->rcvd += (uint64_t)n;
        progress = 1;
    }
    return progress;
}

/* One side's turn after a step. Returns 1 on progress. */
static int pump(struct run *r, struct end *e)
{
    int progress = 0, tx_allowed;
    if (e->closed) return 0;
    if (e->is_server && e->fd < 0) {
        int fd = synack_accept(e->st, e->ls, NULL, NULL);
        if (fd < 0) {
            if (errno != EAGAIN) fail(r, "server: accept: %s", strerror(errno));
            return 0;
        }
        e->fd = fd;
        synack_close(e->st, e->ls);     /* one connection is all we want */
        e->ls = -1;
    }
    if (!e->established) {
        int st = -1;
        if (synack_getsockopt(e->st, e->fd, SYNACK_TCP_STATE, &st) < 0 || st == SYNACK_CLOSED) {
            int err = 0;
            synack_getsockopt(e->st, e->fd, SYNACK_SO_ERROR, &err);
            fail(r, "%s: connection failed: %s", e->is_server ? "server" : "client",
                 strerror(err));
            return 0;
        }
        if (st < SYNACK_ESTABLISHED) return 0;
        e->established = 1;
    }
    progress |= pull(r, e);
    tx_allowed = !(e->is_server && r->cfg->sequential) || e->out->eof;
    if (tx_allowed) progress |= push(r, e);
    if (r->failed) return progress;
    if (tx_allowed && e->out->sent == e->tx_total && !e->wr_shut) {
        e->wr_shut = 1;
        if (e->out->eof) {              /* nothing more to read: close at once */
            synack_close(e->st, e->fd);
            e->closed = 1;
            return progress;
        }
        if (synack_shutdown(e->st, e->fd, SYNACK_SHUT_WR) < 0)
            fail(r, "%s: shutdown: %s", e->is_server ? "server" : "client", strerror(errno));
    }
    if (e->wr_shut && e->out->eof && !e->closed) {
        if (synack_close(e->st, e->fd) < 0)
            fail(r, "%s: close: %s", e->is_server ? "server" : "client", strerror(errno));
        e->closed = 1;
    }
    return progress;
}

static void states_str(struct xfer_side *s)
{
    size_t off = 0;
    s->states[0] = 0;
    for (int i = 0; i < s->ntrans && off + 16 < sizeof s->states; i++) {
        if (i == 0)
            off += (size_t)snprintf(s->states + off, sizeof s->states - off, "%s",
                                    synack_state_name(s->tr[i].from));
        off += (size_t)snprintf(s->states + off, sizeof s->states - off, " %s",
                                synack_state_name(s->tr[i].to));
    }
}

/* Appends a state dump to res->err. */
static void dump(struct run *r)
{
    struct xfer_result *res = r->res;
    size_t off = strlen(res->err);
    struct synack_memlink_stats ls;
#define APPEND(...) do { if (off < sizeof res->err) \
    off += (size_t)snprintf(res->err + off, sizeof res->err - off, __VA_ARGS__); } while (0)
    synack_memlink_stats(synack_sim_link(r->sim), &ls);
    APPEND("\n  seed %llu loss %.3f dup %.3f reorder %.3f jitter %lld us, now %.3f s (connected %.3f)",
           (unsigned long long)r->cfg->seed, r->cfg->loss, r->cfg->dup, r->cfg->reorder,
           (long long)r->cfg->jitter_us, (synack_sim_now(r->sim) - res->t_start) / 1e6,
           res->t_connected < 0 ? -1.0 : (res->t_connected - res->t_start) / 1e6);
    APPEND("\n  link: sent %llu delivered %llu lost %llu dup %llu reordered %llu; bad checksums %llu",
           (unsigned long long)ls.sent, (unsigned long long)ls.delivered,
           (unsigned long long)ls.lost, (unsigned long long)ls.duplicated,
           (unsigned long long)ls.reordered, (unsigned long long)res->bad_packets);
    for (int i = 0; i < 2; i++) {
        struct end *e = &r->e[i];
        struct xfer_side *s = e->out;
        int st = -1, unsent = -1, unread = -1;
        if (e->fd >= 0 && !e->closed) {
            synack_getsockopt(e->st, e->fd, SYNACK_TCP_STATE, &st);
            synack_getsockopt(e->st, e->fd, SYNACK_SO_UNSENT, &unsent);
            synack_getsockopt(e->st, e->fd, SYNACK_SO_UNREAD, &unread);
        }
        states_str(s);
        APPEND("\n  %s: state %s, sent %llu/%llu rcvd %llu/%llu eof %d shut %d; unsent %d unread %d;"
               "\n    trace (rel. seq): out snd_max %u last ack %u; in max ack %u (=snd_una) wnd %u;"
               " segs out %llu (data %llu) in %llu"
               "\n    rexmit %llu (timeouts %llu, fast %llu) dup %llu ooo %llu ooo_drop %llu"
               " rcvbuf_trim %llu oow %llu bad_ack %llu paws %llu txq_full %llu"
               "\n    states: %s; poll_at %lld",
               i ? "server" : "client", st >= 0 ? synack_state_name(st) : "(closed by user)",
               (unsigned long long)s->sent, (unsigned long long)e->tx_total,
               (unsigned long long)s->rcvd, (unsigned long long)e->rx_total, s->eof, e->wr_shut,
               unsent, unread, s->out_max_seq, s->out_last_ack, s->in_max_ack, s->in_last_wnd,
               (unsigned long long)s->segs_out, (unsigned long long)s->data_segs_out,
               (unsigned long long)s->segs_in,
               (unsigned long long)synack_counter_get(e->st, SYNACK_C_tcp_rexmit),
               (unsigned long long)synack_counter_get(e->st, SYNACK_C_tcp_rexmit_timeouts),
               (unsigned long long)synack_counter_get(e->st, SYNACK_C_tcp_fast_rexmit),
               (unsigned long long)synack_counter_get(e->st, SYNACK_C_tcp_dup_segments),
               (unsigned long long)synack_counter_get(e->st, SYNACK_C_tcp_ooo_segments),
               (unsigned long long)synack_counter_get(e->st, SYNACK_C_tcp_ooo_drop),
               (unsigned long long)synack_counter_get(e->st, SYNACK_C_tcp_drop_rcvbuf),
               (unsigned long long)synack_counter_get(e->st, SYNACK_C_tcp_drop_out_of_window),
               (unsigned long long)synack_counter_get(e->st, SYNACK_C_tcp_drop_bad_ack),
               (unsigned long long)synack_counter_get(e->st, SYNACK_C_tcp_drop_paws),
               (unsigned long long)synack_counter_get(e->st, SYNACK_C_tx_drop_queue_full),
               s->states, (long long)synack_poll_at(e->st));
        APPEND("\n    counters:");
        for (int c = 0; c < SYNACK_NCOUNTERS; c++) {
            uint64_t v = synack_counter_get(e->st, (enum synack_counter)c);
            if (v) APPEND(" %s=%llu", synack_counter_name((enum synack_counter)c), (unsigned long long)v);
        }
    }
#undef APPEND
}

static double real_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int xfer_run(const struct xfer_cfg *cfg, struct xfer_result *res)
{
    struct run r;
    struct synack_memlink_config lc;
    struct synack_config sc[2];
    struct synack_stack *st[2] = {NULL, NULL};
    synack_time_us stall = cfg->stall_us > 0 ? cfg->stall_us : 120000000, deadline, close_deadline;
    double t0 = real_now();
    int cs, ls;

    memset(res, 0, sizeof *res);
    memset(&r, 0, sizeof r);
    r.cfg = cfg;
    r.res = res;
    res->t_connected = res->t_data_done = res->t_closed = -1;
    if (getenv("XFER_TRACE")) r.trace = fopen(getenv("XFER_TRACE"), "w");

    synack_memlink_config_default(&lc);
    lc.seed = cfg->seed;
    lc.loss = cfg->loss;
    lc.dup = cfg->dup;
    lc.reorder = cfg->reorder;
    if (cfg->delay_us > 0) lc.delay_us = cfg->delay_us;
    lc.jitter_us = cfg->jitter_us;

    for (int i = 0; i < 2; i++) {
        struct end *e = &r.e[i];
        e->out = &res->side[i];
        e->out->time_wait_us = -1;
        e->out->closed_at = -1;
        e->out->first_rst_out = -1;
        e->is_server = i;
        e->fd = e->ls = e->ignore_conn = -1;
        e->tw_enter = -1;
        e->run = &r;
        e->tx_total = cfg->bytes[i];
        e->rx_total = cfg->bytes[!i];
        e->tx_seed = cfg->seed * 2 + (uint64_t)i + 1;
        e->rx_seed = cfg->seed * 2 + (uint64_t)!i + 1;
        e->rng = mix64(cfg->seed + 77 + (uint64_t)i) | 1;
        xhash_init(&e->h_sent); xhash_init(&e->h_rcvd); xhash_init(&e->h_exp);
        e->stage = malloc(CHUNK); e->rbuf = malloc(CHUNK); e->ebuf = malloc(CHUNK);
        if (!e->stage || !e->rbuf || !e->ebuf) { fail(&r, "out of memory"); goto out; }
        synack_config_default(&sc[i]);
        sc[i].addr = i ? XFER_SERVER_ADDR : XFER_CLIENT_ADDR;
        for (int k = 0; k < 16; k++) sc[i].secret[k] = (uint8_t)(mix64(cfg->seed * 16 + (uint64_t)k) >> (8 * i));
        sc[i].hooks.ctx = e;
        sc[i].hooks.on_state = on_state;
        sc[i].hooks.on_segment = on_segment;
        if (cfg->adjust) cfg->adjust(&sc[i], i);
        e->out->msl_us = sc[i].msl_us;
        if (synack_stack_new(&sc[i], &st[i])) { fail(&r, "synack_stack_new failed"); goto out; }
        e->st = st[i];
    }
    r.sim = synack_sim_new(&lc, 1000000);
    if (!r.sim || synack_sim_add(r.sim, st[0]) || synack_sim_add(r.sim, st[1])) {
        fail(&r, "sim setup failed");
        goto out;
    }
    res->t_start = synack_sim_now(r.sim);
    synack_memlink_set_tap(synack_sim_link(r.sim), tap, &r);

    ls = synack_socket(st[1], SYNACK_SOCK_STREAM);
    r.e[1].ignore_conn = ls;
    if (ls < 0 || synack_bind(st[1], ls, 0, XFER_PORT) || synack_listen(st[1], ls, 4)) {
        fail(&r, "listen failed: %s", strerror(errno));
        goto out;
    }
    r.e[1].ls = ls;
    cs = synack_socket(st[0], SYNACK_SOCK_STREAM);
    if (cs < 0 || synack_connect(st[0], cs, XFER_SERVER_ADDR, XFER_PORT) != -1 || errno != EINPROGRESS) {
        fail(&r, "connect failed: %s", strerror(errno));
        goto out;
    }
    r.e[0].fd = cs;

    deadline = res->t_start + (cfg->data_limit_us > 0 ? cfg->data_limit_us : 3600000000LL);
    close_deadline = -1;
    r.last_progress = res->t_start;
    for (;;) {
        synack_time_us now = synack_sim_now(r.sim), limit;
        if (pump(&r, &r.e[0]) | pump(&r, &r.e[1])) r.last_progress = now;
        if (r.failed) break;
        if (res->t_data_done < 0 && res->side[0].rcvd == r.e[0].rx_total &&
            res->side[1].rcvd == r.e[1].rx_total) {
            res->t_data_done = now;
            /* Closing: the FIN exchange, then 2*MSL of TIME_WAIT; allow for FIN retransmission
             * backoff on a lossy link. */
            close_deadline = now + 2 * (sc[0].msl_us > sc[1].msl_us ? sc[0].msl_us : sc[1].msl_us)
                             + 300000000;
        }
        if (res->t_data_done >= 0 && r.e[0].closed && r.e[1].closed && res->side[0].closed_at >= 0 &&
            res->side[1].closed_at >= 0 && res->side[0].closed_at >= res->t_data_done &&
            res->side[1].closed_at >= res->t_data_done)
            break;
        if (res->t_data_done < 0) {
            if (now - r.last_progress > stall) {
                fail(&r, "stall: no byte moved for %.1f virtual s", (now - r.last_progress) / 1e6);
                break;
            }
            limit = deadline;
        } else {
            limit = close_deadline;
        }
        if (!synack_sim_step(r.sim, limit)) {
            if (synack_sim_now(r.sim) >= limit)
                fail(&r, res->t_data_done < 0 ? "data not all delivered by the time limit"
                                               : "connections not CLOSED by the time limit");
            else
                fail(&r, "deadlock: nothing pending (no timer, nothing in flight)");
            break;
        }
    }
    if (!r.failed) {
        res->t_closed = res->side[0].closed_at > res->side[1].closed_at ? res->side[0].closed_at
                                                                         : res->side[1].closed_at;
        /* Anything still pending (it should be nothing) runs out here. */
        while (synack_sim_step(r.sim, synack_sim_now(r.sim) + 600000000)) {}
        for (int i = 0; i < 2; i++) {
            struct end *e = &r.e[i];
            e->out->hash_sent = xhash_final(&e->h_sent);
            e->out->hash_rcvd = xhash_final(&e->h_rcvd);
            e->out->hash_expected = xhash_final(&e->h_exp);
        }
        if (res->side[0].hash_sent != res->side[1].hash_rcvd ||
            res->side[1].hash_sent != res->side[0].hash_rcvd)
            fail(&r, "hash of sent and received data differ");
    }
    if (r.failed) dump(&r);
    res->t_end = synack_sim_now(r.sim);
    {
        struct synack_memlink_stats ls_;
        synack_memlink_stats(synack_sim_link(r.sim), &ls_);
        res->link_sent = ls_.sent;
        res->link_delivered = ls_.delivered;
        res->link_lost = ls_.lost;
        res->link_duplicated = ls_.duplicated;
        res->link_reordered = ls_.reordered;
    }
    for (int i = 0; i < 2; i++) {
        struct xfer_side *s = &res->side[i];
        states_str(s);
        for (int c = 0; c < SYNACK_NCOUNTERS; c++)
            s->counters[c] = synack_counter_get(st[i], (enum synack_counter)c);
        synack_mem_stats(st[i], &s->mem);
        s->poll_at = synack_poll_at(st[i]);
    }
    res->ok = !r.failed;
out:
    if (r.failed && !res->err[0]) snprintf(res->err, sizeof res->err, "setup failed");
    if (r.trace) fclose(r.trace);
    synack_sim_free(r.sim);
    for (int i = 0; i < 2; i++) {
        synack_stack_free(st[i]);
        free(r.e[i].stage); free(r.e[i].rbuf); free(r.e[i].ebuf);
    }
    res->real_s = real_now() - t0;
    return res->ok;
}

void xfer_summary(const struct xfer_cfg *cfg, const struct xfer_result *res, char *buf, size_t len)
{
    const struct xfer_side *c = &res->side[0], *s = &res->side[1];
    snprintf(buf, len,
             "seed %llu loss %.2f reorder %.2f dup %.2f jitter %lld%s: data %.3f s, closed %.3f s"
             " virtual; %.3f s real; rexmit c %llu s %llu (rto %llu/%llu fast %llu/%llu);"
             " link lost %llu; traced rexmit segs c %llu s %llu; rst c %llu s %llu;"
             " states c [%s] s [%s]",
             (unsigned long long)cfg->seed, cfg->loss, cfg->reorder, cfg->dup,
             (long long)cfg->jitter_us, cfg->sequential ? " seq" : " sim",
             res->t_data_done >= 0 ? (res->t_data_done - res->t_start) / 1e6 : -1.0,
             res->t_closed >= 0 ? (res->t_closed - res->t_start) / 1e6 : -1.0, res->real_s,
             (unsigned long long)c->counters[SYNACK_C_tcp_rexmit],
             (unsigned long long)s->counters[SYNACK_C_tcp_rexmit],
             (unsigned long long)c->counters[SYNACK_C_tcp_rexmit_timeouts],
             (unsigned long long)s->counters[SYNACK_C_tcp_rexmit_timeouts],
             (unsigned long long)c->counters[SYNACK_C_tcp_fast_rexmit],
             (unsigned long long)s->counters[SYNACK_C_tcp_fast_rexmit],
             (unsigned long long)res->link_lost, (unsigned long long)c->rexmit_segs_out,
             (unsigned long long)s->rexmit_segs_out,
             (unsigned long long)c->counters[SYNACK_C_tcp_rst_sent],
             (unsigned long long)s->counters[SYNACK_C_tcp_rst_sent], c->states, s->states);
}
