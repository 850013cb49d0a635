// Shared helpers for the WASI conformance guests: errno names and one-line-per-check printing,
// so a guest's stdout is a transcript that can be diffed between runtimes.
#ifndef WASI_CHECK_H
#define WASI_CHECK_H
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

static const char *const ERRNO_NAMES[] = {
  "ok", "E2BIG", "EACCES", "EADDRINUSE", "EADDRNOTAVAIL", "EAFNOSUPPORT", "EAGAIN", "EALREADY",
  "EBADF", "EBADMSG", "EBUSY", "ECANCELED", "ECHILD", "ECONNABORTED", "ECONNREFUSED", "ECONNRESET",
  "EDEADLK", "EDESTADDRREQ", "EDOM", "EDQUOT", "EEXIST", "EFAULT", "EFBIG", "EHOSTUNREACH", "EIDRM",
  "EILSEQ", "EINPROGRESS", "EINTR", "EINVAL", "EIO", "EISCONN", "EISDIR", "ELOOP", "EMFILE", "EMLINK",
  "EMSGSIZE", "EMULTIHOP", "ENAMETOOLONG", "ENETDOWN", "ENETRESET", "ENETUNREACH", "ENFILE", "ENOBUFS",
  "ENODEV", "ENOENT", "ENOEXEC", "ENOLCK", "ENOLINK", "ENOMEM", "ENOMSG", "ENOPROTOOPT", "ENOSPC",
  "ENOSYS", "ENOTCONN", "ENOTDIR", "ENOTEMPTY", "ENOTRECOVERABLE", "ENOTSOCK", "ENOTSUP", "ENOTTY",
  "ENXIO", "EOVERFLOW", "EOWNERDEAD", "EPERM", "EPIPE", "EPROTO", "EPROTONOSUPPORT", "EPROTOTYPE",
  "ERANGE", "EROFS", "ESPIPE", "ESRCH", "ESTALE", "ETIMEDOUT", "ETXTBSY", "EXDEV", "ENOTCAPABLE",
};

static const char *ename(unsigned e) {
  static char buf[32];
  if (e < sizeof ERRNO_NAMES / sizeof ERRNO_NAMES[0]) return ERRNO_NAMES[e];
  snprintf(buf, sizeof buf, "errno %u", e);
  return buf;
}

static const char *const FILETYPE_NAMES[] = {
  "UNKNOWN", "BLOCK_DEVICE", "CHARACTER_DEVICE", "DIRECTORY", "REGULAR_FILE",
  "SOCKET_DGRAM", "SOCKET_STREAM", "SYMBOLIC_LINK",
};

static const char *ftname(unsigned t) { return t < 8 ? FILETYPE_NAMES[t] : "?"; }

/** Prints `label -> ERRNO` (label is printf-formatted) and returns the errno. */
__attribute__((format(printf, 2, 3)))
static unsigned check(unsigned err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf(" -> %s\n", ename(err));
  return err;
}

/** Prints `label: yes|no` for a sanity condition whose exact value may differ between runs. */
#define SANE(label, cond) printf("%s: %s\n", (label), (cond) ? "yes" : "no")

/** Every right, for opening files and directories with nothing withheld. */
#define RIGHTS_ALL ((__wasi_rights_t)0x1fffffffULL)
#define RIGHTS_READ (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL | \
                     __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_FD_READDIR)
#define RIGHTS_WRITE (__WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL | \
                      __WASI_RIGHTS_FD_FILESTAT_GET)

/** Rights for opening a directory: everything but the file-write rights (wasmtime: EISDIR). */
#define RIGHTS_DIR (RIGHTS_ALL & ~(__wasi_rights_t)(__WASI_RIGHTS_FD_DATASYNC | __WASI_RIGHTS_FD_WRITE | \
                   __WASI_RIGHTS_FD_ALLOCATE | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE))

/** The preopens every conformance case gets, in this order (see test/conformance/cases.json). */
#define SANDBOX_FD 3 /* "/sandbox", read-write */
#define RO_FD 4      /* "/ro", read-only */
#define BAD_FD 99

/** Opens `path` beneath `dir` with the raw call; returns the errno, fd in *out. */
static __wasi_errno_t open_at(__wasi_fd_t dir, const char *path, __wasi_lookupflags_t lf,
                              __wasi_oflags_t of, __wasi_rights_t rights, __wasi_fdflags_t ff,
                              __wasi_fd_t *out) {
  return __wasi_path_open(dir, lf, path, of, rights, rights, ff, out);
}

/** Writes a whole string to an fd with the raw call. */
static __wasi_errno_t write_str(__wasi_fd_t fd, const char *s, __wasi_size_t *n) {
  __wasi_ciovec_t iov = {(const uint8_t *)s, strlen(s)};
  return __wasi_fd_write(fd, &iov, 1, n);
}

/** Creates (or truncates) a file with the given contents; prints nothing. */
static __wasi_errno_t make_file(__wasi_fd_t dir, const char *path, const char *contents) {
  __wasi_fd_t fd;
  __wasi_size_t n;
  __wasi_errno_t e = open_at(dir, path, 0, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, RIGHTS_ALL, 0, &fd);
  if (e) return e;
  e = write_str(fd, contents, &n);
  __wasi_errno_t c = __wasi_fd_close(fd);
  return e ? e : c;
}

/** Reads up to cap-1 bytes of a file into buf (NUL-terminated); prints nothing. */
static __wasi_errno_t read_file(__wasi_fd_t dir, const char *path, char *buf, size_t cap) {
  __wasi_fd_t fd;
  __wasi_errno_t e = open_at(dir, path, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0, RIGHTS_READ, 0, &fd);
  buf[0] = 0;
  if (e) return e;
  size_t total = 0;
  for (;;) {
    __wasi_iovec_t iov = {(uint8_t *)buf + total, cap - 1 - total};
    __wasi_size_t n = 0;
    e = __wasi_fd_read(fd, &iov, 1, &n);
    if (e || n == 0) break;
    total += n;
  }
  buf[total] = 0;
  (void)__wasi_fd_close(fd);
  return e;
}

/** Prints n bytes as a C-like quoted string (\n, \0 and other bytes < 0x20 escaped). */
static void show_bytes(const char *p, size_t n) {
  putchar('"');
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    if (c == '\n') fputs("\\n", stdout);
    else if (c == '"' || c == '\\') printf("\\%c", c);
    else if (c < 0x20 || c == 0x7f) printf("\\x%02x", c);
    else putchar(c);
  }
  putchar('"');
}

/** Line-buffer stdout so raw writes and printf stay in order. */
static void transcript_init(void) { setvbuf(stdout, NULL, _IOLBF, 0); }

#endif
