;; Seeded normal draws for the tfjs wasm backend (@ebmjs/tensor-backend, kernels/wasm-random.ts):
;; the ziggurat of src/random-arrays.ts (`normalArray`) on its xoshiro128** stream, operation for
;; operation (f64 arithmetic, the same tables, Math.log/Math.exp imported from JS for the rare
;; path), so a seed gives the same bits as the JS generator on every other backend, written
;; straight into a tfjs tensor on the heap. `scripts/build-wat.mjs` assembles it for a plain and a
;; shared memory.
(module
  (import "env" "memory" @MEMORY@)
  (import "env" "log" (func $log (param f64) (result f64)))
  (import "env" "exp" (func $exp (param f64) (result f64)))
  ;; the ziggurat tables, written by JS (random-arrays.ts computes them): kn i32[128] at $tab,
  ;; wn f64[128] at $tab + 512, fn f64[128] at $tab + 1536
  (global $tab (mut i32) (i32.const 0))
  ;; the xoshiro128** state between calls of $next (the rare path only; the hot loop keeps it in locals)
  (global $s0 (mut i32) (i32.const 0))
  (global $s1 (mut i32) (i32.const 0))
  (global $s2 (mut i32) (i32.const 0))
  (global $s3 (mut i32) (i32.const 0))

  (func (export "init") (param $ptr i32) (global.set $tab (local.get $ptr)))
  (func (export "table_bytes") (result i32) (i32.const 2560))

  ;; SplitMix32 finaliser (random-arrays.ts `mix32`)
  (func $mix32 (param $x i32) (result i32)
    (local.set $x (i32.mul (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 16))) (i32.const 0x85ebca6b)))
    (local.set $x (i32.mul (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 13))) (i32.const 0xc2b2ae35)))
    (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 16))))

  ;; one xoshiro128** output from the state in the globals (random-arrays.ts `nextInt`)
  (func $next (result i32)
    (local $m i32) (local $r i32) (local $t i32)
    (local.set $m (i32.mul (global.get $s1) (i32.const 5)))
    (local.set $r (i32.mul (i32.rotl (local.get $m) (i32.const 7)) (i32.const 9)))
    (local.set $t (i32.shl (global.get $s1) (i32.const 9)))
    (global.set $s2 (i32.xor (global.get $s2) (global.get $s0)))
    (global.set $s3 (i32.xor (global.get $s3) (global.get $s1)))
    (global.set $s1 (i32.xor (global.get $s1) (global.get $s2)))
    (global.set $s0 (i32.xor (global.get $s0) (global.get $s3)))
    (global.set $s2 (i32.xor (global.get $s2) (local.get $t)))
    (global.set $s3 (i32.rotl (global.get $s3) (i32.const 11)))
    (local.get $r))

  ;; a uniform in (0, 1) (random-arrays.ts `uniOpen`)
  (func $uniOpen (result f64)
    (f64.mul
      (f64.add (f64.convert_i32_u (i32.shr_u (call $next) (i32.const 8))) (f64.const 0.5))
      (f64.const 0x1p-24)))

  (func $kn (param $i i32) (result f64)
    (f64.convert_i32_s (i32.load (i32.add (global.get $tab) (i32.shl (local.get $i) (i32.const 2))))))
  (func $wn (param $i i32) (result f64)
    (f64.load offset=512 (i32.add (global.get $tab) (i32.shl (local.get $i) (i32.const 3)))))
  (func $fn (param $i i32) (result f64)
    (f64.load offset=1536 (i32.add (global.get $tab) (i32.shl (local.get $i) (i32.const 3)))))

  ;; the rare path (random-arrays.ts `zigSlow`), state in the globals
  (func $slow (param $hz i32) (param $iz i32) (result f64)
    (local $x f64) (local $y f64) (local $f f64)
    (loop $retry
      (if (i32.eqz (local.get $iz)) (then
        (loop $tail
          (local.set $x (f64.div (f64.neg (call $log (call $uniOpen))) (f64.const 3.442619855899)))
          (local.set $y (f64.neg (call $log (call $uniOpen))))
          (br_if $tail (f64.lt (f64.add (local.get $y) (local.get $y)) (f64.mul (local.get $x) (local.get $x)))))
        (if (i32.gt_s (local.get $hz) (i32.const 0))
          (then (return (f64.add (f64.const 3.442619855899) (local.get $x)))))
        (return (f64.sub (f64.const -3.442619855899) (local.get $x)))))
      (local.set $x (f64.mul (f64.convert_i32_s (local.get $hz)) (call $wn (local.get $iz))))
      ;; F[iz] + uniOpen() * (F[iz - 1] - F[iz]) < exp(-0.5 * x * x), in JS's evaluation order
      (local.set $f (call $fn (local.get $iz)))
      (local.set $y (f64.mul (call $uniOpen)
        (f64.sub (call $fn (i32.sub (local.get $iz) (i32.const 1))) (call $fn (local.get $iz)))))
      (if (f64.lt (f64.add (local.get $f) (local.get $y))
            (call $exp (f64.mul (f64.mul (f64.const -0.5) (local.get $x)) (local.get $x))))
        (then (return (local.get $x))))
      (local.set $hz (call $next))
      (local.set $iz (i32.and (local.get $hz) (i32.const 127)))
      (if (f64.lt (f64.abs (f64.convert_i32_s (local.get $hz))) (call $kn (local.get $iz)))
        (then (return (f64.mul (f64.convert_i32_s (local.get $hz)) (call $wn (local.get $iz))))))
      (br $retry))
    (unreachable))

  ;; out[i] = f32(mean + std * z_i), i < n: the draws of normalArray(n, seed, mean, std)
  (func (export "normal") (param $out i32) (param $n i32) (param $seed i32) (param $mean f64) (param $std f64)
    (local $s0 i32) (local $s1 i32) (local $s2 i32) (local $s3 i32)
    (local $m i32) (local $hz i32) (local $t i32) (local $iz i32) (local $z f64)
    (local $p i32) (local $end i32) (local $tab i32)
    ;; seedState
    (local.set $s0 (call $mix32 (i32.add (local.get $seed) (i32.const 0x9e3779b9))))
    (local.set $s1 (call $mix32 (i32.add (local.get $seed) (i32.const 0x3c6ef372))))
    (local.set $s2 (call $mix32 (i32.add (local.get $seed) (i32.const 0xdaa66d2b))))
    (local.set $s3 (call $mix32 (i32.add (local.get $seed) (i32.const 0x78dde6e4))))
    (if (i32.eqz (i32.or (i32.or (local.get $s0) (local.get $s1)) (i32.or (local.get $s2) (local.get $s3))))
      (then (local.set $s0 (i32.const 1))))
    (local.set $tab (global.get $tab))
    (local.set $p (local.get $out))
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $draw
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $m (i32.mul (local.get $s1) (i32.const 5)))
      (local.set $hz (i32.mul (i32.rotl (local.get $m) (i32.const 7)) (i32.const 9)))
      (local.set $t (i32.shl (local.get $s1) (i32.const 9)))
      (local.set $s2 (i32.xor (local.get $s2) (local.get $s0)))
      (local.set $s3 (i32.xor (local.get $s3) (local.get $s1)))
      (local.set $s1 (i32.xor (local.get $s1) (local.get $s2)))
      (local.set $s0 (i32.xor (local.get $s0) (local.get $s3)))
      (local.set $s2 (i32.xor (local.get $s2) (local.get $t)))
      (local.set $s3 (i32.rotl (local.get $s3) (i32.const 11)))
      (local.set $iz (i32.and (local.get $hz) (i32.const 127)))
      ;; kn[iz], wn[iz] read inline (V8 does not inline the helper functions)
      (if (f64.lt (f64.abs (f64.convert_i32_s (local.get $hz)))
            (f64.convert_i32_s (i32.load (i32.add (local.get $tab) (i32.shl (local.get $iz) (i32.const 2))))))
        (then (local.set $z (f64.mul (f64.convert_i32_s (local.get $hz))
          (f64.load offset=512 (i32.add (local.get $tab) (i32.shl (local.get $iz) (i32.const 3)))))))
        (else
          (global.set $s0 (local.get $s0)) (global.set $s1 (local.get $s1))
          (global.set $s2 (local.get $s2)) (global.set $s3 (local.get $s3))
          (local.set $z (call $slow (local.get $hz) (local.get $iz)))
          (local.set $s0 (global.get $s0)) (local.set $s1 (global.get $s1))
          (local.set $s2 (global.get $s2)) (local.set $s3 (global.get $s3))))
      (f32.store (local.get $p)
        (f32.demote_f64 (f64.add (local.get $mean) (f64.mul (local.get $std) (local.get $z)))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $draw))))
)
