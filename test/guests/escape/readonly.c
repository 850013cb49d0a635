// cflags: -Wl,--strip-all
// Adversarial guest: tries every kind of write through the read-only preopen "/ro" (with a
// read-write "/rw" beside it). Prints "NAME: refused errno=N" or "NAME: ESCAPED ...".
// Layout (made by test/escape.test.ts): ro/file.txt, ro/dir/inner.txt, ro/emptydir, ro/link -> file.txt,
// ro/dangle -> created.txt (dangling), rw/src.txt, rw/dir.
#include "harness.h"

static int RO = -1, RW = -1;

static void setup(void) {
  RO = find_preopen("/ro");
  RW = find_preopen("/rw");
  if (RO < 0 || RW < 0) {
    fprintf(stderr, "setup: preopens /ro and /rw are required\n");
    exit(3);
  }
}

static const char PAYLOAD[] = "PWNED";

/** Opens an existing ro file for reading (a legitimate first step); -1 on failure. */
static int open_ro_file(const char *path, int64_t rights, int fdflags) {
  int32_t fd = -1;
  if (raw_path_open(RO, 0, P(path), L(path), 0, rights, rights, fdflags, P(&fd))) return -1;
  return fd;
}

static int write_fd(int fd) {
  __wasi_ciovec_t iov = {(const uint8_t *)PAYLOAD, sizeof PAYLOAD - 1};
  size_t n = 0;
  return __wasi_fd_write(fd, &iov, 1, &n);
}

/**
 * A path_open asking for write access: refused outright, or (if the open itself is allowed)
 * every write through the fd must fail. Returns the first refusal errno or ESCAPED.
 */
static int open_for_write(int dir, int lookup, const char *path, int oflags, int64_t rights, int fdflags) {
  int32_t fd = -1;
  int e = raw_path_open(dir, lookup, P(path), L(path), oflags, rights, rights, fdflags, P(&fd));
  if (e) return e;
  __wasi_filestat_t st;
  memset(&st, 0, sizeof st);
  (void)__wasi_fd_filestat_get(fd, &st);
  if (oflags & (__WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC)) {
    closefd(fd);
    return escaped("path_open(%s, oflags=%d) succeeded (size now %llu)", path, oflags, (unsigned long long)st.size);
  }
  int w = write_fd(fd);
  __wasi_ciovec_t iov = {(const uint8_t *)PAYLOAD, sizeof PAYLOAD - 1};
  size_t n = 0;
  int pw = __wasi_fd_pwrite(fd, &iov, 1, 0, &n);
  int ss = __wasi_fd_filestat_set_size(fd, 0);
  closefd(fd);
  if (w == 0 || pw == 0 || ss == 0) return escaped("opened %s for write and wrote (write=%d pwrite=%d set_size=%d)", path, w, pw, ss);
  note("(open allowed, write=%d pwrite=%d set_size=%d)", w, pw, ss);
  return w;
}

