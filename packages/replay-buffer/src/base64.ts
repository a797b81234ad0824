/**
 * Float32Array <-> base64 (little-endian bytes), in Node and browsers, without Buffer.
 *
 * @module base64
 * @internal
 */

const LITTLE_ENDIAN = new Uint8Array(new Float32Array([1]).buffer)[3] === 0x3f;

function toLittleEndianBytes(data: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i]!, true);
  return out;
}

/** Encodes the values as base64 of their little-endian float32 bytes. */
export function float32ToBase64(data: Float32Array): string {
  const bytes = toLittleEndianBytes(data);
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + chunk) as unknown as number[]);
  }
  return btoa(binary);
}

/** Decodes {@link float32ToBase64}; throws on malformed input or a length not divisible by 4. */
export function base64ToFloat32(text: string): Float32Array {
  const binary = atob(text); // throws DOMException on invalid characters
  if (binary.length % 4 !== 0)
    throw new Error(`byte length ${binary.length} is not a multiple of 4`);
  const out = new Float32Array(binary.length / 4);
  const view = new DataView(out.buffer);
  const bytes = new Uint8Array(out.buffer);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  if (!LITTLE_ENDIAN) for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** FNV-1a over the little-endian float32 bytes: a cheap integrity check for snapshots. */
export function checksum(data: Float32Array): number {
  const bytes = toLittleEndianBytes(data);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
