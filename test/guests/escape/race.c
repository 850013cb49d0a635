// cflags: -Wl,--strip-all
// Adversarial guest for the concurrency test: while the host keeps swapping sandbox/swap between a
// real directory and a symlink to the outside directory (and sandbox/swapf between a file and a
// symlink to the outside secret), open, create, set times, rename and link through them over and
// over; it must never reach outside.
// race.wasm swapper ROUNDS: the swapping done by another sandbox instead of the host.
// Usage: race.wasm ITERATIONS. Prints one "NAME: refused errno=0 ..." or "NAME: ESCAPED ..." line per kind.
// race.wasm held: holds an fd on sandbox/held, creates held_ready, waits until the host has moved
// held out of the sandbox (to R/elsewhere/held), then tries to climb out through the held fd.
#include "harness.h"

static int held_attempts(int sb) {
  int32_t d = -1, f = -1;
  if (raw_path_open(sb, 0, P("held"), 4, __WASI_OFLAGS_DIRECTORY, R_DIR, R_ALL, 0, P(&d))) {
    printf("held_setup: cannot open held\n");
    return 3;
  }
  if (raw_path_open(sb, 0, P("held_ready"), 10, __WASI_OFLAGS_CREAT, R_READ | R_WRITE, 0, 0, P(&f)) == 0) closefd(f);
  __wasi_timestamp_t start = 0, now = 0;
  (void)__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &start);
  for (;;) {
    __wasi_filestat_t st;
    if (raw_path_filestat_get(sb, 0, P("held"), 4, P(&st)) == __WASI_ERRNO_NOENT) break;
    (void)__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &now);
    if (now - start > 60ull * 1000000000ull) {
      printf("held_setup: the host never moved held out\n");
      return 3;
    }
    (void)__wasi_sched_yield();
  }
  int escapes = 0;
  __wasi_filestat_t st;
  char buf[64];
  int32_t used = 0;
#define HELD(nm, expr)                                     \
  do {                                                     \
    escape_note[0] = 0;                                    \
    int r_ = (expr);                                       \
    if (r_ == ESCAPED) escapes++;                          \
    if (r_ == ESCAPED) printf("%s: ESCAPED %s\n", nm, escape_note); \
    else printf("%s: refused errno=%d\n", nm, r_);         \
  } while (0)
  HELD("held_open_dotdot_secret", MUST_NOT_OPEN(d, 0, "../secret.txt"));
  HELD("held_open_dotdot_dir", must_not_open(d, 0, "..", 2, __WASI_OFLAGS_DIRECTORY, R_READ));
  HELD("held_open_climb_to_outside", MUST_NOT_OPEN(d, 0, "../../outside/secret.txt"));
  HELD("held_stat_dotdot", must_fail(raw_path_filestat_get(d, 0, P("../secret.txt"), 13, P(&st)), "stat ../secret.txt"));
  HELD("held_readlink_dotdot", must_fail(raw_path_readlink(d, P("../link_el"), 10, P(buf), sizeof buf, P(&used)), "readlink ../link_el"));
  HELD("held_link_dotdot", must_fail(raw_path_link(d, 0, P("../secret.txt"), 13, sb, P("stolen"), 6), "link ../secret.txt"));
  HELD("held_rename_dotdot", must_fail(raw_path_rename(d, P("../secret.txt"), 13, sb, P("stolen"), 6), "rename ../secret.txt"));
#undef HELD
  return escapes ? 1 : 0;
}

enum op { OPEN, MKDIR_RMDIR, SYMLINK_UNLINK, SET_TIMES_FOLLOW, RENAME_PAIR, LINK_PAIR };

typedef struct {
  const char *name;
  enum op op;
  const char *path;
  int lookup;
  int oflags;
  const char *path2;
  int inside, refused, first_errno;
  char escaped_note[300];
} race_t;

/* Opens read what "swap/secret.txt" holds inside ("inside-swap"); writes must land inside too
 * (the host checks the outside tree, whose mtimes reveal even a create+remove). */
static race_t RACES[] = {
    {"race_open_through_swapped_dir", OPEN, "swap/secret.txt", 0, 0},
    {"race_open_through_swapped_dir_follow", OPEN, "swap/secret.txt", FOLLOW, 0},
    {"race_open_swapped_final_follow", OPEN, "swapf", FOLLOW, 0},
    {"race_create_through_swapped_dir", OPEN, "swap/created.txt", 0, __WASI_OFLAGS_CREAT},
    {"race_climb_through_swapped_dir", OPEN, "swap/../swap/secret.txt", FOLLOW, 0},
    {"race_mkdir_through_swapped_dir", MKDIR_RMDIR, "swap/newdir"},
    {"race_symlink_through_swapped_dir", SYMLINK_UNLINK, "swap/newlink"},
    {"race_set_times_through_swapped_dir", SET_TIMES_FOLLOW, "swap/secret.txt"},
    {"race_set_times_swapped_final_follow", SET_TIMES_FOLLOW, "swapf"},
    {"race_rename_within_swapped_dir", RENAME_PAIR, "swap/r.txt", 0, 0, "swap/r2.txt"},
    {"race_link_within_swapped_dir", LINK_PAIR, "swap/r.txt", 0, 0, "swap/hl.txt"},
};