static int ro_create_file(void) { return open_for_write(RO, 0, "new.txt", __WASI_OFLAGS_CREAT, R_READ | R_WRITE, 0); }
static int ro_create_file_read_rights(void) { return open_for_write(RO, 0, "new2.txt", __WASI_OFLAGS_CREAT, R_READ, 0); }
static int ro_create_excl(void) { return open_for_write(RO, 0, "new3.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, R_READ | R_WRITE, 0); }
static int ro_create_in_subdir(void) { return open_for_write(RO, 0, "dir/new.txt", __WASI_OFLAGS_CREAT, R_READ | R_WRITE, 0); }
static int ro_create_existing(void) { return open_for_write(RO, 0, "file.txt", __WASI_OFLAGS_CREAT, R_READ | R_WRITE, 0); }
static int ro_open_existing_write(void) { return open_for_write(RO, 0, "file.txt", 0, R_READ | R_WRITE, 0); }
static int ro_open_write_only(void) { return open_for_write(RO, 0, "dir/inner.txt", 0, __WASI_RIGHTS_FD_WRITE, 0); }
static int ro_open_trunc(void) { return open_for_write(RO, 0, "file.txt", __WASI_OFLAGS_TRUNC, R_READ | R_WRITE, 0); }
static int ro_open_trunc_read_rights(void) { return open_for_write(RO, 0, "file.txt", __WASI_OFLAGS_TRUNC, R_READ, 0); }
static int ro_open_append(void) { return open_for_write(RO, 0, "file.txt", 0, R_READ | R_WRITE, __WASI_FDFLAGS_APPEND); }
static int ro_open_append_read_rights(void) { return open_for_write(RO, 0, "file.txt", 0, R_READ, __WASI_FDFLAGS_APPEND); }
static int ro_open_all_rights(void) { return open_for_write(RO, 0, "file.txt", 0, R_ALL, 0); }
static int ro_open_symlink_follow_write(void) { return open_for_write(RO, FOLLOW, "link", 0, R_READ | R_WRITE, 0); }
static int ro_open_symlink_follow_trunc(void) { return open_for_write(RO, FOLLOW, "link", __WASI_OFLAGS_TRUNC, R_READ | R_WRITE, 0); }
static int ro_open_dir_write_rights(void) {
  int32_t fd = -1;
  int e = raw_path_open(RO, 0, P("dir"), 3, __WASI_OFLAGS_DIRECTORY, R_ALL, R_ALL, 0, P(&fd));
  if (e) return e;
  int w = write_fd(fd);
  int c = raw_path_create_directory(fd, P("x"), 1);
  closefd(fd);
  if (w == 0 || c == 0) return escaped("dir opened with write rights and written (write=%d mkdir=%d)", w, c);
  note("(open allowed, write=%d mkdir=%d)", w, c);
  return w;
}

/* ---- writes through an fd opened read-only ---- */
#define WITH_RO_FILE(body)                                              \
  int fd = open_ro_file("file.txt", R_READ, 0);                         \
  if (fd < 0) return escaped("setup: cannot open file.txt for reading"); \
  int e = (body);                                                       \
  closefd(fd);                                                          \
  return e

static int ro_fd_write(void) { WITH_RO_FILE(must_fail(write_fd(fd), "fd_write")); }
static int ro_fd_pwrite(void) {
  __wasi_ciovec_t iov = {(const uint8_t *)PAYLOAD, sizeof PAYLOAD - 1};
  size_t n = 0;
  WITH_RO_FILE(must_fail(__wasi_fd_pwrite(fd, &iov, 1, 2, &n), "fd_pwrite"));
}
static int ro_fd_filestat_set_size(void) { WITH_RO_FILE(must_fail(__wasi_fd_filestat_set_size(fd, 1), "fd_filestat_set_size")); }
static int ro_fd_allocate(void) { WITH_RO_FILE(must_fail(__wasi_fd_allocate(fd, 0, 1 << 16), "fd_allocate")); }
static int ro_fd_filestat_set_times(void) {
  WITH_RO_FILE(must_fail(__wasi_fd_filestat_set_times(fd, 1000000000, 1000000000, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM), "fd_filestat_set_times"));
}
static int ro_fd_set_times_now(void) {
  WITH_RO_FILE(must_fail(__wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_ATIM_NOW | __WASI_FSTFLAGS_MTIM_NOW), "fd_filestat_set_times(now)"));
}
static int ro_fdstat_set_flags_append(void) {
  int fd = open_ro_file("file.txt", R_ALL, 0);
  if (fd < 0) fd = open_ro_file("file.txt", R_READ | __WASI_RIGHTS_FD_FDSTAT_SET_FLAGS, 0);
  if (fd < 0) return escaped("setup: cannot open file.txt for reading");
  int f = __wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_APPEND);
  int w = write_fd(fd);
  closefd(fd);
  if (w == 0) return escaped("wrote after fd_fdstat_set_flags(APPEND)=%d", f);
  note("(set_flags=%d)", f);
  return w;
}
static int ro_fdstat_set_rights_escalate(void) {
  int fd = open_ro_file("file.txt", R_READ, 0);
  if (fd < 0) return escaped("setup: cannot open file.txt for reading");
  int r = __wasi_fd_fdstat_set_rights(fd, R_ALL, R_ALL);
  int w = write_fd(fd);
  closefd(fd);
  if (w == 0) return escaped("wrote after fd_fdstat_set_rights(all)=%d", r);
  note("(set_rights=%d)", r);
  return w;
}
static int ro_fd_set_times_preopen(void) {
  return must_fail(__wasi_fd_filestat_set_times(RO, 1000000000, 1000000000, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM), "fd_filestat_set_times on the preopen");
}
static int ro_fd_write_preopen(void) { return must_fail(write_fd(RO), "fd_write on the preopen fd"); }
static int ro_fd_set_times_subdir(void) {
  int32_t d = -1;
  if (raw_path_open(RO, 0, P("dir"), 3, __WASI_OFLAGS_DIRECTORY, R_DIR, R_ALL, 0, P(&d))) return escaped("setup: cannot open dir");
  int e = must_fail(__wasi_fd_filestat_set_times(d, 0, 0, __WASI_FSTFLAGS_MTIM_NOW), "fd_filestat_set_times on ro/dir");
  closefd(d);
  return e;
}

