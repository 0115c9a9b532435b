/* OS entropy for synack (include/synack/platform.h): getrandom(2), retried on EINTR and on
 * short reads; falls back to /dev/urandom when getrandom is unavailable (ENOSYS, or EPERM
 * from a seccomp filter). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/random.h>
#include <unistd.h>
#include "synack/platform.h"

static int urandom_fill(uint8_t *p, size_t len)
{
    int fd;
    do
        fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return -1;
    while (len) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : EIO;
            close(fd);
            errno = e;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    close(fd);
    return 0;
}

int synack_platform_random(void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == ENOSYS || errno == EPERM)
                return urandom_fill(p, len);
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}
