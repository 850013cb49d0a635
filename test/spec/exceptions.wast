;; Our own script: exception handling (the legacy try/catch that Node 20 runs) through the fuel rewriter,
;; which keeps the counter in the global in such functions: throws out of loops, rethrow, delegate, catch_all.

(module
  (tag $e (param i32))
  (tag $f)
  (func $thrower (param i32) (throw $e (local.get 0)))

  ;; a loop that throws on its 100th iteration, caught outside the loop
  (func (export "loop-throw") (param $n i32) (result i32)
    (local $i i32)
    (try (result i32)
      (do
        (loop $l
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (if (i32.eq (local.get $i) (local.get $n)) (then (call $thrower (local.get $i))))
          (br $l))
        (i32.const -1))
      (catch $e)))

  ;; catch, rethrow from a nested catch, catch_all outside
  (func (export "rethrow") (param i32) (result i32)
    (try (result i32)
      (do
        (try (result i32)
          (do (call $thrower (local.get 0)) (i32.const 0))
          (catch $e (drop) (rethrow 0))))
      (catch_all (i32.const 77))))

  ;; delegate to the outer try
  (func (export "delegate") (param i32) (result i32)
    (try $outer (result i32)
      (do
        (try (result i32)
          (do (if (local.get 0) (then (throw $f))) (i32.const 1))
          (delegate $outer)))
      (catch $f (i32.const 2))))

  ;; an exception out of a function is seen by the host
  (func (export "uncaught") (throw $f))

  ;; a br out of a try inside a loop, and fuel keeps working after many catches
  (func (export "many") (param $n i32) (result i32)
    (local $c i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (try
          (do (call $thrower (local.get $n)))
          (catch $e (local.set $c (i32.add (local.get $c)))))
        (br $l)))
    (local.get $c))
)

(assert_return (invoke "loop-throw" (i32.const 100)) (i32.const 100))
(assert_return (invoke "loop-throw" (i32.const 1)) (i32.const 1))
(assert_return (invoke "rethrow" (i32.const 5)) (i32.const 77))
(assert_return (invoke "delegate" (i32.const 0)) (i32.const 1))
(assert_return (invoke "delegate" (i32.const 1)) (i32.const 2))
(assert_exception (invoke "uncaught"))
(assert_return (invoke "many" (i32.const 1000)) (i32.const 499500))
