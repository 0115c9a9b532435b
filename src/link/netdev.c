/* The device interface shared by every link (include/synack/netdev.h). */
#include "synack/netdev.h"

void synack_netdev_close(struct synack_netdev *d)
{
    if (d) d->ops->close(d);
}
