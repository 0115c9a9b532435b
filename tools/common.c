/* TUN + stack plumbing shared by `synack serve` and `synack connect` (tools/common.h). */
#include "common.h"

#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "synack/loop.h"
#include "synack/platform.h"

/* ---- option parsing ---- */

static int bad(const char *prog, const char *opt, const char *s)
{
    fprintf(stderr, "%s: bad value '%s' for %s\n", prog, s ? s : "", opt);
    return -1;
}

int opt_ip(const char *prog, const char *opt, const char *s, uint32_t *out)
{
    if (!s || synack_ip_parse(s, out) < 0) return bad(prog, opt, s);
    return 0;
}

int opt_uint(const char *prog, const char *opt, const char *s, unsigned long lo, unsigned long hi,
             unsigned long *out)
{
    char *end;
    unsigned long v;
    if (!s || !*s || *s == '-' || *s == '+') return bad(prog, opt, s);
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || *end || v < lo || v > hi) return bad(prog, opt, s);
    *out = v;
    return 0;
}

int opt_double(const char *prog, const char *opt, const char *s, double *out)
{
    char *end;
    double v;
    if (!s || !*s) return bad(prog, opt, s);
    errno = 0;
    v = strtod(s, &end);
    if (errno || *end || !(v >= 0) || v > 1e9) return bad(prog, opt, s);
    *out = v;
    return 0;
}

/* "IP<sep>N": the address, then a number in [1, max] after the last sep. */
static int opt_ip_num(const char *prog, const char *opt, const char *s, int sep, unsigned long max,
                      uint32_t *addr, unsigned long *n)
{
    char buf[32];
    const char *mark = s ? strrchr(s, sep) : NULL;
    if (!mark || (size_t)(mark - s) >= sizeof buf) return bad(prog, opt, s);
    memcpy(buf, s, (size_t)(mark - s));
    buf[mark - s] = 0;
    if (synack_ip_parse(buf, addr) < 0) return bad(prog, opt, s);
    return opt_uint(prog, opt, mark + 1, 1, max, n);
}

int opt_ip_prefix(const char *prog, const char *opt, const char *s, uint32_t *addr, int *prefix)
{
    unsigned long p;
    if (opt_ip_num(prog, opt, s, '/', 32, addr, &p) < 0) return -1;
    *prefix = (int)p;
    return 0;
}

int opt_ip_port(const char *prog, const char *opt, const char *s, uint32_t *addr, uint16_t *port)
{
    unsigned long p;
    if (opt_ip_num(prog, opt, s, ':', 65535, addr, &p) < 0) return -1;
    *port = (uint16_t)p;
    return 0;
}

const char net_opts_usage[] =
    "  --tun NAME            TUN device to create or attach to\n"
    "  --addr IP             synack's own address\n"
    "  --host-addr IP/PREFIX configure the kernel's side of the device (address, MTU, up);\n"
    "                        without it the device is used as it is already configured\n"
    "  --pcap FILE           write every IP packet in and out (pcap, LINKTYPE_RAW)\n"
    "  --trace               print state transitions and segments to stderr\n"
    "  --mtu N               link MTU (default: the device's, or 1500 with --host-addr)\n"
    "  --rcvbuf BYTES        per-connection receive buffer (default 512 KiB)\n"
    "  --sndbuf BYTES        per-connection send buffer (default 512 KiB)\n"
    "  --max-conns N         connections with buffers at once (default 512)\n"
    "  --impair SPEC         impair packets in user space, like tc netem (for kernels without\n"
    "                        it): loss=P%,delay=MSms,reorder=P%,duplicate=P%[,dir=in|out|both]\n"
    "                        [,seed=N]; reorder = share of packets that skip the delay\n";

