// cflags: -Wl,--strip-debug
// CPU bench: LZ77-style compression (hash-chain match finder, literal runs + back-references) of generated
// text, then decompression and comparison. Usage: lz [KIB]; prints sizes and a hash of the compressed stream.
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HBITS 15
#define WINDOW 65535
#define MINMATCH 4
#define CHAIN 16

static uint32_t hash4(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return (v * 2654435761u) >> (32 - HBITS); }

static uint8_t *put_len(uint8_t *o, size_t n) { while (n >= 255) { *o++ = 255; n -= 255; } *o++ = (uint8_t)n; return o; }

/* token: [lit:4 | match:4], extra length bytes, literals, 2-byte offset */
static size_t compress(const uint8_t *in, size_t n, uint8_t *out) {
  static int32_t head[1 << HBITS];
  int32_t *prev = malloc(n * sizeof *prev);
  for (size_t i = 0; i < (1u << HBITS); i++) head[i] = -1;
  uint8_t *o = out;
  size_t i = 0, anchor = 0;
  while (i + MINMATCH <= n) {
    uint32_t h = hash4(in + i);
    size_t best = 0, boff = 0;
    int32_t c = head[h];
    for (int k = 0; k < CHAIN && c >= 0 && i - (size_t)c <= WINDOW; k++, c = prev[c]) {
      size_t l = 0;
      while (i + l < n && in[c + l] == in[i + l]) l++;
      if (l > best) { best = l; boff = i - (size_t)c; }
    }
    prev[i] = head[h];
    head[h] = (int32_t)i;
    if (best < MINMATCH) { i++; continue; }
    size_t lit = i - anchor, ml = best - MINMATCH;
    *o++ = (uint8_t)((lit < 15 ? lit : 15) << 4 | (ml < 15 ? ml : 15));
    if (lit >= 15) o = put_len(o, lit - 15);
    memcpy(o, in + anchor, lit); o += lit;
    *o++ = (uint8_t)boff; *o++ = (uint8_t)(boff >> 8);
    if (ml >= 15) o = put_len(o, ml - 15);
    for (size_t k = i + 1; k < i + best && k + MINMATCH <= n; k++) { uint32_t hk = hash4(in + k); prev[k] = head[hk]; head[hk] = (int32_t)k; }
    i += best;
    anchor = i;
  }
  size_t lit = n - anchor;
  *o++ = (uint8_t)((lit < 15 ? lit : 15) << 4);
  if (lit >= 15) o = put_len(o, lit - 15);
  memcpy(o, in + anchor, lit); o += lit;
  free(prev);
  return (size_t)(o - out);
}

static size_t decompress(const uint8_t *in, size_t n, uint8_t *out) {
  const uint8_t *p = in, *end = in + n;
  uint8_t *o = out;
  for (;;) {
    uint8_t t = *p++;
    size_t lit = t >> 4;
    if (lit == 15) { uint8_t b; do { b = *p++; lit += b; } while (b == 255); }
    memcpy(o, p, lit); o += lit; p += lit;
    if (p >= end) break;
    size_t off = p[0] | (size_t)p[1] << 8; p += 2;
    size_t ml = t & 15;
    if (ml == 15) { uint8_t b; do { b = *p++; ml += b; } while (b == 255); }
    ml += MINMATCH;
    for (size_t k = 0; k < ml; k++, o++) *o = o[-(ptrdiff_t)off]; // overlapping copies are allowed
  }
  return (size_t)(o - out);
}

int main(int argc, char **argv) {
  size_t kib = argc > 1 ? (size_t)atol(argv[1]) : 4096;
  size_t n = kib * 1024;
  uint8_t *in = malloc(n), *z = malloc(n + n / 255 + 64), *back = malloc(n);
  static const char *words[] = {"the ", "quick ", "brown ", "fox ", "jumps ", "over ", "lazy ", "dog ", "sandbox ", "fuel ",
                                "memory ", "table ", "module ", "warden ", "limit ", "\n", "0123 ", "and ", "of ", "to "};
  uint32_t x = 7;
  for (size_t i = 0; i < n;) {
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    if (x % 16 == 0) { in[i++] = (uint8_t)(x >> 8); continue; } // some noise
    const char *w = words[(x >> 4) % 20];
    for (size_t k = 0; w[k] && i < n; k++) in[i++] = (uint8_t)w[k];
  }
  size_t zn = compress(in, n, z);
  size_t bn = decompress(z, zn, back);
  if (bn != n || memcmp(in, back, n) != 0) { printf("checksum: ROUNDTRIP FAILED\n"); return 1; }
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < zn; i++) h = (h ^ z[i]) * 16777619u;
  printf("checksum: %08x %zu %zu\n", h, n, zn);
  free(in); free(z); free(back);
  return 0;
}
