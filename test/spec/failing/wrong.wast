;; Deliberately wrong expectations: the runner must report each as a failure (with its line).
(module
  (func (export "one") (result i32) (i32.const 1))
  (func (export "loop") (result i32) (local i32)
    (loop (br_if 0 (i32.lt_u (local.tee 0 (i32.add (local.get 0) (i32.const 1))) (i32.const 10))))
    (local.get 0)))
(assert_return (invoke "one") (i32.const 2))
(assert_return (invoke "loop") (i32.const 10))
(assert_trap (invoke "one") "unreachable")
(assert_invalid (module (func (result i32) (i32.const 0))) "type mismatch")