int net_opt(const char *prog, struct net_opts *o, int argc, char **argv, int *i)
{
    const char *a = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    unsigned long u;
    int takes = 1;
    if (!strcmp(a, "--trace")) { o->trace = 1; return 1; }
    if (strcmp(a, "--tun") && strcmp(a, "--addr") && strcmp(a, "--host-addr") && strcmp(a, "--pcap") &&
        strcmp(a, "--mtu") && strcmp(a, "--rcvbuf") && strcmp(a, "--sndbuf") && strcmp(a, "--max-conns") &&
        strcmp(a, "--impair"))
        return 0;
    if (!v) {
        fprintf(stderr, "%s: %s needs a value\n", prog, a);
        return -1;
    }
    if (!strcmp(a, "--tun")) {
        if (!*v || strlen(v) >= SYNACK_TUN_NAMSIZ) return bad(prog, a, v);
        o->tun = v;
    } else if (!strcmp(a, "--addr")) {
        if (opt_ip(prog, a, v, &o->addr) < 0) return -1;
        o->have_addr = 1;
    } else if (!strcmp(a, "--host-addr")) {
        if (opt_ip_prefix(prog, a, v, &o->host_addr, &o->host_prefix) < 0) return -1;
    } else if (!strcmp(a, "--pcap")) {
        o->pcap = v;
    } else if (!strcmp(a, "--mtu")) {
        if (opt_uint(prog, a, v, 576, 65535, &u) < 0) return -1;
        o->mtu = (unsigned)u;
    } else if (!strcmp(a, "--rcvbuf")) {
        if (opt_uint(prog, a, v, 4096, 1u << 30, &u) < 0) return -1;
        o->rcvbuf = (unsigned)u;
    } else if (!strcmp(a, "--sndbuf")) {
        if (opt_uint(prog, a, v, 4096, 1u << 30, &u) < 0) return -1;
        o->sndbuf = (unsigned)u;
    } else if (!strcmp(a, "--impair")) {
        o->impair = v;
    } else if (!strcmp(a, "--max-conns")) {
        if (opt_uint(prog, a, v, 1, 1u << 20, &u) < 0) return -1;
        o->max_conns = (unsigned)u;
    }
    *i += takes;
    return 1;
}

/* ---- clocks ---- */

synack_time_us net_now(void) { return synack_platform_now_us(); }

static synack_time_us wall_offset(void)
{
    struct timespec r;
    clock_gettime(CLOCK_REALTIME, &r);
    return (synack_time_us)r.tv_sec * 1000000 + r.tv_nsec / 1000 - synack_platform_now_us();
}

/* ---- trace hooks ---- */

static void flags_str(uint8_t f, char *out)
{
    char *p = out;
    if (f & SYNACK_SYN) *p++ = 'S';
    if (f & SYNACK_FIN) *p++ = 'F';
    if (f & SYNACK_RST) *p++ = 'R';
    if (f & SYNACK_PSH) *p++ = 'P';
    if (f & SYNACK_URG) *p++ = 'U';
    if (f & SYNACK_ECE) *p++ = 'E';
    if (f & SYNACK_CWR) *p++ = 'W';
    if (f & SYNACK_ACK) *p++ = '.';
    *p = 0;
}

static void on_state(void *ctx, synack_time_us now, int conn, int old_state, int new_state,
                     const char *event)
{
    struct net *n = ctx;
    if (conn >= 0 && (unsigned)conn < n->nconn_state && new_state >= 0 && new_state < SYNACK_NSTATES) {
        n->nstate[n->conn_state[conn]]--;
        n->conn_state[conn] = (uint8_t)new_state;
        n->nstate[new_state]++;
    }
    if (!n->trace) return;
    synack_time_us t = now - n->t0;
    fprintf(stderr, "[%4lld.%06lld] state conn %d %s -> %s (%s)\n", (long long)(t / 1000000),
            (long long)(t % 1000000), conn, synack_state_name(old_state), synack_state_name(new_state),
            event ? event : "");
}

