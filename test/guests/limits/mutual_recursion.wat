;; Adversarial guest: mutual recursion without loops that grows the stack (ends as a stack overflow).
(module
  (memory (export "memory") 1)
  (func $even (param i32) (result i32) (i32.add (call $odd (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
  (func $odd (param i32) (result i32) (i32.add (call $even (i32.add (local.get 0) (i32.const 1))) (i32.const 2)))
  (func (export "_start") (drop (call $even (i32.const 0)))))
