/* Link + stack plumbing shared by `synack serve` and `synack connect` (tools/common.h). */
#include "common.h"

#include <errno.h>
#include <net/if.h>
#include <poll.h>
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

int opt_mac(const char *prog, const char *opt, const char *s, uint8_t mac[6])
{
    unsigned b[6];
    char tail;
    if (!s || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
                     &tail) != 6 || strlen(s) != 17)
        return bad(prog, opt, s);
    for (int k = 0; k < 6; k++) mac[k] = (uint8_t)b[k];
    if (mac[0] & 1) {
        fprintf(stderr, "%s: %s %s is a multicast address\n", prog, opt, s);
        return -1;
    }
    if (!(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5])) return bad(prog, opt, s);
    return 0;
}

const char net_opts_usage[] =
    "link (exactly one kind):\n"
    "  --tun NAME            TUN device (bare IPv4) to create or attach to\n"
    "  --offload             TUN: the kernel's offloads (64 KiB segments both ways)\n"
    "  --tap NAME            TAP device (Ethernet) to create or attach to; synack answers ARP\n"
    "  --mac MAC             TAP: synack's MAC (default: a random locally administered one)\n"
    "  --xdp IFNAME          AF_XDP on an existing interface, e.g. one end of a veth pair, that\n"
    "                        carries no kernel address (repeatable: one stack, several\n"
    "                        interfaces; synack has --addr on each, with each one's MAC)\n"
    "  --xdp-mode MODE       native (driver XDP), generic (skb) or auto (native, else\n"
    "                        generic; the default)\n"
    "  --xdp-copy            AF_XDP copy mode (default: zero-copy where the driver has it)\n"
    "  --queues N            AF_XDP: sockets on queues 0..N-1 (default: every rx queue)\n"
    "  --busy-poll           never sleep: spin on the device for the lowest latency (one core)\n"
    "addresses:\n"
    "  --addr IP[/PREFIX]    synack's own address; on Ethernet links the prefix says which\n"
    "                        destinations are on-link (default: --host-addr's, else /24)\n"
    "  --host-addr IP/PREFIX TUN/TAP: configure the kernel's side of the device (address, MTU,\n"
    "                        up); without it the device is used as it is already configured\n"
    "  --gateway IP          Ethernet links: next hop for destinations off-link\n"
    "other:\n"
    "  --pcap FILE           write every packet in and out (pcap: LINKTYPE_RAW on TUN,\n"
    "                        LINKTYPE_ETHERNET with the frames on TAP and AF_XDP)\n"
    "  --trace               print state transitions and segments to stderr\n"
    "  --mtu N               link MTU (default: the device's, or 1500 with --host-addr)\n"
    "  --rcvbuf BYTES        per-connection receive buffer (default 512 KiB)\n"
    "  --sndbuf BYTES        per-connection send buffer (default 512 KiB)\n"
    "  --max-conns N         connections with buffers at once (default 512)\n"
    "  --impair SPEC         impair packets (or frames) in user space, like tc netem (for\n"
    "                        kernels without it): loss=P%,delay=MSms,reorder=P%,duplicate=P%\n"
    "                        [,dir=in|out|both][,seed=N]; reorder = share that skips the delay\n";

static const char *link_opt_name(enum net_link l)
{
    return l == NET_LINK_TUN ? "--tun" : l == NET_LINK_TAP ? "--tap" : "--xdp";
}

