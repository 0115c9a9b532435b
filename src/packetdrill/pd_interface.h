/**
 * @file pd_interface.h
 * packetdrill's shared-object test interface, as implemented by build/libsynack-packetdrill.so
 * (issue 5), plus the few extra entry points the project's own tests use.
 *
 * packetdrill (github.com/google/packetdrill) runs a script against a stack in a shared object
 * when given --so_filename=<file.so> --so_flags=<string>: it dlopens the file, calls
 * packetdrill_interface_init(flags, &ifc), then makes every system call through ifc, injects
 * packets with ifc.netdev_send, sniffs with ifc.netdev_receive and reads time with
 * ifc.gettimeofday / waits with ifc.usleep. Blocking system calls run on a second thread.
 *
 * The structure below is our own declaration of that ABI. Its layout (field order and types)
 * follows the public description in packetdrill's gtests/net/packetdrill/packetdrill.h
 * ("struct packetdrill_interface"); no packetdrill file is copied here. Every function takes
 * the userdata pointer first and otherwise behaves like the libc call of the same name
 * (-1 and errno on failure, Linux errno values).
 *
 * --so_flags is a comma-separated key=value list (unknown keys are reported on stderr):
 *   local=IP            the stack's address (default 192.168.0.1)
 *   rcvbuf=N sndbuf=N   per-connection buffers in bytes (defaults 12 MiB and 256 KiB; the
 *                       receive buffer also decides the window scale: 12 MiB gives wscale 8,
 *                       Linux's usual choice)
 *   mss=N | mtu=N       link MTU (mss = mtu - 40; default mtu 1500)
 *   msl=MS rto_min=MS rto_initial=MS rto_max=MS delack=MS fin_wait2=MS   timers, milliseconds
 *   syn_retries=N synack_retries=N data_retries=N challenge_ack_limit=N
 *   timestamps=0|1 window_scaling=0|1   what SYNs offer (default 1, like Linux)
 *   nodelay=0|1         TCP_NODELAY of new sockets (default 0: Nagle on, like Linux)
 *   syncookies=0|1|2    off, auto (default), always: Linux's net.ipv4.tcp_syncookies values
 *   syn_backlog=N syncache_entries=N   half-open limits (per listener, whole stack)
 *   sockets=N buffers=N stack pools (defaults 64 and 16)
 *   verbose=1           print every segment in and out on stderr
 *
 * Running packetdrill by hand (build packetdrill outside the repository):
 *   cd <dir of script> && unshare -n sh -c 'ip tuntap add dev tun0 mode tun; \
 *     packetdrill --so_filename=/path/to/build/libsynack-packetdrill.so --local_ip=192.168.0.1 \
 *     [--so_flags=...] script.pkt 3</dev/null 4</dev/null 5</dev/null'
 * - --local_ip: packetdrill otherwise picks a random 192.168.x.y, which bind() refuses.
 * - unshare -n and the dummy tun0: gtests/net/tcp/common/defaults.sh, run by most upstream
 *   scripts, sets sysctls and a qdisc on tun0; in a private namespace that touches nothing.
 * - fds 3-5 held open: packetdrill's socket_close() calls the real close() on the numbers the
 *   .so returned for sockets a script leaves open, and dies on EBADF otherwise.
 * The .pkt files in tests/packetdrill are scripts of ours that pass both here and against Linux.
 */
#ifndef SYNACK_PD_INTERFACE_H
#define SYNACK_PD_INTERFACE_H
#include <poll.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

