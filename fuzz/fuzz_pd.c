/* libFuzzer target for the packetdrill adapter path (src/packetdrill/adapter.c): one adapter
 * from packetdrill_interface_init(), driven only through its struct packetdrill_interface (the
 * so_* calls and netdev_send/netdev_receive/usleep), as packetdrill drives it. Checks: no crash,
 * no sanitizer report, no leak (LeakSanitizer), and after every descriptor is closed and two
 * hours of virtual time have run, the stack holds no socket and no half-open entry.
 *
 * Input: byte 0 is the configuration (bits 0-1: syncookies 0/1/2; bit 2: timestamps=0; bit 3:
 * window_scaling=0; bit 4: nodelay=1; bit 5: mss=536), then records, each an op byte (op % 16)
 * and its arguments (u16 are big-endian; an input that ends mid-record ends the run):
 *    0 socket   a           a&1: SOCK_DGRAM; a&2: explicit protocol; a&4: bad domain; a&8: bad type
 *    1 bind     fd port16 s  address s&3: any, local, remote, 10.0.0.1; s&4: short addrlen
 *    2 listen   fd backlog   (backlog as a signed byte)
 *    3 accept   fd a         a&1: no address buffer
 *    4 connect  fd port16 s  as bind
 *    5 recv     fd v len16   v%5: read recv recvfrom readv recvmsg; v&8 MSG_WAITALL, v&16
 *                            MSG_PEEK, v&32 MSG_ERRQUEUE, v&64 NULL buffer, v&128 MSG_DONTWAIT
 *    6 send     fd v len16   v%5: write send sendto writev sendmsg; v&8 MSG_ZEROCOPY, v&16
 *                            MSG_FASTOPEN, v&32 MSG_MORE, v&64 NULL buffer; sendto/sendmsg
 *                            name the remote address at port 8080
 *    7 setsockopt fd sel v32 one of the options the adapter knows (and a few it does not)
 *    8 getsockopt fd sel n   optlen n
 *    9 poll     n {fd ev}*n  n%8 descriptors, timeout 0
 *   10 close    fd
 *   11 shutdown fd how       how%4 (3 is invalid)
 *   12 fcntl/ioctl fd sub v
 *   13 netdev_send m len16 bytes   an IPv4 packet; m&1: source := remote, destination := local;
 *                            m&2: TCP ack += the ISN of the last SYN the stack sent (packetdrill's
 *                            relative numbering); m&4: TCP destination port := the source port
 *                            of the last segment the stack sent; m&8: repair the checksums
 *   14 netdev_receive n      takes up to n%8+1 packets the stack sent (time skips to the next
 *                            timer when none is queued), learning the ISN and port for op 13
 *   15 usleep  ms16          then gettimeofday
 * fd is the byte itself (descriptors start at 3). Blocking would wait in real time on a single
 * thread, so every socket is made non-blocking (sockets, accepted sockets, F_SETFL, FIONBIO),
 * poll() has timeout 0 and SO_LINGER's timeout is 0. The platform clock is frozen (virtual time
 * moves only by usleep and netdev_receive) and the secret is fixed, so a run is reproducible.
 *
 * Seeds: fuzz/corpus/fuzz_pd, recorded from the unit tests' packetdrill scripts
 * (fuzz/record.c). Build and run: `make fuzz`; build/fuzz/fuzz_pd fuzz/corpus/fuzz_pd. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>
#include "packetdrill/pd_interface.h"
#include "synack/platform.h"
#include "synack/synack.h"
#include "core/wire.h"

#define LOCAL 0xc0a80001u   /* 192.168.0.1, the adapter's default */
#define REMOTE 0xc0000201u  /* 192.0.2.1 */

/* The platform layer, replaced: a frozen clock and a fixed secret (src/platform is not linked). */
synack_time_us synack_platform_now_us(void) { return 5000000; }
int synack_platform_random(void *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) ((uint8_t *)buf)[i] = (uint8_t)(0x5a + i);
    return 0;
}

