/**
 * NumPy `.npy` arrays (format versions 1.0, 2.0 and 3.0, as specified in numpy/lib/format.py and
 * https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
 *
 *   "\x93NUMPY" major minor | header length (v1: uint16 LE; v2, v3: uint32 LE) | header | data
 *
 * The header is a Python dict literal, `{'descr': '<f4', 'fortran_order': False, 'shape': (100, 8, 8), }`
 * (latin-1 in v1/v2, UTF-8 in v3). Read here: dtypes u1 u2 u4 i1 i2 i4 i8 f4 f8, little (`<`) or big
 * (`>`) endian (`|` and `=` for single bytes / native = little), in C order. Fortran order,
 * structured dtypes, bools, strings and objects are rejected with a message saying what to convert.
 *
 * `x` [N, ...shape]: uint8 arrays are taken as image bytes (pixel / 255, stored as bytes); every
 * other dtype is converted to float32 as is (int64 beyond 2^24 loses precision, as float32 does).
 * `y` [N] (or [N, 1]): integer class ids 0..K-1, any integer or integral float dtype.
 */
import { DataError } from './errors.js';
import { classCount, exampleLength, type Examples } from './examples.js';
import { readPrefix, readRaw, statFile } from './files.js';

const MAGIC = '\x93NUMPY';
const DTYPES: Record<string, { size: number; read: (v: DataView, at: number, little: boolean) => number }> = {
  u1: { size: 1, read: (v, at) => v.getUint8(at) },
  u2: { size: 2, read: (v, at, le) => v.getUint16(at, le) },
  u4: { size: 4, read: (v, at, le) => v.getUint32(at, le) },
  i1: { size: 1, read: (v, at) => v.getInt8(at) },
  i2: { size: 2, read: (v, at, le) => v.getInt16(at, le) },
  i4: { size: 4, read: (v, at, le) => v.getInt32(at, le) },
  i8: { size: 8, read: (v, at, le) => Number(v.getBigInt64(at, le)) },
  f4: { size: 4, read: (v, at, le) => v.getFloat32(at, le) },
  f8: { size: 8, read: (v, at, le) => v.getFloat64(at, le) },
};

export interface NpyHeader {
  /** e.g. `<f4`. */
  descr: string;
  type: string;
  littleEndian: boolean;
  itemSize: number;
  shape: number[];
  /** Byte offset of the data. */
  dataOffset: number;
}

/** Parses the header at the start of `buf`; `fileLength` checks that the data is all there. */
export function parseNpyHeader(path: string, buf: Buffer, fileLength: number): NpyHeader {
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== MAGIC) {
    throw new DataError(path, 'not a .npy file: it does not start with the magic string \\x93NUMPY (save arrays with numpy.save)', 'header');
  }
  const major = buf[6];
  if (major < 1 || major > 3) throw new DataError(path, `.npy format version ${major}.${buf[7]} is not supported (1.0, 2.0 and 3.0 are)`, 'header');
  const lengthBytes = major === 1 ? 2 : 4;
  if (buf.length < 8 + lengthBytes) throw new DataError(path, 'the file ends inside its header; it is truncated', 'header');
  const headerLength = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = 8 + lengthBytes;
  const dataOffset = start + headerLength;
  if (buf.length < dataOffset) throw new DataError(path, `the header is ${headerLength} bytes long but the file ends before it does; it is truncated`, 'header');
  const text = buf.toString(major === 3 ? 'utf8' : 'latin1', start, dataOffset);

  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    const structured = /'descr'\s*:\s*\[/.test(text);
    throw new DataError(
      path,
      structured ? 'structured (record) arrays are not supported; save a plain numeric array' : `cannot read the header ${JSON.stringify(text.trim())}: expected 'descr', 'fortran_order' and 'shape'`,
      'header',
    );
  }
  if (fortran === 'True') {
    throw new DataError(path, "the array is stored in Fortran (column-major) order; save it in C order: numpy.save(path, numpy.ascontiguousarray(a))", 'header');
  }
  const order = descr[0];
  const type = /^[<>|=]/.test(descr) ? descr.slice(1) : descr;
  const dtype = DTYPES[type];
  if (!dtype) {
    throw new DataError(path, `dtype '${descr}' is not supported; convert the array to one of ${Object.keys(DTYPES).join(', ')} (e.g. a.astype('float32'))`, 'header');
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => Number(s.replace(/L$/, '')));
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new DataError(path, `cannot read the shape (${shapeText})`, 'header');
  const expected = dataOffset + exampleLength(shape) * dtype.size;
  if (fileLength !== expected) {
    const diff = fileLength < expected ? `${expected - fileLength} missing; the file is truncated` : `${fileLength - expected} extra after the data`;
    throw new DataError(
      path,
      `header says shape (${shape.join(', ')}) of ${descr}, so the file should hold ${dataOffset} + ${exampleLength(shape)} x ${dtype.size} = ${expected} bytes, but it holds ${fileLength} (${diff})`,
      'header',
    );
  }
  return { descr, type, littleEndian: order !== '>', itemSize: dtype.size, shape, dataOffset };
}

