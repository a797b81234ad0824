// Source of the SIMD activation module (@ebmjs/tensor-backend, kernels/wasm-activations.ts):
// returns its WAT text, which scripts/build-wat.mjs assembles (plain and shared memory) into
// src/kernels/wasm-activations.generated.ts. A generator because the sigmoid is written inline in
// each loop, with its constants in locals loaded from memory before the loop.
//
// Measured (bench/NOTES.md, perf log 12): V8 (Node 20, Chrome) materialises every `v128.const`
// where it is used, three instructions each (movq r, imm64; vmovq; vpunpcklqdq), inside the loop,
// also when the constant was put in a local before the loop; values it cannot fold (splats of a
// global) it sinks into the loop as well. Loads are the one thing it keeps where they are: the
// constants are written once into 16-byte slots on tfjs's heap (`init`, called when the module is
// instantiated) and loaded before each loop, and the sigmoid went from ~85 to ~45 instructions per
// 4 floats (2.5x faster).

/** The constants, in slot order: name, value (each fills a 16-byte slot, 4 lanes). */
const CONSTANTS = [
  // z = clamp(-x, -87, 88) so that 2^n stays a normal float
  ['lo', '-87'],
  ['hi', '88'],
  ['log2e', '1.44269504088896341'],
  // XNNPACK's magic bias: adding 1.5 * 2^23 + 127 rounds n and leaves n + 127 in the low bits
  ['magic', '12583039'],
  ['ln2hi', '0.693359375'],
  ['ln2lo', '-2.12194440e-4'],
  // Cephes expf's polynomial
  ['c5', '1.9875691500e-4'],
  ['c4', '1.3981999507e-3'],
  ['c3', '8.3334519073e-3'],
  ['c2', '4.1665795894e-2'],
  ['c1', '1.6666665459e-1'],
  ['c0', '5.0000001201e-1'],
  ['one', '1'],
  ['cut', '-80'],
];
const SLOT = Object.fromEntries(CONSTANTS.map(([name], i) => [name, 16 * i]));
const k = (name) => `(local.get $k_${name})`;

/** Locals holding the constants `names`, and the loads that fill them from `init`'s slots. */
function constants(names) {
  return {
    locals: names.map((n) => `(local $k_${n} v128)`).join(' '),
    loads: names
      .map((n) => `    (local.set $k_${n} (v128.load offset=${SLOT[n]} (global.get $k)))`)
      .join('\n'),
  };
}
const SIGMOID = CONSTANTS.map(([name]) => name);

/**
 * Statements leaving sigmoid(x) in local `$sg` for the v128 in local `$v` (scratch locals
 * `$z $n $r $p`). exp as in Cephes' expf: z = n ln2 + r with n = round(z log2 e), r by a two-part
 * ln2, e^r by a degree-7 polynomial (|r| <= 0.35, relative error ~1e-7); 2^n by shifting n + 127
 * into the exponent field.
 */
const sigmoid = (fma) => {
  // a b + c and c - a b: one relaxed-SIMD fused instruction each in the FMA variant
  const madd = (a, b, c) =>
    fma ? `(f32x4.relaxed_madd ${a} ${b} ${c})` : `(f32x4.add (f32x4.mul ${a} ${b}) ${c})`;
  const nmadd = (a, b, c) =>
    fma ? `(f32x4.relaxed_nmadd ${a} ${b} ${c})` : `(f32x4.sub ${c} (f32x4.mul ${a} ${b}))`;
  const r = '(local.get $r)';
  const r2 = '(local.get $r2)';
  return `
      (local.set $z (f32x4.pmin (f32x4.pmax (f32x4.neg (local.get $v)) ${k('lo')}) ${k('hi')}))
      ;; pmax(a, b) = a < b ? b : a: a NaN as the first operand stays NaN
      ;; n + magic (rounded to an integer by the addition itself)
      (local.set $n ${madd('(local.get $z)', k('log2e'), k('magic'))})
      ;; p holds 2^n for now
      (local.set $p (i32x4.shl (local.get $n) (i32.const 23)))
      (local.set $n (f32x4.sub (local.get $n) ${k('magic')}))
      (local.set $r
        ${nmadd('(local.get $n)', k('ln2lo'), nmadd('(local.get $n)', k('ln2hi'), '(local.get $z)'))})
      ;; e^z = 2^n (P(r) r^2 + r + 1), P(r) = ((c5 r + c4) r^2 + (c3 r + c2)) r^2 + (c1 r + c0)
      ;; (Estrin's scheme: half the dependent steps of Horner's; the loop is latency-bound)
      (local.set $r2 (f32x4.mul ${r} ${r}))
      (local.set $z
        ${madd(madd(madd(k('c5'), r, k('c4')), r2, madd(k('c3'), r, k('c2'))), r2, madd(k('c1'), r, k('c0')))})
      (local.set $z
        ${madd('(local.get $z)', r2, `(f32x4.add ${r} ${k('one')})`)})
      ;; sigmoid = 1 / (1 + e^z); a NaN x gives a NaN r, so a NaN result. Below x = -80 (sigmoid
      ;; < 1.9e-35) the result is exactly 0, as where the stock kernel's exp overflows: values near
      ;; the float32 denormal range would make every later kernel that touches them (a matmul of
      ;; the gradient, say) many times slower on x86.
      (local.set $sg
        (v128.andnot
          (f32x4.div ${k('one')} ${fma ? madd('(local.get $z)', '(local.get $p)', k('one')) : `(f32x4.add ${k('one')} (f32x4.mul (local.get $z) (local.get $p)))`})
          (f32x4.lt (local.get $v) ${k('cut')})))`;
};

