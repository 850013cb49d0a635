// cflags: -Wl,--strip-all
// Adversarial guest: tries to leave the preopened "/sandbox" through every path_* function and
// fd tricks. Prints one line per attempt: "NAME: refused errno=N" or "NAME: ESCAPED ...".
// Layout (made by test/escape.test.ts): R/sandbox (the preopen), R/outside/secret.txt, R/parent-secret.txt.
#include "harness.h"

static int SB = -1;               // the "/sandbox" preopen
static const char *OUTSIDE_ABS;   // host absolute path of R/outside/secret.txt (env OUTSIDE_ABS)
static const char *OUTSIDE_DIR;   // host absolute path of R/outside (env OUTSIDE_DIR)

static void setup(void) {
  SB = find_preopen("/sandbox");
  OUTSIDE_ABS = getenv("OUTSIDE_ABS");
  OUTSIDE_DIR = getenv("OUTSIDE_DIR");
  if (SB < 0 || !OUTSIDE_ABS || !OUTSIDE_DIR) {
    fprintf(stderr, "setup: preopen /sandbox or env OUTSIDE_ABS/OUTSIDE_DIR missing\n");
    exit(3);
  }
}

/** Opens a directory beneath the sandbox (a legitimate step of an attack); -1 on failure. */
static int open_dir(int dir, const char *path) {
  int32_t fd = -1;
  if (raw_path_open(dir, 0, P(path), L(path), __WASI_OFLAGS_DIRECTORY, R_DIR, R_ALL, 0, P(&fd))) return -1;
  return fd;
}

/** Guest-side symlink creation; returns errno. */
static int gsym(const char *target, int dir, const char *name) {
  return raw_path_symlink(P(target), L(target), dir, P(name), L(name));
}

/* ---- path_open: plain path tricks ---- */
static int open_abs_etc_passwd(void) { return MUST_NOT_OPEN(SB, 0, "/etc/passwd"); }
static int open_abs_host_path(void) { return MUST_NOT_OPEN(SB, FOLLOW, OUTSIDE_ABS); }
static int open_dotdot(void) { return MUST_NOT_OPEN(SB, 0, "../outside/secret.txt"); }
static int open_sub_dotdot_dotdot(void) { return MUST_NOT_OPEN(SB, 0, "sub/../../outside/secret.txt"); }
static int open_dot_dotdot(void) { return MUST_NOT_OPEN(SB, 0, "./../outside/secret.txt"); }
static int open_many_dotdot(void) {
  static char p[64 * 3 + 16];
  p[0] = 0;
  for (int i = 0; i < 64; i++) strcat(p, "../");
  strcat(p, "etc/passwd");
  return MUST_NOT_OPEN(SB, 0, p);
}
static int open_deep_then_climb(void) { return MUST_NOT_OPEN(SB, 0, "sub/deeper/../../../parent-secret.txt"); }
static int open_dotdot_dir(void) { return must_not_open(SB, 0, "..", 2, __WASI_OFLAGS_DIRECTORY, R_READ); }
static int open_dotdot_trailing_slash(void) {
  return must_not_open(SB, 0, "sub/../../", 10, __WASI_OFLAGS_DIRECTORY, R_READ);
}
static int open_dotdot_from_subdir_fd(void) {
  int sub = open_dir(SB, "sub");
  if (sub < 0) return escaped("setup: cannot open sub");
  int e = MUST_NOT_OPEN(sub, 0, "../../outside/secret.txt");
  int e2 = MUST_NOT_OPEN(sub, 0, "../marker.txt");  // '..' above the fd's own directory: refused too
  closefd(sub);
  if (e == ESCAPED || e2 == ESCAPED) return ESCAPED;
  note("(second=%d)", e2);
  return e;
}
static int open_dotdot_from_deeper_fd(void) {
  int d = open_dir(SB, "sub/deeper");
  if (d < 0) return escaped("setup: cannot open sub/deeper");
  int e = MUST_NOT_OPEN(d, 0, "../../../outside/secret.txt");
  closefd(d);
  return e;
}
static int open_long_climbing_path(void) {
  // ~12 KB: 2000 "x/../" pairs that stay inside, then one "../" too many.
  static char p[2000 * 7 + 64];
  p[0] = 0;
  char *w = p;
  for (int i = 0; i < 2000; i++) { memcpy(w, "sub/../", 7); w += 7; }
  strcpy(w, "../outside/secret.txt");
  return MUST_NOT_OPEN(SB, 0, p);
}
static int open_huge_path(void) {
  // 1 MiB of "../": must give an errno, not a host crash or hang.
  size_t n = 1 << 20;
  char *p = malloc(n + 16);
  for (size_t i = 0; i + 3 <= n; i += 3) memcpy(p + i, "../", 3);
  strcpy(p + (n / 3) * 3, "etc/passwd");
  int e = must_not_open(SB, 0, p, L(p), 0, R_READ);
  free(p);
  return e;
}
static int open_embedded_nul(void) {
  static const char p[] = "marker.txt\0/../../outside/secret.txt";
  int e1 = must_not_open(SB, 0, p, sizeof p - 1, 0, R_READ);
  static const char q[] = "../outside/secret.txt\0";
  int e2 = must_not_open(SB, 0, q, sizeof q - 1, 0, R_READ);
  if (e1 == ESCAPED || e2 == ESCAPED) return ESCAPED;
  note("(second=%d)", e2);
  return e1;
}
static int open_nul_truncates_to_parent(void) {
  // A host that cut the string at NUL would see "..".
  static const char p[] = "..\0sub";
  return must_not_open(SB, 0, p, sizeof p - 1, __WASI_OFLAGS_DIRECTORY, R_READ);
}
static int open_empty_path(void) {
  int32_t fd = -1;
  int e = raw_path_open(SB, 0, P(""), 0, __WASI_OFLAGS_DIRECTORY, R_READ, R_READ, 0, P(&fd));
  if (e) return e;
  return describe_opened(fd, "empty path");
}
static int open_file_trailing_slash_symlink(void) { return MUST_NOT_OPEN(SB, FOLLOW, "l_secret/"); }
static int open_proc_names_inside(void) {
  // The sandbox has real dirs proc/self/fd/3: "proc/self/fd/3/../.." is sandbox/proc/self, inside.
  int32_t fd = -1;
  int e = raw_path_open(SB, 0, P("proc/self/fd/3/../.."), L("proc/self/fd/3/../.."), __WASI_OFLAGS_DIRECTORY,
                        R_DIR, R_ALL, 0, P(&fd));
  if (e == 0) {
    char buf[64];
    int32_t f = -1;
    if (raw_path_open(fd, 0, P("marker_self"), L("marker_self"), 0, R_READ, R_READ, 0, P(&f)))
      return describe_opened(fd, "proc/self/fd/3/../.. (no sandbox marker)");
    read_all(f, buf, sizeof buf);
    closefd(f);
    closefd(fd);
    if (strncmp(buf, "inside-proc-self", 16) != 0) return escaped("proc/self/fd/3/../.. read \"%s\"", buf);
    note("(contained: opened sandbox/proc/self)");
  }
  // ...and climbing one more level than the sandbox has must be refused.
  int e2 = MUST_NOT_OPEN(SB, 0, "proc/self/fd/3/../../../../../etc/passwd");
  if (e2 == ESCAPED) return ESCAPED;
  return e ? e : e2;
}
static int open_proc_self_root_name(void) { return MUST_NOT_OPEN(SB, FOLLOW, "proc/self/root/etc/passwd"); }

