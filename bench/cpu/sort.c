// cflags: -Wl,--strip-debug
// CPU bench: sort N pseudo-random 32-bit keys twice, with libc qsort and a hand-written merge sort,
// check both agree, then fold the sorted array into the checksum. Usage: sort [N].
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

static void merge_sort(uint32_t *a, uint32_t *tmp, size_t n) {
  // bottom-up: runs of 16 by insertion sort, then merge passes ping-ponging between a and tmp
  for (size_t s = 0; s < n; s += 16) {
    size_t e = s + 16 < n ? s + 16 : n;
    for (size_t i = s + 1; i < e; i++) {
      uint32_t v = a[i];
      size_t j = i;
      while (j > s && a[j - 1] > v) { a[j] = a[j - 1]; j--; }
      a[j] = v;
    }
  }
  uint32_t *src = a, *dst = tmp;
  for (size_t w = 16; w < n; w *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * w) {
      size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
      size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) dst[k++] = src[j] < src[i] ? src[j++] : src[i++];
      while (i < mid) dst[k++] = src[i++];
      while (j < hi) dst[k++] = src[j++];
    }
    uint32_t *t = src; src = dst; dst = t;
  }
  if (src != a) memcpy(a, src, n * sizeof *a);
}

int main(int argc, char **argv) {
  size_t n = argc > 1 ? (size_t)atol(argv[1]) : 1000000;
  uint32_t *a = malloc(n * 4), *b = malloc(n * 4), *tmp = malloc(n * 4);
  uint64_t x = 88172645463325252ull;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    a[i] = (uint32_t)(x >> 32) % (uint32_t)(n * 4); // duplicates included
  }
  memcpy(b, a, n * 4);
  qsort(a, n, 4, cmp);
  merge_sort(b, tmp, n);
  if (memcmp(a, b, n * 4) != 0) { printf("checksum: MISMATCH\n"); return 1; }
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) h = (h ^ a[i]) * 16777619u;
  printf("checksum: %08x %u %u\n", h, a[0], a[n - 1]);
  free(a); free(b); free(tmp);
  return 0;
}
