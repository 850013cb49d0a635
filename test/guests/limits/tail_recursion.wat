;; Adversarial guest: mutual recursion without loops and without stack growth (return_call), forever.
(module
  (memory (export "memory") 1)
  (func $ping (param i32) (return_call $pong (i32.add (local.get 0) (i32.const 1))))
  (func $pong (param i32) (return_call $ping (i32.sub (local.get 0) (i32.const 1))))
  (func (export "_start") (call $ping (i32.const 0))))