/* ---- path_open through host-planted symlinks ---- */
static int open_rel_symlink_dir(void) { return MUST_NOT_OPEN(SB, FOLLOW, "l_outside/secret.txt"); }
static int open_rel_symlink_file(void) { return MUST_NOT_OPEN(SB, FOLLOW, "l_secret"); }
static int open_rel_symlink_nofollow(void) { return MUST_NOT_OPEN(SB, 0, "l_secret"); }
static int open_abs_symlink_file(void) { return MUST_NOT_OPEN(SB, FOLLOW, "l_abs_secret"); }
static int open_abs_symlink_dir(void) { return MUST_NOT_OPEN(SB, 0, "l_abs_outside/secret.txt"); }
static int open_symlink_proc_self_root(void) { return MUST_NOT_OPEN(SB, 0, "l_proc_root/etc/passwd"); }
static int open_symlink_proc_self_fd(void) {
  return must_not_open(SB, FOLLOW, "l_proc_fd", L("l_proc_fd"), __WASI_OFLAGS_DIRECTORY, R_READ);
}
static int open_symlink_proc_self_cwd(void) { return MUST_NOT_OPEN(SB, 0, "l_proc_cwd/package.json"); }
static int open_symlink_up3(void) { return MUST_NOT_OPEN(SB, 0, "l_up3/etc/passwd"); }
static int open_symlink_etc_passwd(void) { return MUST_NOT_OPEN(SB, FOLLOW, "l_passwd"); }
static int open_symlink_chain_climb(void) { return MUST_NOT_OPEN(SB, FOLLOW, "chain_a"); }
static int open_symlink_stepwise_climb(void) { return MUST_NOT_OPEN(SB, FOLLOW, "sub/deeper/step1"); }
static int open_symlink_loop(void) { return MUST_NOT_OPEN(SB, FOLLOW, "loop_a"); }
static int open_symlink_loop_intermediate(void) { return MUST_NOT_OPEN(SB, 0, "loop_a/x"); }
static int open_symlink_growing_loop(void) { return MUST_NOT_OPEN(SB, FOLLOW, "grow"); }

