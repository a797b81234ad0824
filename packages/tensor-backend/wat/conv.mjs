// Source of the convolution modules (@ebmjs/tensor-backend, kernels/wasm-conv-fma.ts): returns
// their WAT text, which scripts/build-wat.mjs assembles (plain and shared memory) into
// src/kernels/wasm-conv.generated.ts (fused multiply-adds) and wasm-conv-muladd.generated.ts
// (`{ fma: false }`). Written as a generator because the kernel is unrolled over the MR output
// pixels of a tile.
//
// Measured choices (bench/NOTES.md, perf log 11): tiles of 4 pixels x 8 channels (`conv`), or
// 8 pixels x 4 channels (`conv4`, for 4 output channels, which `conv` would compute half empty),
// blocks of 64 pixels, and no unrolling of the reduction loop: V8 ran a 4x-unrolled loop 1.3-1.5x
// slower; 5 or 6 pixels per tile were no faster than 4.
const BLOCK = 64;

/** a b + c: one relaxed-SIMD fused multiply-add, or a multiply and an add (set by `wat`). */
let madd;

/**
 * The module's WAT. `fma` (default): relaxed SIMD's `f32x4.relaxed_madd`; `fma: false`: the same
 * kernels with `f32x4.mul` + `f32x4.add`, for engines without relaxed SIMD (Node 20 unflagged).
 */
export default function wat({ fma = true } = {}) {
  madd = fma
    ? (a, b, c) => `(f32x4.relaxed_madd ${a} ${b} ${c})`
    : (a, b, c) => `(f32x4.add (f32x4.mul ${a} ${b}) ${c})`;
  const variant = fma
    ? `;; Needs relaxed SIMD (f32x4.relaxed_madd: one fused multiply-add where the CPU has FMA, which
;; tfjs 4.22's XNNPACK build cannot use).`
    : ';; The plain-SIMD variant: multiply and add as two instructions, for engines without relaxed SIMD.';
  return `;; Convolution kernels for the tfjs wasm backend (@ebmjs/tensor-backend, kernels/wasm-conv-fma.ts).
${variant} Runs on tfjs's own heap: the memory is imported and every
;; argument is a byte offset. \`scripts/build-wat.mjs\` assembles it for a plain and a shared memory.
(module
  (import "env" "memory" @MEMORY@)

  ;; Writes dst [n, hp, wp, c] = x [n, h, w, c] placed at row \`top\`, column \`left\`, zeros
  ;; around it: one pass over dst (zero rows, then per input row: left zeros, the row, right zeros).
  (func (export "pad")
    (param $x i32) (param $dst i32) (param $n i32) (param $h i32) (param $w i32) (param $c i32)
    (param $hp i32) (param $wp i32) (param $top i32) (param $left i32)
    (local $rowBytes i32) (local $dstRowBytes i32) (local $leftBytes i32) (local $rightBytes i32)
    (local $src i32) (local $d i32) (local $rows i32) (local $r i32)
    (local.set $rowBytes (i32.shl (i32.mul (local.get $w) (local.get $c)) (i32.const 2)))
    (local.set $dstRowBytes (i32.shl (i32.mul (local.get $wp) (local.get $c)) (i32.const 2)))
    (local.set $leftBytes (i32.shl (i32.mul (local.get $left) (local.get $c)) (i32.const 2)))
    (local.set $rightBytes
      (i32.sub (i32.sub (local.get $dstRowBytes) (local.get $leftBytes)) (local.get $rowBytes)))
    (local.set $src (local.get $x))
    (local.set $d (local.get $dst))
    (local.set $rows (i32.mul (local.get $n) (local.get $hp)))
    (block $done (loop $rowLoop
      (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
      ;; row r of the padded batch is input row (r mod hp) - top of its image, if that exists
      (if (i32.lt_u (i32.sub (i32.rem_u (local.get $r) (local.get $hp)) (local.get $top)) (local.get $h))
        (then
          (memory.fill (local.get $d) (i32.const 0) (local.get $leftBytes))
          (memory.copy (i32.add (local.get $d) (local.get $leftBytes)) (local.get $src) (local.get $rowBytes))
          (memory.fill
            (i32.add (i32.add (local.get $d) (local.get $leftBytes)) (local.get $rowBytes))
            (i32.const 0) (local.get $rightBytes))
          (local.set $src (i32.add (local.get $src) (local.get $rowBytes))))
        (else (memory.fill (local.get $d) (i32.const 0) (local.get $dstRowBytes))))
      (local.set $d (i32.add (local.get $d) (local.get $dstRowBytes)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rowLoop))))

${convFunc('conv', 4, 2)}
${convFunc('conv4', 8, 1)}
${conv1Func()}
${fgradFunc()})
`;
}