/** One race step; returns errno, or 0 after checking that what it reached was inside. */
static int race_step(int sb, race_t *r, long i) {
  int e;
  switch (r->op) {
  case OPEN: {
    int32_t fd = -1;
    e = raw_path_open(sb, r->lookup, P(r->path), L(r->path), r->oflags, R_READ | R_WRITE, R_READ | R_WRITE, 0, P(&fd));
    if (e) return e;
    char buf[128];
    read_all(fd, buf, sizeof buf);
    closefd(fd);
    // Inside files hold "inside-swap" (or are the empty file this guest created inside).
    if (strstr(buf, "SECRET") || (buf[0] && strncmp(buf, "inside-swap", 11) != 0)) {
      if (!r->escaped_note[0]) snprintf(r->escaped_note, sizeof r->escaped_note, "iteration %ld read \"%.100s\"", i, buf);
      return ESCAPED;
    }
    if (r->oflags & __WASI_OFLAGS_CREAT) (void)raw_path_unlink_file(sb, P(r->path), L(r->path));
    return 0;
  }
  case MKDIR_RMDIR:
    // The undo step runs even after a failure, so a leftover from a swap mid-pair is cleaned up.
    e = raw_path_create_directory(sb, P(r->path), L(r->path));
    (void)raw_path_remove_directory(sb, P(r->path), L(r->path));
    return e;
  case SYMLINK_UNLINK:
    e = raw_path_symlink(P("x"), 1, sb, P(r->path), L(r->path));
    (void)raw_path_unlink_file(sb, P(r->path), L(r->path));
    return e;
  case SET_TIMES_FOLLOW:
    return raw_path_filestat_set_times(sb, FOLLOW, P(r->path), L(r->path), 0, 0, __WASI_FSTFLAGS_MTIM_NOW);
  case RENAME_PAIR:
    e = raw_path_rename(sb, P(r->path), L(r->path), sb, P(r->path2), L(r->path2));
    (void)raw_path_rename(sb, P(r->path2), L(r->path2), sb, P(r->path), L(r->path));
    return e;
  case LINK_PAIR:
    e = raw_path_link(sb, 0, P(r->path), L(r->path), sb, P(r->path2), L(r->path2));
    (void)raw_path_unlink_file(sb, P(r->path2), L(r->path2));
    return e;
  }
  return 0;
}

/**
 * The other sandbox of the race: swaps swap <-> swap_l and swapf <-> swapf_l with renames (as the
 * host's swapper does) until the file "stop" appears or `rounds` rounds are done.
 */
static int swapper(int sb, long rounds) {
  static const char *const seq[][2] = {{"swap", "swap_d"}, {"swap_l", "swap"}, {"swap", "swap_l"}, {"swap_d", "swap"},
                                       {"swapf", "swapf_f"}, {"swapf_l", "swapf"}, {"swapf", "swapf_l"}, {"swapf_f", "swapf"}};
  long done = 0;
  int failures = 0;
  for (; done < rounds; done++) {
    __wasi_filestat_t st;
    if (raw_path_filestat_get(sb, 0, P("stop"), 4, P(&st)) == 0) break;
    for (unsigned k = 0; k < sizeof seq / sizeof seq[0]; k++)
      if (raw_path_rename(sb, P(seq[k][0]), L(seq[k][0]), sb, P(seq[k][1]), L(seq[k][1]))) failures++;
  }
  printf("swapper: %ld rounds, %d failed renames\n", done, failures);
  return failures ? 1 : 0;
}

int main(int argc, char **argv) {
  int sb = find_preopen("/sandbox");
  if (sb < 0) {
    fprintf(stderr, "setup: preopen /sandbox missing\n");
    return 3;
  }
  if (argc > 1 && strcmp(argv[1], "held") == 0) return held_attempts(sb);
  if (argc > 2 && strcmp(argv[1], "swapper") == 0) return swapper(sb, atol(argv[2]));
  long iterations = argc > 1 ? atol(argv[1]) : 1000;
  int escapes = 0;
  for (long i = 0; i < iterations; i++) {
    for (unsigned k = 0; k < sizeof RACES / sizeof RACES[0]; k++) {
      race_t *r = &RACES[k];
      int e = race_step(sb, r, i);
      if (e == ESCAPED) {
        escapes++;
      } else if (e) {
        r->refused++;
        if (!r->first_errno) r->first_errno = e;
      } else {
        r->inside++;
      }
    }
  }
  for (unsigned k = 0; k < sizeof RACES / sizeof RACES[0]; k++) {
    race_t *r = &RACES[k];
    if (r->escaped_note[0])
      printf("%s: ESCAPED %s\n", r->name, r->escaped_note);
    else
      printf("%s: refused errno=0 inside=%d refused=%d first_errno=%d\n", r->name, r->inside, r->refused, r->first_errno);
  }
  return escapes ? 1 : 0;
}
