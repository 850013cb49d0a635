// Conformance guest: every fd_* call on regular files and directories, on success and on its
// error paths (EBADF, EINVAL, ESPIPE, EISDIR...), via the raw <wasi/api.h> calls.
#include <stdlib.h>
#include "check.h"

static __wasi_filesize_t size_of(__wasi_fd_t fd) {
  __wasi_filestat_t st;
  if (__wasi_fd_filestat_get(fd, &st)) return (__wasi_filesize_t)-1;
  return st.size;
}

static void pread_show(__wasi_fd_t fd, __wasi_filesize_t off, size_t len) {
  char buf[64] = {0};
  __wasi_iovec_t iov = {(uint8_t *)buf, len};
  __wasi_size_t n = 0;
  unsigned e = __wasi_fd_pread(fd, &iov, 1, off, &n);
  printf("fd_pread off %llu len %zu -> %s, %lu bytes ", (unsigned long long)off, len, ename(e), n);
  show_bytes(buf, e ? 0 : n);
  putchar('\n');
}

static void seek_show(__wasi_fd_t fd, __wasi_filedelta_t off, __wasi_whence_t wh) {
  __wasi_filesize_t pos = 12345;
  unsigned e = __wasi_fd_seek(fd, off, wh, &pos);
  if (e) printf("fd_seek %lld whence %u -> %s\n", (long long)off, wh, ename(e));
  else printf("fd_seek %lld whence %u -> ok, pos %llu\n", (long long)off, wh, (unsigned long long)pos);
}

static void tell_show(__wasi_fd_t fd, const char *when) {
  __wasi_filesize_t pos = 0;
  unsigned e = __wasi_fd_tell(fd, &pos);
  printf("fd_tell %s -> %s, pos %llu\n", when, ename(e), (unsigned long long)(e ? 0 : pos));
}

static void stat_times(__wasi_fd_t fd, const char *label) {
  __wasi_filestat_t st;
  unsigned e = __wasi_fd_filestat_get(fd, &st);
  printf("%s: fd_filestat_get -> %s, atim %llu mtim %llu\n", label, ename(e),
         (unsigned long long)st.atim, (unsigned long long)st.mtim);
}

/** Each fd_* call with an fd that is not open: all must fail with EBADF. */
static void bad_fd_table(__wasi_fd_t fd) {
  char buf[16];
  __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
  __wasi_ciovec_t ciov = {(const uint8_t *)buf, sizeof buf};
  __wasi_size_t n;
  __wasi_filesize_t pos;
  __wasi_fdstat_t fdst;
  __wasi_filestat_t st;
  __wasi_prestat_t pre;
  check(__wasi_fd_advise(fd, 0, 0, __WASI_ADVICE_NORMAL), "fd_advise fd %u", fd);
  check(__wasi_fd_allocate(fd, 0, 1), "fd_allocate fd %u", fd);
  check(__wasi_fd_close(fd), "fd_close fd %u", fd);
  check(__wasi_fd_datasync(fd), "fd_datasync fd %u", fd);
  check(__wasi_fd_fdstat_get(fd, &fdst), "fd_fdstat_get fd %u", fd);
  check(__wasi_fd_fdstat_set_flags(fd, 0), "fd_fdstat_set_flags fd %u", fd);
  check(__wasi_fd_fdstat_set_rights(fd, 0, 0), "fd_fdstat_set_rights fd %u", fd);
  check(__wasi_fd_filestat_get(fd, &st), "fd_filestat_get fd %u", fd);
  check(__wasi_fd_filestat_set_size(fd, 0), "fd_filestat_set_size fd %u", fd);
  check(__wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM), "fd_filestat_set_times fd %u", fd);
  check(__wasi_fd_pread(fd, &iov, 1, 0, &n), "fd_pread fd %u", fd);
  check(__wasi_fd_prestat_get(fd, &pre), "fd_prestat_get fd %u", fd);
  check(__wasi_fd_prestat_dir_name(fd, (uint8_t *)buf, sizeof buf), "fd_prestat_dir_name fd %u", fd);
  check(__wasi_fd_pwrite(fd, &ciov, 1, 0, &n), "fd_pwrite fd %u", fd);
  check(__wasi_fd_read(fd, &iov, 1, &n), "fd_read fd %u", fd);
  check(__wasi_fd_readdir(fd, (uint8_t *)buf, sizeof buf, 0, &n), "fd_readdir fd %u", fd);
  check(__wasi_fd_renumber(fd, 1), "fd_renumber fd %u to 1", fd);
  check(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos), "fd_seek fd %u", fd);
  check(__wasi_fd_sync(fd), "fd_sync fd %u", fd);
  check(__wasi_fd_tell(fd, &pos), "fd_tell fd %u", fd);
  check(__wasi_fd_write(fd, &ciov, 1, &n), "fd_write fd %u", fd);
}

