// Conformance guest: stdin/stdout/stderr through the raw calls and libc (fdstat, seek/tell ->
// ESPIPE, reads to EOF, wrong-direction calls), fd_prestat_get/dir_name, and closing stdin.
#include <stdlib.h>
#include <unistd.h>
#include "check.h"

int main(void) {
  transcript_init();
  __wasi_size_t n = 0;

  printf("== fdstat of stdio\n");
  for (__wasi_fd_t fd = 0; fd <= 2; fd++) {
    __wasi_fdstat_t fs;
    unsigned e = __wasi_fd_fdstat_get(fd, &fs);
    printf("fd_fdstat_get %u -> %s, filetype %s flags %u\n", fd, ename(e), ftname(fs.fs_filetype), fs.fs_flags);
    SANE("  has FD_READ right", fs.fs_rights_base & __WASI_RIGHTS_FD_READ);
    SANE("  has FD_WRITE right", fs.fs_rights_base & __WASI_RIGHTS_FD_WRITE);
    __wasi_filestat_t st;
    e = __wasi_fd_filestat_get(fd, &st);
    printf("fd_filestat_get %u -> %s, filetype %s size %llu\n", fd, ename(e), ftname(st.filetype),
           (unsigned long long)(e ? 0 : st.size));
  }

  printf("== seek, tell and friends on stdio\n");
  for (__wasi_fd_t fd = 0; fd <= 2; fd++) {
    __wasi_filesize_t pos;
    check(__wasi_fd_seek(fd, 0, __WASI_WHENCE_CUR, &pos), "fd_seek %u", fd);
    check(__wasi_fd_tell(fd, &pos), "fd_tell %u", fd);
    char c;
    __wasi_iovec_t iov = {(uint8_t *)&c, 1};
    __wasi_ciovec_t ciov = {(const uint8_t *)"", 0};
    check(__wasi_fd_pread(fd, &iov, 1, 0, &n), "fd_pread %u", fd);
    check(__wasi_fd_pwrite(fd, &ciov, 1, 0, &n), "fd_pwrite %u", fd);
    check(__wasi_fd_filestat_set_size(fd, 0), "fd_filestat_set_size %u", fd);
    check(__wasi_fd_allocate(fd, 0, 1), "fd_allocate %u", fd);
    check(__wasi_fd_advise(fd, 0, 1, __WASI_ADVICE_NORMAL), "fd_advise %u", fd);
    check(__wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW), "fd_filestat_set_times %u", fd);
    check(__wasi_fd_readdir(fd, (uint8_t *)&c, 1, 0, &n), "fd_readdir %u", fd);
    check(__wasi_fd_datasync(fd), "fd_datasync %u", fd);
    check(__wasi_fd_sync(fd), "fd_sync %u", fd);
    check(__wasi_fd_fdstat_set_flags(fd, 0), "fd_fdstat_set_flags 0 on %u", fd);
    check(__wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_APPEND), "fd_fdstat_set_flags APPEND on %u", fd);
  }

  printf("== wrong direction\n");
  {
    char c;
    __wasi_iovec_t iov = {(uint8_t *)&c, 1};
    check(write_str(0, "x", &n), "fd_write to stdin");
    check(__wasi_fd_read(1, &iov, 1, &n), "fd_read from stdout");
    check(__wasi_fd_read(2, &iov, 1, &n), "fd_read from stderr");
  }

  printf("== stdin\n");
  {
    char buf[256];
    size_t total = 0;
    int calls = 0;
    for (;;) {
      __wasi_iovec_t iov = {(uint8_t *)buf + total, 7}; /* small reads */
      unsigned e = __wasi_fd_read(0, &iov, 1, &n);
      calls++;
      if (e) { printf("fd_read stdin -> %s\n", ename(e)); break; }
      if (n == 0) break;
      total += n;
      if (total + 7 >= sizeof buf) break;
    }
    printf("stdin: %zu bytes ", total);
    show_bytes(buf, total);
    putchar('\n');
    __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
    check(__wasi_fd_read(0, &iov, 1, &n), "fd_read stdin after EOF");
    printf("  nread %lu\n", n);
    check(__wasi_fd_read(0, &iov, 0, &n), "fd_read stdin 0 iovecs");
    printf("  nread %lu\n", n);
  }

  printf("== stdout and stderr\n");
  {
    __wasi_ciovec_t iovs[3] = {{(const uint8_t *)"raw ", 4}, {(const uint8_t *)"", 0},
                               {(const uint8_t *)"stdout\n", 7}};
    /* a short write is allowed (wasmtime writes only the first iovec): write the rest, then report */
    const char *all = "raw stdout\n";
    unsigned first = __wasi_fd_write(1, iovs, 3, &n);
    size_t done = first ? 0 : n;
    while (!first && done < 11 && !write_str(1, all + done, &n) && n > 0) done += n;
    check(first, "fd_write stdout 3 iovecs");
    printf("  all 11 bytes written: %s\n", done == 11 ? "yes" : "no");
    check(write_str(2, "raw stderr line\n", &n), "fd_write stderr");
    printf("  nwritten %lu\n", n);
    fprintf(stderr, "libc stderr line %d\n", 2);
    check(__wasi_fd_write(1, iovs, 0, &n), "fd_write stdout 0 iovecs");
    printf("  nwritten %lu\n", n);
    /* a larger write in one call */
    static char big[8192];
    for (size_t i = 0; i < sizeof big; i++) big[i] = 'a' + i % 26;
    size_t off = 0;
    while (off < sizeof big) {
      __wasi_ciovec_t c = {(const uint8_t *)big + off, sizeof big - off};
      if (__wasi_fd_write(2, &c, 1, &n) || n == 0) break;
      off += n;
    }
    printf("wrote %zu bytes to stderr\n", off);
    fputs("\n", stderr);
  }

  printf("== preopens\n");
  for (__wasi_fd_t fd = 0; fd <= 6; fd++) {
    __wasi_prestat_t pre;
    unsigned e = __wasi_fd_prestat_get(fd, &pre);
    if (e) { printf("fd_prestat_get %u -> %s\n", fd, ename(e)); continue; }
    size_t len = pre.u.dir.pr_name_len;
    printf("fd_prestat_get %u -> ok, tag %u name_len %zu\n", fd, pre.tag, len);
    char name[64];
    memset(name, '#', sizeof name);
    e = __wasi_fd_prestat_dir_name(fd, (uint8_t *)name, len);
    printf("fd_prestat_dir_name %u len %zu -> %s ", fd, len, ename(e));
    show_bytes(name, e ? 0 : len);
    SANE(", no write past the buffer", name[len] == '#');
    memset(name, '#', sizeof name);
    e = __wasi_fd_prestat_dir_name(fd, (uint8_t *)name, len + 10);
    printf("fd_prestat_dir_name %u len %zu -> %s ", fd, len + 10, ename(e));
    show_bytes(name, e ? 0 : len);
    putchar('\n');
    e = __wasi_fd_prestat_dir_name(fd, (uint8_t *)name, len - 1);
    printf("fd_prestat_dir_name %u len %zu -> %s\n", fd, len - 1, ename(e));
    e = __wasi_fd_prestat_dir_name(fd, (uint8_t *)name, 0);
    printf("fd_prestat_dir_name %u len 0 -> %s\n", fd, ename(e));
  }
  {
    __wasi_fd_t f;
    __wasi_prestat_t pre;
    check(open_at(SANDBOX_FD, ".", 0, __WASI_OFLAGS_DIRECTORY, RIGHTS_DIR, 0, &f), "path_open \".\"");
    check(__wasi_fd_prestat_get(f, &pre), "fd_prestat_get on a non-preopened dir fd");
    (void)__wasi_fd_close(f);
  }

  printf("== libc stdio\n");
  {
    SANE("isatty(1)", isatty(1));
    char line[64];
    SANE("fgets on drained stdin returns NULL", fgets(line, sizeof line, stdin) == NULL);
    SANE("feof(stdin)", feof(stdin));
  }

  printf("== closing stdin and renumbering onto stdout\n");
  {
    char c;
    __wasi_iovec_t iov = {(uint8_t *)&c, 1};
    check(__wasi_fd_close(0), "fd_close 0");
    check(__wasi_fd_read(0, &iov, 1, &n), "fd_read closed stdin");
    __wasi_fd_t f;
    check(open_at(SANDBOX_FD, "out.txt", 0, __WASI_OFLAGS_CREAT, RIGHTS_ALL, 0, &f), "path_open out.txt");
    check(__wasi_fd_renumber(f, 0), "fd_renumber file onto closed 0");
    check(__wasi_fd_renumber(f, 2), "fd_renumber file onto 2 (stderr)");
    check(write_str(2, "to the file\n", &n), "fd_write 2 now the file");
    char buf[64];
    (void)read_file(SANDBOX_FD, "out.txt", buf, sizeof buf);
    printf("  out.txt: ");
    show_bytes(buf, strlen(buf));
    putchar('\n');
    check(__wasi_fd_close(f), "fd_close renumbered-away fd");
  }
  return 0;
}