/** The parameters of "conv", "conv4" and "conv1" (kernels/wasm-conv-fma.ts passes them in this order). */
const CONV_PARAMS = `    (param $x i32) (param $w i32) (param $bias i32) (param $out i32)
    (param $n i32) (param $hp i32) (param $wp i32) (param $cin i32)
    (param $oh i32) (param $ow i32) (param $cout i32)
    (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $dh i32) (param $dw i32)
    (param $oimg i32) (param $orow i32) (param $opix i32)
    (param $first i32) (param $last i32)
`;

/**
 * Statements that set the run plan of a tile's reduction (locals $rowStride $runStep $runs $run):
 * kh kernel rows of `runs` runs of `run` contiguous floats each.
 */
const RUN_PLAN = `    ;; the reduction of a tile runs over kh kernel rows of \`runs\` runs of \`run\` contiguous floats:
    ;; one run of kw * cin floats per row without dilation, kw runs of cin floats with it
    (local.set $rowStride (i32.shl (i32.mul (i32.mul (local.get $dh) (local.get $wp)) (local.get $cin)) (i32.const 2)))
    (local.set $runStep (i32.shl (i32.mul (local.get $dw) (local.get $cin)) (i32.const 2)))
    (if (i32.eq (local.get $dw) (i32.const 1))
      (then (local.set $runs (i32.const 1)) (local.set $run (i32.mul (local.get $kw) (local.get $cin))))
      (else (local.set $runs (local.get $kw)) (local.set $run (local.get $cin))))
`;

/**
 * Statements that set row pointer $pa<r> (input window origin) and output pointer $po<r> for
 * pixel (b, oy, ox) of the output grid, then step (b, oy, ox) to the next pixel (the last one
 * again past the end, so a partial tile reads valid memory and stores nothing there).
 */
const rowptr = (
  r,
) => `        ;; row pointer ${r} and output pointer ${r}: pixel (b, oy, ox), then the next pixel (the last
        ;; one again past the end)
        (local.set $pa${r}
          (i32.add (local.get $x)
            (i32.shl
              (i32.mul
                (i32.add
                  (i32.mul
                    (i32.add (i32.mul (local.get $b) (local.get $hp)) (i32.mul (local.get $oy) (local.get $sh)))
                    (local.get $wp))
                  (i32.mul (local.get $ox) (local.get $sw)))
                (local.get $cin))
              (i32.const 2))))
        (local.set $po${r}
          (i32.add (local.get $out)
            (i32.add
              (i32.add (i32.mul (local.get $b) (local.get $oimg)) (i32.mul (local.get $oy) (local.get $orow)))
              (i32.add (i32.mul (local.get $ox) (local.get $opix)) (local.get $pch)))))
        (if (i32.lt_u (i32.add (local.get $p) (i32.const ${r + 1})) (local.get $total)) (then
          (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
          (if (i32.eq (local.get $ox) (local.get $ow)) (then
            (local.set $ox (i32.const 0))
            (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
            (if (i32.eq (local.get $oy) (local.get $oh)) (then
              (local.set $oy (i32.const 0))
              (local.set $b (i32.add (local.get $b) (i32.const 1)))))))))
`;

/**
 * The convolution `name`: tiles of MR output pixels x NV * 4 output channels (NV = 2: 8 channels,
 * the packed filter's panel width; NV = 1: 4 channels).
 */