/* ---- guest-planted symlinks ---- */
static int guest_symlink_rel_follow(void) {
  int c = gsym("../outside/secret.txt", SB, "g_rel");
  int e = MUST_NOT_OPEN(SB, FOLLOW, "g_rel");
  note("(create=%d)", c);
  return e;
}
static int guest_symlink_rel_nofollow(void) {
  int c = gsym("../outside/secret.txt", SB, "g_rel2");
  int e = MUST_NOT_OPEN(SB, 0, "g_rel2");
  note("(create=%d)", c);
  return e;
}
static int guest_symlink_abs(void) {
  int c = gsym(OUTSIDE_ABS, SB, "g_abs");
  int e = MUST_NOT_OPEN(SB, FOLLOW, "g_abs");
  note("(create=%d)", c);
  return e;
}
static int guest_symlink_dotdot_dir(void) {
  int c = gsym("..", SB, "g_dd");
  int e = MUST_NOT_OPEN(SB, 0, "g_dd/outside/secret.txt");
  note("(create=%d)", c);
  return e;
}
static int guest_symlink_create_through(void) {
  // O_CREAT through a dangling symlink whose target is outside.
  int c = gsym("../outside/created.txt", SB, "g_dangle");
  int e = must_not_open(SB, FOLLOW, "g_dangle", L("g_dangle"), __WASI_OFLAGS_CREAT, R_READ | R_WRITE);
  note("(create=%d)", c);
  return e;
}
static int guest_symlink_dir_create_file(void) {
  int c = gsym("../outside", SB, "g_dir");
  int e = must_not_open(SB, 0, "g_dir/planted.txt", L("g_dir/planted.txt"), __WASI_OFLAGS_CREAT, R_READ | R_WRITE);
  note("(create=%d)", c);
  return e;
}
static int guest_symlink_trunc_through(void) {
  return must_not_open(SB, FOLLOW, "l_secret", L("l_secret"), __WASI_OFLAGS_TRUNC, R_READ | R_WRITE);
}

/* ---- path_create_directory ---- */
static int mkdir_dotdot(void) { return must_fail(raw_path_create_directory(SB, P("../outside/newdir"), L("../outside/newdir")), "mkdir ../outside/newdir"); }
static int mkdir_abs(void) {
  static char p[512];
  snprintf(p, sizeof p, "%s/newdir", OUTSIDE_DIR);
  return must_fail(raw_path_create_directory(SB, P(p), L(p)), "mkdir absolute host path");
}
static int mkdir_via_symlink_dir(void) { return must_fail(raw_path_create_directory(SB, P("l_outside/newdir"), L("l_outside/newdir")), "mkdir l_outside/newdir"); }
static int mkdir_via_guest_symlink(void) {
  gsym("../outside", SB, "g_dir2");
  return must_fail(raw_path_create_directory(SB, P("g_dir2/newdir"), L("g_dir2/newdir")), "mkdir g_dir2/newdir");
}

/* ---- path_filestat_get ---- */
static int stat_dotdot(void) {
  __wasi_filestat_t st;
  return must_fail(raw_path_filestat_get(SB, 0, P("../outside/secret.txt"), L("../outside/secret.txt"), P(&st)), "stat ../outside/secret.txt");
}
static int stat_parent(void) {
  __wasi_filestat_t st;
  return must_fail(raw_path_filestat_get(SB, 0, P(".."), 2, P(&st)), "stat ..");
}
static int stat_symlink_follow(void) {
  __wasi_filestat_t st;
  return must_fail(raw_path_filestat_get(SB, FOLLOW, P("l_secret"), L("l_secret"), P(&st)), "stat (follow) l_secret");
}
static int stat_abs_symlink_follow(void) {
  __wasi_filestat_t st;
  return must_fail(raw_path_filestat_get(SB, FOLLOW, P("l_passwd"), L("l_passwd"), P(&st)), "stat (follow) l_passwd");
}

/* ---- path_filestat_set_times ---- */
#define ST_BOTH (__WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM)
static int set_times_dotdot(void) {
  return must_fail(raw_path_filestat_set_times(SB, 0, P("../outside/secret.txt"), L("../outside/secret.txt"), 1000000000LL, 1000000000LL, ST_BOTH), "set_times ../outside/secret.txt");
}
static int set_times_symlink_follow(void) {
  return must_fail(raw_path_filestat_set_times(SB, FOLLOW, P("l_secret"), L("l_secret"), 1000000000LL, 1000000000LL, ST_BOTH), "set_times (follow) l_secret");
}
static int set_times_via_symlink_dir(void) {
  return must_fail(raw_path_filestat_set_times(SB, 0, P("l_outside/secret.txt"), L("l_outside/secret.txt"), 0, 0, __WASI_FSTFLAGS_MTIM_NOW),
                   "set_times l_outside/secret.txt");
}
static int set_times_parent_dir(void) {
  return must_fail(raw_path_filestat_set_times(SB, 0, P(".."), 2, 0, 0, __WASI_FSTFLAGS_MTIM_NOW), "set_times ..");
}