/**
 * An elementwise function over n floats: `body` maps local `$v` (and the other inputs' `$v1`...)
 * to stores; the vector loop covers n & ~3, the tail loop the rest one float at a time (the same
 * code on a splat, lane 0 stored).
 */
function elementwise({ name, inputs, outputs, names, locals = '', body }) {
  const { locals: kLocals, loads } = constants(names);
  const params = [...inputs, ...outputs].map((p) => `(param $${p} i32)`).join(' ');
  const vin = inputs.map((_p, j) => `(local $v${j ? j : ''} v128)`).join(' ');
  const load = (splat) =>
    inputs
      .map(
        (p, j) =>
          `      (local.set $v${j ? j : ''} ${
            splat
              ? `(f32x4.splat (f32.load (i32.add (local.get $${p}) (local.get $i))))`
              : `(v128.load (i32.add (local.get $${p}) (local.get $i)))`
          })`,
      )
      .join('\n');
  const store = (splat) =>
    outputs
      .map(
        (p) =>
          `      ${
            splat
              ? `(f32.store (i32.add (local.get $${p}) (local.get $i)) (f32x4.extract_lane 0 (local.get $out_${p})))`
              : `(v128.store (i32.add (local.get $${p}) (local.get $i)) (local.get $out_${p}))`
          }`,
      )
      .join('\n');
  const outLocals = outputs.map((p) => `(local $out_${p} v128)`).join(' ');
  const loop = (label, splat, stepBytes) => `    (block $done (loop $${label}
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
${load(splat)}${body}
${store(splat)}
      (local.set $i (i32.add (local.get $i) (i32.const ${stepBytes})))
      (br $${label})))`;
  return `  (func (export "${name}") ${params} (param $count i32)
    (local $i i32) (local $end i32) ${vin} ${outLocals} ${locals} ${kLocals}
${loads}
    (local.set $end (i32.shl (i32.and (local.get $count) (i32.const -4)) (i32.const 2)))
${loop('vec', false, 16)}
    (local.set $end (i32.shl (local.get $count) (i32.const 2)))
${loop('tail', true, 4)})`;
}

const SCRATCH =
  '(local $z v128) (local $n v128) (local $r v128) (local $r2 v128) (local $p v128) (local $sg v128)';

/**
 * The module's WAT. `fma`: the variant with relaxed SIMD's fused multiply-adds in the exp
 * polynomial (needs an engine with relaxed SIMD; kernels/wasm-activations.ts picks it there).
 */
export default function wat({ fma = false } = {}) {
  return `;; SIMD activation kernels for the tfjs wasm backend (@ebmjs/tensor-backend, kernels/wasm-activations.ts).
;; They run on tfjs's own wasm heap: the memory is imported, arguments are byte offsets of tfjs
;; tensors, so no data is copied in or out. Generated by wat/activations.mjs.
(module
  (import "env" "memory" @MEMORY@)
  ;; byte offset of the ${CONSTANTS.length} constant slots (16 bytes each) on the heap, set by init
  (global $k (mut i32) (i32.const 0))

  ;; writes the constants to the ${16 * CONSTANTS.length} bytes at ptr (allocated by the caller, kept for
  ;; the instance's life) and remembers ptr
  (func (export "init") (param $ptr i32)
${CONSTANTS.map(([, value], i) => `    (v128.store offset=${16 * i} (local.get $ptr) (v128.const f32x4 ${value} ${value} ${value} ${value}))`).join('\n')}
    (global.set $k (local.get $ptr)))
  (func (export "constant_bytes") (result i32) (i32.const ${16 * CONSTANTS.length}))

  ;; out[i] = sigmoid(x[i]), i < count
${elementwise({
  name: 'sigmoid',
  inputs: ['x'],
  outputs: ['out'],
  names: SIGMOID,
  locals: SCRATCH,
  body: `${sigmoid(fma)}
      (local.set $out_out (local.get $sg))`,
})}

  ;; s[i] = sigmoid(x[i]), y[i] = x[i] s[i]: swish and the sigmoid its gradient needs, one pass
${elementwise({
  name: 'swish',
  inputs: ['x'],
  outputs: ['y', 's'],
  names: SIGMOID,
  locals: SCRATCH,
  body: `${sigmoid(fma)}
      (local.set $out_s (local.get $sg))
      (local.set $out_y (f32x4.mul (local.get $v) (local.get $sg)))`,
})}

  ;; dx[i] = dy[i] (s[i] + y[i] (1 - s[i])): swish's first derivative from its saved outputs
${elementwise({
  name: 'swish_grad',
  inputs: ['dy', 'y', 's'],
  outputs: ['dx'],
  names: ['one'],
  body: `
      (local.set $out_dx
        (f32x4.mul (local.get $v)
          ${
            fma
              ? `(f32x4.relaxed_madd (local.get $v1) (f32x4.sub ${k('one')} (local.get $v2)) (local.get $v2))`
              : `(f32x4.add (local.get $v2)
            (f32x4.mul (local.get $v1) (f32x4.sub ${k('one')} (local.get $v2))))`
          }))`,
})}
)
`;
}
