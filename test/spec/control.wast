;; Our own spec-format script for the runner's test: control flow the fuel rewriter changes (loops, branches
;; out of loops, br_table across loops, tail calls), traps, stack exhaustion, multi-value and memory.grow.

(module
  (func (export "sum") (param $n i32) (result i32)
    (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $acc))

  ;; nested loops, the inner one leaving both with br_if
  (func (export "pairs") (param $n i32) (result i64)
    (local $i i32) (local $j i32) (local $c i64)
    (block $out
      (loop $outer
        (local.set $j (i32.const 0))
        (loop $inner
          (local.set $c (i64.add (local.get $c) (i64.const 1)))
          (br_if $out (i64.eq (local.get $c) (i64.const 100003)))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $inner (i32.lt_u (local.get $j) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $outer (i32.lt_u (local.get $i) (local.get $n)))))
    (local.get $c))

  ;; br_table from inside two loops to each enclosing label
  (func (export "table") (param $k i32) (result i32)
    (local $r i32)
    (block $b2
      (block $b1
        (block $b0
          (loop $l1
            (loop $l2
              (local.set $r (i32.add (local.get $r) (i32.const 10)))
              (br_if $l1 (i32.eq (local.get $r) (i32.const 10)))
              (br_table $b0 $b1 $b2 $l2 (local.get $k)))))
        (return (i32.add (local.get $r) (i32.const 1))))
      (return (i32.add (local.get $r) (i32.const 2))))
    (i32.add (local.get $r) (i32.const 3)))

  ;; a loop with parameters and results (multi-value)
  (func (export "fib") (param $n i32) (result i64 i64)
    (i64.const 0) (i64.const 1)
    (loop $l (param i64 i64) (result i64 i64)
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (call $step)
      (br_if $l (i32.gt_s (local.get $n) (i32.const 0)))))
  (func $step (param i64 i64) (result i64 i64)
    (local.get 1) (i64.add (local.get 0) (local.get 1)))

  (func $even (export "even") (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0))
      (then (i32.const 1))
      (else (return_call $odd (i64.sub (local.get 0) (i64.const 1))))))
  (func $odd (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0))
      (then (i32.const 0))
      (else (return_call $even (i64.sub (local.get 0) (i64.const 1))))))

  (func $forever (export "forever") (param i32) (result i32)
    (i32.add (call $forever (local.get 0)) (i32.const 1)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "boom") (loop (br_if 0 (i32.const 0))) (unreachable))

  (memory (export "mem") 1 3)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))

  (global (export "g") (mut i64) (i64.const -2))
  (func (export "nan") (param f32) (result f32) (local.get 0))
  (func (export "neg") (param f64) (result f64) (f64.neg (local.get 0)))
  (func (export "splat") (param i32) (result v128) (i32x4.splat (local.get 0)))
  (func (export "id-ref") (param externref) (result externref) (local.get 0))
)

(assert_return (invoke "sum" (i32.const 0)) (i32.const 0))
(assert_return (invoke "sum" (i32.const 100000)) (i32.const 705082704))
(assert_return (invoke "pairs" (i32.const 10)) (i64.const 46))
(assert_return (invoke "pairs" (i32.const 2000)) (i64.const 100003))
(assert_return (invoke "table" (i32.const 0)) (i32.const 21))
(assert_return (invoke "table" (i32.const 1)) (i32.const 22))
(assert_return (invoke "table" (i32.const 2)) (i32.const 23))
(assert_return (invoke "fib" (i32.const 1)) (i64.const 1) (i64.const 1))
(assert_return (invoke "fib" (i32.const 90)) (i64.const 2880067194370816120) (i64.const 4660046610375530309))
(assert_return (invoke "even" (i64.const 200_000)) (i32.const 1))
(assert_return (invoke "even" (i64.const 77)) (i32.const 0))
(assert_exhaustion (invoke "forever" (i32.const 0)) "call stack exhausted")
(assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "integer divide by zero")
(assert_trap (invoke "div" (i32.const 0x80000000) (i32.const -1)) "integer overflow")
(assert_return (invoke "div" (i32.const -7) (i32.const 2)) (i32.const -3))
(assert_trap (invoke "boom") "unreachable")
(assert_return (invoke "size") (i32.const 1))
(assert_return (invoke "grow" (i32.const 1)) (i32.const 1))
(assert_return (invoke "grow" (i32.const 2)) (i32.const -1))
(assert_return (invoke "grow" (i32.const 1)) (i32.const 2))
(assert_return (invoke "size") (i32.const 3))
(invoke "fill" (i32.const 0x2fffc) (i32.const 0x7f) (i32.const 4))
(assert_return (invoke "load" (i32.const 0x2fffc)) (i32.const 0x7f7f7f7f))
(assert_trap (invoke "load" (i32.const 0x2fffd)) "out of bounds memory access")
(assert_trap (invoke "fill" (i32.const 0x2ffff) (i32.const 0) (i32.const 2)) "out of bounds memory access")
(assert_return (get "g") (i64.const -2))
(assert_return (invoke "nan" (f32.const nan:0x200001)) (f32.const nan:0x200001))
(assert_return (invoke "nan" (f32.const -0x1.fffffep+127)) (f32.const -0x1.fffffep+127))
(assert_return (invoke "nan" (f32.const 1e-45)) (f32.const 0x1p-149))
(assert_return (invoke "neg" (f64.const nan)) (f64.const nan:arithmetic))
(assert_return (invoke "neg" (f64.const 0.1)) (f64.const -0x1.999999999999ap-4))
(assert_return (invoke "splat" (i32.const -1)) (v128.const i8x16 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1))
(assert_return (invoke "id-ref" (ref.extern 7)) (ref.extern 7))
(assert_return (invoke "id-ref" (ref.null extern)) (ref.null extern))

;; linking: a registered module's function and memory, a start function that traps
(module $A
  (memory (export "m") 1)
  (func (export "inc") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))
(register "a" $A)
(module $B
  (import "a" "inc" (func $inc (param i32) (result i32)))
  (import "a" "m" (memory 1))
  (import "spectest" "global_i32" (global i32))
  (func (export "twice") (param i32) (result i32) (call $inc (call $inc (local.get 0))))
  (func (export "g666") (result i32) (global.get 0)))
(assert_return (invoke $B "twice" (i32.const 40)) (i32.const 42))
(assert_return (invoke $B "g666") (i32.const 666))
(assert_unlinkable (module (import "a" "inc" (func (param i64)))) "incompatible import type")
(assert_unlinkable (module (import "a" "nothing" (func))) "unknown import")
(assert_trap (module (func $s unreachable) (start $s)) "unreachable")

;; invalid modules stay invalid after the rewrite: one past the locals, the globals, the labels
(assert_invalid (module (func (param i32) (local.set 1 (i32.const 0)))) "unknown local")
(assert_invalid (module (func (drop (global.get 0)))) "unknown global")
(assert_invalid (module (func (loop (br 2)))) "unknown label")
(assert_malformed (module binary "\00asm" "\01\00\00\00" "\06\0b\01" "\7f\00\41\00\0b" "\7f\00\41\00\0b") "section size mismatch")
(assert_malformed (module binary "\00asm" "\02\00\00\00") "unknown binary version")
