// Conformance guest: every path_* call beneath a read-write and a read-only preopen, on success
// and on its error paths (ENOENT, EEXIST, ENOTDIR, EISDIR, ENOTEMPTY, ELOOP, escapes, EROFS...).
#include <stdlib.h>
#include "check.h"

static const __wasi_fd_t D = SANDBOX_FD;

static void open_show(__wasi_fd_t dir, const char *path, __wasi_lookupflags_t lf, __wasi_oflags_t of,
                      __wasi_rights_t rights, const char *label) {
  __wasi_fd_t fd = 0;
  unsigned e = open_at(dir, path, lf, of, rights, 0, &fd);
  check(e, "path_open %s \"%s\"", label, path);
  if (!e) (void)__wasi_fd_close(fd);
}

static void stat_show(__wasi_fd_t dir, const char *path, __wasi_lookupflags_t lf) {
  __wasi_filestat_t st;
  unsigned e = __wasi_path_filestat_get(dir, lf, path, &st);
  if (e) printf("path_filestat_get%s \"%s\" -> %s\n", lf ? " FOLLOW" : "", path, ename(e));
  else if (st.filetype == __WASI_FILETYPE_DIRECTORY)
    printf("path_filestat_get%s \"%s\" -> ok, %s nlink %s\n", lf ? " FOLLOW" : "", path,
           ftname(st.filetype), st.nlink >= 1 ? ">=1" : "0");
  else
    printf("path_filestat_get%s \"%s\" -> ok, %s size %llu nlink %llu\n", lf ? " FOLLOW" : "", path,
           ftname(st.filetype), (unsigned long long)st.size, (unsigned long long)st.nlink);
}

static void cat_show(__wasi_fd_t dir, const char *path) {
  char buf[128];
  unsigned e = read_file(dir, path, buf, sizeof buf);
  printf("  contents of \"%s\" -> %s ", path, ename(e));
  show_bytes(buf, strlen(buf));
  putchar('\n');
}

static void readlink_show(__wasi_fd_t dir, const char *path, size_t cap) {
  char buf[80];
  memset(buf, '#', sizeof buf);
  __wasi_size_t n = 0;
  unsigned e = __wasi_path_readlink(dir, path, (uint8_t *)buf, cap, &n);
  printf("path_readlink \"%s\" buf %zu -> %s", path, cap, ename(e));
  if (!e) {
    printf(", %lu bytes ", n);
    show_bytes(buf, n);
    SANE(", no write past the buffer", buf[cap] == '#');
  } else {
    putchar('\n');
  }
}

