// cflags: -Wl,--strip-debug
// CPU bench: a C-like tokenizer over generated source text (identifiers, keywords, numbers, strings,
// comments, operators). Usage: lexer [KIB]; prints token counts per kind and a hash of the tokens.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { IDENT, KEYWORD, NUMBER, STRING, OP, PUNCT, KINDS };
static const char *KW[] = {"if", "else", "while", "for", "return", "int", "char", "static", "struct", "void"};
static const char *OPS[] = {"<<=", ">>=", "==", "!=", "<=", ">=", "&&", "||", "++", "--", "->", "+=", "-=", "<<", ">>",
                            "+", "-", "*", "/", "%", "<", ">", "=", "!", "&", "|", "^", "~"};

static uint32_t rng = 2463534242u;
static uint32_t next(void) { rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5; return rng; }

static size_t gen(char *p, size_t cap) {
  size_t n = 0;
  static const char alpha[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789";
  while (n + 200 < cap) {
    uint32_t r = next() % 100;
    if (r < 30) { int len = 1 + next() % 12; p[n++] = alpha[next() % 53]; for (int i = 1; i < len; i++) p[n++] = alpha[next() % 63]; }
    else if (r < 40) { const char *k = KW[next() % 10]; size_t l = strlen(k); memcpy(p + n, k, l); n += l; }
    else if (r < 52) { if (next() % 4 == 0) { n += (size_t)sprintf(p + n, "0x%x", next()); } else n += (size_t)sprintf(p + n, "%u", next() % 100000); }
    else if (r < 56) { p[n++] = '"'; int len = next() % 30; for (int i = 0; i < len; i++) { if (next() % 10 == 0) { p[n++] = '\\'; p[n++] = 'n'; } else p[n++] = alpha[next() % 63]; } p[n++] = '"'; }
    else if (r < 58) { const char *c = next() % 2 ? "/* a block comment, with * and / inside */" : "// line comment\n"; size_t l = strlen(c); memcpy(p + n, c, l); n += l; }
    else if (r < 80) { const char *o = OPS[next() % 28]; size_t l = strlen(o); memcpy(p + n, o, l); n += l; }
    else { p[n++] = "(){}[];,"[next() % 8]; }
    p[n++] = " \n\t "[next() % 4];
  }
  p[n] = 0;
  return n;
}

static int is_id(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (c >= '0' && c <= '9'); }

int main(int argc, char **argv) {
  size_t kib = argc > 1 ? (size_t)atol(argv[1]) : 4096;
  char *src = malloc(kib * 1024 + 1);
  size_t len = gen(src, kib * 1024);
  uint64_t counts[KINDS] = {0};
  uint32_t h = 2166136261u;
  for (int pass = 0; pass < 4; pass++) {
    const char *p = src, *end = src + len;
    while (p < end) {
      char c = *p;
      if (c == ' ' || c == '\n' || c == '\t') { p++; continue; }
      const char *s = p;
      int kind;
      if (c == '/' && p[1] == '/') { while (p < end && *p != '\n') p++; continue; }
      if (c == '/' && p[1] == '*') { p += 2; while (p + 1 < end && !(p[0] == '*' && p[1] == '/')) p++; p += 2; continue; }
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') {
        while (is_id(*p)) p++;
        kind = IDENT;
        for (int k = 0; k < 10; k++) if (strlen(KW[k]) == (size_t)(p - s) && memcmp(KW[k], s, (size_t)(p - s)) == 0) { kind = KEYWORD; break; }
      } else if (c >= '0' && c <= '9') {
        if (c == '0' && p[1] == 'x') { p += 2; while ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')) p++; }
        else while (*p >= '0' && *p <= '9') p++;
        kind = NUMBER;
      } else if (c == '"') {
        p++;
        while (*p != '"') { if (*p == '\\') p++; p++; }
        p++;
        kind = STRING;
      } else if (strchr("(){}[];,", c)) { p++; kind = PUNCT; }
      else {
        kind = -1;
        for (int k = 0; k < 28; k++) { size_t l = strlen(OPS[k]); if (strncmp(p, OPS[k], l) == 0) { p += l; kind = OP; break; } }
        if (kind < 0) { printf("checksum: BAD CHAR %d\n", c); return 1; }
      }
      counts[kind]++;
      h = (h ^ (uint32_t)kind) * 16777619u;
      for (const char *q = s; q < p; q++) h = (h ^ (uint8_t)*q) * 16777619u;
    }
  }
  printf("checksum: %08x", h);
  for (int k = 0; k < KINDS; k++) printf(" %llu", (unsigned long long)counts[k]);
  printf("\n");
  free(src);
  return 0;
}
