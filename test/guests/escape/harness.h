// Shared harness for the adversarial escape guests: raw WASI imports that take explicit
// pointers and lengths (so wasi-libc's own path handling hides nothing), and the attempt runner.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <wasi/api.h>

#define WASI_IMPORT(n) __attribute__((import_module("wasi_snapshot_preview1"), import_name(n)))

// Pointers are plain i32 so that hostile addresses can be passed on purpose.
int32_t raw_path_open(int32_t fd, int32_t dirflags, int32_t path, int32_t path_len, int32_t oflags,
                      int64_t base, int64_t inheriting, int32_t fdflags, int32_t fd_out) WASI_IMPORT("path_open");
int32_t raw_path_create_directory(int32_t fd, int32_t path, int32_t len) WASI_IMPORT("path_create_directory");
int32_t raw_path_filestat_get(int32_t fd, int32_t flags, int32_t path, int32_t len, int32_t out) WASI_IMPORT("path_filestat_get");
int32_t raw_path_filestat_set_times(int32_t fd, int32_t flags, int32_t path, int32_t len, int64_t atim, int64_t mtim,
                                    int32_t fst) WASI_IMPORT("path_filestat_set_times");
int32_t raw_path_link(int32_t old_fd, int32_t old_flags, int32_t old_path, int32_t old_len, int32_t new_fd,
                      int32_t new_path, int32_t new_len) WASI_IMPORT("path_link");
int32_t raw_path_readlink(int32_t fd, int32_t path, int32_t len, int32_t buf, int32_t buf_len, int32_t used) WASI_IMPORT("path_readlink");
int32_t raw_path_remove_directory(int32_t fd, int32_t path, int32_t len) WASI_IMPORT("path_remove_directory");
int32_t raw_path_rename(int32_t fd, int32_t old_path, int32_t old_len, int32_t new_fd, int32_t new_path,
                        int32_t new_len) WASI_IMPORT("path_rename");
int32_t raw_path_symlink(int32_t old_path, int32_t old_len, int32_t fd, int32_t new_path, int32_t new_len) WASI_IMPORT("path_symlink");
int32_t raw_path_unlink_file(int32_t fd, int32_t path, int32_t len) WASI_IMPORT("path_unlink_file");
int32_t raw_fd_prestat_dir_name(int32_t fd, int32_t buf, int32_t len) WASI_IMPORT("fd_prestat_dir_name");

#define P(s) ((int32_t)(uintptr_t)(s))
#define L(s) ((int32_t)strlen(s))
#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW
#define ESCAPED (-1)

#define R_READ (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL | __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_FD_READDIR)
#define R_WRITE (__WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE | __WASI_RIGHTS_FD_ALLOCATE | __WASI_RIGHTS_FD_FILESTAT_SET_TIMES | __WASI_RIGHTS_FD_FDSTAT_SET_FLAGS)
#define R_ALL ((int64_t)0x07FFFFFF)
/** Every right that makes sense on a directory (write-like rights on a directory give EISDIR). */
#define R_DIR (R_ALL & ~(int64_t)(__WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_ALLOCATE | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE))

static void closefd(int fd) { (void)!__wasi_fd_close(fd); }

/** Description of an escape, printed after "ESCAPED". */
static char escape_note[1024];

static int escaped(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(escape_note, sizeof escape_note, fmt, ap);
  va_end(ap);
  return ESCAPED;
}

/** Optional note printed after a refusal (e.g. what a contained operation did). */
static char refuse_note[256];

static void note(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(refuse_note, sizeof refuse_note, fmt, ap);
  va_end(ap);
}

/** Finds the preopened fd whose guest name is `name` (-1 if none). */
static int find_preopen(const char *name) {
  for (int fd = 3; fd < 64; fd++) {
    __wasi_prestat_t ps;
    if (__wasi_fd_prestat_get(fd, &ps) != 0) continue;
    char buf[256];
    size_t n = ps.u.dir.pr_name_len;
    if (n >= sizeof buf) continue;
    if (__wasi_fd_prestat_dir_name(fd, (uint8_t *)buf, n) != 0) continue;
    buf[n] = 0;
    if (strcmp(buf, name) == 0) return fd;
  }
  return -1;
}

