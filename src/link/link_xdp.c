/*
 * AF_XDP link (include/synack/netdev.h): Ethernet frames straight from a NIC queue's XDP hook
 * into a UMEM this process owns, and back, without the kernel's network stack.
 *
 * Kernel reference: Documentation/networking/af_xdp.rst (cited below as "af_xdp.rst, <section>").
 *
 * Layout (one set per interface rx queue, cfg->queue .. cfg->queue + nqueues - 1):
 *   - a UMEM of `frames` frames of `frame_size` bytes (aligned mode, af_xdp.rst "UMEM"), with its
 *     fill and completion rings, created with libxdp's xsk_umem__create();
 *   - an AF_XDP socket bound to that queue with its own rx and tx rings (xsk_socket__create with
 *     XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD: libxdp neither loads a program nor touches the map);
 *   - the socket's fd at index `queue` of one XSKMAP (af_xdp.rst "XSKMAP / BPF_MAP_TYPE_XSKMAP").
 * The XDP program is ours, built here from eight raw BPF instructions and attached with libbpf:
 *       return bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
 * so a frame on a queue with no socket goes on to the kernel's stack. Loading it ourselves (not
 * with libxdp's dispatcher) means no bpffs is needed: it works under `ip netns exec`, which does
 * not mount /sys/fs/bpf. close() detaches it only if the interface still runs our program.
 *
 * Frames: half of each UMEM (at most the fill ring's size) is handed to the kernel in the fill
 * ring for receiving; the rest is a stack of free frames for transmitting. A received frame is
 * seen by the caller in place and goes straight back into the fill ring; a transmitted one comes
 * back through the completion ring (reclaimed in batches) onto the free stack (af_xdp.rst "UMEM
 * Fill Ring", "UMEM Completion Ring"). Descriptors from the kernel are not trusted: an address
 * outside the UMEM or a length past its frame is counted in rx_dropped and never dereferenced.
 *
 * Wakeups: sockets are bound with XDP_USE_NEED_WAKEUP (af_xdp.rst "XDP_USE_NEED_WAKEUP bind
 * flag"): the kernel says in the fill/tx rings' flags when it needs a system call to make
 * progress, so a busy link sends one sendto() per batch at most, and none when the driver is
 * already running. In copy mode the tx flag is always set (copy-mode tx runs in sendto()).
 */
#include "synack/netdev.h"

#include <errno.h>
#include <string.h>

#ifndef SYNACK_HAVE_XDP

int synack_xdp_available(void) { return 0; }

struct synack_netdev *synack_netdev_open_xdp(const char *ifname, const struct synack_xdp_config *cfg)
{
    (void)ifname;
    (void)cfg;
    errno = ENOTSUP;
    return NULL;
}

int synack_netdev_xdp_info(const struct synack_netdev *d, struct synack_xdp_info *info)
{
    (void)d;
    (void)info;
    errno = ENOTSUP;
    return -1;
}

const char *synack_xdp_last_error(void)
{
    return "AF_XDP support was not built (libxdp-dev and libbpf-dev were missing at build time)";
}

#else /* SYNACK_HAVE_XDP */

#include <dirent.h>
#include <net/if.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include <xdp/xsk.h>

#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL 69
#endif
#ifndef SO_BUSY_POLL_BUDGET
#define SO_BUSY_POLL_BUDGET 70
#endif
#ifndef AF_XDP
#define AF_XDP 44
#endif

#define XDP_DEF_FRAMES 4096u
#define XDP_DEF_FRAME_SIZE 2048u
#define XDP_DEF_RING 2048u
#define XDP_TX_BATCH 64u          /* tx flushes by itself when this many frames wait */
#define XDP_KICK_RETRIES 8        /* sendto() tries on EAGAIN/EBUSY/ENOBUFS per flush */
#define XDP_TX_WAIT_MS 100        /* longest wait for a free frame or tx slot */
#define XDP_BUSY_POLL_US 20
#define XDP_BUSY_POLL_BUDGET 64
/* The kernel keeps XDP_PACKET_HEADROOM (256) bytes in front of received data. */
#define XDP_RX_HEADROOM 256u

struct xq {
    struct xsk_umem *umem;
    struct xsk_socket *xsk;
    struct xsk_ring_prod fq, tx;
    struct xsk_ring_cons cq, rx;
    uint8_t *area;
    size_t area_size;
    uint64_t *free;         /* stack of free frame addresses (for tx) */
    unsigned nfree, free_cap;
    unsigned tx_pending;    /* reserved in the tx ring, not yet submitted */
    size_t tx_pending_bytes;
    unsigned tx_inflight;   /* submitted, not yet back through the completion ring */
    unsigned qid;
    int fd;
};