struct in { const uint8_t *p; size_t n, off; int end; };
static unsigned u8(struct in *in)
{
    if (in->off >= in->n) { in->end = 1; return 0; }
    return in->p[in->off++];
}
static unsigned u16(struct in *in) { unsigned h = u8(in); return h << 8 | u8(in); }
static uint32_t u32(struct in *in) { uint32_t h = u16(in); return h << 16 | u16(in); }

static uint8_t big[65536];

static void mk_sin(struct sockaddr_in *s, unsigned sel, unsigned port)
{
    static const uint32_t addrs[4] = { 0, LOCAL, REMOTE, 0x0a000001u };
    memset(s, 0, sizeof *s);
    s->sin_family = AF_INET;
    s->sin_port = htons((uint16_t)port);
    s->sin_addr.s_addr = htonl(addrs[sel & 3]);
}

static void nonblock(struct packetdrill_interface *ifc, int fd)
{
    if (fd >= 0) ifc->fcntl(ifc->userdata, fd, F_SETFL, O_NONBLOCK);
}

static void repair(uint8_t *b, size_t n)
{
    size_t ihl, tot, pl;
    uint8_t *p;
    if (n < IP4_HDR_MIN) return;
    ihl = (size_t)(b[0] & 15) * 4;
    tot = rd16(b + 2);
    if (ihl < IP4_HDR_MIN || ihl > n) return;
    wr16(b + 10, 0);
    wr16(b + 10, csum_fold(csum_partial(b, ihl, 0)));
    if (tot < ihl || tot > n) return;
    p = b + ihl;
    pl = tot - ihl;
    if (b[9] == IP4_PROTO_TCP && pl >= TCP_HDR_MIN) {
        wr16(p + 16, 0);
        wr16(p + 16, csum_fold(csum_partial(p, pl, csum_pseudo(rd32(b + 12), rd32(b + 16),
                                                              IP4_PROTO_TCP, (uint16_t)pl))));
    } else if (b[9] == IP4_PROTO_UDP && pl >= UDP_HDR_LEN) {
        wr16(p + 6, 0);
        wr16(p + 6, csum_fold(csum_partial(p, pl, csum_pseudo(rd32(b + 12), rd32(b + 16),
                                                             IP4_PROTO_UDP, (uint16_t)pl))));
    } else if (b[9] == IP4_PROTO_ICMP && pl >= ICMP_HDR_LEN) {
        wr16(p + 2, 0);
        wr16(p + 2, csum_fold(csum_partial(p, pl, 0)));
    }
}