int net_opt(const char *prog, struct net_opts *o, int argc, char **argv, int *i)
{
    static const char *const with_value[] = {
        "--tun", "--tap", "--xdp", "--addr", "--host-addr", "--gateway", "--mac", "--xdp-mode",
        "--queues", "--pcap", "--mtu", "--rcvbuf", "--sndbuf", "--max-conns", "--impair", NULL};
    const char *a = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    unsigned long u;
    int known = 0;
    if (!strcmp(a, "--trace")) { o->trace = 1; return 1; }
    if (!strcmp(a, "--offload")) { o->offload = 1; return 1; }
    if (!strcmp(a, "--xdp-copy")) { o->xdp_copy = 1; return 1; }
    if (!strcmp(a, "--busy-poll")) { o->busy_poll = 1; return 1; }
    for (int k = 0; with_value[k]; k++)
        if (!strcmp(a, with_value[k])) known = 1;
    if (!known) return 0;
    if (!v) {
        fprintf(stderr, "%s: %s needs a value\n", prog, a);
        return -1;
    }
    if (!strcmp(a, "--tun") || !strcmp(a, "--tap") || !strcmp(a, "--xdp")) {
        enum net_link l = a[2] == 't' ? (a[4] == 'n' ? NET_LINK_TUN : NET_LINK_TAP) : NET_LINK_XDP;
        if (!*v || strlen(v) >= SYNACK_TUN_NAMSIZ) return bad(prog, a, v);
        if (o->link != NET_LINK_NONE && (o->link != l || l != NET_LINK_XDP)) {
            fprintf(stderr, "%s: one link only: %s %s and %s %s (only --xdp may be repeated)\n",
                    prog, link_opt_name(o->link), o->ifname[0], a, v);
            return -1;
        }
        for (int k = 0; k < o->nif; k++)
            if (!strcmp(o->ifname[k], v)) {
                fprintf(stderr, "%s: %s %s given twice\n", prog, a, v);
                return -1;
            }
        if (o->nif == NET_MAX_DEVS) {
            fprintf(stderr, "%s: at most %d interfaces\n", prog, NET_MAX_DEVS);
            return -1;
        }
        o->link = l;
        o->ifname[o->nif++] = v;
    } else if (!strcmp(a, "--addr")) {
        if (strchr(v, '/')) {
            if (opt_ip_prefix(prog, a, v, &o->addr, &o->addr_prefix) < 0) return -1;
        } else if (opt_ip(prog, a, v, &o->addr) < 0) {
            return -1;
        }
        o->have_addr = 1;
    } else if (!strcmp(a, "--host-addr")) {
        if (opt_ip_prefix(prog, a, v, &o->host_addr, &o->host_prefix) < 0) return -1;
    } else if (!strcmp(a, "--gateway")) {
        if (opt_ip(prog, a, v, &o->gateway) < 0) return -1;
        if (!o->gateway) return bad(prog, a, v);
    } else if (!strcmp(a, "--mac")) {
        if (opt_mac(prog, a, v, o->mac) < 0) return -1;
        o->have_mac = 1;
    } else if (!strcmp(a, "--xdp-mode")) {
        if (!strcmp(v, "auto")) o->xdp_mode = SYNACK_XDP_MODE_AUTO;
        else if (!strcmp(v, "native")) o->xdp_mode = SYNACK_XDP_MODE_NATIVE;
        else if (!strcmp(v, "generic")) o->xdp_mode = SYNACK_XDP_MODE_GENERIC;
        else {
            fprintf(stderr, "%s: bad value '%s' for --xdp-mode (native, generic, auto)\n", prog, v);
            return -1;
        }
        o->have_xdp_mode = 1;
    } else if (!strcmp(a, "--queues")) {
        if (opt_uint(prog, a, v, 1, 256, &u) < 0) return -1;
        o->queues = (unsigned)u;
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
    *i += 1;
    return 1;
}

int net_opts_check(const char *prog, const struct net_opts *o)
{
    const char *only = NULL, *need = NULL;
    if (o->link == NET_LINK_NONE) {
        fprintf(stderr, "%s: a link is required: --tun NAME, --tap NAME or --xdp IFNAME\n", prog);
        return -1;
    }
    if (!o->have_addr) {
        fprintf(stderr, "%s: --addr is required\n", prog);
        return -1;
    }
    if (o->offload && o->link != NET_LINK_TUN) only = "--offload needs --tun";
    else if (o->have_mac && o->link != NET_LINK_TAP) only = "--mac needs --tap";
    else if ((o->have_xdp_mode || o->xdp_copy || o->queues) && o->link != NET_LINK_XDP)
        only = "--xdp-mode, --xdp-copy and --queues need --xdp";
    else if (o->gateway && o->link == NET_LINK_TUN)
        only = "--gateway needs an Ethernet link (--tap or --xdp); on TUN the kernel is the next hop";
    else if (o->host_prefix && o->link == NET_LINK_XDP)
        only = "--host-addr is for TUN and TAP; an --xdp interface carries no kernel address";
    if (only) {
        fprintf(stderr, "%s: %s\n", prog, only);
        return -1;
    }
    int prefix = o->addr_prefix ? o->addr_prefix : o->host_prefix ? o->host_prefix : 24;
    uint32_t mask = prefix ? ~0u << (32 - prefix) : 0;
    char a[16], b[16];
    if (o->host_prefix && (o->host_addr & mask) != (o->addr & mask) && o->link != NET_LINK_TUN)
        need = "is not in the prefix of";
    if (need) {
        fprintf(stderr, "%s: --addr %s %s --host-addr %s/%d\n", prog, synack_ip_str(o->addr, a),
                need, synack_ip_str(o->host_addr, b), o->host_prefix);
        return -1;
    }
    if (o->gateway && (o->gateway & mask) != (o->addr & mask)) {
        fprintf(stderr, "%s: --gateway %s is not on-link (--addr %s/%d)\n", prog,
                synack_ip_str(o->gateway, a), synack_ip_str(o->addr, b), prefix);
        return -1;
    }
    return 0;
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

static void deliver(struct net *n, int dir, int dev, const uint8_t *pkt, size_t len,
                    synack_time_us now);

/* Runs one frame through the impairment of direction dir (0 in, 1 out). */
static void impair_pass(struct net *n, int dir, int dev, const uint8_t *pkt, size_t len,
                        synack_time_us now)
{
    struct impair *im = &n->imp;
    if (!(im->dirs & (1 << dir))) { deliver(n, dir, dev, pkt, len, now); return; }
    if (impair_rand(im) < im->loss) { im->lost[dir]++; return; }
    int copies = 1;
    if (impair_rand(im) < im->dup) { copies = 2; im->duped[dir]++; }
    while (copies--) {
        struct impair_q *q = &im->q[dir];
        if (im->delay == 0 || impair_rand(im) < im->reorder) {
            if (im->delay) im->reordered[dir]++;
            deliver(n, dir, dev, pkt, len, now);
            continue;
        }
        if (q->count == q->cap || len > q->slot) { im->overflow[dir]++; continue; }
        unsigned slot = (q->head + q->count) % q->cap;
        memcpy(q->buf + (size_t)slot * q->slot, pkt, len);
        q->len[slot] = (uint32_t)len;
        q->ifx[slot] = (uint8_t)dev;
        q->at[slot] = now + im->delay;
        q->count++;
    }
}

/* Releases the frames whose delay is over. */
static void impair_release(struct net *n, int dir)
{
    struct impair_q *q = &n->imp.q[dir];
    if (!n->imp.on || !q->count) return;
    synack_time_us now = net_now();
    while (q->count && q->at[q->head] <= now) {
        unsigned slot = q->head;
        q->head = (q->head + 1) % q->cap;
        q->count--;
        deliver(n, dir, q->ifx[slot], q->buf + (size_t)slot * q->slot, q->len[slot], now);
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

/* ---- device failures ---- */

/* errno values with which a device says it is gone (netdev.h). */
static int gone_errno(int e)
{
    return e == ENODEV || e == ENXIO || e == EBADFD || e == ENETDOWN || e == EIO;
}

/* Transient: try again at the next step. */
static int transient_errno(int e)
{
    return e == EAGAIN || e == EINTR || e == ENOBUFS || e == EBUSY;
}

/* Records that device i failed with errno e: one message, and every later step fails. */
static void dev_failed(struct net *n, int i, int e)
{
    if (n->failed) return;
    n->failed = e ? e : EIO;
    /* A deleted interface reads EBADFD, ENXIO or EIO on its fd, a moment before its name goes
     * (the driver lets go of the fd first): look for the name for up to 50 ms, to say which. */
    for (int k = 0; gone_errno(n->failed) && n->ifindex[i] && k < 10; k++) {
        if (if_nametoindex(n->dev[i]->name) != n->ifindex[i]) { n->failed = ENODEV; break; }
        usleep(5000);
    }
    if (gone_errno(n->failed))
        fprintf(stderr, "%s: device %s went away: %s\n", n->prog, n->dev[i]->name, strerror(n->failed));
    else
        fprintf(stderr, "%s: device %s failed: %s\n", n->prog, n->dev[i]->name, strerror(n->failed));
}

/* A deleted interface does not always wake the fd: every NET_CHECK_US, check that each
 * interface still exists under its name with the same index. */
static void check_devices(struct net *n, synack_time_us now)
{
    if (now < n->next_check) return;
    n->next_check = now + NET_CHECK_US;
    /* An AF_XDP socket's fd does not wake when its interface goes down: rx_burst tells. */
    n->dev_ready = (1u << n->ndev) - 1;
    for (int i = 0; i < n->ndev && !n->failed; i++) {
        unsigned idx = if_nametoindex(n->dev[i]->name);
        if (n->ifindex[i] && idx != n->ifindex[i]) dev_failed(n, i, ENODEV);
    }
}

/* ---- open / close ---- */

/* The kernel queues packets for a TUN/TAP fd in a ring of txqueuelen packets (500 by default)
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

static const char *mac_str(const uint8_t m[6], char out[18])
{
    snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    return out;
}

/* Opens the devices of o into n->dev[]. 0 or -1 (printed). */
static int open_devices(struct net *n, const struct net_opts *o)
{
    char ip[16];
    for (int i = 0; i < o->nif; i++) {
        const char *name = o->ifname[i];
        struct synack_netdev *d = NULL;
        if (o->link == NET_LINK_TUN) {
            struct synack_tun_config tc;
            memset(&tc, 0, sizeof tc);
            tc.offload = o->offload;
            /* with --host-addr the MTU is ours to set: at open, so that d->mtu follows */
            if (o->host_prefix) tc.mtu = o->mtu ? o->mtu : 1500;
            d = synack_netdev_open_tun(name, &tc);
            if (!d) {
                fprintf(stderr, "%s: cannot open TUN device %s: %s\n", n->prog, name, strerror(errno));
                return -1;
            }
        } else if (o->link == NET_LINK_TAP) {
            d = synack_netdev_open_tap(name, o->have_mac ? o->mac : NULL);
            if (!d) {
                fprintf(stderr, "%s: cannot open TAP device %s: %s\n", n->prog, name, strerror(errno));
                return -1;
            }
        } else {
            struct synack_xdp_config xc;
            memset(&xc, 0, sizeof xc);
            xc.mode = o->xdp_mode;
            xc.zerocopy = o->xdp_copy ? -1 : 0;
            xc.nqueues = o->queues;
            xc.busy_poll = o->busy_poll;
            if (!synack_xdp_available()) {
                fprintf(stderr, "%s: this build has no AF_XDP (install libxdp-dev and libbpf-dev, "
                                "then rebuild)\n", n->prog);
                return -1;
            }
            d = synack_netdev_open_xdp(name, &xc);
            if (!d) {
                int e = errno;
                const char *why = synack_xdp_last_error();
                fprintf(stderr, "%s: cannot open AF_XDP on %s: %s\n", n->prog, name,
                        why && *why ? why : strerror(e));
                return -1;
            }
        }
        n->dev[n->ndev] = d;
        n->ifindex[n->ndev] = if_nametoindex(d->name);
        n->ndev++;
        if (o->link == NET_LINK_XDP) {
            struct synack_xdp_info xi;
            if (synack_netdev_xdp_info(d, &xi) == 0)
                fprintf(stderr, "%s: %s: %s XDP, %s, queues %u..%u, frame %u, program id %u\n",
                        n->prog, d->name, xi.native ? "native" : "generic",
                        xi.zerocopy ? "zero-copy" : "copy mode", xi.first_queue,
                        xi.first_queue + xi.nqueues - 1, xi.frame_size, (unsigned)xi.prog_id);
        }
        if (!d->mtu) d->mtu = device_mtu(d->name);
        if (o->link != NET_LINK_XDP && o->host_prefix) {
            /* TUN: the MTU was set at open. TAP: the device's MTU stays (its driver sized its
             * buffers for it), or goes down to --mtu; never up. */
            unsigned mtu = o->link == NET_LINK_TAP && o->mtu && o->mtu < d->mtu ? o->mtu : 0;
            if (synack_tun_configure(d->name, o->host_addr, o->host_prefix, mtu) < 0) {
                fprintf(stderr, "%s: cannot configure %s with %s/%d: %s\n", n->prog, d->name,
                        synack_ip_str(o->host_addr, ip), o->host_prefix, strerror(errno));
                return -1;
            }
            set_txqueuelen(d->name, 8192);
        }
    }
    /* The stack's MTU: --mtu, never above any device's. */
    unsigned mtu = 0;
    for (int i = 0; i < n->ndev; i++)
        if (n->dev[i]->mtu && (!mtu || n->dev[i]->mtu < mtu)) mtu = n->dev[i]->mtu;
    if (!mtu) mtu = 1500;
    if (o->mtu && o->mtu < mtu) mtu = o->mtu;
    if (o->mtu > mtu)
        fprintf(stderr, "%s: --mtu %u is above the device's %u: using %u\n", n->prog, o->mtu, mtu, mtu);
    n->mtu = mtu;
    unsigned fmax = 0;
    for (int i = 0; i < n->ndev; i++)
        if (n->dev[i]->mtu > fmax) fmax = n->dev[i]->mtu;
    if (fmax < mtu) fmax = mtu;
    n->frame_max = o->offload ? 65536 : fmax + (o->link == NET_LINK_TUN ? 0 : SYNACK_ETH_HLEN);
    /* description for messages: "tun syn0", "xdp veth0,veth1" */
    size_t k = (size_t)snprintf(n->desc, sizeof n->desc, "%s ", n->dev[0]->ops->name);
    for (int i = 0; i < n->ndev && k < sizeof n->desc; i++)
        k += (size_t)snprintf(n->desc + k, sizeof n->desc - k, "%s%s", i ? "," : "", n->dev[i]->name);
    return 0;
}

int net_open(struct net *n, const char *prog, const struct net_opts *o, struct synack_config *cfg)
{
    char ip[16], mac[18];
    int rc;
    memset(n, 0, sizeof *n);
    n->prog = prog;
    n->trace = o->trace;
    n->t0 = net_now();
    n->wall_offset = wall_offset();
    n->link = o->link;
    n->busy_poll = o->busy_poll;
    n->rx_fill_dev = n->rx_feed_dev = 0;
    n->next_check = n->t0 + NET_CHECK_US;

    if (open_devices(n, o) < 0) goto fail;
    n->rxq_slot = n->frame_max < 2048 ? 2048 : (n->frame_max + 63) / 64 * 64;
    n->rxq_cap = NET_RXQ_BYTES / n->rxq_slot;
    if (n->rxq_cap > NET_RXQ_MAX) n->rxq_cap = NET_RXQ_MAX;
    if (n->rxq_cap < NET_BATCH) n->rxq_cap = NET_BATCH;
    n->rxq = malloc((size_t)n->rxq_cap * n->rxq_slot);
    n->rxq_len = malloc(n->rxq_cap * sizeof *n->rxq_len);
    n->rxq_if = malloc(n->rxq_cap);
    if (!n->rxq || !n->rxq_len || !n->rxq_if) {
        fprintf(stderr, "%s: out of memory\n", prog);
        goto fail;
    }
    if (o->impair) {
        if (impair_parse(prog, o->impair, &n->imp) < 0) goto fail;
        if (!n->imp.rng && synack_platform_random(&n->imp.rng, sizeof n->imp.rng) < 0) n->imp.rng = 1;
        if (!n->imp.rng) n->imp.rng = 1;
        for (int d = 0; d < 2; d++) {
            struct impair_q *q = &n->imp.q[d];
            q->slot = n->frame_max;
            q->cap = (32u << 20) / q->slot;
            if (q->cap > 4096) q->cap = 4096;
            q->buf = malloc((size_t)q->cap * q->slot);
            q->len = malloc(q->cap * sizeof *q->len);
            q->ifx = malloc(q->cap);
            q->at = malloc(q->cap * sizeof *q->at);
            if (!q->buf || !q->len || !q->ifx || !q->at) {
                fprintf(stderr, "%s: out of memory\n", prog);
                goto fail;
            }
        }
    }

    cfg->addr = o->addr;
    /* The prefix tells the stack its subnet's network and broadcast addresses, which are
     * never a source it answers (RFC 1122 3.2.1.3). */
    cfg->prefix_len = (unsigned)(o->addr_prefix ? o->addr_prefix : o->host_prefix ? o->host_prefix
                                 : o->link != NET_LINK_TUN ? 24 : 0);   /* as the Ethernet layer's */
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
    if (n->link != NET_LINK_TUN) {
        struct synack_eth_config ec;
        int prefix = o->addr_prefix ? o->addr_prefix : o->host_prefix ? o->host_prefix : 24;
        synack_eth_config_default(&ec);
        ec.gateway = o->gateway;
        rc = synack_eth_new(n->st, &ec, &n->eth);
        if (rc < 0) {
            fprintf(stderr, "%s: cannot create the Ethernet layer: %s\n", prog, strerror(-rc));
            goto fail;
        }
        for (int i = 0; i < n->ndev; i++) {
            n->ethif[i] = synack_eth_add_if(n->eth, n->dev[i]->mac, prefix);
            if (n->ethif[i] < 0) {
                fprintf(stderr, "%s: cannot add interface %s (MAC %s): %s\n", prog, n->dev[i]->name,
                        mac_str(n->dev[i]->mac, mac), strerror(-n->ethif[i]));
                goto fail;
            }
        }
    }
    if (o->pcap) {
        n->pcap = n->link == NET_LINK_TUN ? synack_pcap_open(o->pcap)
                                          : synack_pcap_open_linktype(o->pcap, SYNACK_PCAP_LINKTYPE_ETHERNET);
        if (!n->pcap) {
            fprintf(stderr, "%s: cannot write %s: %s\n", prog, o->pcap, strerror(errno));
            goto fail;
        }
    }
    if (n->trace) {
        fprintf(stderr, "[%4d.%06d] %s on %s: stack %s, mtu %u\n", 0, 0, prog, n->desc,
                synack_ip_str(o->addr, ip), n->mtu);
        for (int i = 0; n->eth && i < n->ndev; i++)
            fprintf(stderr, "[%4d.%06d] interface %d %s: MAC %s, mtu %u\n", 0, 0, n->ethif[i],
                    n->dev[i]->name, mac_str(n->dev[i]->mac, mac), n->dev[i]->mtu);
    }
    return 0;
fail:
    net_close(n);
    return -1;
}

void net_close(struct net *n)
{
    if (n->pcap) synack_pcap_close(n->pcap);
    n->pcap = NULL;
    if (n->eth) synack_eth_free(n->eth);
    n->eth = NULL;
    if (n->st) synack_stack_free(n->st);
    n->st = NULL;
    for (int i = 0; i < n->ndev; i++) synack_netdev_close(n->dev[i]);
    n->ndev = 0;
    free(n->conn_state);
    n->conn_state = NULL;
    n->nconn_state = 0;
    for (int d = 0; d < 2; d++) {
        free(n->imp.q[d].buf);
        free(n->imp.q[d].len);
        free(n->imp.q[d].ifx);
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
    free(n->rxq_if);
    n->rxq = NULL;
    n->rxq_len = NULL;
    n->rxq_if = NULL;
}

/* ---- the loop's steps ---- */

static synack_time_us stack_deadline(const struct net *n)
{
    return n->eth ? synack_eth_poll_at(n->eth) : synack_poll_at(n->st);
}

int net_wait(struct net *n, const int *extra, int nextra, synack_time_us deadline, unsigned *ready)
{
    int fds[SYNACK_LOOP_MAX_FDS];
    unsigned mask = 0;
    int nfds = 0;
    *ready = 0;
    if (n->failed) return -1;
    synack_time_us d = stack_deadline(n);
    if (deadline < d) d = deadline;
    if (impair_next(n) < d) d = impair_next(n);
    if (n->next_check < d) d = n->next_check;
    if (n->rxq_count || n->busy_poll) d = 0; /* frames waiting, or spinning: just look */
    for (int i = 0; i < n->ndev; i++) fds[nfds++] = n->dev[i]->fd;
    for (int i = 0; i < nextra && nfds < SYNACK_LOOP_MAX_FDS; i++) fds[nfds++] = extra[i];
    int r = synack_loop_wait(fds, nfds, d, &mask);
    if (r < 0) {
        if (errno == EINTR) return 0;
        fprintf(stderr, "%s: wait: %s\n", n->prog, strerror(errno));
        return -1;
    }
    n->dev_ready = n->fd_ready = mask & ((1u << n->ndev) - 1);
    if (n->busy_poll) n->dev_ready = (1u << n->ndev) - 1;
    check_devices(n, net_now());
    if (n->failed) return -1;
    if (n->dev_ready || n->rxq_count || impair_next(n) <= net_now()) *ready |= 1;
    for (int i = 0; i < nextra; i++)
        if (mask & (1u << (n->ndev + i))) *ready |= 2u << i;
    return (int)*ready;
}

/* rx_burst callback of the drain during emit: copy the frame into the receive queue. */
static void rx_to_queue(void *ctx, const uint8_t *frame, size_t len)
{
    struct net *n = ctx;
    if (n->rxq_count == n->rxq_cap || len > n->rxq_slot) {
        n->dev[n->rx_fill_dev]->stats.rx_dropped++;
        return;
    }
    unsigned slot = (n->rxq_head + n->rxq_count) % n->rxq_cap;
    memcpy(n->rxq + (size_t)slot * n->rxq_slot, frame, len);
    n->rxq_len[slot] = (uint32_t)len;
    n->rxq_if[slot] = (uint8_t)n->rx_fill_dev;
    n->rxq_count++;
}

/* rx_burst callback of net_rx(): the frame goes to the stack from the device's buffer. */
static void rx_to_stack(void *ctx, const uint8_t *frame, size_t len)
{
    struct net *n = ctx;
    if (n->imp.on) impair_pass(n, 0, n->rx_feed_dev, frame, len, n->rx_now);
    else deliver(n, 0, n->rx_feed_dev, frame, len, n->rx_now);
}

/* rx_burst on device i; a failure is recorded. Returns frames or -1. */
static int dev_rx(struct net *n, int i, synack_netdev_rx_fn fn, unsigned max)
{
    struct synack_netdev *d = n->dev[i];
    int r = d->ops->rx_burst(d, fn, n, max);
    if (r < 0) {
        if (transient_errno(errno)) return 0;
        dev_failed(n, i, errno);
    }
    return r;
}

/* Reads what every device has (up to the queue's room) into the receive queue. */
static void rxq_fill(struct net *n)
{
    for (int i = 0; i < n->ndev && !n->failed; i++) {
        unsigned room = n->rxq_cap - n->rxq_count;
        if (!room) return;
        n->rx_fill_dev = i;
        dev_rx(n, i, rx_to_queue, room);
    }
}

int net_rx(struct net *n)
{
    unsigned fed = 0;
    if (n->failed) return -1;
    n->rx_now = net_now();
    /* At most rx_budget frames between two polls: each may queue a reply (a SYN-ACK for every
     * SYN of a flood) in the stack's transmit queue, which holds tx_queue_frames until the
     * poll; what is left stays in rxq, or in the device, for the next step, which comes at
     * once. Frames read during the last burst come first: they arrived first.
     * IPv6 and anything else that is not IPv4 (the kernel sends router solicitations and
     * the like on a fresh device) is left to the stack to count and drop. */
    while (n->rxq_count && fed < n->rx_budget) {
        unsigned slot = n->rxq_head;
        n->rxq_head = (n->rxq_head + 1) % n->rxq_cap;
        n->rxq_count--;
        if (n->imp.on)
            impair_pass(n, 0, n->rxq_if[slot], n->rxq + (size_t)slot * n->rxq_slot, n->rxq_len[slot], n->rx_now);
        else
            deliver(n, 0, n->rxq_if[slot], n->rxq + (size_t)slot * n->rxq_slot, n->rxq_len[slot], n->rx_now);
        fed++;
    }
    int got_any = 0, read_all = 1;
    for (int i = 0; i < n->ndev; i++) {
        if (!(n->dev_ready & (1u << i))) continue;
        if (fed >= n->rx_budget) { read_all = 0; break; }
        unsigned max = n->rx_budget - fed < NET_BATCH ? n->rx_budget - fed : NET_BATCH;
        n->rx_feed_dev = i;
        int r = dev_rx(n, i, rx_to_stack, max);
        if (r < 0) return -1;
        if (r > 0) got_any = 1;
        fed += (unsigned)r;
        /* A device whose batch came back full may have more: look again at the next wait. */
    }
    /* A readable fd that keeps giving nothing (an error or hang-up the driver did not report)
     * would make the loop spin: after a few such wakes, look at why. */
    if (n->fd_ready && read_all && !got_any && !n->busy_poll) {
        if (++n->idle_wakes >= 64) {
            n->idle_wakes = 0;
            for (int i = 0; i < n->ndev; i++) {
                struct pollfd p = {.fd = n->dev[i]->fd, .events = POLLIN};
                if (poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP | POLLNVAL))) {
                    unsigned idx = if_nametoindex(n->dev[i]->name);
                    dev_failed(n, i, idx != n->ifindex[i] ? ENODEV : EIO);
                    return -1;
                }
            }
            usleep(1000); /* spurious wakes: never spin */
        }
    } else {
        n->idle_wakes = 0;
    }
    n->dev_ready = n->fd_ready = 0;
    impair_release(n, 0);
    return (int)fed;
}

/* A frame crosses between a device and the stack: dir 0 into the stack, 1 to device dev. */
static void deliver(struct net *n, int dir, int dev, const uint8_t *pkt, size_t len, synack_time_us now)
{
    if (dir == 0) {
        if (n->pcap) synack_pcap_write(n->pcap, now + n->wall_offset, pkt, len);
        if (n->eth) synack_eth_input(n->eth, now, n->ethif[dev], pkt, len);
        else synack_input(n->st, now, pkt, len);
        return;
    }
    if (n->failed) return;
    struct synack_netdev *d = n->dev[dev];
    if (d->ops->tx(d, pkt, len) < 0) {
        int e = errno;
        if (e == EMSGSIZE || transient_errno(e)) {
            if (n->tx_errors++ == 0 && e == EMSGSIZE)
                fprintf(stderr, "%s: a %zu-byte frame is too large for %s\n", n->prog, len, d->name);
            return;
        }
        dev_failed(n, dev, e);
        return;
    }
    n->txdirty[dev] = 1;
}

/* Every frame the stack emits: pcap, --impair, the device; and now and then a drain of what
 * the devices received meanwhile. */
static void emit_frame(struct net *n, int dev, const uint8_t *pkt, size_t len)
{
    synack_time_us now = net_now();
    if (n->pcap) synack_pcap_write(n->pcap, now + n->wall_offset, pkt, len);
    if (n->imp.on) impair_pass(n, 1, dev, pkt, len, now);
    else deliver(n, 1, dev, pkt, len, now);
    /* What this burst makes the kernel send back is collected now rather than after it, when
     * the device's queue may have overflowed. */
    if (++n->since_fill >= NET_DRAIN_EVERY) {
        n->since_fill = 0;
        rxq_fill(n);
    }
}

static void emit_ip(void *ctx, const uint8_t *pkt, size_t len)
{
    emit_frame(ctx, 0, pkt, len);
}

static void emit_eth(void *ctx, int ifindex, const uint8_t *frame, size_t len)
{
    struct net *n = ctx;
    for (int i = 0; i < n->ndev; i++)
        if (n->ethif[i] == ifindex) { emit_frame(n, i, frame, len); return; }
}

int net_tx(struct net *n)
{
    if (n->failed) return -1;
    if (n->eth) synack_eth_poll(n->eth, net_now(), emit_eth, n);
    else synack_poll(n->st, net_now(), emit_ip, n);
    impair_release(n, 1);
    for (int i = 0; i < n->ndev && !n->failed; i++) {
        if (!n->txdirty[i]) continue;
        n->txdirty[i] = 0;
        if (n->dev[i]->ops->flush(n->dev[i]) < 0 && !transient_errno(errno)) dev_failed(n, i, errno);
    }
    return n->failed ? -1 : 0;
}

void net_print_counters(struct net *n, FILE *f)
{
    struct synack_netdev_stats s;
    for (int c = 0; c < SYNACK_NCOUNTERS; c++)
        fprintf(f, "%s %llu\n", synack_counter_name((enum synack_counter)c),
                (unsigned long long)synack_counter_get(n->st, (enum synack_counter)c));
    if (n->eth) {
        struct synack_eth_stats es;
        synack_eth_stats(n->eth, &es);
        fprintf(f, "eth_neigh_used %u\neth_neigh_max %u\neth_pending %u\n", es.neigh_used,
                es.neigh_max, es.pending);
    }
    memset(&s, 0, sizeof s);
    for (int i = 0; i < n->ndev; i++) {
        const struct synack_netdev_stats *d = &n->dev[i]->stats;
        s.rx_packets += d->rx_packets; s.rx_bytes += d->rx_bytes; s.rx_dropped += d->rx_dropped;
        s.rx_batches += d->rx_batches; s.tx_packets += d->tx_packets; s.tx_bytes += d->tx_bytes;
        s.tx_dropped += d->tx_dropped; s.tx_errors += d->tx_errors; s.tx_batches += d->tx_batches;
        s.tx_waits += d->tx_waits;
    }
#define DEVSTATS(pfx, st)                                                                        \
    fprintf(f, "%srx_packets %llu\n%srx_bytes %llu\n%srx_dropped %llu\n%srx_batches %llu\n"      \
               "%stx_packets %llu\n%stx_bytes %llu\n%stx_dropped %llu\n%stx_errors %llu\n"       \
               "%stx_batches %llu\n%stx_waits %llu\n",                                           \
            pfx, (unsigned long long)(st)->rx_packets, pfx, (unsigned long long)(st)->rx_bytes,   \
            pfx, (unsigned long long)(st)->rx_dropped, pfx, (unsigned long long)(st)->rx_batches, \
            pfx, (unsigned long long)(st)->tx_packets, pfx, (unsigned long long)(st)->tx_bytes,   \
            pfx, (unsigned long long)(st)->tx_dropped, pfx, (unsigned long long)(st)->tx_errors,  \
            pfx, (unsigned long long)(st)->tx_batches, pfx, (unsigned long long)(st)->tx_waits)
    DEVSTATS("dev_", &s);
    if (n->ndev > 1)
        for (int i = 0; i < n->ndev; i++) {
            char pfx[32];
            snprintf(pfx, sizeof pfx, "dev%d_", i);
            DEVSTATS(pfx, &n->dev[i]->stats);
        }
#undef DEVSTATS
    if (n->link == NET_LINK_XDP) {
        struct synack_xdp_info xi, sum;
        memset(&sum, 0, sizeof sum);
        for (int i = 0; i < n->ndev; i++)
            if (synack_netdev_xdp_info(n->dev[i], &xi) == 0) {
                sum.kernel_rx_dropped += xi.kernel_rx_dropped;
                sum.kernel_rx_invalid += xi.kernel_rx_invalid;
                sum.kernel_tx_invalid += xi.kernel_tx_invalid;
                sum.kernel_rx_ring_full += xi.kernel_rx_ring_full;
                sum.kernel_fill_empty += xi.kernel_fill_empty;
            }
        fprintf(f, "xdp_kernel_rx_dropped %llu\nxdp_kernel_rx_invalid %llu\nxdp_kernel_tx_invalid %llu\n"
                   "xdp_kernel_rx_ring_full %llu\nxdp_kernel_fill_empty %llu\n",
                (unsigned long long)sum.kernel_rx_dropped, (unsigned long long)sum.kernel_rx_invalid,
                (unsigned long long)sum.kernel_tx_invalid, (unsigned long long)sum.kernel_rx_ring_full,
                (unsigned long long)sum.kernel_fill_empty);
    }
    if (n->link == NET_LINK_TUN) /* the names of earlier versions */
        fprintf(f, "tun_rx_packets %llu\ntun_tx_packets %llu\ntun_rx_truncated %llu\n"
                   "tun_tx_waits %llu\ntun_tx_dropped %llu\ntun_tx_errors %llu\n",
                (unsigned long long)s.rx_packets, (unsigned long long)s.tx_packets,
                (unsigned long long)s.rx_dropped, (unsigned long long)s.tx_waits,
                (unsigned long long)s.tx_dropped, (unsigned long long)s.tx_errors);
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