struct xdp_priv {
    struct xq *q;
    unsigned nq;
    unsigned rr;            /* next socket rx_burst starts with */
    unsigned frame_size;
    int ifindex;
    int map_fd, prog_fd;
    uint32_t prog_id;
    uint32_t attach_flags;  /* XDP_FLAGS_DRV_MODE or XDP_FLAGS_SKB_MODE */
    int zerocopy;           /* 1 if the sockets are bound zero-copy */
    int busy_poll;
    int epfd;               /* -1 with one socket */
    int err;                /* sticky device error (errno value), 0 if none */
    uint64_t *rx_addrs;     /* scratch: frames to give back to the fill ring */
    unsigned rx_addrs_cap;
};

/* ---- error reporting ---- */

static char last_error[512];
static char lib_msg[256];   /* the last libbpf/libxdp warning seen during open */

const char *synack_xdp_last_error(void) { return last_error; }

int synack_xdp_available(void) { return 1; }

static void set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void set_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
}

/* libbpf and libxdp print to stderr by default; during open their messages are kept (the
 * kernel's extack text, e.g. why a driver refused XDP, arrives this way) for last_error. */
static int capture_print(const char *fmt, va_list ap)
{
    char buf[sizeof lib_msg];
    vsnprintf(buf, sizeof buf, fmt, ap);
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = 0;
    if (n)
        memcpy(lib_msg, buf, n + 1);
    return 0;
}
static int capture_bpf(enum libbpf_print_level l, const char *fmt, va_list ap)
{
    return l == LIBBPF_DEBUG ? 0 : capture_print(fmt, ap);
}
static int capture_xdp(enum libxdp_print_level l, const char *fmt, va_list ap)
{
    return l == LIBXDP_DEBUG ? 0 : capture_print(fmt, ap);
}

/* ---- the XDP program ---- */

/* Raw BPF instructions (the kernel's include/linux/filter.h spells them as macros). */
#define I_LDX_W(d_, s_, o_) \
    ((struct bpf_insn){ .code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = d_, .src_reg = s_, .off = o_ })
#define I_LD_MAP_FD(dst, mfd) \
    ((struct bpf_insn){ .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = dst, \
                        .src_reg = BPF_PSEUDO_MAP_FD, .imm = mfd }), \
    ((struct bpf_insn){ .code = 0 })
#define I_MOV64_IMM(dst, v) \
    ((struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = dst, .imm = v })
#define I_CALL(fn) ((struct bpf_insn){ .code = BPF_JMP | BPF_CALL, .imm = fn })
#define I_EXIT() ((struct bpf_insn){ .code = BPF_JMP | BPF_EXIT })

static int load_prog(int map_fd, char *log, size_t logsz)
{
    /* r1 = ctx (struct xdp_md *) on entry. */
    const struct bpf_insn insns[] = {
        I_LDX_W(BPF_REG_2, BPF_REG_1, offsetof(struct xdp_md, rx_queue_index)),
        I_LD_MAP_FD(BPF_REG_1, map_fd),
        I_MOV64_IMM(BPF_REG_3, XDP_PASS),  /* flags: the action when the slot is empty */
        I_CALL(BPF_FUNC_redirect_map),
        I_EXIT(),
    };
    LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log, .log_size = (unsigned)logsz,
                .log_level = 0);
    int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "synack_xsk", "Dual BSD/GPL", insns,
                           sizeof insns / sizeof insns[0], &opts);
    if (fd < 0 && logsz) { /* again with the verifier's log, for the message */
        log[0] = 0;
        opts.log_level = 1;
        int fd2 = bpf_prog_load(BPF_PROG_TYPE_XDP, "synack_xsk", "Dual BSD/GPL", insns,
                                sizeof insns / sizeof insns[0], &opts);
        if (fd2 >= 0)
            return fd2;
        errno = -fd;
    } else if (fd < 0) {
        errno = -fd;
    }
    return fd < 0 ? -1 : fd;
}

/* ---- helpers ---- */

static int count_rx_queues(const char *ifname)
{
    char path[64];
    snprintf(path, sizeof path, "/sys/class/net/%s/queues", ifname);
    DIR *dir = opendir(path);
    if (!dir)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dir)))
        if (!strncmp(e->d_name, "rx-", 3))
            n++;
    closedir(dir);
    return n;
}