function convFunc(name, MR, NV) {
  const R = [...Array(MR).keys()];
  const V = [...Array(NV).keys()];
  const W = 4 * NV; // channels per panel
  const shift = NV === 2 ? 5 : 4; // log2 of a panel row's bytes
  const step = `${V.map((v) => `            (local.set $b${v} (v128.load offset=${16 * v} (local.get $pb)))`).join('\n')}
${R.map(
  (r) => `            (local.set $a (v128.load32_splat (local.get $q${r})))
${V.map((v) => `            (local.set $c${r}_${v} ${madd('(local.get $a)', `(local.get $b${v})`, `(local.get $c${r}_${v})`)})`).join('\n')}`,
).join('\n')}
            (local.set $pb (i32.add (local.get $pb) (i32.const ${16 * NV})))
${R.map((r) => `            (local.set $q${r} (i32.add (local.get $q${r}) (i32.const 4)))`).join('\n')}
            (local.set $cnt (i32.sub (local.get $cnt) (i32.const 1)))
`;
  const storeRow = (r) =>
    NV === 2
      ? `(v128.store (local.get $po${r}) (local.get $c${r}_0))
          (if (local.get $wide) (then (v128.store offset=16 (local.get $po${r}) (local.get $c${r}_1))))`
      : `(v128.store (local.get $po${r}) (local.get $c${r}_0))`;
  const store = (r) =>
    r === 0
      ? `        ${storeRow(0)}\n`
      : `        (if (i32.lt_u (i32.add (local.get $p) (i32.const ${r})) (local.get $total)) (then
          ${storeRow(r)}))
`;
  return `  ;; "${name}": out[p, co] = bias[co] + sum_{ky, kx, ci} x[pixel p's window (ky, kx), ci] w[ky, kx, ci, co]
  ;;
  ;; x: the (already padded) input [n, hp, wp, cin]; stride sh, sw; dilation dh, dw. Output pixel (b, oy, ox) of the
  ;; [n, oh, ow] grid goes to out + b oimg + oy orow + ox opix (bytes; a dense [n, oh, ow, cout]
  ;; has opix = 4 cout, orow = ow opix, oimg = oh orow; other strides write one phase of a
  ;; sub-pixel input gradient straight into its place). Only the output pixels [first, last) of the
  ;; flattened [n, oh, ow] are computed.
  ;; w: the filter packed in panels of ${W} output channels, [ceil(cout / ${W})][kh * kw * cin][${W}],
  ;; zero beyond cout; bias: [ceil(cout / ${W}) * ${W}] floats (zeros for no bias). cout % 4 == 0.
  ;; Blocks of ${BLOCK} output pixels (their input windows stay in L1); per block, per panel of ${W}
  ;; channels, ${MR} output pixels at a time (any ${MR} consecutive pixels of the flattened [n, oh, ow],
  ;; each with its own row pointer): ${MR * NV} accumulators, ${MR * NV} FMAs per multiply-add step. In NHWC
  ;; one kernel row's kw * cin inputs are contiguous (without dilation), so the reduction runs over
  ;; kh runs of kw * cin floats (kh * kw runs of cin with dilation), in the packed filter's order.
  (func (export "${name}")
${CONV_PARAMS}    (local $total i32) (local $p i32) (local $p0 i32) (local $pEnd i32)
    (local $b i32) (local $oy i32) (local $ox i32) (local $bImg0 i32) (local $oy0 i32) (local $ox0 i32)
    ${R.map((r) => `(local $pa${r} i32) (local $q${r} i32) (local $po${r} i32)`).join(' ')}
    (local $w0 i32) (local $pb i32) (local $panel i32) (local $panels i32) (local $run i32)
    (local $ky i32) (local $rowStride i32) (local $off i32) (local $cnt i32)
    (local $runs i32) (local $kx i32) (local $runStep i32)
    (local $pch i32) (local $wide i32) (local $panelBytes i32) (local $pbias i32)
    (local $a v128) ${V.map((v) => `(local $b${v} v128)`).join(' ')}
    ${R.map((r) => V.map((v) => `(local $c${r}_${v} v128)`).join(' ')).join(' ')}
    (local.set $total (i32.mul (local.get $n) (i32.mul (local.get $oh) (local.get $ow))))
    (local.set $panels (i32.shr_u (i32.add (local.get $cout) (i32.const ${W - 1})) (i32.const ${NV === 2 ? 3 : 2})))
    ;; floats per kernel row, bytes per input row, per output pixel, per filter panel
${RUN_PLAN}    (local.set $panelBytes
      (i32.shl (i32.mul (i32.mul (local.get $kh) (local.get $kw)) (local.get $cin)) (i32.const ${shift})))
    ;; this call's pixels: [first, last) (a way to split the work; last must be a multiple of ${MR} or total)
    (local.set $p0 (local.get $first))
    (local.set $bImg0 (i32.div_u (local.get $first) (i32.mul (local.get $oh) (local.get $ow))))
    (local.set $oy0 (i32.rem_u (local.get $first) (i32.mul (local.get $oh) (local.get $ow))))
    (local.set $ox0 (i32.rem_u (local.get $oy0) (local.get $ow)))
    (local.set $oy0 (i32.div_u (local.get $oy0) (local.get $ow)))
    (block $blocksDone (loop $blocks
      (br_if $blocksDone (i32.ge_u (local.get $p0) (local.get $last)))
      (local.set $pEnd (i32.add (local.get $p0) (i32.const ${BLOCK})))
      (if (i32.gt_u (local.get $pEnd) (local.get $last)) (then (local.set $pEnd (local.get $last))))
      (local.set $panel (i32.const 0))
      (loop $panelLoop
      (local.set $w0 (i32.add (local.get $w) (i32.mul (local.get $panel) (local.get $panelBytes))))
      ;; this panel's bias (reloaded per tile: v128 locals live across the loops would spill)
      (local.set $pbias (i32.add (local.get $bias) (i32.shl (local.get $panel) (i32.const ${shift}))))
      ;; byte offset of this panel's channels in an output pixel
      (local.set $pch (i32.shl (local.get $panel) (i32.const ${shift})))
      ;; the last panel of a cout = 8m + 4 stores 4 channels
      (local.set $wide (i32.lt_u (i32.add (i32.shl (local.get $panel) (i32.const 3)) (i32.const 4)) (local.get $cout)))
      (local.set $p (local.get $p0))
      (local.set $b (local.get $bImg0)) (local.set $oy (local.get $oy0)) (local.set $ox (local.get $ox0))
      (block $tilesDone (loop $tiles
        (br_if $tilesDone (i32.ge_u (local.get $p) (local.get $pEnd)))
${R.map(rowptr).join('')}${V.map((v) => `        (local.set $c0_${v} (v128.load offset=${16 * v} (local.get $pbias)))`).join('\n')}
${R.slice(1)
  .map((r) => V.map((v) => `        (local.set $c${r}_${v} (local.get $c0_${v}))`).join(' '))
  .join('\n')}
        (local.set $pb (local.get $w0))
        (local.set $ky (i32.const 0))
        (loop $kyLoop
          ;; the windows' kernel row ky: runs of \`run\` floats each
          (local.set $off (i32.mul (local.get $ky) (local.get $rowStride)))
          (local.set $kx (i32.const 0))
          (loop $kxLoop
${R.map((r) => `          (local.set $q${r} (i32.add (local.get $pa${r}) (local.get $off)))`).join('\n')}
          (local.set $cnt (local.get $run))
          (block $done (loop $k
            (br_if $done (i32.eqz (local.get $cnt)))
${step}            (br $k)))
          (local.set $off (i32.add (local.get $off) (local.get $runStep)))
          (br_if $kxLoop (i32.lt_u (local.tee $kx (i32.add (local.get $kx) (i32.const 1))) (local.get $runs))))
          (br_if $kyLoop (i32.lt_u (local.tee $ky (i32.add (local.get $ky) (i32.const 1))) (local.get $kh))))
        ;; store the rows that exist
${R.map(store).join('')}        (local.set $p (i32.add (local.get $p) (i32.const ${MR})))
        (br $tiles)))
      (br_if $panelLoop (i32.lt_u (local.tee $panel (i32.add (local.get $panel) (i32.const 1))) (local.get $panels))))
      ;; the next block starts where the last tile loop stopped
      (local.set $p0 (local.get $pEnd))
      (local.set $bImg0 (local.get $b)) (local.set $oy0 (local.get $oy)) (local.set $ox0 (local.get $ox))
      (br $blocks))))
`;
}