/* ---- path_link ---- */
static int link_old_outside(void) {
  return must_fail(raw_path_link(SB, 0, P("../outside/secret.txt"), L("../outside/secret.txt"), SB, P("hl1"), L("hl1")), "link ../outside/secret.txt -> hl1");
}
static int link_old_abs(void) {
  return must_fail(raw_path_link(SB, 0, P(OUTSIDE_ABS), L(OUTSIDE_ABS), SB, P("hl2"), L("hl2")), "link absolute -> hl2");
}
static int link_old_symlink_follow(void) {
  return must_fail(raw_path_link(SB, FOLLOW, P("l_secret"), L("l_secret"), SB, P("hl3"), L("hl3")), "link (follow) l_secret -> hl3");
}
static int link_old_via_symlink_dir(void) {
  return must_fail(raw_path_link(SB, 0, P("l_outside/secret.txt"), L("l_outside/secret.txt"), SB, P("hl4"), L("hl4")), "link l_outside/secret.txt -> hl4");
}
static int link_of_symlink_then_follow(void) {
  // Linking the symlink itself is allowed (stays inside); following the copy must still be refused.
  int c = raw_path_link(SB, 0, P("l_secret"), L("l_secret"), SB, P("hl5"), L("hl5"));
  int e = MUST_NOT_OPEN(SB, FOLLOW, "hl5");
  note("(link=%d)", c);
  return e;
}
static int link_new_outside(void) {
  return must_fail(raw_path_link(SB, 0, P("marker.txt"), L("marker.txt"), SB, P("../outside/planted"), L("../outside/planted")), "link marker.txt -> ../outside/planted");
}
static int link_new_via_symlink_dir(void) {
  return must_fail(raw_path_link(SB, 0, P("marker.txt"), L("marker.txt"), SB, P("l_outside/planted"), L("l_outside/planted")), "link marker.txt -> l_outside/planted");
}
static int link_new_abs(void) {
  return must_fail(raw_path_link(SB, 0, P("marker.txt"), L("marker.txt"), SB, P("/tmp/warden-escape-link"), L("/tmp/warden-escape-link")), "link marker.txt -> /tmp/...");
}

/* ---- path_readlink ---- */
static int readlink_dotdot(void) {
  char buf[256];
  int32_t used = 0;
  int e = raw_path_readlink(SB, P("../outside/link_out"), L("../outside/link_out"), P(buf), sizeof buf, P(&used));
  return e ? e : escaped("readlink ../outside/link_out = \"%.*s\"", (int)used, buf);
}
static int readlink_via_symlink_dir(void) {
  char buf[256];
  int32_t used = 0;
  int e = raw_path_readlink(SB, P("l_outside/link_out"), L("l_outside/link_out"), P(buf), sizeof buf, P(&used));
  return e ? e : escaped("readlink l_outside/link_out = \"%.*s\"", (int)used, buf);
}
static int readlink_hostile_buffer(void) {
  // Buffer that runs past the end of linear memory: EFAULT-like, never a host exception.
  int32_t used = 0;
  int32_t end = (int32_t)(__builtin_wasm_memory_size(0) * 65536);
  int e = raw_path_readlink(SB, P("l_secret"), L("l_secret"), end - 4, 4096, P(&used));
  return e ? e : escaped("readlink wrote %d bytes past the end of memory", used);
}

/* ---- path_remove_directory ---- */
static int rmdir_dotdot(void) { return must_fail(raw_path_remove_directory(SB, P("../outside/emptydir"), L("../outside/emptydir")), "rmdir ../outside/emptydir"); }
static int rmdir_via_symlink_dir(void) { return must_fail(raw_path_remove_directory(SB, P("l_outside/emptydir"), L("l_outside/emptydir")), "rmdir l_outside/emptydir"); }
static int rmdir_symlink_to_outside_dir(void) {
  // rmdir on a symlink must not remove its (outside, empty) target.
  gsym("../outside/emptydir", SB, "g_empty");
  return must_fail(raw_path_remove_directory(SB, P("g_empty"), L("g_empty")), "rmdir g_empty");
}
static int rmdir_preopen_itself(void) {
  int e1 = raw_path_remove_directory(SB, P("."), 1);
  int d = open_dir(SB, "emptydir");
  int e2 = d < 0 ? -2 : raw_path_remove_directory(d, P("."), 1);
  if (e1 == 0) return escaped("rmdir . on the preopen succeeded");
  if (e2 == 0) return escaped("rmdir . on emptydir fd succeeded");
  note("(emptydir fd=%d)", e2);
  return e1;
}