static int if_info(const char *ifname, uint8_t mac[6], unsigned *mtu)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
    int rc = ioctl(s, SIOCGIFHWADDR, &ifr);
    if (rc == 0) {
        memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
        rc = ioctl(s, SIOCGIFMTU, &ifr);
        if (rc == 0)
            *mtu = (unsigned)ifr.ifr_mtu;
    }
    int e = errno;
    close(s);
    errno = e;
    return rc;
}

static int is_pow2(unsigned v) { return v && !(v & (v - 1)); }

static int is_device_error(int e)
{
    return e == ENXIO || e == ENETDOWN || e == ENODEV || e == EBADFD || e == EIO || e == EBADF;
}

static void q_destroy(struct xq *q)
{
    if (q->xsk)
        xsk_socket__delete(q->xsk);
    if (q->umem)
        xsk_umem__delete(q->umem);
    if (q->area)
        munmap(q->area, q->area_size);
    free(q->free);
    memset(q, 0, sizeof *q);
    q->fd = -1;
}

/* Opens the UMEM and socket of queue qid with bind flags bflags; 0, or a negative errno with
 * q left empty. */
static int q_open(struct xq *q, const char *ifname, unsigned qid, unsigned frames,
                  unsigned frame_size, unsigned ring, uint16_t bflags)
{
    memset(q, 0, sizeof *q);
    q->fd = -1;
    q->qid = qid;
    q->area_size = (size_t)frames * frame_size;
    void *a = mmap(NULL, q->area_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (a == MAP_FAILED) {
        q->area = NULL;
        return -errno;
    }
    q->area = a;
    struct xsk_umem_config ucfg = {
        .fill_size = ring, .comp_size = ring, .frame_size = frame_size,
        .frame_headroom = 0, .flags = 0,
    };
    int err = xsk_umem__create(&q->umem, q->area, q->area_size, &q->fq, &q->cq, &ucfg);
    if (err) {
        q->umem = NULL;
        q_destroy(q);
        return err;
    }
    struct xsk_socket_config scfg = {
        .rx_size = ring, .tx_size = ring,
        .libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
        .xdp_flags = 0,
        .bind_flags = (uint16_t)(bflags | XDP_USE_NEED_WAKEUP),
    };
    /* A socket closed a moment ago (ours, at a restart) still holds the queue while the kernel
     * releases it in deferred work: bind() then says EBUSY for a few milliseconds. Wait for
     * that, up to 500 ms, rather than fail. */
    for (int tries = 0;; tries++) {
        err = xsk_socket__create(&q->xsk, ifname, qid, q->umem, &q->rx, &q->tx, &scfg);
        if (err != -EBUSY || tries == 50) break;
        struct timespec pause = { 0, 10 * 1000 * 1000 };
        nanosleep(&pause, NULL);
    }
    if (err) {
        q->xsk = NULL;
        q_destroy(q);
        return err;
    }
    q->fd = xsk_socket__fd(q->xsk);

    /* Frames 0 .. nfill-1 go to the fill ring, the rest to the free (tx) stack. */
    unsigned nfill = frames / 2 < ring ? frames / 2 : ring;
    q->free_cap = frames - nfill;
    q->free = malloc(sizeof *q->free * (q->free_cap ? q->free_cap : 1));
    if (!q->free) {
        q_destroy(q);
        return -ENOMEM;
    }
    uint32_t idx = 0;
    if (xsk_ring_prod__reserve(&q->fq, nfill, &idx) != nfill) {
        q_destroy(q);
        return -ENOSPC;
    }
    for (unsigned i = 0; i < nfill; i++)
        *xsk_ring_prod__fill_addr(&q->fq, idx + i) = (uint64_t)i * frame_size;
    xsk_ring_prod__submit(&q->fq, nfill);
    for (unsigned i = 0; i < q->free_cap; i++)
        q->free[q->nfree++] = (uint64_t)(frames - 1 - i) * frame_size;
    return 0;
}

static void set_busy_poll(int fd)
{
    /* Best effort (preferred busy polling, Documentation/networking/napi.rst): older kernels or
     * missing privileges just leave the socket interrupt-driven. */
    int one = 1, us = XDP_BUSY_POLL_US, budget = XDP_BUSY_POLL_BUDGET;
    (void)setsockopt(fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &one, sizeof one);
    (void)setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &us, sizeof us);
    (void)setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL_BUDGET, &budget, sizeof budget);
}

/* ---- transmit ---- */