/**
 * "conv1": one output channel (cout = 1), cin a multiple of 4. The sub-pixel phases of a 1-channel
 * input layer's input gradient are such convolutions. Vectorised over the reduction instead of
 * the output channels: per tile of 4 pixels, one filter vector (4 input channels of one tap) is
 * loaded and multiplied with each pixel's 4 inputs; the accumulators' lanes are summed at the end.
 */
function conv1Func() {
  const R = [0, 1, 2, 3];
  return `  ;; "conv1": out[p] = bias[0] + sum_{ky, kx, ci} x[pixel p's window (ky, kx), ci] w[ky, kx, ci]
  ;;
  ;; As "conv" with cout = 1 (the argument is ignored) and the filter unpacked, [kh, kw, cin];
  ;; cin % 4 == 0. Output pointers as in "conv" (opix etc. in bytes).
  (func (export "conv1")
${CONV_PARAMS}    (local $total i32) (local $p i32) (local $b i32) (local $oy i32) (local $ox i32)
    ${R.map((r) => `(local $pa${r} i32) (local $q${r} i32) (local $po${r} i32)`).join(' ')}
    (local $pb i32) (local $pch i32) (local $run i32) (local $ky i32) (local $rowStride i32)
    (local $runs i32) (local $kx i32) (local $runStep i32)
    (local $off i32) (local $cnt i32) (local $bv f32)
    (local $wv v128) ${R.map((r) => `(local $c${r} v128)`).join(' ')}
    (local.set $total (i32.mul (local.get $n) (i32.mul (local.get $oh) (local.get $ow))))
${RUN_PLAN}    (local.set $bv (f32.load (local.get $bias)))
    (local.set $p (local.get $first))
    (local.set $b (i32.div_u (local.get $first) (i32.mul (local.get $oh) (local.get $ow))))
    (local.set $oy (i32.rem_u (local.get $first) (i32.mul (local.get $oh) (local.get $ow))))
    (local.set $ox (i32.rem_u (local.get $oy) (local.get $ow)))
    (local.set $oy (i32.div_u (local.get $oy) (local.get $ow)))
    (block $tilesDone (loop $tiles
      (br_if $tilesDone (i32.ge_u (local.get $p) (local.get $last)))
${R.map(rowptr).join('')}${R.map((r) => `      (local.set $c${r} (v128.const i32x4 0 0 0 0))`).join('\n')}
      (local.set $pb (local.get $w))
      (local.set $ky (i32.const 0))
      (loop $kyLoop
        (local.set $off (i32.mul (local.get $ky) (local.get $rowStride)))
        (local.set $kx (i32.const 0))
        (loop $kxLoop
${R.map((r) => `        (local.set $q${r} (i32.add (local.get $pa${r}) (local.get $off)))`).join('\n')}
        (local.set $cnt (i32.shr_u (local.get $run) (i32.const 2)))
        (block $done (loop $k
          (br_if $done (i32.eqz (local.get $cnt)))
          (local.set $wv (v128.load (local.get $pb)))
${R.map((r) => `          (local.set $c${r} ${madd(`(v128.load (local.get $q${r}))`, '(local.get $wv)', `(local.get $c${r})`)})`).join('\n')}
          (local.set $pb (i32.add (local.get $pb) (i32.const 16)))
${R.map((r) => `          (local.set $q${r} (i32.add (local.get $q${r}) (i32.const 16)))`).join('\n')}
          (local.set $cnt (i32.sub (local.get $cnt) (i32.const 1)))
          (br $k)))
        (local.set $off (i32.add (local.get $off) (local.get $runStep)))
        (br_if $kxLoop (i32.lt_u (local.tee $kx (i32.add (local.get $kx) (i32.const 1))) (local.get $runs))))
        (br_if $kyLoop (i32.lt_u (local.tee $ky (i32.add (local.get $ky) (i32.const 1))) (local.get $kh))))
      ;; lane sums: (c + c.zwxy) then + its .yx.., lane 0
${R.map(
  (
    r,
  ) => `      (local.set $c${r} (f32x4.add (local.get $c${r}) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $c${r}) (local.get $c${r}))))
      (local.set $c${r} (f32x4.add (local.get $c${r}) (i8x16.shuffle 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 (local.get $c${r}) (local.get $c${r}))))`,
).join('\n')}
${R.map((r) =>
  r === 0
    ? `      (f32.store (local.get $po0) (f32.add (local.get $bv) (f32x4.extract_lane 0 (local.get $c0))))`
    : `      (if (i32.lt_u (i32.add (local.get $p) (i32.const ${r})) (local.get $total)) (then
        (f32.store (local.get $po${r}) (f32.add (local.get $bv) (f32x4.extract_lane 0 (local.get $c${r}))))))`,
).join('\n')}
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $tiles))))
`;
}

