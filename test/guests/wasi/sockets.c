// Conformance guest: sock_accept/recv/send/shutdown on fds that are not sockets (stdio, a file,
// a directory) and on closed fds: no network is ever granted.
#include "check.h"

int main(void) {
  transcript_init();
  __wasi_fd_t f;
  check(make_file(SANDBOX_FD, "notasocket", "data"), "make notasocket");
  check(open_at(SANDBOX_FD, "notasocket", 0, 0, RIGHTS_ALL, 0, &f), "path_open notasocket");
  struct { const char *name; __wasi_fd_t fd; } fds[] = {
    {"stdin", 0}, {"stdout", 1}, {"stderr", 2}, {"preopen dir", SANDBOX_FD}, {"file", f}, {"closed fd", BAD_FD},
  };
  for (size_t i = 0; i < sizeof fds / sizeof *fds; i++) {
    __wasi_fd_t fd = fds[i].fd, out = 12345;
    char buf[8];
    __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
    __wasi_ciovec_t ciov = {(const uint8_t *)"x", 1};
    __wasi_size_t n = 0;
    __wasi_roflags_t ro = 0;
    check(__wasi_sock_accept(fd, 0, &out), "sock_accept %s", fds[i].name);
    check(__wasi_sock_accept(fd, __WASI_FDFLAGS_NONBLOCK, &out), "sock_accept NONBLOCK %s", fds[i].name);
    check(__wasi_sock_recv(fd, &iov, 1, 0, &n, &ro), "sock_recv %s", fds[i].name);
    check(__wasi_sock_recv(fd, &iov, 1, __WASI_RIFLAGS_RECV_PEEK, &n, &ro), "sock_recv PEEK %s", fds[i].name);
    check(__wasi_sock_send(fd, &ciov, 1, 0, &n), "sock_send %s", fds[i].name);
    check(__wasi_sock_shutdown(fd, __WASI_SDFLAGS_RD), "sock_shutdown RD %s", fds[i].name);
    check(__wasi_sock_shutdown(fd, __WASI_SDFLAGS_RD | __WASI_SDFLAGS_WR), "sock_shutdown RD|WR %s", fds[i].name);
  }
  char buf[8];
  __wasi_size_t n = 0;
  check(__wasi_fd_pread(f, (__wasi_iovec_t[]){{(uint8_t *)buf, 4}}, 1, 0, &n), "file still readable");
  printf("  ");
  show_bytes(buf, n);
  putchar('\n');
  return 0;
}