/* ---- path_* writes ---- */
static int ro_path_set_times_file(void) {
  return must_fail(raw_path_filestat_set_times(RO, 0, P("file.txt"), L("file.txt"), 1000000000, 1000000000, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM), "path_filestat_set_times file.txt");
}
static int ro_path_set_times_dir(void) {
  return must_fail(raw_path_filestat_set_times(RO, 0, P("dir"), 3, 0, 0, __WASI_FSTFLAGS_MTIM_NOW), "path_filestat_set_times dir");
}
static int ro_path_set_times_root(void) {
  return must_fail(raw_path_filestat_set_times(RO, 0, P("."), 1, 0, 0, __WASI_FSTFLAGS_ATIM_NOW | __WASI_FSTFLAGS_MTIM_NOW), "path_filestat_set_times .");
}
static int ro_path_set_times_symlink_follow(void) {
  return must_fail(raw_path_filestat_set_times(RO, FOLLOW, P("link"), 4, 0, 0, __WASI_FSTFLAGS_MTIM_NOW), "path_filestat_set_times (follow) link");
}
static int ro_path_set_times_symlink_nofollow(void) {
  return must_fail(raw_path_filestat_set_times(RO, 0, P("link"), 4, 0, 0, __WASI_FSTFLAGS_MTIM_NOW), "path_filestat_set_times link");
}
static int ro_mkdir(void) { return must_fail(raw_path_create_directory(RO, P("newdir"), 6), "path_create_directory newdir"); }
static int ro_mkdir_via_subdir_fd(void) {
  int32_t d = -1;
  if (raw_path_open(RO, 0, P("dir"), 3, __WASI_OFLAGS_DIRECTORY, R_DIR, R_ALL, 0, P(&d))) return escaped("setup: cannot open dir");
  int e = must_fail(raw_path_create_directory(d, P("newdir"), 6), "path_create_directory via ro/dir fd");
  int e2 = open_for_write(d, 0, "new.txt", __WASI_OFLAGS_CREAT, R_READ | R_WRITE, 0);
  closefd(d);
  if (e2 == ESCAPED) return ESCAPED;
  note("(create file=%d)", e2);
  return e;
}
static int ro_rmdir(void) { return must_fail(raw_path_remove_directory(RO, P("emptydir"), 8), "path_remove_directory emptydir"); }
static int ro_unlink_file(void) { return must_fail(raw_path_unlink_file(RO, P("file.txt"), 8), "path_unlink_file file.txt"); }
static int ro_unlink_symlink(void) { return must_fail(raw_path_unlink_file(RO, P("link"), 4), "path_unlink_file link"); }
static int ro_symlink(void) {
  return must_fail(raw_path_symlink(P("file.txt"), 8, RO, P("newlink"), 7), "path_symlink newlink");
}
static int ro_link_within(void) {
  return must_fail(raw_path_link(RO, 0, P("file.txt"), 8, RO, P("hardlink"), 8), "path_link file.txt -> hardlink");
}
static int ro_link_into(void) {
  return must_fail(raw_path_link(RW, 0, P("src.txt"), 7, RO, P("hardlink"), 8), "path_link rw/src.txt -> ro/hardlink");
}
static int ro_link_out(void) {
  // A hard link from the rw mount to a ro file would make the ro file writable.
  int e = raw_path_link(RO, 0, P("file.txt"), 8, RW, P("hardlink"), 8);
  if (e) return e;
  int fd = -1;
  int w = raw_path_open(RW, 0, P("hardlink"), 8, 0, R_READ | R_WRITE, R_READ | R_WRITE, 0, P(&fd));
  if (w == 0) w = write_fd(fd);
  return escaped("path_link ro/file.txt -> rw/hardlink succeeded (write through it=%d)", w);
}
static int ro_rename_within(void) { return must_fail(raw_path_rename(RO, P("file.txt"), 8, RO, P("moved.txt"), 9), "path_rename file.txt -> moved.txt"); }
static int ro_rename_dir_within(void) { return must_fail(raw_path_rename(RO, P("dir"), 3, RO, P("emptydir/dir"), 12), "path_rename dir -> emptydir/dir"); }
static int ro_rename_in(void) { return must_fail(raw_path_rename(RW, P("src.txt"), 7, RO, P("src.txt"), 7), "path_rename rw/src.txt -> ro/src.txt"); }
static int ro_rename_in_over_existing(void) {
  return must_fail(raw_path_rename(RW, P("src.txt"), 7, RO, P("file.txt"), 8), "path_rename rw/src.txt over ro/file.txt");
}
static int ro_rename_out(void) { return must_fail(raw_path_rename(RO, P("file.txt"), 8, RW, P("stolen.txt"), 10), "path_rename ro/file.txt -> rw/stolen.txt"); }
static int ro_rename_dir_out(void) { return must_fail(raw_path_rename(RO, P("dir"), 3, RW, P("stolen"), 6), "path_rename ro/dir -> rw/stolen"); }
static int ro_renumber_onto_rw(void) {
  // After renumbering, the rw fd number names the ro directory: it must still refuse writes.
  int r = __wasi_fd_renumber(RO, RW);
  int e = open_for_write(RW, 0, "new.txt", __WASI_OFLAGS_CREAT, R_READ | R_WRITE, 0);
  int e2 = must_fail(raw_path_unlink_file(RW, P("file.txt"), 8), "unlink via renumbered fd");
  if (e == ESCAPED || e2 == ESCAPED) return ESCAPED;
  note("(renumber=%d unlink=%d)", r, e2);
  return e;
}