/* ---- path_rename ---- */
static int rename_old_outside(void) {
  return must_fail(raw_path_rename(SB, P("../outside/secret.txt"), L("../outside/secret.txt"), SB, P("stolen"), L("stolen")), "rename ../outside/secret.txt -> stolen");
}
static int rename_new_outside(void) {
  return must_fail(raw_path_rename(SB, P("marker.txt"), L("marker.txt"), SB, P("../outside/planted"), L("../outside/planted")), "rename marker.txt -> ../outside/planted");
}
static int rename_old_via_symlink_dir(void) {
  return must_fail(raw_path_rename(SB, P("l_outside/secret.txt"), L("l_outside/secret.txt"), SB, P("stolen2"), L("stolen2")), "rename l_outside/secret.txt -> stolen2");
}
static int rename_new_via_symlink_dir(void) {
  return must_fail(raw_path_rename(SB, P("marker.txt"), L("marker.txt"), SB, P("l_outside/secret.txt"), L("l_outside/secret.txt")), "rename marker.txt over l_outside/secret.txt");
}
static int rename_new_abs(void) {
  return must_fail(raw_path_rename(SB, P("marker.txt"), L("marker.txt"), SB, P("/tmp/warden-escape-rename"), L("/tmp/warden-escape-rename")), "rename marker.txt -> /tmp/...");
}
static int rename_symlink_then_follow(void) {
  // sub/g_up -> ../marker.txt is inside; moved up one level it points at R/marker.txt (a secret).
  int c = gsym("../marker.txt", SB, "sub/g_up");
  int r = raw_path_rename(SB, P("sub/g_up"), L("sub/g_up"), SB, P("g_up"), L("g_up"));
  int e = MUST_NOT_OPEN(SB, FOLLOW, "g_up");
  note("(create=%d rename=%d)", c, r);
  return e;
}
static int rename_dir_under_open_fd(void) {
  // Hold an fd in mv/d, move d deeper, then climb from the fd: '..' above an fd's directory is refused.
  raw_path_create_directory(SB, P("mv"), 2);
  raw_path_create_directory(SB, P("mv/d"), 4);
  int d = open_dir(SB, "mv/d");
  if (d < 0) return escaped("setup: cannot open mv/d");
  int r = raw_path_rename(SB, P("mv"), 2, SB, P("sub/deeper/mv"), L("sub/deeper/mv"));
  int e1 = MUST_NOT_OPEN(d, 0, "../../../../../outside/secret.txt");
  int e2 = MUST_NOT_OPEN(d, 0, "../../marker.txt");
  closefd(d);
  if (e1 == ESCAPED || e2 == ESCAPED) return ESCAPED;
  note("(rename=%d second=%d)", r, e2);
  return e1;
}
static int rename_dir_out(void) {
  raw_path_create_directory(SB, P("mv2"), 3);
  int d = open_dir(SB, "mv2");
  int e = must_fail(raw_path_rename(SB, P("mv2"), 3, SB, P("../outside/mv2"), L("../outside/mv2")), "rename mv2 -> ../outside/mv2");
  if (e != ESCAPED && d >= 0) {
    int e2 = MUST_NOT_OPEN(d, 0, "../secret.txt");
    if (e2 == ESCAPED) return ESCAPED;
  }
  return e;
}

/* ---- path_symlink: the new path outside ---- */
static int symlink_new_outside(void) { return must_fail(gsym("x", SB, "../outside/planted"), "symlink at ../outside/planted"); }
static int symlink_new_via_symlink_dir(void) { return must_fail(gsym("x", SB, "l_outside/planted"), "symlink at l_outside/planted"); }
static int symlink_new_abs(void) { return must_fail(gsym("x", SB, "/tmp/warden-escape-symlink"), "symlink at /tmp/..."); }

/* ---- path_unlink_file ---- */
static int unlink_dotdot(void) { return must_fail(raw_path_unlink_file(SB, P("../outside/secret.txt"), L("../outside/secret.txt")), "unlink ../outside/secret.txt"); }
static int unlink_via_symlink_dir(void) { return must_fail(raw_path_unlink_file(SB, P("l_outside/secret.txt"), L("l_outside/secret.txt")), "unlink l_outside/secret.txt"); }
static int unlink_abs(void) { return must_fail(raw_path_unlink_file(SB, P(OUTSIDE_ABS), L(OUTSIDE_ABS)), "unlink absolute"); }
static int unlink_symlink_not_target(void) {
  // Unlinking a symlink removes the link, never its target (the outside tree is checked by the host).
  int e = raw_path_unlink_file(SB, P("l_secret"), L("l_secret"));
  int e2 = MUST_NOT_OPEN(SB, FOLLOW, "l_secret");
  if (e2 == ESCAPED) return ESCAPED;
  if (e == 0) note("(contained: removed the link only)");
  return e;
}
static int unlink_trailing_slash_symlink(void) {
  return must_fail(raw_path_unlink_file(SB, P("l_secret/"), L("l_secret/")), "unlink l_secret/");
}