function headerOf(path: string): NpyHeader {
  const length = statFile(path).size;
  let head = readPrefix(path, 4096);
  if (head.length >= 12 && head[6] !== 1) {
    const needed = 12 + head.readUInt32LE(8);
    if (needed > head.length) head = readPrefix(path, needed);
  }
  return parseNpyHeader(path, head, length);
}

/** Example shape of `x` ([N] arrays give one value per example). */
function exampleShape(path: string, h: NpyHeader): number[] {
  if (h.shape.length === 0) throw new DataError(path, 'holds a single scalar; expected an array [N, ...] with one example per row', 'header');
  if (h.shape[0] === 0) throw new DataError(path, `holds no examples (shape (${h.shape.join(', ')}))`, 'header');
  const shape = h.shape.length === 1 ? [1] : h.shape.slice(1);
  if (shape.some((d) => d === 0)) throw new DataError(path, `an example of shape (${shape.join(', ')}) holds no values`, 'header');
  return shape;
}

/** Reads the labels file: [N] or [N, 1] integer class ids. */
function readLabels(path: string, n: number, x: string): Int32Array {
  const raw = readRaw(path);
  const h = parseNpyHeader(path, raw, raw.length);
  if (!(h.shape.length === 1 || (h.shape.length === 2 && h.shape[1] === 1))) {
    throw new DataError(path, `labels must have shape (N,) or (N, 1), got (${h.shape.join(', ')})`, 'header');
  }
  if (h.shape[0] !== n) throw new DataError(path, `holds ${h.shape[0]} labels but ${x} holds ${n} examples; x and y must have the same length`, 'header');
  const view = new DataView(raw.buffer, raw.byteOffset, raw.length);
  const read = DTYPES[h.type].read;
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = read(view, h.dataOffset + i * h.itemSize, h.littleEndian);
    if (!Number.isInteger(v) || v < 0 || v > 2 ** 31 - 1) {
      throw new DataError(path, `label ${v} is not a class id; labels must be integers 0, 1, 2, ...`, `label ${i}`);
    }
    labels[i] = v;
  }
  return labels;
}

/** Size and shape from `x`'s header and file size; the (small) labels file is read in full. */
export function inspectNpy(x: string, y: string | null): { size: number; shape: number[]; numClasses: number } {
  const h = headerOf(x);
  const shape = exampleShape(x, h);
  const n = h.shape[0];
  return { size: n, shape, numClasses: y === null ? 1 : classCount(readLabels(y, n, x)) };
}

export function readNpy(x: string, y: string | null, name: string): Examples {
  const raw = readRaw(x);
  const h = parseNpyHeader(x, raw, raw.length);
  const shape = exampleShape(x, h);
  const n = h.shape[0];
  const count = n * exampleLength(shape);
  let values: Uint8Array | Float32Array;
  if (h.type === 'u1') values = Uint8Array.from(raw.subarray(h.dataOffset, h.dataOffset + count));
  else {
    values = new Float32Array(count);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.length);
    const read = DTYPES[h.type].read;
    for (let k = 0; k < count; k++) {
      const v = read(view, h.dataOffset + k * h.itemSize, h.littleEndian);
      if (!Number.isFinite(v)) {
        const e = exampleLength(shape);
        throw new DataError(x, `value ${k % e} is ${v}; examples must hold finite numbers (replace NaN/inf before saving)`, `example ${Math.floor(k / e)}`);
      }
      values[k] = v;
    }
  }
  const labels = y === null ? new Int32Array(n) : readLabels(y, n, x);
  return { name, values, divisor: h.type === 'u1' ? 255 : 1, labels, size: n, shape, numClasses: classCount(labels), files: y === null ? [x] : [x, y] };
}