struct packetdrill_interface {
    void *userdata;
    void (*free)(void *userdata);
    int (*socket)(void *userdata, int domain, int type, int protocol);
    int (*bind)(void *userdata, int sockfd, const struct sockaddr *addr, socklen_t addrlen);
    int (*listen)(void *userdata, int sockfd, int backlog);
    int (*accept)(void *userdata, int sockfd, struct sockaddr *addr, socklen_t *addrlen);
    int (*connect)(void *userdata, int sockfd, const struct sockaddr *addr, socklen_t addrlen);
    ssize_t (*read)(void *userdata, int fd, void *buf, size_t count);
    ssize_t (*readv)(void *userdata, int fd, const struct iovec *iov, int iovcnt);
    ssize_t (*recv)(void *userdata, int sockfd, void *buf, size_t len, int flags);
    ssize_t (*recvfrom)(void *userdata, int sockfd, void *buf, size_t len, int flags,
                        struct sockaddr *src_addr, socklen_t *addrlen);
    ssize_t (*recvmsg)(void *userdata, int sockfd, struct msghdr *msg, int flags);
    ssize_t (*write)(void *userdata, int fd, const void *buf, size_t count);
    ssize_t (*writev)(void *userdata, int fd, const struct iovec *iov, int iovcnt);
    ssize_t (*send)(void *userdata, int sockfd, const void *buf, size_t len, int flags);
    ssize_t (*sendto)(void *userdata, int sockfd, const void *buf, size_t len, int flags,
                      const struct sockaddr *dest_addr, socklen_t addrlen);
    ssize_t (*sendmsg)(void *userdata, int sockfd, const struct msghdr *msg, int flags);
    int (*fcntl)(void *userdata, int fd, int cmd, ...);
    int (*ioctl)(void *userdata, int fd, unsigned long request, ...);
    int (*close)(void *userdata, int fd);
    int (*shutdown)(void *userdata, int sockfd, int how);
    int (*getsockopt)(void *userdata, int sockfd, int level, int optname, void *optval,
                      socklen_t *optlen);
    int (*setsockopt)(void *userdata, int sockfd, int level, int optname, const void *optval,
                      socklen_t optlen);
    int (*poll)(void *userdata, struct pollfd *fds, nfds_t nfds, int timeout);
    /** Feeds one packet (bare IPv4) to the stack; 0 or -1. */
    int (*netdev_send)(void *userdata, const void *buf, size_t count);
    /** The next packet the stack sent: *count in = buffer size, out = packet length (0: none);
     *  *time_usecs = when it was sent, on the gettimeofday clock. 0 or -1. */
    int (*netdev_receive)(void *userdata, void *buf, size_t *count, long long *time_usecs);
    int (*usleep)(void *userdata, useconds_t usec);
    int (*gettimeofday)(void *userdata, struct timeval *tv, struct timezone *tz);
    int (*epoll_create)(void *userdata, int size);
    int (*epoll_ctl)(void *userdata, int epfd, int op, int fd, struct epoll_event *event);
    int (*epoll_wait)(void *userdata, int epfd, struct epoll_event *events, int maxevents,
                      int timeout);
    int (*pipe)(void *userdata, int pipefd[2]);
    int (*splice)(void *userdata, int fd_in, loff_t *off_in, int fd_out, loff_t *off_out,
                  size_t len, unsigned int flags);
};

/** The entry point packetdrill looks up with dlsym. */
typedef void (*packetdrill_interface_init_t)(const char *flags, struct packetdrill_interface *ifc);
void packetdrill_interface_init(const char *flags, struct packetdrill_interface *ifc);

/* Extras for tests (not part of packetdrill's interface). */
struct synack_stack;
/** Packets queued for netdev_receive, after running the timers due now (time does not skip). */
typedef size_t (*synack_pd_pending_t)(void *userdata);
size_t synack_pd_pending(void *userdata);
/** The stack under the adapter (for counters); valid until ifc.free. */
typedef struct synack_stack *(*synack_pd_stack_t)(void *userdata);
struct synack_stack *synack_pd_stack(void *userdata);
/** The stack handle behind a file descriptor, or -1. */
typedef int (*synack_pd_handle_t)(void *userdata, int fd);
int synack_pd_handle(void *userdata, int fd);
#endif
