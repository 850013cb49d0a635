// Conformance guest: the corners independent WASI test suites like to probe: interesting paths
// (".", "..", "//", trailing "/." and "/"), Unicode names, fds that outlive their directory
// entry, two fds on one file, symlink timestamps, and closing/overwriting a preopen.
#include <stdlib.h>
#include "check.h"

static const __wasi_fd_t D = SANDBOX_FD;

static void open_show(const char *path, __wasi_lookupflags_t lf, __wasi_oflags_t of, __wasi_rights_t r) {
  __wasi_fd_t fd;
  unsigned e = open_at(D, path, lf, of, r, 0, &fd);
  check(e, "path_open%s%s%s \"%s\"", lf ? " FOLLOW" : "", of & __WASI_OFLAGS_CREAT ? " CREAT" : "",
        of & __WASI_OFLAGS_DIRECTORY ? " DIRECTORY" : "", path);
  if (!e) (void)__wasi_fd_close(fd);
}

static void ftype_show(const char *path) {
  __wasi_filestat_t st;
  unsigned e = __wasi_path_filestat_get(D, 0, path, &st);
  printf("path_filestat_get \"%s\" -> %s%s%s\n", path, ename(e), e ? "" : ", ", e ? "" : ftname(st.filetype));
}

int main(void) {
  transcript_init();
  __wasi_size_t n;

  printf("== interesting paths\n");
  check(__wasi_path_create_directory(D, "dir"), "path_create_directory dir");
  check(__wasi_path_create_directory(D, "dir/nested"), "path_create_directory dir/nested");
  check(make_file(D, "dir/file", "file\n"), "make dir/file");
  const char *paths[] = {
    "dir/nested/../file", "dir/./file", "./dir/file", "dir//file", "dir/file/.", "dir/file/..",
    "dir/.", "dir/nested/..", "dir/nested/../../dir/file", "dir/nested/../../../x", ".", "./.", "dir/",
    "dir/file/", "dir///", "dir/nested/./../nested/.", "missing/..", "dir/missing/..",
  };
  for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
    open_show(paths[i], 0, 0, RIGHTS_READ);
    ftype_show(paths[i]);
  }
  open_show("newfile/", 0, __WASI_OFLAGS_CREAT, RIGHTS_ALL);
  open_show("dir/.", 0, __WASI_OFLAGS_CREAT, RIGHTS_ALL);
  check(__wasi_path_create_directory(D, "newdir/"), "path_create_directory \"newdir/\"");
  ftype_show("newdir");
  check(__wasi_path_create_directory(D, "dir/nested/../sibling"), "path_create_directory dir/nested/../sibling");
  ftype_show("dir/sibling");

  printf("== trailing slashes on symlinks and renames\n");
  check(__wasi_path_symlink("dir/file", D, "slink/"), "path_symlink new path \"slink/\"");
  check(__wasi_path_symlink("dir", D, "dlink/"), "path_symlink to dir, new path \"dlink/\"");
  check(__wasi_path_symlink("dir", D, "dlink"), "path_symlink dlink -> dir");
  open_show("dlink/", 0, 0, RIGHTS_READ);
  open_show("dlink/file", 0, 0, RIGHTS_READ);
  ftype_show("dlink/");
  check(__wasi_path_unlink_file(D, "dlink/"), "path_unlink_file \"dlink/\"");
  check(__wasi_path_remove_directory(D, "dlink/"), "path_remove_directory \"dlink/\"");
  check(__wasi_path_rename(D, "dir/sibling/", D, "dir/sib2/"), "path_rename dir with slashes on both");
  ftype_show("dir/sib2");
  check(__wasi_path_rename(D, "dir/file/", D, "dir/file2"), "path_rename file with slash on source");
  check(__wasi_path_rename(D, "dir/file", D, "dir/file2/"), "path_rename file with slash on target");
  ftype_show("dir/file");
  if (!__wasi_path_rename(D, "dir/file2", D, "dir/file")) printf("(renamed dir/file2 back to dir/file)\n");
  ftype_show("dir/file");
  check(__wasi_path_link(D, 0, "dir/file/", D, "hl"), "path_link source with slash");
  check(__wasi_path_link(D, 0, "dir/file", D, "hl/"), "path_link target with slash");

  printf("== Unicode names\n");
  const char *names[] = {"ünïcødé.txt", "日本語", "emoji-\xF0\x9F\x98\x80", "tab\tname", "sp ace"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    check(make_file(D, names[i], names[i]), "make \"%s\"", names[i]);
    char buf[64];
    (void)read_file(D, names[i], buf, sizeof buf);
    SANE("  reads back its own name", !strcmp(buf, names[i]));
  }
  check(make_file(D, "ünïcødé.txt", "x"), "make NFD-differs-from-NFC name (u + combining diaeresis)");
  ftype_show("u\xCC\x88n\xC3\xAF" "c\xC3\xB8" "d\xC3\xA9.txt");

  printf("== fds outliving their entries\n");
  {
    __wasi_fd_t f, g, dfd;
    check(make_file(D, "doomed", "still here\n"), "make doomed");
    check(open_at(D, "doomed", 0, 0, RIGHTS_ALL, 0, &f), "path_open doomed");
    check(__wasi_path_unlink_file(D, "doomed"), "path_unlink_file doomed (fd still open)");
    char buf[32] = {0};
    __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf - 1};
    check(__wasi_fd_pread(f, &iov, 1, 0, &n), "fd_pread unlinked file");
    printf("  ");
    show_bytes(buf, n);
    putchar('\n');
    __wasi_filestat_t st;
    check(__wasi_fd_filestat_get(f, &st), "fd_filestat_get unlinked file");
    printf("  nlink %llu size %llu\n", (unsigned long long)st.nlink, (unsigned long long)st.size);
    check(write_str(f, "more", &n), "fd_write unlinked file");
    (void)__wasi_fd_close(f);
    check(__wasi_path_create_directory(D, "gone"), "path_create_directory gone");
    check(open_at(D, "gone", 0, __WASI_OFLAGS_DIRECTORY, RIGHTS_DIR, 0, &dfd), "path_open gone");
    check(__wasi_path_remove_directory(D, "gone"), "path_remove_directory gone (fd still open)");
    check(make_file(dfd, "x", "x"), "create a file in the removed dir");
    check(__wasi_path_create_directory(dfd, "y"), "path_create_directory in the removed dir");
    uint8_t rb[128];
    check(__wasi_fd_readdir(dfd, rb, sizeof rb, 0, &n), "fd_readdir the removed dir");
    (void)__wasi_fd_close(dfd);
    check(make_file(D, "shared", "0123456789"), "make shared");
    check(open_at(D, "shared", 0, 0, RIGHTS_ALL, 0, &f), "path_open shared (1)");
    check(open_at(D, "shared", 0, 0, RIGHTS_ALL, 0, &g), "path_open shared (2)");
    check(write_str(f, "AB", &n), "fd_write \"AB\" via fd 1");
    check(write_str(g, "xyz", &n), "fd_write \"xyz\" via fd 2 (own offset)");
    (void)read_file(D, "shared", buf, sizeof buf);
    printf("  shared: ");
    show_bytes(buf, strlen(buf));
    putchar('\n');
    __wasi_filesize_t p1 = 0, p2 = 0;
    (void)__wasi_fd_tell(f, &p1);
    (void)__wasi_fd_tell(g, &p2);
    printf("  offsets %llu and %llu\n", (unsigned long long)p1, (unsigned long long)p2);
    check(__wasi_fd_filestat_set_size(g, 1), "fd_filestat_set_size 1 via fd 2");
    check(__wasi_fd_filestat_get(f, &st), "fd_filestat_get via fd 1");
    printf("  size seen through fd 1: %llu\n", (unsigned long long)st.size);
    (void)__wasi_fd_close(f);
    (void)__wasi_fd_close(g);
  }

  printf("== fdflags given to path_open\n");
  {
    const __wasi_fdflags_t flags[] = {__WASI_FDFLAGS_APPEND, __WASI_FDFLAGS_NONBLOCK, __WASI_FDFLAGS_DSYNC,
                                      __WASI_FDFLAGS_RSYNC, __WASI_FDFLAGS_SYNC};
    const char *names[] = {"APPEND", "NONBLOCK", "DSYNC", "RSYNC", "SYNC"};
    for (int i = 0; i < 5; i++) {
      __wasi_fd_t f;
      check(make_file(D, "flagged", "0123"), "make flagged");
      unsigned e = open_at(D, "flagged", 0, 0, RIGHTS_ALL, flags[i], &f);
      check(e, "path_open fdflags %s", names[i]);
      if (e) continue;
      __wasi_fdstat_t fs;
      (void)__wasi_fd_fdstat_get(f, &fs);
      printf("  fdstat flags %u\n", fs.fs_flags);
      check(write_str(f, "ab", &n), "  fd_write \"ab\"");
      char buf[16];
      (void)read_file(D, "flagged", buf, sizeof buf);
      printf("  contents ");
      show_bytes(buf, strlen(buf));
      putchar('\n');
      (void)__wasi_fd_close(f);
    }
    __wasi_fd_t f;
    if (!check(open_at(D, "flagged", 0, 0, RIGHTS_READ, __WASI_FDFLAGS_APPEND, &f), "path_open read rights + APPEND"))
      (void)__wasi_fd_close(f);
  }

  printf("== symlink timestamps\n");
  {
    const __wasi_timestamp_t M = 1400000000000000000ULL;
    __wasi_filestat_t st;
    check(__wasi_path_symlink("dir/file", D, "tlink"), "path_symlink tlink -> dir/file");
    check(__wasi_path_filestat_set_times(D, 0, "tlink", M, M, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM),
          "path_filestat_set_times NOFOLLOW tlink");
    (void)__wasi_path_filestat_get(D, 0, "tlink", &st);
    printf("  link mtim %llu\n", (unsigned long long)st.mtim);
    (void)__wasi_path_filestat_get(D, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "tlink", &st);
    SANE("  target mtim untouched", st.mtim != M);
    check(__wasi_path_filestat_set_times(D, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "tlink", M, M + 5,
                                         __WASI_FSTFLAGS_MTIM), "path_filestat_set_times FOLLOW tlink");
    (void)__wasi_path_filestat_get(D, 0, "dir/file", &st);
    printf("  target mtim %llu\n", (unsigned long long)st.mtim);
  }

  printf("== closing and overwriting a preopen\n");
  {
    __wasi_fd_t f;
    __wasi_prestat_t pre;
    check(open_at(D, "dir/file", 0, 0, RIGHTS_ALL, 0, &f), "path_open dir/file");
    check(__wasi_fd_renumber(f, RO_FD), "fd_renumber file onto the read-only preopen fd");
    check(__wasi_fd_prestat_get(RO_FD, &pre), "fd_prestat_get on the overwritten fd");
    check(write_str(RO_FD, "w", &n), "fd_write through the overwritten fd");
    check(__wasi_fd_close(D), "fd_close the sandbox preopen");
    check(open_at(D, "dir/file", 0, 0, RIGHTS_READ, 0, &f), "path_open via the closed preopen");
    check(__wasi_fd_prestat_get(D, &pre), "fd_prestat_get on the closed preopen");
  }
  return 0;
}