/* ---- fd tricks ---- */
static int fd_renumber_over_preopen(void) {
  int sub = open_dir(SB, "sub");
  if (sub < 0) return escaped("setup: cannot open sub");
  int r = __wasi_fd_renumber(sub, SB);
  int e1 = MUST_NOT_OPEN(SB, 0, "../outside/secret.txt");
  int e2 = MUST_NOT_OPEN(SB, 0, "../marker.txt");
  if (e1 == ESCAPED || e2 == ESCAPED) return ESCAPED;
  note("(renumber=%d second=%d)", r, e2);
  return e1;
}
static int fd_close_preopen_then_use(void) {
  int c = __wasi_fd_close(SB);
  int e = MUST_NOT_OPEN(SB, 0, "marker.txt");
  __wasi_filestat_t st;
  int e2 = raw_path_filestat_get(SB, 0, P("marker.txt"), L("marker.txt"), P(&st));
  if (e == ESCAPED) return ESCAPED;
  if (e2 == 0) return escaped("path_filestat_get on a closed preopen succeeded");
  note("(close=%d)", c);
  return e;
}
static int file_fd_as_dir(void) {
  int32_t f = -1;
  if (raw_path_open(SB, 0, P("marker.txt"), L("marker.txt"), 0, R_ALL, R_ALL, 0, P(&f))) return escaped("setup: cannot open marker.txt");
  int e1 = MUST_NOT_OPEN(f, 0, "../outside/secret.txt");
  int e2 = MUST_NOT_OPEN(f, 0, "x");
  int e3 = raw_path_create_directory(f, P("x"), 1);
  if (e1 == ESCAPED || e2 == ESCAPED) return ESCAPED;
  if (e3 == 0) return escaped("mkdir through a file fd");
  note("(x=%d mkdir=%d)", e2, e3);
  return e1;
}
static int fd_never_opened(void) {
  static const int32_t fds[] = {1234, 65535, 0x7fffffff, -1, (int32_t)0x80000000};
  for (unsigned i = 0; i < sizeof fds / sizeof fds[0]; i++) {
    int e = MUST_NOT_OPEN(fds[i], 0, "secret.txt");
    if (e == ESCAPED) return ESCAPED;
    if (e == 0) return escaped("fd %d", fds[i]);
  }
  return MUST_NOT_OPEN(777, 0, "../outside/secret.txt");
}
static int fd_guess_above_preopens(void) {
  int first = 0;
  for (int fd = SB + 1; fd < SB + 200; fd++) {
    __wasi_prestat_t ps;
    if (__wasi_fd_prestat_get(fd, &ps) == 0) return escaped("fd %d is an unexpected preopen", fd);
    int e = MUST_NOT_OPEN(fd, FOLLOW, "secret.txt");
    if (e == ESCAPED) return ESCAPED;
    int e2 = MUST_NOT_OPEN(fd, 0, "../outside/secret.txt");
    if (e2 == ESCAPED) return ESCAPED;
    if (!first) first = e;
  }
  return first;
}
static int fd_stdio_as_dir(void) {
  // The test may hand the outside directory itself to the guest as stdin: a stream, never a dir.
  static const char *const paths[] = {"../outside/secret.txt", "etc/passwd", "secret.txt", "."};
  int first = 0;
  for (int fd = 0; fd < 3; fd++) {
    for (unsigned i = 0; i < sizeof paths / sizeof paths[0]; i++) {
      int e = MUST_NOT_OPEN(fd, FOLLOW, paths[i]);
      if (e == ESCAPED) return ESCAPED;
      if (!first) first = e;
    }
    __wasi_filestat_t st;
    if (raw_path_filestat_get(fd, 0, P("secret.txt"), 10, P(&st)) == 0) return escaped("path_filestat_get(%d, secret.txt) succeeded", fd);
    uint8_t buf[256];
    size_t used = 0;
    if (__wasi_fd_readdir(fd, buf, sizeof buf, 0, &used) == 0 && used > 0) return escaped("fd_readdir on stdio fd %d listed %zu bytes", fd, used);
  }
  return first;
}
static int prestat_dir_name_tiny_buffer(void) {
  struct {
    char buf[1];
    char canary[15];
  } s;
  memset(&s, 'Z', sizeof s);
  int e = raw_fd_prestat_dir_name(SB, P(s.buf), 1);
  for (unsigned i = 0; i < sizeof s.canary; i++)
    if (s.canary[i] != 'Z') return escaped("fd_prestat_dir_name wrote past a 1-byte buffer: \"%.15s\"", s.canary);
  if (e == 0) note("(wrote 1 byte '%c')", s.buf[0]);
  return e;
}
static int prestat_dir_name_hostile_pointer(void) {
  int32_t end = (int32_t)(__builtin_wasm_memory_size(0) * 65536);
  int e1 = raw_fd_prestat_dir_name(SB, end - 2, 64);
  int e2 = raw_fd_prestat_dir_name(SB, -8, 64);
  if (e1 == 0 || e2 == 0) return escaped("fd_prestat_dir_name wrote outside linear memory (%d,%d)", e1, e2);
  note("(second=%d)", e2);
  return e1;
}
static int path_open_hostile_pointers(void) {
  int32_t end = (int32_t)(__builtin_wasm_memory_size(0) * 65536);
  int32_t fd = -1;
  int e1 = raw_path_open(SB, 0, end - 3, 100, 0, R_READ, R_READ, 0, P(&fd));
  int e2 = raw_path_open(SB, 0, P("marker.txt"), 0x7fffffff, 0, R_READ, R_READ, 0, P(&fd));
  int e3 = raw_path_open(SB, 0, P("marker.txt"), L("marker.txt"), 0, R_READ, R_READ, 0, end - 2);
  if (e1 == 0 || e2 == 0 || e3 == 0) return escaped("path_open accepted an out-of-bounds pointer (%d,%d,%d)", e1, e2, e3);
  note("(len=%d out=%d)", e2, e3);
  return e1;
}

