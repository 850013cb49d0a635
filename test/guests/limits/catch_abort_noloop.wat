;; Adversarial guest: catches the host's abort with catch_all and returns normally from _start: the run
;; must still end with the limit's error (not exit code 0).
(module
  (memory (export "memory") 1)
  (func $spin (loop $l (br $l)))
  (func (export "_start")
    (try (do (call $spin)) (catch_all))))