int main(void) {
  transcript_init();
  const __wasi_fd_t dir = SANDBOX_FD;
  __wasi_fd_t f = 0, g = 0;
  __wasi_size_t n = 0;

  printf("== open, write, read, seek, tell\n");
  check(open_at(dir, "f1", 0, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, RIGHTS_ALL, 0, &f),
        "path_open f1 CREAT|TRUNC");
  SANE("new fd above the preopens", f > RO_FD);
  __wasi_ciovec_t two[2] = {{(const uint8_t *)"hello ", 6}, {(const uint8_t *)"world\n", 6}};
  check(__wasi_fd_write(f, two, 2, &n), "fd_write 2 iovecs");
  /* A short write is allowed (wasmtime writes only the first iovec): finish the rest. */
  SANE("  nwritten is 6 or 12", n == 6 || n == 12);
  if (n == 6) (void)__wasi_fd_write(f, two + 1, 1, &n);
  check(__wasi_fd_write(f, two, 0, &n), "fd_write 0 iovecs");
  printf("  nwritten %lu\n", n);
  tell_show(f, "after write");
  seek_show(f, 0, __WASI_WHENCE_SET);
  {
    char a[3] = {0}, b[4] = {0};
    __wasi_iovec_t iovs[2] = {{(uint8_t *)a, 2}, {(uint8_t *)b, 3}};
    check(__wasi_fd_read(f, iovs, 2, &n), "fd_read 2 iovecs");
    /* A short read is allowed (wasmtime fills only the first iovec). */
    SANE("  nread is 2 or 5", n == 2 || n == 5);
    printf("  first iovec \"%s\"\n", a);
    SANE("  second iovec filled or untouched", n == 5 ? !strcmp(b, "llo") : b[0] == 0);
    seek_show(f, 2, __WASI_WHENCE_SET);
  }
  tell_show(f, "after read");
  seek_show(f, 1, __WASI_WHENCE_CUR);
  seek_show(f, -2, __WASI_WHENCE_END);
  seek_show(f, 0, __WASI_WHENCE_END);
  seek_show(f, 100, __WASI_WHENCE_SET);
  tell_show(f, "after seek past end");
  seek_show(f, -1, __WASI_WHENCE_SET);
  seek_show(f, -1000, __WASI_WHENCE_CUR);
  seek_show(f, -1000, __WASI_WHENCE_END);
  tell_show(f, "after failed seeks");
  seek_show(f, 0, __WASI_WHENCE_END);
  {
    char c[8];
    __wasi_iovec_t iov = {(uint8_t *)c, sizeof c};
    check(__wasi_fd_read(f, &iov, 1, &n), "fd_read at EOF");
    printf("  nread %lu\n", n);
  }

  printf("== pread / pwrite\n");
  seek_show(f, 2, __WASI_WHENCE_SET);
  pread_show(f, 6, 5);
  pread_show(f, 0, 12);
  pread_show(f, 11, 10);
  pread_show(f, 12, 4);
  pread_show(f, 1000, 4);
  tell_show(f, "after preads");
  {
    __wasi_ciovec_t iov = {(const uint8_t *)"HELLO", 5};
    check(__wasi_fd_pwrite(f, &iov, 1, 0, &n), "fd_pwrite off 0");
    printf("  nwritten %lu\n", n);
    tell_show(f, "after pwrite");
    pread_show(f, 0, 12);
    __wasi_ciovec_t iov2 = {(const uint8_t *)"Z", 1};
    check(__wasi_fd_pwrite(f, &iov2, 1, 20, &n), "fd_pwrite off 20 (past end)");
    printf("  size now %llu\n", (unsigned long long)size_of(f));
    pread_show(f, 12, 9);
  }

  printf("== filestat, set_size, allocate, advise, sync\n");
  {
    __wasi_filestat_t st;
    check(__wasi_fd_filestat_get(f, &st), "fd_filestat_get");
    printf("  filetype %s size %llu nlink %llu\n", ftname(st.filetype), (unsigned long long)st.size,
           (unsigned long long)st.nlink);
  }
  check(__wasi_fd_filestat_set_size(f, 5), "fd_filestat_set_size 5");
  printf("  size now %llu\n", (unsigned long long)size_of(f));
  pread_show(f, 0, 10);
  check(__wasi_fd_filestat_set_size(f, 10), "fd_filestat_set_size 10 (grow)");
  printf("  size now %llu\n", (unsigned long long)size_of(f));
  check(__wasi_fd_allocate(f, 0, 100), "fd_allocate 0 100");
  printf("  size now %llu\n", (unsigned long long)size_of(f));
  check(__wasi_fd_allocate(f, 0, 4), "fd_allocate 0 4 (inside)");
  printf("  size now %llu\n", (unsigned long long)size_of(f));
  for (unsigned adv = 0; adv <= 5; adv++) check(__wasi_fd_advise(f, 0, 10, adv), "fd_advise advice %u", adv);
  check(__wasi_fd_advise(f, 0, 0, __WASI_ADVICE_NORMAL), "fd_advise len 0");
  check(__wasi_fd_datasync(f), "fd_datasync");
  check(__wasi_fd_sync(f), "fd_sync");

  printf("== set_times\n");
  const __wasi_timestamp_t A = 1600000000500000000ULL, M = 1500000000250000000ULL;
  check(__wasi_fd_filestat_set_times(f, A, M, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM),
        "fd_filestat_set_times atim+mtim explicit");
  stat_times(f, "  after explicit");
  check(__wasi_fd_filestat_set_times(f, 0, M + 1000000000ULL, __WASI_FSTFLAGS_MTIM),
        "fd_filestat_set_times mtim only");
  stat_times(f, "  after mtim only");
  check(__wasi_fd_filestat_set_times(f, A, 0, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW),
        "fd_filestat_set_times ATIM|ATIM_NOW");
  check(__wasi_fd_filestat_set_times(f, 0, M, __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW),
        "fd_filestat_set_times MTIM|MTIM_NOW");
  check(__wasi_fd_filestat_set_times(f, 0, 0, 0), "fd_filestat_set_times no flags");
  stat_times(f, "  after no-op");
  {
    __wasi_timestamp_t now = 0;
    (void)__wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &now);
    check(__wasi_fd_filestat_set_times(f, 0, 0, __WASI_FSTFLAGS_ATIM_NOW | __WASI_FSTFLAGS_MTIM_NOW),
          "fd_filestat_set_times ATIM_NOW|MTIM_NOW");
    __wasi_filestat_t st;
    (void)__wasi_fd_filestat_get(f, &st);
    const __wasi_timestamp_t slack = 10000000000ULL;
    SANE("  mtim is now", st.mtim + slack > now && st.mtim < now + slack);
    SANE("  atim is now", st.atim + slack > now && st.atim < now + slack);
  }

  printf("== fdstat and flags\n");
  {
    __wasi_fdstat_t fs;
    check(__wasi_fd_fdstat_get(f, &fs), "fd_fdstat_get file");
    printf("  filetype %s flags %u\n", ftname(fs.fs_filetype), fs.fs_flags);
    SANE("  rights include FD_READ", fs.fs_rights_base & __WASI_RIGHTS_FD_READ);
    SANE("  rights include FD_WRITE", fs.fs_rights_base & __WASI_RIGHTS_FD_WRITE);
    check(__wasi_fd_fdstat_set_flags(f, __WASI_FDFLAGS_APPEND), "fd_fdstat_set_flags APPEND");
    (void)__wasi_fd_fdstat_get(f, &fs);
    printf("  flags now %u\n", fs.fs_flags);
    seek_show(f, 0, __WASI_WHENCE_SET);
    check(write_str(f, "END", &n), "fd_write with APPEND after seek 0");
    printf("  size now %llu\n", (unsigned long long)size_of(f));
    tell_show(f, "after append write");
    pread_show(f, 8, 5);
    __wasi_ciovec_t iov = {(const uint8_t *)"P", 1};
    check(__wasi_fd_pwrite(f, &iov, 1, 0, &n), "fd_pwrite off 0 with APPEND");
    printf("  size now %llu\n", (unsigned long long)size_of(f));
    check(__wasi_fd_fdstat_set_flags(f, 0), "fd_fdstat_set_flags 0");
    (void)__wasi_fd_fdstat_get(f, &fs);
    printf("  flags now %u\n", fs.fs_flags);
    check(__wasi_fd_fdstat_set_flags(f, __WASI_FDFLAGS_NONBLOCK), "fd_fdstat_set_flags NONBLOCK");
    check(__wasi_fd_fdstat_set_flags(f, __WASI_FDFLAGS_SYNC), "fd_fdstat_set_flags SYNC");
    check(__wasi_fd_fdstat_set_flags(f, 0), "fd_fdstat_set_flags 0 again");
    check(__wasi_fd_fdstat_set_rights(f, RIGHTS_ALL, RIGHTS_ALL), "fd_fdstat_set_rights same");
    check(__wasi_fd_fdstat_set_rights(f, RIGHTS_READ, 0), "fd_fdstat_set_rights shrink");
    (void)__wasi_fd_fdstat_get(f, &fs);
    check(__wasi_fd_fdstat_get(f, &fs), "fd_fdstat_get after shrink");
  }

  printf("== fds opened with limited rights\n");
  {
    __wasi_fd_t r = 0, w = 0;
    char buf[8];
    __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
    check(open_at(dir, "f1", 0, 0, RIGHTS_READ, 0, &r), "path_open f1 read-only rights");
    check(write_str(r, "x", &n), "fd_write on read-only fd");
    __wasi_ciovec_t ciov = {(const uint8_t *)"x", 1};
    check(__wasi_fd_pwrite(r, &ciov, 1, 0, &n), "fd_pwrite on read-only fd");
    check(__wasi_fd_filestat_set_size(r, 0), "fd_filestat_set_size on read-only fd");
    check(__wasi_fd_allocate(r, 0, 1), "fd_allocate on read-only fd");
    check(__wasi_fd_read(r, &iov, 1, &n), "fd_read on read-only fd");
    (void)__wasi_fd_close(r);
    check(open_at(dir, "f1", 0, 0, RIGHTS_WRITE, 0, &w), "path_open f1 write-only rights");
    check(__wasi_fd_read(w, &iov, 1, &n), "fd_read on write-only fd");
    check(__wasi_fd_pread(w, &iov, 1, 0, &n), "fd_pread on write-only fd");
    check(write_str(w, "w", &n), "fd_write on write-only fd");
    (void)__wasi_fd_close(w);
  }

  printf("== directory fds\n");
  {
    char buf[8];
    __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
    __wasi_ciovec_t ciov = {(const uint8_t *)"x", 1};
    __wasi_filesize_t pos;
    __wasi_filestat_t st;
    __wasi_fdstat_t fs;
    check(__wasi_fd_filestat_get(dir, &st), "fd_filestat_get on preopen");
    printf("  filetype %s\n", ftname(st.filetype));
    check(__wasi_fd_fdstat_get(dir, &fs), "fd_fdstat_get on preopen");
    printf("  filetype %s flags %u\n", ftname(fs.fs_filetype), fs.fs_flags);
    check(__wasi_fd_read(dir, &iov, 1, &n), "fd_read on dir");
    check(__wasi_fd_pread(dir, &iov, 1, 0, &n), "fd_pread on dir");
    check(__wasi_fd_write(dir, &ciov, 1, &n), "fd_write on dir");
    check(__wasi_fd_pwrite(dir, &ciov, 1, 0, &n), "fd_pwrite on dir");
    check(__wasi_fd_seek(dir, 0, __WASI_WHENCE_SET, &pos), "fd_seek on dir");
    check(__wasi_fd_tell(dir, &pos), "fd_tell on dir");
    check(__wasi_fd_filestat_set_size(dir, 0), "fd_filestat_set_size on dir");
    check(__wasi_fd_allocate(dir, 0, 1), "fd_allocate on dir");
    check(__wasi_fd_advise(dir, 0, 1, __WASI_ADVICE_NORMAL), "fd_advise on dir");
    check(__wasi_fd_datasync(dir), "fd_datasync on dir");
    check(__wasi_fd_sync(dir), "fd_sync on dir");
    check(__wasi_fd_fdstat_set_flags(dir, __WASI_FDFLAGS_APPEND), "fd_fdstat_set_flags APPEND on dir");
    check(__wasi_fd_filestat_set_times(dir, A, M, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM),
          "fd_filestat_set_times on dir");
    (void)__wasi_fd_filestat_get(dir, &st);
    SANE("  dir mtim now equals the value set", st.mtim == M);
    check(__wasi_fd_readdir(f, (uint8_t *)buf, sizeof buf, 0, &n), "fd_readdir on file");
  }

  printf("== renumber and close\n");
  check(make_file(dir, "f2", "second\n"), "make f2");
  check(open_at(dir, "f2", 0, 0, RIGHTS_ALL, 0, &g), "path_open f2");
  check(__wasi_fd_renumber(g, g), "fd_renumber to itself");
  check(__wasi_fd_renumber(g, BAD_FD), "fd_renumber to a closed fd");
  check(__wasi_fd_renumber(g, f), "fd_renumber f2 over f1");
  {
    char buf[16] = {0};
    __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf - 1};
    check(__wasi_fd_read(f, &iov, 1, &n), "fd_read through renumbered fd");
    printf("  \"%.*s\"\n", (int)n - 1, buf);
  }
  check(__wasi_fd_close(g), "fd_close old fd after renumber");
  check(__wasi_fd_close(f), "fd_close renumbered fd");
  check(__wasi_fd_close(f), "fd_close twice");
  {
    __wasi_fd_t h;
    check(open_at(dir, "f2", 0, 0, RIGHTS_READ, 0, &h), "path_open after close");
    SANE("  closed fd number reused", h == f || h == g);
    (void)__wasi_fd_close(h);
  }

  printf("== every fd call on a closed fd\n");
  bad_fd_table(BAD_FD);
  bad_fd_table(0x7fffffff);
  return 0;
}