static void on_segment(void *ctx, synack_time_us now, enum synack_dir dir,
                       const struct synack_seg_info *s)
{
    struct net *n = ctx;
    char a[16], b[16], fl[12], opts[160];
    size_t o = 0;
    if (!n->trace) return;
    synack_time_us t = now - n->t0;
    flags_str(s->flags, fl);
    opts[0] = 0;
#define OPT(...) do { if (o < sizeof opts) o += (size_t)snprintf(opts + o, sizeof opts - o, __VA_ARGS__); } while (0)
    if (s->has_mss) OPT(",mss %u", (unsigned)s->mss);
    if (s->has_ws) OPT(",wscale %u", (unsigned)s->ws);
    if (s->sack_ok) OPT(",sackOK");
    if (s->has_ts) OPT(",TS val %lu ecr %lu", (unsigned long)s->tsval, (unsigned long)s->tsecr);
#undef OPT
    fprintf(stderr, "[%4lld.%06lld] %s %s:%u > %s:%u [%s] seq %lu ack %lu win %u len %lu%s%s%s\n",
            (long long)(t / 1000000), (long long)(t % 1000000), dir == SYNACK_DIR_IN ? "in " : "out",
            synack_ip_str(s->saddr, a), (unsigned)s->sport, synack_ip_str(s->daddr, b),
            (unsigned)s->dport, fl, (unsigned long)s->seq, (unsigned long)s->ack,
            (unsigned)s->window, (unsigned long)s->len, opts[0] ? " <" : "", opts[0] ? opts + 1 : "",
            opts[0] ? ">" : "");
}

long net_active_conns(const struct net *n)
{
    long k = 0;
    for (int s = 0; s < SYNACK_NSTATES; s++)
        if (s != SYNACK_CLOSED && s != SYNACK_LISTEN && s != SYNACK_TIME_WAIT) k += n->nstate[s];
    return k;
}

/* ---- --impair ---- */

static int impair_parse(const char *prog, const char *spec, struct impair *im)
{
    char buf[256], *save = NULL;
    if (strlen(spec) >= sizeof buf) return bad(prog, "--impair", spec);
    strcpy(buf, spec);
    memset(im, 0, sizeof *im);
    im->dirs = 3;
    for (char *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '='), *end;
        if (!eq) return bad(prog, "--impair", spec);
        *eq++ = 0;
        if (!strcmp(kv, "dir")) {
            if (!strcmp(eq, "in")) im->dirs = 1;
            else if (!strcmp(eq, "out")) im->dirs = 2;
            else if (!strcmp(eq, "both")) im->dirs = 3;
            else return bad(prog, "--impair", spec);
            continue;
        }
        errno = 0;
        double v = strtod(eq, &end);
        if (errno || end == eq || v < 0) return bad(prog, "--impair", spec);
        if (!strcmp(kv, "seed")) { im->rng = (uint64_t)v; continue; }
        if (!strcmp(kv, "delay")) {
            if (*end && strcmp(end, "ms")) return bad(prog, "--impair", spec);
            im->delay = (synack_time_us)(v * 1000);
            continue;
        }
        if ((*end && strcmp(end, "%")) || v > 100) return bad(prog, "--impair", spec);
        if (!strcmp(kv, "loss")) im->loss = v / 100;
        else if (!strcmp(kv, "duplicate") || !strcmp(kv, "dup")) im->dup = v / 100;
        else if (!strcmp(kv, "reorder")) im->reorder = v / 100;
        else return bad(prog, "--impair", spec);
    }
    im->on = 1;
    return 0;
}

