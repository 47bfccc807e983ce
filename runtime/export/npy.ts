/**
 * NumPy's .npy format, version 1.0 (numpy.lib.format; NEP 1): the magic string "\x93NUMPY", the
 * version bytes 1, 0, a little-endian uint16 header length, then an ASCII Python dict literal
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (N, D), }` padded with spaces and ending in
 * '\n' so the data starts at a multiple of 64 bytes, then the raw C-order data.
 *
 * The writer streams: the shape is known up front, the header is written first and rows are
 * appended as they come, so an embedding file never has to sit in memory whole.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { endianness } from 'node:os';

export type NpyDtype = '<f4' | '<i4';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ALIGN = 64;

/** The full header (magic, version, length, dict, padding) for an array of `dtype` and `shape`. */
export function npyHeader(dtype: NpyDtype, shape: readonly number[]): Uint8Array {
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${dims}, }`;
  const preamble = MAGIC.length + 2 + 2;
  const unpadded = preamble + dict.length + 1; // + '\n'
  const total = Math.ceil(unpadded / ALIGN) * ALIGN;
  const text = dict + ' '.repeat(total - unpadded) + '\n';
  if (text.length > 0xffff) throw new Error(`npy header of ${text.length} bytes does not fit version 1.0`);
  const out = new Uint8Array(total);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  out[8] = text.length & 0xff;
  out[9] = text.length >> 8;
  for (let i = 0; i < text.length; i++) out[preamble + i] = text.charCodeAt(i);
  return out;
}

/** Little-endian bytes of a typed array (a view on little-endian hosts, a swapped copy elsewhere). */
function littleEndianBytes(values: Float32Array | Int32Array): Uint8Array {
  const view = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  if (endianness() === 'LE') return view;
  const out = new Uint8Array(view.length);
  for (let i = 0; i < view.length; i += 4) {
    out[i] = view[i + 3]!;
    out[i + 1] = view[i + 2]!;
    out[i + 2] = view[i + 1]!;
    out[i + 3] = view[i]!;
  }
  return out;
}

/** Writes one .npy file: the header at open, then `append` rows until exactly the declared element count. */
export class NpyWriter {
  private readonly fd: number;
  private written = 0;
  private readonly total: number;

  constructor(
    readonly path: string,
    readonly dtype: NpyDtype,
    readonly shape: readonly number[],
  ) {
    this.total = shape.reduce((a, b) => a * b, 1);
    this.fd = openSync(path, 'w');
    try {
      writeSync(this.fd, npyHeader(dtype, shape));
    } catch (error) {
      closeSync(this.fd);
      throw error;
    }
  }

  append(values: Float32Array | Int32Array): void {
    if ((this.dtype === '<f4') !== (values instanceof Float32Array)) throw new Error(`${this.path}: appending ${values.constructor.name} to a ${this.dtype} array`);
    if (this.written + values.length > this.total) throw new Error(`${this.path}: more values than the shape (${this.shape.join(', ')}) holds`);
    writeSync(this.fd, littleEndianBytes(values));
    this.written += values.length;
  }

  /** Closes the file; throws if fewer values were appended than the header promised. */
  close(): void {
    closeSync(this.fd);
    if (this.written !== this.total) throw new Error(`${this.path}: ${this.written} values written, the header promises ${this.total}`);
  }

  /** Closes the file after a failure (the file is left incomplete; the caller removes it). */
  abort(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}

export interface NpyArray {
  dtype: string;
  fortranOrder: boolean;
  shape: number[];
  /** Byte offset of the data. */
  dataOffset: number;
}

/**
 * Parses an .npy header (versions 1.0, 2.0 and 3.0) so tests and tools can check what was written.
 * Throws an error naming `what` and what was wrong.
 */
export function parseNpyHeader(bytes: Uint8Array, what = 'npy'): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new Error(`${what}: not an .npy file (no \\x93NUMPY magic)`);
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [lengthBytes, headerLength] = major === 1 ? [2, view.getUint16(8, true)] : major === 2 || major === 3 ? [4, view.getUint32(8, true)] : [0, -1];
  if (headerLength < 0) throw new Error(`${what}: unsupported .npy version ${major}.${bytes[7]}`);
  const start = 8 + lengthBytes;
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLength));
  const descr = /'descr':\s*'([^']+)'/.exec(text)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(text)?.[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shape === undefined) throw new Error(`${what}: header '${text.trim()}' lacks descr, fortran_order or shape`);
  return {
    dtype: descr,
    fortranOrder: fortran === 'True',
    shape: shape.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number),
    dataOffset: start + headerLength,
  };
}