/** Reads up to cap-1 bytes of fd from offset 0 into out (NUL-terminated); returns errno. */
static int read_all(int fd, char *out, size_t cap) {
  __wasi_iovec_t iov = {(uint8_t *)out, cap - 1};
  size_t n = 0;
  int e = __wasi_fd_pread(fd, &iov, 1, 0, &n);
  out[e ? 0 : n] = 0;
  return e;
}

/** An fd that should never have been opened was: describe what it is (file content or dir listing). */
static int describe_opened(int fd, const char *what) {
  __wasi_filestat_t st;
  memset(&st, 0, sizeof st);
  (void)__wasi_fd_filestat_get(fd, &st);
  if (st.filetype == __WASI_FILETYPE_DIRECTORY) {
    uint8_t buf[2048];
    size_t used = 0;
    char names[600] = "";
    if (__wasi_fd_readdir(fd, buf, sizeof buf, 0, &used) == 0) {
      size_t off = 0;
      while (off + sizeof(__wasi_dirent_t) <= used && strlen(names) < 500) {
        __wasi_dirent_t d;
        memcpy(&d, buf + off, sizeof d);
        off += sizeof d;
        size_t nl = d.d_namlen;
        if (off + nl > used) break;
        strncat(names, (const char *)buf + off, nl < 60 ? nl : 60);
        strcat(names, ",");
        off += nl;
      }
    }
    closefd(fd);
    return escaped("%s opened a directory fd=%d ino=%llu entries=[%s]", what, fd, (unsigned long long)st.ino, names);
  }
  char content[200];
  read_all(fd, content, sizeof content);
  for (char *c = content; *c; c++)
    if (*c == '\n') *c = ' ';
  closefd(fd);
  return escaped("%s opened fd=%d type=%d size=%llu content=\"%s\"", what, fd, st.filetype,
                 (unsigned long long)st.size, content);
}

/** path_open that must be refused: returns its errno, or ESCAPED with what was opened. */
static int must_not_open(int dir, int lookup, const char *path, int32_t len, int oflags, int64_t rights) {
  int32_t fd = -1;
  int e = raw_path_open(dir, lookup, P(path), len, oflags, rights, rights, 0, P(&fd));
  if (e) return e;
  return describe_opened(fd, "path_open");
}

#define MUST_NOT_OPEN(dir, lookup, path) must_not_open(dir, lookup, path, L(path), 0, R_READ)

/** An operation that must fail: returns its errno, or ESCAPED naming the call. */
static int must_fail(int e, const char *what) {
  if (e) return e;
  return escaped("%s succeeded", what);
}

typedef struct {
  const char *name;
  int (*fn)(void);
} attempt_t;

/** Runs the attempts named in argv (or all with "all"; lists names with "--list"). */
static int run_attempts(const attempt_t *attempts, size_t count, int argc, char **argv, void (*setup)(void)) {
  if (argc > 1 && strcmp(argv[1], "--list") == 0) {
    for (size_t i = 0; i < count; i++) printf("%s\n", attempts[i].name);
    return 0;
  }
  setup();
  int escapes = 0, ran = 0;
  for (size_t i = 0; i < count; i++) {
    int wanted = argc < 2;
    for (int a = 1; a < argc && !wanted; a++)
      wanted = strcmp(argv[a], "all") == 0 || strcmp(argv[a], attempts[i].name) == 0;
    if (!wanted) continue;
    escape_note[0] = 0;
    refuse_note[0] = 0;
    int r = attempts[i].fn();
    ran++;
    if (r == ESCAPED) {
      escapes++;
      printf("%s: ESCAPED %s\n", attempts[i].name, escape_note);
    } else {
      printf("%s: refused errno=%d%s%s\n", attempts[i].name, r, refuse_note[0] ? " " : "", refuse_note);
    }
    fflush(stdout);
  }
  if (ran == 0) {
    fprintf(stderr, "no attempt matched\n");
    return 2;
  }
  return escapes ? 1 : 0;
}