static double impair_rand(struct impair *im)
{
    /* xorshift64* */
    im->rng ^= im->rng >> 12;
    im->rng ^= im->rng << 25;
    im->rng ^= im->rng >> 27;
    return (double)((im->rng * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static void deliver(struct net *n, int dir, const uint8_t *pkt, size_t len, synack_time_us now);

/* Runs one packet through the impairment of direction dir (0 in, 1 out). */
static void impair_pass(struct net *n, int dir, const uint8_t *pkt, size_t len, synack_time_us now)
{
    struct impair *im = &n->imp;
    if (!(im->dirs & (1 << dir))) { deliver(n, dir, pkt, len, now); return; }
    if (impair_rand(im) < im->loss) { im->lost[dir]++; return; }
    int copies = 1;
    if (impair_rand(im) < im->dup) { copies = 2; im->duped[dir]++; }
    while (copies--) {
        struct impair_q *q = &im->q[dir];
        if (im->delay == 0 || impair_rand(im) < im->reorder) {
            if (im->delay) im->reordered[dir]++;
            deliver(n, dir, pkt, len, now);
            continue;
        }
        if (q->count == q->cap || len > q->slot) { im->overflow[dir]++; continue; }
        unsigned slot = (q->head + q->count) % q->cap;
        memcpy(q->buf + (size_t)slot * q->slot, pkt, len);
        q->len[slot] = (uint32_t)len;
        q->at[slot] = now + im->delay;
        q->count++;
    }
}

/* Releases the packets whose delay is over. */
static void impair_release(struct net *n, int dir)
{
    struct impair_q *q = &n->imp.q[dir];
    if (!n->imp.on || !q->count) return;
    synack_time_us now = net_now();
    while (q->count && q->at[q->head] <= now) {
        unsigned slot = q->head;
        q->head = (q->head + 1) % q->cap;
        q->count--;
        deliver(n, dir, q->buf + (size_t)slot * q->slot, q->len[slot], now);
    }
}

static synack_time_us impair_next(const struct net *n)
{
    synack_time_us t = SYNACK_TIME_NEVER;
    for (int d = 0; n->imp.on && d < 2; d++) {
        const struct impair_q *q = &n->imp.q[d];
        if (q->count && q->at[q->head] < t) t = q->at[q->head];
    }
    return t;
}

/* ---- open / close ---- */

/* The kernel queues packets for the TUN fd in a ring of txqueuelen packets (500 by default)
 * and drops what does not fit. When the host is busy (many client processes) the stack may not
 * read for a while, and lost ACKs then cost retransmission timeouts: a longer ring avoids it. */
static void set_txqueuelen(const char *name, int qlen)
{
    struct ifreq ifr;
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, name, strnlen(name, IFNAMSIZ - 1));
    if (ioctl(s, SIOCGIFTXQLEN, &ifr) == 0 && ifr.ifr_qlen < qlen) {
        ifr.ifr_qlen = qlen;
        ioctl(s, SIOCSIFTXQLEN, &ifr); /* best effort */
    }
    close(s);
}

static unsigned device_mtu(const char *name)
{
    struct ifreq ifr;
    unsigned mtu = 0;
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return 0;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, name, strnlen(name, IFNAMSIZ - 1));
    if (ioctl(s, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu > 0) mtu = (unsigned)ifr.ifr_mtu;
    close(s);
    return mtu;
}

int net_open(struct net *n, const char *prog, const struct net_opts *o, struct synack_config *cfg)
{
    char name[SYNACK_TUN_NAMSIZ];
    char ip[16];
    int rc;
    memset(n->nstate, 0, sizeof n->nstate);
    n->prog = prog;
    n->trace = o->trace;
    n->t0 = net_now();
    n->wall_offset = wall_offset();
    n->tx_errors = 0;
    n->st = NULL;
    n->pcap = NULL;
    n->conn_state = NULL;
    n->nconn_state = 0;
    n->rxq = NULL;
    n->rxq_len = NULL;
    n->rxq_head = n->rxq_count = n->since_fill = 0;
    memset(&n->imp, 0, sizeof n->imp);

    n->tun = synack_tun_open(o->tun, name);
    if (!n->tun) {
        fprintf(stderr, "%s: cannot open TUN device %s: %s\n", prog, o->tun, strerror(errno));
        return -1;
    }
    if (o->host_prefix) {
        n->mtu = o->mtu ? o->mtu : 1500;
        if (synack_tun_configure(name, o->host_addr, o->host_prefix, n->mtu) < 0) {
            fprintf(stderr, "%s: cannot configure %s with %s/%d: %s\n", prog, name,
                    synack_ip_str(o->host_addr, ip), o->host_prefix, strerror(errno));
            goto fail;
        }
        set_txqueuelen(name, 8192);
    } else {
        unsigned dev = device_mtu(name);
        n->mtu = o->mtu ? o->mtu : dev ? dev : 1500;
        if (dev && n->mtu > dev) n->mtu = dev;
    }
    n->rxq_slot = n->mtu < 2048 ? 2048 : n->mtu;
    n->rxq_cap = NET_RXQ_BYTES / n->rxq_slot;
    if (n->rxq_cap > NET_RXQ_MAX) n->rxq_cap = NET_RXQ_MAX;
    if (n->rxq_cap < NET_BATCH) n->rxq_cap = NET_BATCH;
    n->rxq = malloc((size_t)n->rxq_cap * n->rxq_slot);
    n->rxq_len = malloc(n->rxq_cap * sizeof *n->rxq_len);
    if (!n->rxq || !n->rxq_len) {
        fprintf(stderr, "%s: out of memory\n", prog);
        goto fail;
    }
    if (o->impair) {
        if (impair_parse(prog, o->impair, &n->imp) < 0) goto fail;
        if (!n->imp.rng && synack_platform_random(&n->imp.rng, sizeof n->imp.rng) < 0) n->imp.rng = 1;
        if (!n->imp.rng) n->imp.rng = 1;
        for (int d = 0; d < 2; d++) {
            struct impair_q *q = &n->imp.q[d];
            q->slot = n->mtu;
            q->cap = 4096;
            q->buf = malloc((size_t)q->cap * q->slot);
            q->len = malloc(q->cap * sizeof *q->len);
            q->at = malloc(q->cap * sizeof *q->at);
            if (!q->buf || !q->len || !q->at) {
                fprintf(stderr, "%s: out of memory\n", prog);
                goto fail;
            }
        }
    }

    cfg->addr = o->addr;
    if (synack_platform_random(cfg->secret, sizeof cfg->secret) < 0) {
        fprintf(stderr, "%s: no entropy for the stack's secret: %s\n", prog, strerror(errno));
        goto fail;
    }
    cfg->mtu = n->mtu;
    cfg->rcvbuf_bytes = o->rcvbuf ? o->rcvbuf : 512 * 1024;
    cfg->sndbuf_bytes = o->sndbuf ? o->sndbuf : 512 * 1024;
    cfg->max_buffers = o->max_conns ? o->max_conns : 512;
    /* Slots (a TCB each, no buffers) also hold TIME_WAIT connections: a server that closes
     * first keeps one per connection for 2 MSL (60 s), so allow 32 per buffered connection. */
    cfg->max_sockets = cfg->max_buffers * 32 < 1024 ? 1024 : cfg->max_buffers * 32;
    cfg->tx_queue_frames = 1024;
    n->rx_budget = cfg->tx_queue_frames / 2;
    cfg->hooks.ctx = n;
    cfg->hooks.on_state = on_state;
    cfg->hooks.on_segment = o->trace ? on_segment : NULL;
    n->nconn_state = cfg->max_sockets;
    n->conn_state = calloc(n->nconn_state, 1); /* 0 = SYNACK_CLOSED */
    if (!n->conn_state) {
        fprintf(stderr, "%s: out of memory\n", prog);
        goto fail;
    }
    rc = synack_stack_new(cfg, &n->st);
    if (rc < 0) {
        fprintf(stderr, "%s: cannot create the stack: %s\n", prog, strerror(-rc));
        goto fail;
    }
    synack_set_now(n->st, net_now());
    if (o->pcap) {
        n->pcap = synack_pcap_open(o->pcap);
        if (!n->pcap) {
            fprintf(stderr, "%s: cannot write %s: %s\n", prog, o->pcap, strerror(errno));
            goto fail;
        }
    }
    if (n->trace)
        fprintf(stderr, "[%4d.%06d] %s on %s: stack %s, mtu %u\n", 0, 0, prog, name,
                synack_ip_str(o->addr, ip), n->mtu);
    return 0;
fail:
    net_close(n);
    return -1;
}

void net_close(struct net *n)
{
    if (n->pcap) synack_pcap_close(n->pcap);
    n->pcap = NULL;
    if (n->st) synack_stack_free(n->st);
    n->st = NULL;
    synack_tun_close(n->tun);
    n->tun = NULL;
    free(n->conn_state);
    n->conn_state = NULL;
    n->nconn_state = 0;
    for (int d = 0; d < 2; d++) {
        free(n->imp.q[d].buf);
        free(n->imp.q[d].len);
        free(n->imp.q[d].at);
    }
    if (n->imp.on && n->trace)
        fprintf(stderr, "impair: in lost %llu dup %llu reordered %llu overflow %llu; "
                        "out lost %llu dup %llu reordered %llu overflow %llu\n",
                (unsigned long long)n->imp.lost[0], (unsigned long long)n->imp.duped[0],
                (unsigned long long)n->imp.reordered[0], (unsigned long long)n->imp.overflow[0],
                (unsigned long long)n->imp.lost[1], (unsigned long long)n->imp.duped[1],
                (unsigned long long)n->imp.reordered[1], (unsigned long long)n->imp.overflow[1]);
    memset(&n->imp, 0, sizeof n->imp);
    free(n->rxq);
    free(n->rxq_len);
    n->rxq = NULL;
    n->rxq_len = NULL;
}

/* ---- the loop's steps ---- */

int net_wait(struct net *n, const int *extra, int nextra, synack_time_us deadline, unsigned *ready)
{
    int fds[SYNACK_LOOP_MAX_FDS];
    synack_time_us d = synack_poll_at(n->st);
    if (deadline < d) d = deadline;
    if (impair_next(n) < d) d = impair_next(n);
    if (n->rxq_count) d = 0; /* packets already read are waiting: just look at the fds */
    fds[0] = synack_tun_fd(n->tun);
    for (int i = 0; i < nextra && i + 1 < SYNACK_LOOP_MAX_FDS; i++) fds[i + 1] = extra[i];
    int r = synack_loop_wait(fds, 1 + nextra, d, ready);
    if (r < 0) {
        *ready = 0;
        if (errno == EINTR) return 0;
        fprintf(stderr, "%s: wait: %s\n", n->prog, strerror(errno));
        return -1;
    }
    if (n->rxq_count || impair_next(n) <= net_now()) *ready |= 1;
    return (int)*ready;
}

/* Reads up to max packets from the TUN into the receive queue. */
static void rxq_fill(struct net *n, unsigned max)
{
    while (max-- && n->rxq_count < n->rxq_cap) {
        unsigned slot = (n->rxq_head + n->rxq_count) % n->rxq_cap;
        uint8_t *buf = n->rxq + (size_t)slot * n->rxq_slot;
        ssize_t r = synack_tun_read(n->tun, buf, n->rxq_slot);
        if (r < 0) {
            if (errno == EMSGSIZE) continue; /* discarded and counted by the driver */
            if (errno != EAGAIN && errno != EINTR && n->tx_errors++ == 0)
                fprintf(stderr, "%s: reading %s: %s\n", n->prog, synack_tun_name(n->tun),
                        strerror(errno));
            return;
        }
        n->rxq_len[slot] = (uint32_t)r;
        n->rxq_count++;
    }
}

int net_rx(struct net *n)
{
    int fed = 0;
    rxq_fill(n, NET_BATCH);
    synack_time_us now = net_now();
    /* At most rx_budget packets between two polls: each may queue a reply (a SYN-ACK for every
     * SYN of a flood) in the stack's transmit queue, which holds tx_queue_frames until
     * synack_poll(); what is left stays in rxq for the next step, which comes at once.
     * IPv6 and anything else that is not IPv4 (the kernel sends router solicitations and
     * the like on a fresh device) is left to the stack to count and drop. */
    while (n->rxq_count && (unsigned)fed < n->rx_budget) {
        unsigned slot = n->rxq_head;
        n->rxq_head = (n->rxq_head + 1) % n->rxq_cap;
        n->rxq_count--;
        if (n->imp.on) impair_pass(n, 0, n->rxq + (size_t)slot * n->rxq_slot, n->rxq_len[slot], now);
        else deliver(n, 0, n->rxq + (size_t)slot * n->rxq_slot, n->rxq_len[slot], now);
        fed++;
    }
    impair_release(n, 0);
    return fed;
}

/* A packet crosses between the TUN and the stack: dir 0 into synack_input(), 1 to the TUN. */
static void deliver(struct net *n, int dir, const uint8_t *pkt, size_t len, synack_time_us now)
{
    if (dir == 0) {
        if (n->pcap) synack_pcap_write(n->pcap, now + n->wall_offset, pkt, len);
        synack_input(n->st, now, pkt, len);
        return;
    }
    if (synack_tun_write(n->tun, pkt, len) < 0) {
        if (n->tx_errors++ == 0 && errno != EAGAIN)
            fprintf(stderr, "%s: writing to %s: %s\n", n->prog, synack_tun_name(n->tun), strerror(errno));
    }
}

static void emit(void *ctx, const uint8_t *pkt, size_t len)
{
    struct net *n = ctx;
    synack_time_us now = net_now();
    if (n->pcap) synack_pcap_write(n->pcap, now + n->wall_offset, pkt, len);
    if (n->imp.on) impair_pass(n, 1, pkt, len, now);
    else deliver(n, 1, pkt, len, now);
    /* What this burst makes the kernel send back is collected now rather than after it, when
     * the device's queue may have overflowed. */
    if (++n->since_fill >= 16) {
        n->since_fill = 0;
        rxq_fill(n, n->rxq_cap);
    }
}

void net_tx(struct net *n)
{
    synack_poll(n->st, net_now(), emit, n);
    impair_release(n, 1);
}

void net_print_counters(struct net *n, FILE *f)
{
    struct synack_tun_stats ts;
    for (int c = 0; c < SYNACK_NCOUNTERS; c++)
        fprintf(f, "%s %llu\n", synack_counter_name((enum synack_counter)c),
                (unsigned long long)synack_counter_get(n->st, (enum synack_counter)c));
    synack_tun_stats(n->tun, &ts);
    fprintf(f, "tun_rx_packets %llu\ntun_tx_packets %llu\ntun_rx_truncated %llu\n"
               "tun_tx_waits %llu\ntun_tx_dropped %llu\ntun_tx_errors %llu\n",
            (unsigned long long)ts.rx_packets, (unsigned long long)ts.tx_packets,
            (unsigned long long)ts.rx_truncated, (unsigned long long)ts.tx_waits,
            (unsigned long long)ts.tx_dropped, (unsigned long long)ts.tx_errors);
    fflush(f);
}

const char *errno_text(int e)
{
    switch (e) {
    case ECONNREFUSED: return "connection refused";
    case ECONNRESET: return "connection reset by peer";
    case ETIMEDOUT: return "connection timed out";
    case ECONNABORTED: return "connection aborted";
    case EHOSTUNREACH: return "host unreachable";
    case ENETUNREACH: return "network unreachable";
    case EPIPE: return "broken pipe";
    default: return strerror(e);
    }
}