static int ro_create_through_dangling_symlink(void) {
  return open_for_write(RO, FOLLOW, "dangle", __WASI_OFLAGS_CREAT, R_READ | R_WRITE, 0);
}
static int ro_rename_noop(void) {
  // rename(x, x) succeeds on Linux without changing anything; a read-only mount refuses it all the same.
  return must_fail(raw_path_rename(RO, P("file.txt"), 8, RO, P("file.txt"), 8), "path_rename file.txt -> file.txt");
}
static int ro_rmdir_nonempty(void) { return must_fail(raw_path_remove_directory(RO, P("dir"), 3), "path_remove_directory dir"); }
static int ro_unlink_dir(void) { return must_fail(raw_path_unlink_file(RO, P("dir"), 3), "path_unlink_file dir"); }

static const attempt_t ATTEMPTS[] = {
#define A(f) {#f, f}
    A(ro_create_file), A(ro_create_file_read_rights), A(ro_create_excl), A(ro_create_in_subdir), A(ro_create_existing),
    A(ro_open_existing_write), A(ro_open_write_only), A(ro_open_trunc), A(ro_open_trunc_read_rights),
    A(ro_open_append), A(ro_open_append_read_rights), A(ro_open_all_rights), A(ro_open_symlink_follow_write),
    A(ro_open_symlink_follow_trunc), A(ro_open_dir_write_rights),
    A(ro_fd_write), A(ro_fd_pwrite), A(ro_fd_filestat_set_size), A(ro_fd_allocate), A(ro_fd_filestat_set_times),
    A(ro_fd_set_times_now), A(ro_fdstat_set_flags_append), A(ro_fdstat_set_rights_escalate),
    A(ro_fd_set_times_preopen), A(ro_fd_write_preopen), A(ro_fd_set_times_subdir),
    A(ro_path_set_times_file), A(ro_path_set_times_dir), A(ro_path_set_times_root), A(ro_path_set_times_symlink_follow),
    A(ro_path_set_times_symlink_nofollow), A(ro_mkdir), A(ro_mkdir_via_subdir_fd), A(ro_rmdir), A(ro_unlink_file),
    A(ro_unlink_symlink), A(ro_symlink), A(ro_link_within), A(ro_link_into), A(ro_link_out), A(ro_rename_within),
    A(ro_rename_dir_within), A(ro_rename_in), A(ro_rename_in_over_existing), A(ro_rename_out), A(ro_rename_dir_out),
    A(ro_create_through_dangling_symlink), A(ro_rename_noop), A(ro_rmdir_nonempty), A(ro_unlink_dir),
    A(ro_renumber_onto_rw),
#undef A
};

int main(int argc, char **argv) {
  return run_attempts(ATTEMPTS, sizeof ATTEMPTS / sizeof ATTEMPTS[0], argc, argv, setup);
}
