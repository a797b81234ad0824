// Installed from its tarball, the addon was built by the package's install script (or
// `npm rebuild`): load it and pad a 1x1 image on a plain ArrayBuffer heap.
import { loadAddon } from '@ebmjs/native-kernels';

const addon = loadAddon();
const heap = new ArrayBuffer(64);
new Float32Array(heap)[0] = 7;
addon.pad(heap, 0, 16, 1, 1, 1, 1, 3, 3, 1, 1); // [1, 1, 1, 1] -> [1, 3, 3, 1] at byte 16
const padded = Array.from(new Float32Array(heap, 16, 9));
if (padded.join() !== '0,0,0,0,7,0,0,0,0') throw new Error(`pad gave ${padded}`);
console.log(`ok (${addon.isa()})`);