int main(void) {
  transcript_init();
  __wasi_fd_t fd;

  printf("== fixture\n");
  cat_show(D, "hello.txt");
  cat_show(RO_FD, "data.txt");
  cat_show(RO_FD, "sub/inner.txt");

  printf("== path_create_directory\n");
  check(__wasi_path_create_directory(D, "d"), "path_create_directory \"d\"");
  check(__wasi_path_create_directory(D, "d"), "path_create_directory \"d\" again");
  check(__wasi_path_create_directory(D, "d/e"), "path_create_directory \"d/e\"");
  check(__wasi_path_create_directory(D, "nope/x"), "path_create_directory \"nope/x\"");
  check(__wasi_path_create_directory(D, "hello.txt"), "path_create_directory \"hello.txt\" (a file)");
  check(__wasi_path_create_directory(D, "hello.txt/x"), "path_create_directory \"hello.txt/x\"");
  check(__wasi_path_create_directory(D, ""), "path_create_directory \"\"");
  check(__wasi_path_create_directory(D, "."), "path_create_directory \".\"");
  check(__wasi_path_create_directory(D, "../up"), "path_create_directory \"../up\"");
  check(__wasi_path_create_directory(D, "/abs"), "path_create_directory \"/abs\"");
  check(__wasi_path_create_directory(D, "d/../d2"), "path_create_directory \"d/../d2\"");
  check(__wasi_path_create_directory(RO_FD, "newdir"), "path_create_directory on read-only preopen");
  check(__wasi_path_create_directory(BAD_FD, "x"), "path_create_directory bad fd");

  printf("== path_open\n");
  open_show(D, "missing", 0, 0, RIGHTS_READ, "read");
  open_show(D, "missing/x", 0, 0, RIGHTS_READ, "read");
  open_show(D, "hello.txt", 0, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, RIGHTS_ALL, "CREAT|EXCL existing");
  open_show(D, "d", 0, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, RIGHTS_ALL, "CREAT|EXCL existing dir");
  open_show(D, "newfile", 0, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, RIGHTS_ALL, "CREAT|EXCL new");
  open_show(D, "hello.txt", 0, __WASI_OFLAGS_DIRECTORY, RIGHTS_READ, "DIRECTORY on file");
  open_show(D, "hello.txt/", 0, 0, RIGHTS_READ, "trailing slash on file");
  open_show(D, "hello.txt/x", 0, 0, RIGHTS_READ, "through a file");
  open_show(D, "d", 0, __WASI_OFLAGS_DIRECTORY, RIGHTS_READ, "DIRECTORY on dir");
  open_show(D, "d", 0, __WASI_OFLAGS_DIRECTORY, RIGHTS_DIR, "DIRECTORY on dir, dir rights");
  open_show(D, "d/", 0, 0, RIGHTS_READ, "dir with trailing slash");
  open_show(D, "d", 0, 0, RIGHTS_READ, "dir read-only rights");
  open_show(D, "d", 0, 0, RIGHTS_ALL, "dir with write rights");
  open_show(D, "d", 0, __WASI_OFLAGS_CREAT, RIGHTS_ALL, "CREAT on dir");
  open_show(D, "d", 0, __WASI_OFLAGS_TRUNC, RIGHTS_ALL, "TRUNC on dir");
  open_show(D, "newdir2", 0, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_DIRECTORY, RIGHTS_ALL, "CREAT|DIRECTORY");
  open_show(D, ".", 0, __WASI_OFLAGS_DIRECTORY, RIGHTS_READ, "DIRECTORY");
  open_show(D, "", 0, 0, RIGHTS_READ, "empty path");
  open_show(D, "d/../hello.txt", 0, 0, RIGHTS_READ, "inner ..");
  open_show(D, "./hello.txt", 0, 0, RIGHTS_READ, "leading ./");
  open_show(D, "d//..//hello.txt", 0, 0, RIGHTS_READ, "double slashes");
  open_show(D, "..", 0, 0, RIGHTS_READ, "parent of preopen");
  open_show(D, "../hello.txt", 0, 0, RIGHTS_READ, "escape with ..");
  open_show(D, "d/../../hello.txt", 0, 0, RIGHTS_READ, "escape with d/../..");
  open_show(D, "/hello.txt", 0, 0, RIGHTS_READ, "absolute path");
  open_show(D, "/etc/passwd", 0, 0, RIGHTS_READ, "absolute host path");
  check(make_file(D, "trunc.txt", "0123456789"), "make trunc.txt");
  open_show(D, "trunc.txt", 0, __WASI_OFLAGS_TRUNC, RIGHTS_ALL, "TRUNC");
  stat_show(D, "trunc.txt", 0);
  open_show(RO_FD, "data.txt", 0, 0, RIGHTS_READ, "read-only preopen, read");
  open_show(RO_FD, "data.txt", 0, 0, RIGHTS_ALL, "read-only preopen, write rights");
  open_show(RO_FD, "data.txt", 0, __WASI_OFLAGS_TRUNC, RIGHTS_ALL, "read-only preopen, TRUNC");
  open_show(RO_FD, "created.txt", 0, __WASI_OFLAGS_CREAT, RIGHTS_ALL, "read-only preopen, CREAT");
  open_show(RO_FD, "sub", 0, __WASI_OFLAGS_DIRECTORY, RIGHTS_READ, "read-only preopen, dir");
  open_show(BAD_FD, "hello.txt", 0, 0, RIGHTS_READ, "bad fd");
  {
    __wasi_fd_t f;
    if (!open_at(D, "hello.txt", 0, 0, RIGHTS_READ, 0, &f)) {
      open_show(f, "x", 0, 0, RIGHTS_READ, "relative to a file fd");
      (void)__wasi_fd_close(f);
    }
    if (!open_at(D, "d", 0, __WASI_OFLAGS_DIRECTORY, RIGHTS_DIR, 0, &f)) {
      check(make_file(f, "in_d.txt", "in d\n"), "make d/in_d.txt through a dir fd");
      open_show(f, "../hello.txt", 0, 0, RIGHTS_READ, "from d fd, ..");
      open_show(f, "../../hello.txt", 0, 0, RIGHTS_READ, "from d fd, escape");
      (void)__wasi_fd_close(f);
    }
    cat_show(D, "d/in_d.txt");
  }

  printf("== symlinks\n");
  check(__wasi_path_symlink("hello.txt", D, "link_hello"), "path_symlink link_hello -> hello.txt");
  check(__wasi_path_symlink("hello.txt", D, "link_hello"), "path_symlink existing name");
  check(__wasi_path_symlink("d", D, "link_d"), "path_symlink link_d -> d");
  check(__wasi_path_symlink("loop2", D, "loop1"), "path_symlink loop1 -> loop2");
  check(__wasi_path_symlink("loop1", D, "loop2"), "path_symlink loop2 -> loop1");
  check(__wasi_path_symlink("self", D, "self"), "path_symlink self -> self");
  check(__wasi_path_symlink("dangling_target", D, "dangling"), "path_symlink dangling -> dangling_target");
  check(__wasi_path_symlink("../outside", D, "escape_rel"), "path_symlink escape_rel -> ../outside");
  check(__wasi_path_symlink("/etc/passwd", D, "escape_abs"), "path_symlink escape_abs -> /etc/passwd");
  check(__wasi_path_symlink("d/../hello.txt", D, "link_dotdot"), "path_symlink link_dotdot -> d/../hello.txt");
  check(__wasi_path_symlink("x", D, "nope/link"), "path_symlink in missing dir");
  check(__wasi_path_symlink("x", D, "../link"), "path_symlink outside");
  check(__wasi_path_symlink("x", RO_FD, "link"), "path_symlink on read-only preopen");
  check(__wasi_path_symlink("x", D, ""), "path_symlink empty new path");
  check(__wasi_path_symlink("", D, "emptytarget"), "path_symlink empty target");
  open_show(D, "link_hello", 0, 0, RIGHTS_READ, "NOFOLLOW symlink to file");
  open_show(D, "link_hello", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0, RIGHTS_READ, "FOLLOW symlink to file");
  cat_show(D, "link_dotdot");
  open_show(D, "link_d", 0, __WASI_OFLAGS_DIRECTORY, RIGHTS_READ, "NOFOLLOW DIRECTORY symlink to dir");
  open_show(D, "link_d", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, __WASI_OFLAGS_DIRECTORY, RIGHTS_READ,
            "FOLLOW DIRECTORY symlink to dir");
  open_show(D, "link_d/in_d.txt", 0, 0, RIGHTS_READ, "through symlinked dir (NOFOLLOW applies to last)");
  open_show(D, "loop1", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0, RIGHTS_READ, "FOLLOW loop");
  open_show(D, "loop1", 0, 0, RIGHTS_READ, "NOFOLLOW loop");
  open_show(D, "self", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0, RIGHTS_READ, "FOLLOW self loop");
  open_show(D, "loop1/x", 0, 0, RIGHTS_READ, "loop in the middle");
  open_show(D, "dangling", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0, RIGHTS_READ, "FOLLOW dangling");
  open_show(D, "dangling", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, __WASI_OFLAGS_CREAT, RIGHTS_ALL, "FOLLOW CREAT dangling");
  open_show(D, "escape_rel", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0, RIGHTS_READ, "FOLLOW escape_rel");
  open_show(D, "escape_abs", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0, RIGHTS_READ, "FOLLOW escape_abs");
  open_show(D, "link_hello", 0, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, RIGHTS_ALL, "CREAT|EXCL on symlink");
  stat_show(D, "link_hello", 0);
  stat_show(D, "link_hello", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW);
  stat_show(D, "link_d", 0);
  stat_show(D, "link_d", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW);
  stat_show(D, "loop1", 0);
  stat_show(D, "loop1", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW);
  stat_show(D, "dangling", 0);
  stat_show(D, "dangling", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW);
  stat_show(D, "escape_rel", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW);
  readlink_show(D, "link_hello", 64);
  readlink_show(D, "link_hello", 9);
  readlink_show(D, "link_hello", 4);
  readlink_show(D, "link_hello", 0);
  readlink_show(D, "escape_abs", 64);
  readlink_show(D, "hello.txt", 64);
  readlink_show(D, "d", 64);
  readlink_show(D, "missing", 64);
  readlink_show(D, "link_d/", 64);
  readlink_show(D, "../x", 64);
  readlink_show(BAD_FD, "x", 64);

  printf("== path_filestat_get / set_times\n");
  stat_show(D, "hello.txt", 0);
  stat_show(D, "d", 0);
  stat_show(D, ".", 0);
  stat_show(D, "", 0);
  stat_show(D, "missing", 0);
  stat_show(D, "hello.txt/x", 0);
  stat_show(D, "..", 0);
  stat_show(D, "/hello.txt", 0);
  stat_show(RO_FD, "data.txt", 0);
  stat_show(BAD_FD, "x", 0);
  {
    const __wasi_timestamp_t A = 1600000000500000000ULL, M = 1500000000250000000ULL;
    __wasi_filestat_t st;
    check(__wasi_path_filestat_set_times(D, 0, "hello.txt", A, M, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM),
          "path_filestat_set_times hello.txt explicit");
    (void)__wasi_path_filestat_get(D, 0, "hello.txt", &st);
    printf("  atim %llu mtim %llu\n", (unsigned long long)st.atim, (unsigned long long)st.mtim);
    check(__wasi_path_filestat_set_times(D, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "link_hello", A + 1000000000ULL,
                                         M + 1000000000ULL, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM),
          "path_filestat_set_times FOLLOW link_hello");
    (void)__wasi_path_filestat_get(D, 0, "hello.txt", &st);
    printf("  target atim %llu mtim %llu\n", (unsigned long long)st.atim, (unsigned long long)st.mtim);
    check(__wasi_path_filestat_set_times(D, 0, "link_hello", A, M, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM),
          "path_filestat_set_times NOFOLLOW link_hello");
    (void)__wasi_path_filestat_get(D, 0, "hello.txt", &st);
    printf("  target mtim %llu\n", (unsigned long long)st.mtim);
    check(__wasi_path_filestat_set_times(D, 0, "d", A, M, __WASI_FSTFLAGS_MTIM), "path_filestat_set_times d mtim");
    (void)__wasi_path_filestat_get(D, 0, "d", &st);
    printf("  d mtim %llu\n", (unsigned long long)st.mtim);
    check(__wasi_path_filestat_set_times(D, 0, "missing", A, M, __WASI_FSTFLAGS_MTIM),
          "path_filestat_set_times missing");
    check(__wasi_path_filestat_set_times(D, 0, "hello.txt", A, M, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW),
          "path_filestat_set_times ATIM|ATIM_NOW");
    check(__wasi_path_filestat_set_times(D, 0, "../x", A, M, __WASI_FSTFLAGS_MTIM), "path_filestat_set_times ../x");
    check(__wasi_path_filestat_set_times(RO_FD, 0, "data.txt", A, M, __WASI_FSTFLAGS_MTIM),
          "path_filestat_set_times on read-only preopen");
    check(__wasi_path_filestat_set_times(BAD_FD, 0, "x", A, M, __WASI_FSTFLAGS_MTIM),
          "path_filestat_set_times bad fd");
    __wasi_timestamp_t now = 0;
    (void)__wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &now);
    check(__wasi_path_filestat_set_times(D, 0, "hello.txt", 0, 0, __WASI_FSTFLAGS_ATIM_NOW | __WASI_FSTFLAGS_MTIM_NOW),
          "path_filestat_set_times NOW");
    (void)__wasi_path_filestat_get(D, 0, "hello.txt", &st);
    SANE("  mtim is now", st.mtim + 10000000000ULL > now && st.mtim < now + 10000000000ULL);
  }

  printf("== path_link\n");
  check(__wasi_path_link(D, 0, "hello.txt", D, "hard"), "path_link hello.txt -> hard");
  stat_show(D, "hard", 0);
  stat_show(D, "hello.txt", 0);
  check(__wasi_path_link(D, 0, "hello.txt", D, "hard"), "path_link onto existing");
  check(__wasi_path_link(D, 0, "missing", D, "hard2"), "path_link missing source");
  check(__wasi_path_link(D, 0, "d", D, "dlink"), "path_link a directory");
  check(__wasi_path_link(D, 0, "hello.txt", D, "nope/hard"), "path_link into missing dir");
  check(__wasi_path_link(D, 0, "hello.txt", D, "../hard"), "path_link target outside");
  check(__wasi_path_link(D, 0, "../x", D, "hard3"), "path_link source outside");
  check(__wasi_path_link(D, 0, "link_hello", D, "hardsym"), "path_link NOFOLLOW symlink");
  stat_show(D, "hardsym", 0);
  check(__wasi_path_link(D, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "link_hello", D, "hardfollow"),
        "path_link FOLLOW symlink");
  stat_show(D, "hardfollow", 0);
  check(__wasi_path_link(RO_FD, 0, "data.txt", D, "from_ro"), "path_link from read-only preopen");
  check(__wasi_path_link(D, 0, "hello.txt", RO_FD, "to_ro"), "path_link into read-only preopen");
  check(__wasi_path_link(BAD_FD, 0, "x", D, "y"), "path_link bad old fd");
  check(__wasi_path_link(D, 0, "hello.txt", BAD_FD, "y"), "path_link bad new fd");

  printf("== path_rename\n");
  check(make_file(D, "r1", "one\n"), "make r1");
  check(make_file(D, "r2", "two\n"), "make r2");
  check(__wasi_path_rename(D, "r1", D, "r2"), "path_rename file over file");
  stat_show(D, "r1", 0);
  cat_show(D, "r2");
  check(__wasi_path_rename(D, "r2", D, "r2"), "path_rename file onto itself");
  check(__wasi_path_rename(D, "r2", D, "d/r2"), "path_rename into subdir");
  cat_show(D, "d/r2");
  check(__wasi_path_rename(D, "missing", D, "x"), "path_rename missing source");
  check(__wasi_path_create_directory(D, "emptydir"), "make emptydir");
  check(__wasi_path_create_directory(D, "srcdir"), "make srcdir");
  check(make_file(D, "srcdir/f", "f\n"), "make srcdir/f");
  check(__wasi_path_rename(D, "srcdir", D, "emptydir"), "path_rename dir over empty dir");
  cat_show(D, "emptydir/f");
  stat_show(D, "srcdir", 0);
  check(__wasi_path_create_directory(D, "srcdir"), "make srcdir again");
  check(__wasi_path_rename(D, "srcdir", D, "emptydir"), "path_rename dir over non-empty dir");
  check(__wasi_path_rename(D, "emptydir", D, "emptydir/sub"), "path_rename dir into own subdir");
  check(__wasi_path_rename(D, "d/r2", D, "emptydir"), "path_rename file over dir");
  check(__wasi_path_rename(D, "srcdir", D, "hello.txt"), "path_rename dir over file");
  check(__wasi_path_rename(D, "hello.txt", D, "hello.txt/"), "path_rename file to trailing slash");
  check(__wasi_path_rename(D, "srcdir", D, "srcdir2/"), "path_rename dir to trailing slash");
  check(__wasi_path_rename(D, "hello.txt", D, "../outside"), "path_rename to outside");
  check(__wasi_path_rename(D, "../outside", D, "x"), "path_rename from outside");
  check(__wasi_path_rename(D, "link_hello", D, "link_moved"), "path_rename a symlink");
  readlink_show(D, "link_moved", 64);
  check(__wasi_path_rename(D, "hard", RO_FD, "hard"), "path_rename into read-only preopen");
  check(__wasi_path_rename(RO_FD, "data.txt", D, "stolen"), "path_rename out of read-only preopen");
  check(__wasi_path_rename(RO_FD, "data.txt", RO_FD, "data2.txt"), "path_rename within read-only preopen");
  check(__wasi_path_rename(D, ".", D, "dot"), "path_rename \".\"");
  check(__wasi_path_rename(D, "", D, "x"), "path_rename empty source");
  check(__wasi_path_rename(BAD_FD, "x", D, "y"), "path_rename bad old fd");
  check(__wasi_path_rename(D, "hard", BAD_FD, "y"), "path_rename bad new fd");
  if (!open_at(D, "d", 0, __WASI_OFLAGS_DIRECTORY, RIGHTS_DIR, 0, &fd)) {
    check(__wasi_path_rename(D, "hard", fd, "hard_in_d"), "path_rename across dir fds");
    cat_show(D, "d/hard_in_d");
    (void)__wasi_fd_close(fd);
  }

  printf("== path_unlink_file / path_remove_directory\n");
  check(__wasi_path_unlink_file(D, "d/hard_in_d"), "path_unlink_file file");
  stat_show(D, "d/hard_in_d", 0);
  check(__wasi_path_unlink_file(D, "d/hard_in_d"), "path_unlink_file again");
  check(__wasi_path_unlink_file(D, "d"), "path_unlink_file dir");
  check(__wasi_path_unlink_file(D, "link_d"), "path_unlink_file symlink to dir");
  stat_show(D, "d", 0);
  check(__wasi_path_unlink_file(D, "dangling"), "path_unlink_file dangling symlink");
  check(__wasi_path_unlink_file(D, "hello.txt/"), "path_unlink_file trailing slash");
  check(__wasi_path_unlink_file(D, "../x"), "path_unlink_file outside");
  check(__wasi_path_unlink_file(D, ""), "path_unlink_file empty");
  check(__wasi_path_unlink_file(RO_FD, "data.txt"), "path_unlink_file on read-only preopen");
  check(__wasi_path_unlink_file(BAD_FD, "x"), "path_unlink_file bad fd");
  check(__wasi_path_remove_directory(D, "d"), "path_remove_directory non-empty");
  check(__wasi_path_remove_directory(D, "hello.txt"), "path_remove_directory file");
  check(__wasi_path_remove_directory(D, "missing"), "path_remove_directory missing");
  check(__wasi_path_remove_directory(D, "."), "path_remove_directory \".\"");
  check(__wasi_path_remove_directory(D, ".."), "path_remove_directory \"..\"");
  check(__wasi_path_remove_directory(D, ""), "path_remove_directory empty");
  check(__wasi_path_remove_directory(D, "link_moved"), "path_remove_directory symlink");
  check(__wasi_path_remove_directory(D, "srcdir2"), "path_remove_directory empty dir");
  stat_show(D, "srcdir2", 0);
  check(__wasi_path_remove_directory(D, "d/e/"), "path_remove_directory with trailing slash");
  check(__wasi_path_remove_directory(RO_FD, "sub"), "path_remove_directory on read-only preopen");
  check(__wasi_path_remove_directory(BAD_FD, "x"), "path_remove_directory bad fd");
  cat_show(RO_FD, "data.txt");
  return 0;
}