/* ---- more tricks ---- */
static int open_fd_table_full_then_escape(void) {
  // Fill the fd table (or open 5000 fds), then try to escape: still refused; then free everything.
  static int32_t fds[5000];
  int n = 0, full = 0;
  while (n < 5000) {
    int e = raw_path_open(SB, 0, P("marker.txt"), L("marker.txt"), 0, R_READ, R_READ, 0, P(&fds[n]));
    if (e) { full = e; break; }
    n++;
  }
  int e = MUST_NOT_OPEN(SB, 0, "../outside/secret.txt");
  for (int i = 0; i < n; i++) closefd(fds[i]);
  note("(opened %d, then errno %d)", n, full);
  return e;
}
static int rename_dot_and_root(void) {
  int e1 = raw_path_rename(SB, P("."), 1, SB, P("moved"), 5);
  int e2 = raw_path_rename(SB, P("sub"), 3, SB, P("."), 1);
  int e3 = raw_path_rename(SB, P("sub"), 3, SB, P(".."), 2);
  if (e1 == 0 || e2 == 0 || e3 == 0) return escaped("rename of/over the preopen root succeeded (%d,%d,%d)", e1, e2, e3);
  note("(over .=%d over ..=%d)", e2, e3);
  return e1;
}
static int symlink_to_dot_then_dotdot(void) {
  int c = gsym(".", SB, "g_self");
  int e = MUST_NOT_OPEN(SB, 0, "g_self/../outside/secret.txt");
  note("(create=%d)", c);
  return e;
}
static int symlink_through_symlinked_dir_dotdot(void) {
  // g_sub -> sub/deeper; "g_sub/../../.." climbs lexically from sub/deeper: one level too many.
  int c = gsym("sub/deeper", SB, "g_sub");
  int e = MUST_NOT_OPEN(SB, 0, "g_sub/../../../outside/secret.txt");
  note("(create=%d)", c);
  return e;
}
static int symlink_target_embedded_nul(void) {
  // A host that cut the target at NUL would store "../outside/secret.txt".
  static const char t[] = "../outside/secret.txt\0x";
  int c = raw_path_symlink(P(t), sizeof t - 1, SB, P("g_nul"), 5);
  int e = MUST_NOT_OPEN(SB, FOLLOW, "g_nul");
  if (e == ESCAPED) return ESCAPED;
  note("(open=%d)", e);
  return c ? c : e;
}
static int open_overlong_utf8_dotdot(void) {
  // Overlong UTF-8 for "..": must never be decoded into a parent reference.
  static const char p[] = "\xc0\xae\xc0\xae/outside/secret.txt";
  return must_not_open(SB, 0, p, sizeof p - 1, 0, R_READ);
}
static int open_backslash_dotdot(void) { return MUST_NOT_OPEN(SB, 0, "..\\outside\\secret.txt"); }
static int prestat_on_opened_dir(void) {
  // A directory the guest opened is not a preopen: no name to leak.
  int d = open_dir(SB, "sub");
  if (d < 0) return escaped("setup: cannot open sub");
  __wasi_prestat_t ps;
  int e = __wasi_fd_prestat_get(d, &ps);
  closefd(d);
  return e ? e : escaped("fd_prestat_get on an opened subdirectory succeeded (name length %u)", (unsigned)ps.u.dir.pr_name_len);
}
static int fd_renumber_file_over_preopen(void) {
  int32_t f = -1;
  if (raw_path_open(SB, 0, P("marker.txt"), L("marker.txt"), 0, R_READ, R_READ, 0, P(&f))) return escaped("setup: cannot open marker.txt");
  int r = __wasi_fd_renumber(f, SB);
  int e = MUST_NOT_OPEN(SB, 0, "../outside/secret.txt");
  int e2 = MUST_NOT_OPEN(SB, 0, "sub/file.txt");
  if (e == ESCAPED || e2 == ESCAPED) return ESCAPED;
  note("(renumber=%d inside=%d)", r, e2);
  return e;
}
static int fd_renumber_to_unopened(void) {
  int r = __wasi_fd_renumber(SB, 100000);
  int e = MUST_NOT_OPEN(100000, 0, "marker.txt");
  if (e == ESCAPED) return ESCAPED;
  note("(open=%d)", e);
  return r ? r : e;
}