struct opt { int level, name, kind; }; /* kind 0: int, 1: linger, 2: timeval */
static const struct opt OPTS[] = {
    { SOL_SOCKET, SO_REUSEADDR, 0 }, { SOL_SOCKET, SO_RCVBUF, 0 }, { SOL_SOCKET, SO_SNDBUF, 0 },
    { SOL_SOCKET, SO_LINGER, 1 }, { SOL_SOCKET, SO_RCVTIMEO, 2 }, { SOL_SOCKET, SO_SNDTIMEO, 2 },
    { SOL_SOCKET, SO_ZEROCOPY, 0 }, { SOL_SOCKET, SO_ERROR, 0 }, { SOL_SOCKET, SO_TYPE, 0 },
    { SOL_SOCKET, SO_DOMAIN, 0 }, { SOL_SOCKET, SO_PROTOCOL, 0 }, { SOL_SOCKET, SO_ACCEPTCONN, 0 },
    { IPPROTO_TCP, TCP_NODELAY, 0 }, { IPPROTO_TCP, TCP_FASTOPEN_CONNECT, 0 },
    { IPPROTO_TCP, TCP_MAXSEG, 0 }, { IPPROTO_TCP, TCP_USER_TIMEOUT, 0 },
    { IPPROTO_TCP, TCP_CORK, 0 }, { IPPROTO_IP, IP_TOS, 0 }, { SOL_SOCKET, SO_KEEPALIVE, 0 },
};
#define NOPTS (sizeof OPTS / sizeof OPTS[0])

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct packetdrill_interface ifc;
    struct in in = { data, size, 0, 0 };
    char flags[256];
    unsigned cfgb = u8(&in);
    uint32_t isn = 0;
    uint16_t lport = 0;
    void *ud;
    static const char *const cookies[4] = { "0", "1", "2", "2" };

    strcpy(flags, "rcvbuf=16384,sndbuf=16384,sockets=16,buffers=8,syncache_entries=8,syn_backlog=4");
    strcat(flags, ",syncookies=");
    strcat(flags, cookies[cfgb & 3]);
    if (cfgb & 4) strcat(flags, ",timestamps=0");
    if (cfgb & 8) strcat(flags, ",window_scaling=0");
    if (cfgb & 16) strcat(flags, ",nodelay=1");
    if (cfgb & 32) strcat(flags, ",mss=536");
    packetdrill_interface_init(flags, &ifc);
    ud = ifc.userdata;

    while (!in.end) {
        unsigned op = u8(&in) % 16, fd, a, b, len;
        struct sockaddr_in sin;
        socklen_t sl;
        if (in.end) break;
        switch (op) {
        case 0:
            a = u8(&in);
            nonblock(&ifc, ifc.socket(ud, a & 4 ? AF_INET6 : AF_INET,
                                      (a & 8 ? SOCK_RAW : a & 1 ? SOCK_DGRAM : SOCK_STREAM) |
                                          SOCK_NONBLOCK,
                                      a & 2 ? (a & 1 ? IPPROTO_UDP : IPPROTO_TCP) : 0));
            break;
        case 1:
        case 4:
            fd = u8(&in); a = u16(&in); b = u8(&in);
            if (in.end) break;
            mk_sin(&sin, b, a);
            sl = b & 4 ? 4 : sizeof sin;
            if (op == 1) ifc.bind(ud, (int)fd, (struct sockaddr *)&sin, sl);
            else ifc.connect(ud, (int)fd, (struct sockaddr *)&sin, sl);
            break;
        case 2:
            fd = u8(&in); a = u8(&in);
            if (!in.end) ifc.listen(ud, (int)fd, (int8_t)a);
            break;
        case 3:
            fd = u8(&in); a = u8(&in);
            if (in.end) break;
            sl = sizeof sin;
            nonblock(&ifc, ifc.accept(ud, (int)fd, a & 1 ? NULL : (struct sockaddr *)&sin,
                                      a & 1 ? NULL : &sl));
            break;
        case 5: {
            int fl = 0;
            void *buf;
            struct iovec iov[2];
            struct msghdr mh;
            char ctl[64];
            fd = u8(&in); a = u8(&in); len = u16(&in);
            if (in.end) break;
            if (a & 8) fl |= MSG_WAITALL;
            if (a & 16) fl |= MSG_PEEK;
            if (a & 32) fl |= MSG_ERRQUEUE;
            if (a & 128) fl |= MSG_DONTWAIT;
            buf = a & 64 ? NULL : big;
            iov[0].iov_base = buf; iov[0].iov_len = len / 2;
            iov[1].iov_base = buf ? big + len / 2 : NULL; iov[1].iov_len = len - len / 2;
            memset(&mh, 0, sizeof mh);
            mh.msg_name = &sin; mh.msg_namelen = sizeof sin;
            mh.msg_iov = iov; mh.msg_iovlen = 2;
            mh.msg_control = ctl; mh.msg_controllen = (a & 4) ? 8 : sizeof ctl;
            sl = sizeof sin;
            switch (a & 7) {
            case 0: case 5: ifc.read(ud, (int)fd, buf, len); break;
            case 1: case 6: ifc.recv(ud, (int)fd, buf, len, fl); break;
            case 2: case 7: ifc.recvfrom(ud, (int)fd, buf, len, fl, (struct sockaddr *)&sin, &sl); break;
            case 3: ifc.readv(ud, (int)fd, iov, 2); break;
            default: ifc.recvmsg(ud, (int)fd, &mh, fl); break;
            }
            break;
        }
        case 6: {
            int fl = 0;
            const void *buf;
            struct iovec iov[2];
            struct msghdr mh;
            fd = u8(&in); a = u8(&in); len = u16(&in);
            if (in.end) break;
            if (a & 8) fl |= MSG_ZEROCOPY;
            if (a & 16) fl |= MSG_FASTOPEN;
            if (a & 32) fl |= MSG_MORE;
            buf = a & 64 ? NULL : big;
            mk_sin(&sin, 2, 8080);
            iov[0].iov_base = (void *)buf; iov[0].iov_len = len / 2;
            iov[1].iov_base = buf ? big + len / 2 : NULL; iov[1].iov_len = len - len / 2;
            memset(&mh, 0, sizeof mh);
            mh.msg_name = &sin; mh.msg_namelen = sizeof sin;
            mh.msg_iov = iov; mh.msg_iovlen = 2;
            switch (a & 7) {
            case 0: case 5: ifc.write(ud, (int)fd, buf, len); break;
            case 1: case 6: ifc.send(ud, (int)fd, buf, len, fl); break;
            case 2: case 7: ifc.sendto(ud, (int)fd, buf, len, fl, (struct sockaddr *)&sin, sizeof sin); break;
            case 3: ifc.writev(ud, (int)fd, iov, 2); break;
            default: ifc.sendmsg(ud, (int)fd, &mh, fl); break;
            }
            break;
        }
        case 7: {
            const struct opt *o;
            uint32_t v;
            fd = u8(&in); a = u8(&in); v = u32(&in);
            if (in.end) break;
            o = &OPTS[a % NOPTS];
            if (o->kind == 1) {
                struct linger l = { (int)(v & 1), 0 };  /* a timeout would block */
                ifc.setsockopt(ud, (int)fd, o->level, o->name, &l, a & 128 ? 2 : sizeof l);
            } else if (o->kind == 2) {
                struct timeval tv = { (time_t)(int16_t)(v >> 16), (suseconds_t)(v & 0xffff) * 20 };
                ifc.setsockopt(ud, (int)fd, o->level, o->name, &tv, a & 128 ? 4 : sizeof tv);
            } else {
                int iv = (int)v;
                ifc.setsockopt(ud, (int)fd, o->level, o->name, a & 128 ? NULL : &iv,
                               a & 64 ? 2 : sizeof iv);
            }
            break;
        }
        case 8: {
            uint8_t ov[256];
            const struct opt *o;
            fd = u8(&in); a = u8(&in); b = u8(&in);
            if (in.end) break;
            o = &OPTS[a % NOPTS];
            sl = (socklen_t)b;
            ifc.getsockopt(ud, (int)fd, o->level, o->name, a & 128 ? NULL : ov, &sl);
            break;
        }
        case 9: {
            struct pollfd pf[8];
            static const short EV[8] = { POLLIN, POLLOUT, POLLERR, POLLHUP, POLLRDHUP,
                                         POLLRDNORM, POLLWRNORM, POLLPRI };
            unsigned n = u8(&in) % 8;
            for (unsigned i = 0; i < n; i++) {
                pf[i].fd = (int)(int8_t)u8(&in);
                b = u8(&in);
                pf[i].events = 0;
                for (int k = 0; k < 8; k++) if (b >> k & 1) pf[i].events |= EV[k];
            }
            if (!in.end) ifc.poll(ud, pf, n, 0);
            break;
        }
        case 10:
            fd = u8(&in);
            if (!in.end) ifc.close(ud, (int)fd);
            break;
        case 11:
            fd = u8(&in); a = u8(&in);
            if (!in.end) ifc.shutdown(ud, (int)fd, (int)(a % 4));
            break;
        case 12: {
            int v;
            fd = u8(&in); a = u8(&in); b = u8(&in);
            if (in.end) break;
            v = (int)b;
            switch (a % 8) {
            case 0: ifc.fcntl(ud, (int)fd, F_GETFL); break;
            case 1: ifc.fcntl(ud, (int)fd, F_SETFL, O_NONBLOCK | (b & 1 ? O_APPEND : 0)); break;
            case 2: ifc.fcntl(ud, (int)fd, F_GETFD); break;
            case 3: ifc.fcntl(ud, (int)fd, F_SETFD, b & 1 ? FD_CLOEXEC : 0); break;
            case 4: v = 1; ifc.ioctl(ud, (int)fd, FIONBIO, &v); break;
            case 5: ifc.ioctl(ud, (int)fd, SIOCINQ, b & 1 ? NULL : &v); break;
            case 6: ifc.ioctl(ud, (int)fd, SIOCOUTQ, &v); break;
            default: ifc.fcntl(ud, (int)fd, F_DUPFD, 0); ifc.ioctl(ud, (int)fd, FIONREAD + 0x100, &v); break;
            }
            break;
        }
        case 13: {
            uint8_t *pkt;
            size_t ihl;
            a = u8(&in); len = u16(&in) % 2048;
            if (in.end) break;
            if (len > in.n - in.off) len = (unsigned)(in.n - in.off);
            pkt = malloc(len ? len : 1);          /* exact size: ASan sees reads past the end */
            if (!pkt) break;
            memcpy(pkt, in.p + in.off, len);
            in.off += len;
            if (len >= IP4_HDR_MIN) {
                if (a & 1) { wr32(pkt + 12, REMOTE); wr32(pkt + 16, LOCAL); }
                ihl = (size_t)(pkt[0] & 15) * 4;
                if (pkt[9] == IP4_PROTO_TCP && ihl >= IP4_HDR_MIN && len >= ihl + TCP_HDR_MIN) {
                    if (a & 2) wr32(pkt + ihl + 8, rd32(pkt + ihl + 8) + isn);
                    if (a & 4) wr16(pkt + ihl + 2, lport);
                }
                if (a & 8) repair(pkt, len);
            }
            ifc.netdev_send(ud, pkt, len);
            free(pkt);
            break;
        }
        case 14: {
            uint8_t pkt[2048];
            unsigned n = u8(&in) % 8 + 1;
            if (in.end) break;
            for (unsigned i = 0; i < n; i++) {
                size_t cnt = sizeof pkt, ihl;
                long long t;
                if (ifc.netdev_receive(ud, pkt, &cnt, &t) < 0 || cnt == 0) break;
                if (cnt >= IP4_HDR_MIN && pkt[9] == IP4_PROTO_TCP) {
                    ihl = (size_t)(pkt[0] & 15) * 4;
                    if (ihl >= IP4_HDR_MIN && cnt >= ihl + TCP_HDR_MIN) {
                        lport = rd16(pkt + ihl);
                        if (pkt[ihl + 13] & 2) isn = rd32(pkt + ihl + 4);
                    }
                }
            }
            break;
        }
        case 15: {
            struct timeval tv;
            a = u16(&in);
            if (in.end) break;
            ifc.usleep(ud, (useconds_t)a * 1000);
            ifc.gettimeofday(ud, &tv, NULL);
            break;
        }
        }
    }

    /* Close every descriptor and let two hours pass: nothing may be left in the stack. */
    for (int fd = 3; fd < 256; fd++) ifc.close(ud, fd);
    ifc.usleep(ud, 3600u * 1000000u);
    ifc.usleep(ud, 3600u * 1000000u);
    {
        struct synack_mem_stats m;
        synack_mem_stats(synack_pd_stack(ud), &m);
        if (m.sockets_in_use || m.half_open) __builtin_trap();
    }
    ifc.free(ud);
    return 0;
}
