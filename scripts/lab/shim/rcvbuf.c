/*
 * LD_PRELOAD shim for xtables-monitor: gives its netlink socket a 64 MiB receive buffer.
 *
 * xtables-monitor (iptables 1.8.9) keeps the default ~208 KiB netlink buffer and dies with
 * "cannot receive from nfnetlink socket: No buffer space available" after a few hundred
 * trace events; net.core.rmem_default cannot be raised inside a network namespace (EINVAL),
 * and the lab never changes the root namespace. SO_RCVBUFFORCE (root only) ignores
 * rmem_max. Built on the fly by lib.sh when a C compiler is present; optional.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sys/socket.h>

int socket(int domain, int type, int protocol) {
  static int (*real_socket)(int, int, int);
  if (!real_socket) real_socket = (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket");
  int fd = real_socket(domain, type, protocol);
  if (fd >= 0 && domain == AF_NETLINK) {
    int size = 64 * 1024 * 1024;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
  }
  return fd;
}