/* Moves completed tx frames back onto the free stack, in one batch. */
static void reclaim(struct xdp_priv *p, struct xq *q)
{
    uint32_t idx;
    unsigned n = xsk_ring_cons__peek(&q->cq, q->free_cap ? q->free_cap : 1, &idx);
    if (!n)
        return;
    uint64_t mask = ~(uint64_t)(p->frame_size - 1);
    for (unsigned i = 0; i < n; i++) {
        uint64_t a = *xsk_ring_cons__comp_addr(&q->cq, idx + i) & mask;
        if (a < q->area_size && q->nfree < q->free_cap)
            q->free[q->nfree++] = a;
    }
    xsk_ring_cons__release(&q->cq, n);
    q->tx_inflight = n > q->tx_inflight ? 0 : q->tx_inflight - n;
}

/* Tells the kernel about submitted tx descriptors if it asked to be told (need_wakeup). 0, or
 * -1 with errno after a device error. Transient refusals are retried a few times; what stays
 * in the ring goes with the next kick. */
static int kick(struct synack_netdev *d, struct xq *q)
{
    struct xdp_priv *p = d->priv;
    if (!xsk_ring_prod__needs_wakeup(&q->tx))
        return 0;
    for (int tries = 0; tries < XDP_KICK_RETRIES; tries++) {
        if (sendto(q->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0) {
            d->stats.tx_batches++;
            return 0;
        }
        int e = errno;
        if (e == EINTR)
            continue;
        if (e == EAGAIN || e == EBUSY || e == ENOBUFS) {
            /* The kernel's completion ring or the driver's queue is full: make room. */
            reclaim(p, q);
            continue;
        }
        if (is_device_error(e)) {
            p->err = e;
            errno = e;
            return -1;
        }
        d->stats.tx_errors++;
        return 0;
    }
    d->stats.tx_waits++;
    return 0;
}

static int submit(struct synack_netdev *d, struct xq *q)
{
    if (q->tx_pending) {
        xsk_ring_prod__submit(&q->tx, q->tx_pending);
        d->stats.tx_packets += q->tx_pending;
        d->stats.tx_bytes += q->tx_pending_bytes;
        q->tx_inflight += q->tx_pending;
        q->tx_pending = 0;
        q->tx_pending_bytes = 0;
    }
    if (!q->tx_inflight)
        return 0;
    return kick(d, q);
}

static int xdp_flush(struct synack_netdev *d)
{
    struct xdp_priv *p = d->priv;
    if (p->err) {
        errno = p->err;
        return -1;
    }
    for (unsigned i = 0; i < p->nq; i++) {
        if (submit(d, &p->q[i]) < 0)
            return -1;
        reclaim(p, &p->q[i]);
    }
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int xdp_tx(struct synack_netdev *d, const uint8_t *frame, size_t len)
{
    struct xdp_priv *p = d->priv;
    if (p->err) {
        errno = p->err;
        return -1;
    }
    if (len == 0 || len > (size_t)d->mtu + 14 || len > p->frame_size) {
        errno = EMSGSIZE;
        return -1;
    }
    struct xq *q = &p->q[0]; /* every frame leaves by the first socket */
    uint32_t idx;
    if (!q->nfree)
        reclaim(p, q);
    int have_slot = q->nfree && xsk_prod_nb_free(&q->tx, 1) >= 1;
    if (!have_slot) {
        /* Out of frames or tx slots: push what waits, then wait (bounded) for the kernel. */
        d->stats.tx_waits++;
        int64_t end = now_ms() + XDP_TX_WAIT_MS;
        for (;;) {
            if (submit(d, q) < 0)
                return -1;
            reclaim(p, q);
            if (q->nfree && xsk_prod_nb_free(&q->tx, 1) >= 1)
                break;
            int64_t left = end - now_ms();
            if (left <= 0) {
                d->stats.tx_dropped++;
                return 0;
            }
            struct pollfd pfd = { .fd = q->fd, .events = POLLOUT };
            if (poll(&pfd, 1, 1) < 0 && errno != EINTR)
                return -1;
            if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) {
                /* A vanished device unbinds the socket; sendto() then says ENXIO. */
                if (sendto(q->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 && is_device_error(errno)) {
                    p->err = errno;
                    return -1;
                }
            }
        }
    }
    if (xsk_ring_prod__reserve(&q->tx, 1, &idx) != 1) { /* cannot happen: room was checked */
        d->stats.tx_dropped++;
        return 0;
    }
    uint64_t addr = q->free[--q->nfree];
    memcpy(q->area + addr, frame, len);
    struct xdp_desc *desc = xsk_ring_prod__tx_desc(&q->tx, idx);
    desc->addr = addr;
    desc->len = (uint32_t)len;
    desc->options = 0;
    q->tx_pending++;
    q->tx_pending_bytes += len;
    if (q->tx_pending >= XDP_TX_BATCH)
        return submit(d, q);
    return 0;
}

/* ---- receive ---- */

static int q_rx(struct synack_netdev *d, struct xq *q, synack_netdev_rx_fn fn, void *ctx,
                unsigned max)
{
    struct xdp_priv *p = d->priv;
    uint32_t idx;
    if (max > p->rx_addrs_cap)
        max = p->rx_addrs_cap;
    unsigned n = xsk_ring_cons__peek(&q->rx, max, &idx);
    if (!n)
        return 0;
    uint64_t mask = ~(uint64_t)(p->frame_size - 1);
    unsigned nback = 0, delivered = 0;
    for (unsigned i = 0; i < n; i++) {
        const struct xdp_desc *desc = xsk_ring_cons__rx_desc(&q->rx, idx + i);
        uint64_t addr = xsk_umem__extract_addr(desc->addr); /* aligned mode: no offset bits */
        uint64_t base = addr & mask;
        uint32_t len = desc->len;
        if (base >= q->area_size) { /* not ours: never touch it, and nothing to give back */
            d->stats.rx_dropped++;
            continue;
        }
        p->rx_addrs[nback++] = base;
        if (len == 0 || len > p->frame_size || addr - base + len > p->frame_size) {
            d->stats.rx_dropped++;
            continue;
        }
        fn(ctx, q->area + addr, len);
        d->stats.rx_bytes += len;
        delivered++;
    }
    xsk_ring_cons__release(&q->rx, n);
    d->stats.rx_packets += delivered;

    /* The frames go straight back to the kernel for the next packets. */
    unsigned room = xsk_prod_nb_free(&q->fq, nback);
    unsigned nfill = nback < room ? nback : room;
    if (nfill && xsk_ring_prod__reserve(&q->fq, nfill, &idx) == nfill) {
        for (unsigned i = 0; i < nfill; i++)
            *xsk_ring_prod__fill_addr(&q->fq, idx + i) = p->rx_addrs[i];
        xsk_ring_prod__submit(&q->fq, nfill);
    } else {
        nfill = 0;
    }
    for (unsigned i = nfill; i < nback && q->nfree < q->free_cap; i++) /* fill ring full */
        q->free[q->nfree++] = p->rx_addrs[i];
    if (xsk_ring_prod__needs_wakeup(&q->fq)) /* af_xdp.rst "XDP_USE_NEED_WAKEUP bind flag" */
        (void)recvfrom(q->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
    return (int)delivered;
}

static int xdp_rx_burst(struct synack_netdev *d, synack_netdev_rx_fn fn, void *ctx, unsigned max)
{
    struct xdp_priv *p = d->priv;
    if (p->err) {
        errno = p->err;
        return -1;
    }
    unsigned total = 0;
    for (unsigned k = 0; k < p->nq && total < max; k++) {
        struct xq *q = &p->q[(p->rr + k) % p->nq];
        total += (unsigned)q_rx(d, q, fn, ctx, max - total);
    }
    p->rr = (p->rr + 1) % p->nq;
    if (total) {
        d->stats.rx_batches++;
        return (int)total;
    }
    /* Nothing waiting: one non-blocking recvfrom() per socket drives busy polling and rx
     * wakeups, and is how a vanished or downed interface shows (ENXIO / ENETDOWN). */
    for (unsigned i = 0; i < p->nq; i++) {
        if (recvfrom(p->q[i].fd, NULL, 0, MSG_DONTWAIT, NULL, NULL) < 0 &&
            is_device_error(errno)) {
            p->err = errno;
            return -1;
        }
    }
    return 0;
}

/* ---- open / close ---- */

static void detach_prog(struct xdp_priv *p)
{
    if (p->prog_fd < 0 || !p->attach_flags)
        return;
    uint32_t cur = 0;
    if (bpf_xdp_query_id(p->ifindex, (int)p->attach_flags, &cur) == 0 && cur == p->prog_id) {
        /* With old_prog_fd the kernel also checks that it is still ours (XDP_FLAGS_REPLACE). */
        LIBBPF_OPTS(bpf_xdp_attach_opts, o, .old_prog_fd = p->prog_fd);
        (void)bpf_xdp_detach(p->ifindex, p->attach_flags, &o);
    }
    p->attach_flags = 0;
}

static void xdp_free(struct synack_netdev *d)
{
    struct xdp_priv *p = d->priv;
    if (p) {
        detach_prog(p);
        for (unsigned i = 0; p->q && i < p->nq; i++)
            q_destroy(&p->q[i]);
        free(p->q);
        free(p->rx_addrs);
        if (p->epfd >= 0)
            close(p->epfd);
        if (p->prog_fd >= 0)
            close(p->prog_fd);
        if (p->map_fd >= 0)
            close(p->map_fd);
        free(p);
    }
    free(d);
}

static void xdp_close(struct synack_netdev *d)
{
    struct xdp_priv *p = d->priv;
    if (p && !p->err) {
        int e = errno;
        (void)xdp_flush(d); /* last frames out (best effort) */
        errno = e;
    }
    xdp_free(d);
}

static const struct synack_netdev_ops xdp_ops = {
    .name = "xdp",
    .rx_burst = xdp_rx_burst,
    .tx = xdp_tx,
    .flush = xdp_flush,
    .close = xdp_close,
};

static int attach(struct xdp_priv *p, const char *ifname, uint32_t mode_flag)
{
    lib_msg[0] = 0;
    int rc = bpf_xdp_attach(p->ifindex, p->prog_fd, XDP_FLAGS_UPDATE_IF_NOEXIST | mode_flag, NULL);
    if (rc == 0) {
        p->attach_flags = mode_flag;
        return 0;
    }
    errno = -rc;
    return -1;
}

static struct synack_netdev *fail(struct synack_netdev *d, int e)
{
    if (d)
        xdp_free(d);
    errno = e;
    return NULL;
}

static struct synack_netdev *open_xdp(const char *ifname, const struct synack_xdp_config *cfg)
{
    static const struct synack_xdp_config defaults;
    if (!cfg)
        cfg = &defaults;
    last_error[0] = 0;
    if (!ifname || !*ifname || strlen(ifname) >= IFNAMSIZ) {
        set_error("bad interface name");
        return fail(NULL, EINVAL);
    }
    unsigned frames = cfg->frames ? cfg->frames : XDP_DEF_FRAMES;
    unsigned fsize = cfg->frame_size ? cfg->frame_size : XDP_DEF_FRAME_SIZE;
    unsigned ring = cfg->ring_size ? cfg->ring_size : XDP_DEF_RING;
    long page = sysconf(_SC_PAGESIZE);
    if (!is_pow2(frames) || frames < 16 || !is_pow2(ring) || ring < 16 || ring > 65536 ||
        !is_pow2(fsize) || fsize < 2048 || (page > 0 && fsize > (unsigned long)page) ||
        cfg->mode < SYNACK_XDP_MODE_AUTO || cfg->mode > SYNACK_XDP_MODE_GENERIC ||
        cfg->zerocopy < -1 || cfg->zerocopy > 1) {
        set_error("bad AF_XDP configuration (frames and ring_size: powers of two >= 16; "
                  "frame_size: a power of two from 2048 to the page size)");
        return fail(NULL, EINVAL);
    }
    if (cfg->mode == SYNACK_XDP_MODE_GENERIC && cfg->zerocopy == 1) {
        set_error("zero-copy needs native (driver) XDP, not generic mode");
        return fail(NULL, EINVAL);
    }
    int ifindex = (int)if_nametoindex(ifname);
    if (!ifindex) {
        set_error("no interface %s", ifname);
        return fail(NULL, ENODEV);
    }
    uint8_t mac[6];
    unsigned mtu = 0;
    if (if_info(ifname, mac, &mtu) < 0) {
        int e = errno;
        set_error("%s: cannot read its MAC address and MTU: %s", ifname, strerror(e));
        return fail(NULL, e == ENODEV || e == ENXIO ? ENODEV : e);
    }
    int s = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (s < 0) {
        int e = errno;
        if (e == EPERM || e == EACCES) {
            set_error("AF_XDP needs root (CAP_NET_RAW, CAP_NET_ADMIN and CAP_BPF)");
            return fail(NULL, EPERM);
        }
        set_error("this kernel has no AF_XDP sockets (CONFIG_XDP_SOCKETS): %s", strerror(e));
        return fail(NULL, ENOTSUP);
    }
    close(s);
    int nrx = count_rx_queues(ifname);
    if (nrx <= 0)
        nrx = 1;
    unsigned nq = cfg->nqueues ? cfg->nqueues : (cfg->queue < (unsigned)nrx ? (unsigned)nrx - cfg->queue : 0);
    if (nq == 0 || cfg->queue + nq > (unsigned)nrx) {
        set_error("%s has %d rx queue(s); queues %u..%u asked", ifname, nrx, cfg->queue,
                  cfg->queue + (nq ? nq : 1) - 1);
        return fail(NULL, EINVAL);
    }

    struct synack_netdev *d = calloc(1, sizeof *d);
    struct xdp_priv *p = calloc(1, sizeof *p);
    if (!d || !p) {
        free(d);
        free(p);
        set_error("out of memory");
        return fail(NULL, ENOMEM);
    }
    d->priv = p;
    d->ops = &xdp_ops;
    d->kind = SYNACK_NETDEV_ETH;
    d->fd = -1;
    snprintf(d->name, sizeof d->name, "%s", ifname);
    memcpy(d->mac, mac, 6);
    /* The largest frame one UMEM frame can receive is frame_size - the kernel's headroom. */
    unsigned cap = fsize - XDP_RX_HEADROOM - 14;
    d->mtu = mtu && mtu < cap ? mtu : cap;
    p->ifindex = ifindex;
    p->frame_size = fsize;
    p->map_fd = p->prog_fd = p->epfd = -1;
    p->busy_poll = cfg->busy_poll;
    p->rx_addrs_cap = ring;
    p->rx_addrs = malloc(sizeof *p->rx_addrs * ring);
    p->q = calloc(nq, sizeof *p->q);
    if (!p->rx_addrs || !p->q) {
        set_error("out of memory");
        return fail(d, ENOMEM);
    }
    for (unsigned i = 0; i < nq; i++)
        p->q[i].fd = -1;

    /* The XSKMAP, indexed by queue id, and the program that redirects into it. */
    int mfd = bpf_map_create(BPF_MAP_TYPE_XSKMAP, "synack_xsks", sizeof(uint32_t), sizeof(int),
                             (uint32_t)nrx, NULL);
    if (mfd < 0) {
        int e = -mfd;
        if (e == EPERM || e == EACCES) {
            set_error("creating an XSKMAP needs root (CAP_BPF or CAP_SYS_ADMIN)");
            return fail(d, EPERM);
        }
        set_error("bpf_map_create(XSKMAP): %s", strerror(e));
        return fail(d, e == EINVAL ? ENOTSUP : e);
    }
    p->map_fd = mfd;
    char vlog[1024];
    vlog[0] = 0;
    p->prog_fd = load_prog(mfd, vlog, sizeof vlog);
    if (p->prog_fd < 0) {
        int e = errno;
        set_error("loading the XDP program failed: %s%s%.400s", strerror(e), vlog[0] ? ": " : "", vlog);
        return fail(d, e == EACCES ? EPERM : e);
    }
    struct bpf_prog_info info;
    uint32_t ilen = sizeof info;
    memset(&info, 0, sizeof info);
    if (bpf_obj_get_info_by_fd(p->prog_fd, &info, &ilen) == 0)
        p->prog_id = info.id;

    libbpf_print_fn_t old_bpf = libbpf_set_print(capture_bpf);
    libxdp_print_fn_t old_xdp = libxdp_set_print(capture_xdp);
    int rc = -1, e = 0;
    char native_msg[sizeof lib_msg] = "";
    if (cfg->mode != SYNACK_XDP_MODE_GENERIC) {
        rc = attach(p, ifname, XDP_FLAGS_DRV_MODE);
        if (rc < 0) {
            e = errno;
            memcpy(native_msg, lib_msg, sizeof lib_msg);
        }
    }
    if (rc < 0 && cfg->mode != SYNACK_XDP_MODE_NATIVE && e != EBUSY && e != EEXIST) {
        rc = attach(p, ifname, XDP_FLAGS_SKB_MODE);
        if (rc < 0)
            e = errno;
    }
    if (rc < 0) {
        libbpf_set_print(old_bpf);
        libxdp_set_print(old_xdp);
        const char *m = lib_msg[0] ? lib_msg : native_msg;
        if (e == EBUSY || e == EEXIST)
            set_error("%s already has an XDP program attached (`ip link show %s`; one left by a "
                      "process killed before close goes with `ip link set dev %s xdp off`)",
                      ifname, ifname, ifname);
        else
            set_error("%s refused XDP in %s mode: %s%s%s", ifname,
                      cfg->mode == SYNACK_XDP_MODE_NATIVE ? "native" :
                      cfg->mode == SYNACK_XDP_MODE_GENERIC ? "generic" : "native or generic",
                      strerror(e), m[0] ? " -- " : "", m);
        return fail(d, e == EBUSY || e == EEXIST ? EBUSY : e == EPERM ? EPERM :
                       (e == EINVAL || e == EOPNOTSUPP) ? EOPNOTSUPP : e);
    }

    /* Sockets: zero-copy only on native XDP (af_xdp.rst "XDP_{COPY,ZEROCOPY} bind flags"). */
    int native = p->attach_flags == XDP_FLAGS_DRV_MODE;
    int try_zc = native && cfg->zerocopy >= 0;
    if (cfg->zerocopy == 1 && !native) {
        e = EOPNOTSUPP;
        rc = -1;
        set_error("zero-copy asked but %s runs XDP in generic mode", ifname);
    }
    for (unsigned i = 0; rc == 0 && i < nq; i++) {
        struct xq *q = &p->q[i];
        unsigned qid = cfg->queue + i;
        int err;
        lib_msg[0] = 0;
        if (try_zc) {
            err = q_open(q, ifname, qid, frames, fsize, ring, XDP_ZEROCOPY);
            if (err == 0) {
                p->zerocopy = 1;
            } else if (cfg->zerocopy == 0 && i == 0) { /* auto: copy mode for every socket */
                try_zc = 0;
                lib_msg[0] = 0;
                err = q_open(q, ifname, qid, frames, fsize, ring, XDP_COPY);
            }
        } else {
            err = q_open(q, ifname, qid, frames, fsize, ring, XDP_COPY);
        }
        if (err) {
            e = -err;
            rc = -1;
            if (e == EPERM || e == EACCES)
                set_error("AF_XDP socket on %s queue %u: %s (needs root)", ifname, qid, strerror(e));
            else if (cfg->zerocopy == 1)
                set_error("%s queue %u refused a zero-copy AF_XDP socket: %s", ifname, qid, strerror(e));
            else
                set_error("AF_XDP socket on %s queue %u: %s%s%s", ifname, qid, strerror(e),
                          lib_msg[0] ? " -- " : "", lib_msg);
            break;
        }
        if (p->busy_poll)
            set_busy_poll(q->fd);
        int key = (int)qid, val = q->fd;
        if (bpf_map_update_elem(p->map_fd, &key, &val, BPF_ANY) < 0) {
            e = errno;
            rc = -1;
            set_error("inserting the socket of queue %u into the XSKMAP: %s", qid, strerror(e));
        }
        p->nq = i + 1;
    }
    libbpf_set_print(old_bpf);
    libxdp_set_print(old_xdp);
    if (rc < 0)
        return fail(d, e == EACCES ? EPERM : e);
    p->nq = nq;

    if (nq == 1) {
        d->fd = p->q[0].fd;
    } else {
        p->epfd = epoll_create1(EPOLL_CLOEXEC);
        if (p->epfd < 0) {
            e = errno;
            set_error("epoll_create1: %s", strerror(e));
            return fail(d, e);
        }
        for (unsigned i = 0; i < nq; i++) {
            struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };
            if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->q[i].fd, &ev) < 0) {
                e = errno;
                set_error("epoll_ctl: %s", strerror(e));
                return fail(d, e);
            }
        }
        d->fd = p->epfd;
    }
    return d;
}

