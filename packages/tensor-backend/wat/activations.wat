;; SIMD activation kernels for the tfjs wasm backend (@ebmjs/tensor-backend, kernels/wasm-activations.ts).
;; They run on tfjs's own wasm heap: the memory is imported, arguments are byte offsets of tfjs
;; tensors, so no data is copied in or out. `scripts/build-wat.mjs` assembles this file twice
;; (the memory import: a plain and a shared memory, for tfjs's single- and multi-threaded builds) into
;; src/kernels/wasm-activations.generated.ts.
(module
  (import "env" "memory" @MEMORY@)

  ;; sigmoid(x) = 1 / (1 + exp(-x)) on 4 lanes. exp as in Cephes' expf: z = n ln2 + r with
  ;; n = round(z log2 e), r by a two-part ln2, e^r by a degree-7 polynomial (|r| <= 0.35,
  ;; relative error ~1e-7). n is rounded with XNNPACK's magic bias: adding 1.5 * 2^23 + 127
  ;; leaves n + 127 in the low mantissa bits, and shifting them into the exponent field gives 2^n
  ;; (cheaper than nearest + trunc_sat). z is clamped to [-87, 88] (pmin/pmax: one instruction
  ;; each) so that 2^n stays a normal float; sigmoid is 1 or below 1e-38 out there anyway.
  (func $sigmoid4 (param $x v128) (result v128)
    (local $z v128) (local $n v128) (local $r v128) (local $p v128)
    (local.set $z
      (f32x4.pmin
        ;; pmax(a, b) = a < b ? b : a: a NaN as the first operand stays NaN
        (f32x4.pmax (f32x4.neg (local.get $x)) (v128.const f32x4 -87 -87 -87 -87))
        (v128.const f32x4 88 88 88 88)))
    ;; n + magic (rounded to an integer by the addition itself)
    (local.set $n
      (f32x4.add
        (f32x4.mul (local.get $z)
          (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341))
        (v128.const f32x4 12583039 12583039 12583039 12583039)))
    ;; p holds 2^n for now
    (local.set $p (i32x4.shl (local.get $n) (i32.const 23)))
    (local.set $n (f32x4.sub (local.get $n) (v128.const f32x4 12583039 12583039 12583039 12583039)))
    (local.set $r
      (f32x4.sub
        (f32x4.sub (local.get $z)
          (f32x4.mul (local.get $n) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375)))
        (f32x4.mul (local.get $n)
          (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
    ;; e^z = 2^n ((((((c5 r + c4) r + c3) r + c2) r + c1) r + c0) r^2 + r + 1)
    (local.set $z (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4))
    (local.set $z (f32x4.add (f32x4.mul (local.get $z) (local.get $r))
      (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
    (local.set $z (f32x4.add (f32x4.mul (local.get $z) (local.get $r))
      (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
    (local.set $z (f32x4.add (f32x4.mul (local.get $z) (local.get $r))
      (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
    (local.set $z (f32x4.add (f32x4.mul (local.get $z) (local.get $r))
      (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
    (local.set $z (f32x4.add (f32x4.mul (local.get $z) (local.get $r))
      (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
    (local.set $z
      (f32x4.add
        (f32x4.add (f32x4.mul (local.get $z) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r))
        (v128.const f32x4 1 1 1 1)))
    ;; sigmoid = 1 / (1 + e^z); a NaN x gives a NaN r, so a NaN result. Below x = -80 (sigmoid
    ;; < 1.9e-35) the result is exactly 0, as where the stock kernel's exp overflows: values near
    ;; the float32 denormal range would make every later kernel that touches them (a matmul of
    ;; the gradient, say) many times slower on x86.
    (v128.andnot
      (f32x4.div
        (v128.const f32x4 1 1 1 1)
        (f32x4.add (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $z) (local.get $p))))
      (f32x4.lt (local.get $x) (v128.const f32x4 -80 -80 -80 -80))))

  ;; out[i] = sigmoid(x[i]), i < n
  (func (export "sigmoid") (param $x i32) (param $out i32) (param $n i32)
    (local $i i32) (local $end i32)
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (block $done (loop $vec
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (v128.store (i32.add (local.get $out) (local.get $i))
        (call $sigmoid4 (v128.load (i32.add (local.get $x) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $vec)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $tail
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (f32.store (i32.add (local.get $out) (local.get $i))
        (f32x4.extract_lane 0
          (call $sigmoid4 (f32x4.splat (f32.load (i32.add (local.get $x) (local.get $i)))))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $tail))))

  ;; s[i] = sigmoid(x[i]), y[i] = x[i] s[i]: swish and the sigmoid its gradient needs, one pass
  (func (export "swish") (param $x i32) (param $y i32) (param $s i32) (param $n i32)
    (local $i i32) (local $end i32) (local $v v128) (local $sg v128)
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (block $done (loop $vec
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $v (v128.load (i32.add (local.get $x) (local.get $i))))
      (local.set $sg (call $sigmoid4 (local.get $v)))
      (v128.store (i32.add (local.get $s) (local.get $i)) (local.get $sg))
      (v128.store (i32.add (local.get $y) (local.get $i)) (f32x4.mul (local.get $v) (local.get $sg)))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $vec)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $tail
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $v (f32x4.splat (f32.load (i32.add (local.get $x) (local.get $i)))))
      (local.set $sg (call $sigmoid4 (local.get $v)))
      (f32.store (i32.add (local.get $s) (local.get $i)) (f32x4.extract_lane 0 (local.get $sg)))
      (f32.store (i32.add (local.get $y) (local.get $i))
        (f32x4.extract_lane 0 (f32x4.mul (local.get $v) (local.get $sg))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $tail))))

  ;; dx[i] = dy[i] (s[i] + y[i] (1 - s[i])): swish's first derivative from its saved outputs
  (func $swishGrad4 (param $dy v128) (param $y v128) (param $s v128) (result v128)
    (f32x4.mul (local.get $dy)
      (f32x4.add (local.get $s)
        (f32x4.mul (local.get $y) (f32x4.sub (v128.const f32x4 1 1 1 1) (local.get $s))))))
  (func (export "swish_grad") (param $dy i32) (param $y i32) (param $s i32) (param $dx i32) (param $n i32)
    (local $i i32) (local $end i32)
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (block $done (loop $vec
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (v128.store (i32.add (local.get $dx) (local.get $i))
        (call $swishGrad4
          (v128.load (i32.add (local.get $dy) (local.get $i)))
          (v128.load (i32.add (local.get $y) (local.get $i)))
          (v128.load (i32.add (local.get $s) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $vec)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $tail
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (f32.store (i32.add (local.get $dx) (local.get $i))
        (f32x4.extract_lane 0
          (call $swishGrad4
            (f32x4.splat (f32.load (i32.add (local.get $dy) (local.get $i))))
            (f32x4.splat (f32.load (i32.add (local.get $y) (local.get $i))))
            (f32x4.splat (f32.load (i32.add (local.get $s) (local.get $i)))))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $tail))))
)