static int rename_dir_into_itself(void) {
  // Would detach sub from the tree (a cycle no walk could leave) on a naive in-memory backend.
  return must_fail(raw_path_rename(SB, P("sub"), 3, SB, P("sub/deeper/sub"), L("sub/deeper/sub")), "rename sub -> sub/deeper/sub");
}
static int link_directory(void) {
  // A hard link to a directory (here the preopen's child) would make cycles and a second parent.
  int e1 = raw_path_link(SB, 0, P("sub"), 3, SB, P("sub/deeper/up"), L("sub/deeper/up"));
  int e2 = raw_path_link(SB, 0, P("."), 1, SB, P("sub/root"), L("sub/root"));
  if (e1 == 0 || e2 == 0) return escaped("hard link to a directory succeeded (%d,%d)", e1, e2);
  note("(link .=%d)", e2);
  return e1;
}
static int sock_accept_on_preopen(void) {
  __wasi_fd_t fd = 0;
  int e = __wasi_sock_accept(SB, 0, &fd);
  return e ? e : describe_opened(fd, "sock_accept on the preopen");
}

static const attempt_t ATTEMPTS[] = {
#define A(f) {#f, f}
    A(open_abs_etc_passwd), A(open_abs_host_path), A(open_dotdot), A(open_sub_dotdot_dotdot), A(open_dot_dotdot),
    A(open_many_dotdot), A(open_deep_then_climb), A(open_dotdot_dir), A(open_dotdot_trailing_slash),
    A(open_dotdot_from_subdir_fd), A(open_dotdot_from_deeper_fd), A(open_long_climbing_path), A(open_huge_path),
    A(open_embedded_nul), A(open_nul_truncates_to_parent), A(open_empty_path), A(open_file_trailing_slash_symlink),
    A(open_proc_names_inside), A(open_proc_self_root_name),
    A(open_rel_symlink_dir), A(open_rel_symlink_file), A(open_rel_symlink_nofollow), A(open_abs_symlink_file),
    A(open_abs_symlink_dir), A(open_symlink_proc_self_root), A(open_symlink_proc_self_fd), A(open_symlink_proc_self_cwd),
    A(open_symlink_up3), A(open_symlink_etc_passwd), A(open_symlink_chain_climb), A(open_symlink_stepwise_climb),
    A(open_symlink_loop), A(open_symlink_loop_intermediate), A(open_symlink_growing_loop),
    A(guest_symlink_rel_follow), A(guest_symlink_rel_nofollow), A(guest_symlink_abs), A(guest_symlink_dotdot_dir),
    A(guest_symlink_create_through), A(guest_symlink_dir_create_file), A(guest_symlink_trunc_through),
    A(mkdir_dotdot), A(mkdir_abs), A(mkdir_via_symlink_dir), A(mkdir_via_guest_symlink),
    A(stat_dotdot), A(stat_parent), A(stat_symlink_follow), A(stat_abs_symlink_follow),
    A(set_times_dotdot), A(set_times_symlink_follow), A(set_times_via_symlink_dir), A(set_times_parent_dir),
    A(link_old_outside), A(link_old_abs), A(link_old_symlink_follow), A(link_old_via_symlink_dir),
    A(link_of_symlink_then_follow), A(link_new_outside), A(link_new_via_symlink_dir), A(link_new_abs),
    A(readlink_dotdot), A(readlink_via_symlink_dir), A(readlink_hostile_buffer),
    A(rmdir_dotdot), A(rmdir_via_symlink_dir), A(rmdir_symlink_to_outside_dir), A(rmdir_preopen_itself),
    A(rename_old_outside), A(rename_new_outside), A(rename_old_via_symlink_dir), A(rename_new_via_symlink_dir),
    A(rename_new_abs), A(rename_symlink_then_follow), A(rename_dir_under_open_fd), A(rename_dir_out),
    A(symlink_new_outside), A(symlink_new_via_symlink_dir), A(symlink_new_abs),
    A(unlink_dotdot), A(unlink_via_symlink_dir), A(unlink_abs), A(unlink_symlink_not_target),
    A(unlink_trailing_slash_symlink),
    A(fd_renumber_over_preopen), A(fd_close_preopen_then_use), A(file_fd_as_dir), A(fd_never_opened),
    A(fd_guess_above_preopens), A(fd_stdio_as_dir), A(prestat_dir_name_tiny_buffer),
    A(prestat_dir_name_hostile_pointer), A(path_open_hostile_pointers),
    A(open_fd_table_full_then_escape), A(rename_dot_and_root), A(symlink_to_dot_then_dotdot),
    A(symlink_through_symlinked_dir_dotdot), A(symlink_target_embedded_nul), A(open_overlong_utf8_dotdot),
    A(open_backslash_dotdot), A(prestat_on_opened_dir), A(fd_renumber_file_over_preopen), A(fd_renumber_to_unopened),
    A(rename_dir_into_itself), A(link_directory), A(sock_accept_on_preopen),
#undef A
};

int main(int argc, char **argv) {
  return run_attempts(ATTEMPTS, sizeof ATTEMPTS / sizeof ATTEMPTS[0], argc, argv, setup);
}