struct synack_netdev *synack_netdev_open_xdp(const char *ifname, const struct synack_xdp_config *cfg)
{
    return open_xdp(ifname, cfg);
}

int synack_netdev_xdp_info(const struct synack_netdev *d, struct synack_xdp_info *info)
{
    if (!d || !info || d->ops != &xdp_ops) {
        errno = EINVAL;
        return -1;
    }
    const struct xdp_priv *p = d->priv;
    memset(info, 0, sizeof *info);
    info->native = p->attach_flags == XDP_FLAGS_DRV_MODE;
    info->zerocopy = p->zerocopy;
    info->nqueues = p->nq;
    info->first_queue = p->nq ? p->q[0].qid : 0;
    info->frame_size = p->frame_size;
    info->prog_id = p->prog_id;
    for (unsigned i = 0; i < p->nq; i++) {
        struct xdp_statistics st;
        socklen_t sl = sizeof st;
        memset(&st, 0, sizeof st);
        if (getsockopt(p->q[i].fd, SOL_XDP, XDP_STATISTICS, &st, &sl) == 0) {
            info->kernel_rx_dropped += st.rx_dropped;
            info->kernel_rx_invalid += st.rx_invalid_descs;
            info->kernel_tx_invalid += st.tx_invalid_descs;
            info->kernel_rx_ring_full += st.rx_ring_full;
            info->kernel_fill_empty += st.rx_fill_ring_empty_descs;
        }
    }
    return 0;
}

#endif /* SYNACK_HAVE_XDP */