/**
 * "fgrad": the filter gradient of a convolution, dw[ky, kx, ci, co] = sum over output pixels p of
 * x[window origin of p + (ky dh, kx dw), ci] dy[p, co], straight from NHWC x (padded) and dy: no
 * transposes and no packing (dy's rows are read as the 8-channel panels). Rows of the [kh kw cin,
 * cout] result in tiles of 4 (row pointers into x), channels in panels of 8 (cout % 8 == 0). The
 * reduction runs over a table of the pixels' window offsets (one flat loop, however small the
 * image), in chunks of `chunk` pixels, each chunk adding into the result (the first one starts
 * from zero), so a chunk's x and dy stay in cache for all tiles.
 */
function fgradFunc() {
  const R = [0, 1, 2, 3];
  const V = [0, 1];
  return `  ;; "fgrad": dw [kh, kw, cin, cout] (out) = sum_p x[tab[p] + (ky dh wp + kx dw) cin + ci] dy[p, co]
  ;;
  ;; x: the padded input [n, hp, wp, cin]; dy: [total, cout] (total = n oh ow pixels), cout % 8 == 0;
  ;; tab: the byte offset in x of each pixel's window origin; chunk: pixels per chunk of the
  ;; reduction. Computes the row tiles [first, last) of the kh kw cin rows (tiles of 4 rows; a row is
  ;; (ky, kx, ci)), for all channels.
  (func (export "fgrad")
    (param $x i32) (param $dy i32) (param $out i32) (param $tab i32) (param $total i32)
    (param $wp i32) (param $cin i32) (param $cout i32)
    (param $kh i32) (param $kw i32) (param $dh i32) (param $dw i32)
    (param $chunk i32) (param $first i32) (param $last i32)
    (local $rows i32) (local $tile i32) (local $row i32) (local $t i32) (local $c i32)
    ${R.map((r) => `(local $pa${r} i32)`).join(' ')}
    (local $p0 i32) (local $p1 i32) (local $pt i32) (local $ptEnd i32) (local $off i32)
    (local $pdy i32) (local $po i32) (local $panel i32) (local $panels i32) (local $dyRow i32)
    (local $a v128) ${V.map((v) => `(local $w${v} v128)`).join(' ')}
    ${R.map((r) => V.map((v) => `(local $c${r}_${v} v128)`).join(' ')).join(' ')}
    (local.set $rows (i32.mul (i32.mul (local.get $kh) (local.get $kw)) (local.get $cin)))
    (local.set $panels (i32.shr_u (local.get $cout) (i32.const 3)))
    (local.set $dyRow (i32.shl (local.get $cout) (i32.const 2)))
    (local.set $p0 (i32.const 0))
    (block $chunksDone (loop $chunks
      (br_if $chunksDone (i32.ge_u (local.get $p0) (local.get $total)))
      (local.set $p1 (i32.add (local.get $p0) (local.get $chunk)))
      (if (i32.gt_u (local.get $p1) (local.get $total)) (then (local.set $p1 (local.get $total))))
      (local.set $tile (local.get $first))
      (block $tilesDone (loop $tiles
        (br_if $tilesDone (i32.ge_u (local.get $tile) (local.get $last)))
${R.map(
  (
    r,
  ) => `        ;; row pointer ${r}: row min(4 tile + ${r}, rows - 1) = (ky, kx, ci) at x + ((ky dh) wp + kx dw) cin + ci
        (local.set $row (i32.add (i32.shl (local.get $tile) (i32.const 2)) (i32.const ${r})))
        (if (i32.ge_u (local.get $row) (local.get $rows)) (then (local.set $row (i32.sub (local.get $rows) (i32.const 1)))))
        (local.set $c (i32.rem_u (local.get $row) (local.get $cin)))
        (local.set $t (i32.div_u (local.get $row) (local.get $cin)))
        (local.set $pa${r}
          (i32.add (local.get $x)
            (i32.shl
              (i32.add
                (i32.mul
                  (i32.add
                    (i32.mul (i32.mul (i32.div_u (local.get $t) (local.get $kw)) (local.get $dh)) (local.get $wp))
                    (i32.mul (i32.rem_u (local.get $t) (local.get $kw)) (local.get $dw)))
                  (local.get $cin))
                (local.get $c))
              (i32.const 2))))`,
).join('\n')}
        (local.set $panel (i32.const 0))
        (loop $panelLoop
          (local.set $po (i32.add (local.get $out)
            (i32.add (i32.mul (i32.shl (local.get $tile) (i32.const 2)) (local.get $dyRow))
              (i32.shl (local.get $panel) (i32.const 5)))))
          (if (i32.eqz (local.get $p0))
            (then
${R.map((r) => V.map((v) => `              (local.set $c${r}_${v} (v128.const i32x4 0 0 0 0))`).join('\n')).join('\n')})
            (else
${R.map((r) => V.map((v) => `              (local.set $c${r}_${v} (v128.load offset=${16 * v} (i32.add (local.get $po) (i32.mul (i32.const ${r}) (local.get $dyRow)))))`).join('\n')).join('\n')}))
          (local.set $pt (i32.add (local.get $tab) (i32.shl (local.get $p0) (i32.const 2))))
          (local.set $ptEnd (i32.add (local.get $tab) (i32.shl (local.get $p1) (i32.const 2))))
          (local.set $pdy (i32.add (local.get $dy)
            (i32.add (i32.mul (local.get $p0) (local.get $dyRow)) (i32.shl (local.get $panel) (i32.const 5)))))
          (loop $pix
            (local.set $off (i32.load (local.get $pt)))
${V.map((v) => `            (local.set $w${v} (v128.load offset=${16 * v} (local.get $pdy)))`).join('\n')}
${R.map(
  (
    r,
  ) => `            (local.set $a (v128.load32_splat (i32.add (local.get $pa${r}) (local.get $off))))
${V.map((v) => `            (local.set $c${r}_${v} ${madd('(local.get $a)', `(local.get $w${v})`, `(local.get $c${r}_${v})`)})`).join('\n')}`,
).join('\n')}
            (local.set $pdy (i32.add (local.get $pdy) (local.get $dyRow)))
            (br_if $pix (i32.lt_u (local.tee $pt (i32.add (local.get $pt) (i32.const 4))) (local.get $ptEnd))))
          ;; store the rows that exist
${R.map(
  (
    r,
  ) => `          (if (i32.lt_u (i32.add (i32.shl (local.get $tile) (i32.const 2)) (i32.const ${r})) (local.get $rows)) (then
${V.map((v) => `            (v128.store offset=${16 * v} (i32.add (local.get $po) (i32.mul (i32.const ${r}) (local.get $dyRow))) (local.get $c${r}_${v}))`).join('\n')}))`,
).join('\n')}
          (br_if $panelLoop (i32.lt_u (local.tee $panel (i32.add (local.get $panel) (i32.const 1))) (local.get $panels))))
        (local.set $tile (i32.add (local.get $tile) (i32.const 1)))
        (br $tiles)))
      (local.set $p0 (local.get $p1))
      (br $chunks))))
`;
}
