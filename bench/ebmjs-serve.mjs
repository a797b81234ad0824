// The cd-iteration pipeline (cd-pipeline.mjs: real sgld chain and createCDTrainer, book net,
// batch 128) in its own Node process, speaking torch_ebm.py's --serve line protocol, so that
// cd-iteration can interleave ebmjs configurations that cannot share one process with PyTorch:
// the wasm backend with another thread count (one tfjs engine holds one wasm backend), or with the
// relaxed-SIMD FMA convolutions (a process-wide V8 flag in Node 20).
//   node bench/ebmjs-serve.mjs --threads 2 [--relaxed-simd] [--no-relaxed-simd] [--no-native-kernels]
//     [--conv-kernels ebmjs|xnnpack]
// prints 'ready <json>', then answers each 'step' / 'iter' line with the ms it took, and 'checks'
// with 'checks <json>' (tensors leaked since warm-up, losses finite, samples inside the clamp).
import { createInterface } from 'node:readline';
import { convEnergyNet } from '@ebmjs/energy-nets';
import { initBackend, nativeKernelsStatus } from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';
import { realBatch } from './cd-iteration.mjs';
import { cdTrainer, sgldChain } from './cd-pipeline.mjs';

const args = process.argv.slice(2);
const threads = Number(args[args.indexOf('--threads') + 1] ?? 1);
const relaxedSimd = args.includes('--relaxed-simd')
  ? true
  : args.includes('--no-relaxed-simd')
    ? false
    : undefined;
const nativeKernels = args.includes('--no-native-kernels') ? false : undefined;
const convKernels = args.includes('--conv-kernels')
  ? args[args.indexOf('--conv-kernels') + 1]
  : undefined;
const info = await initBackend({
  backend: 'wasm',
  threads,
  relaxedSimd,
  nativeKernels,
  convKernels,
});
const real = await realBatch((s) => process.stderr.write(`${s}\n`));
const model = convEnergyNet({ seed: 1 });
const chain = sgldChain(model);
const cd = cdTrainer(model, real);
for (let i = 0; i < 3; i++) chain.step();
cd.iter(); // warm-up, as the other implementations
const tensorsWarm = tf.memory().numTensors;
console.log(
  `ready ${JSON.stringify({ version: `ebmjs wasm (tfjs ${tf.version.tfjs})`, node: process.version, threads: info.threadCount, simd: info.simd, convKernels: info.convKernels, relaxedSimd: info.relaxedSimd, convVariant: info.convVariant, nativeIsa: nativeKernelsStatus().isa })}`,
);
for await (const line of createInterface({ input: process.stdin })) {
  const cmd = line.trim();
  if (cmd === 'step') console.log(chain.step().toFixed(4));
  else if (cmd === 'iter') console.log(cd.iter().toFixed(4));
  else if (cmd === 'checks') {
    // the same sanity checks as the in-process run; ends the chain, so it comes last
    const leaked = tf.memory().numTensors - tensorsWarm;
    const finite = cd.metrics.every((m) => Number.isFinite(m.loss) && Number.isFinite(m.gradNorm));
    console.log(`checks ${JSON.stringify({ leaked, finite, inside: chain.finish() })}`);
  } else if (cmd === 'quit' || cmd === '') break;
  else console.log(`error unknown command ${JSON.stringify(cmd)}`);
}
process.exit();
