/**
 * Reader for the IDX format that MNIST and Fashion-MNIST ship in (LeCun et al. 1998,
 * http://yann.lecun.com/exdb/mnist/ "FILE FORMATS FOR THE MNIST DATABASE").
 *
 * Layout: a 4-byte magic number `00 00 <dtype> <ndims>`, then `ndims` big-endian uint32
 * dimension sizes, then the data in C (row-major) order. MNIST images are dims [N, 28, 28],
 * labels [N]. Files may be gzipped (Fashion-MNIST's `*-ubyte.gz`); gzip is detected from the
 * `.gz` name or the gzip magic bytes `1f 8b` and inflated with node:zlib.
 *
 * Only dtype 0x08 (unsigned byte) is read — every image/label file of MNIST and Fashion-MNIST
 * uses it; the other IDX types are recognised and rejected with a clear message.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { DataError } from './errors.js';

export interface IdxFile {
  /** Dimension sizes from the header, e.g. [60000, 28, 28]. */
  dims: number[];
  /** prod(dims) bytes in row-major order (a view into the file's buffer). */
  data: Uint8Array;
}

const IDX_TYPES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

function hex(b: number): string {
  return `0x${b.toString(16).padStart(2, '0')}`;
}

/** "60000 records of 28x28" / "60000 items". */
function describeDims(dims: number[]): string {
  if (dims.length === 1) return `${dims[0]} items`;
  return `${dims[0]} records of ${dims.slice(1).join('x')}`;
}

/** Read one IDX file (optionally gzipped). Throws DataError naming the file on any problem. */
export function readIdxFile(path: string): IdxFile {
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new DataError(path, 'file not found; check the path (or reinstall the package that ships it)');
    }
    throw new DataError(path, `cannot read the file: ${(e as Error).message}`);
  }

  let buf: Buffer = raw;
  const gzipped = path.endsWith('.gz') || (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b);
  if (gzipped) {
    try {
      buf = gunzipSync(raw);
    } catch (e) {
      throw new DataError(
        path,
        `cannot gunzip the file (${(e as Error).message}); it is truncated or not gzip data — re-download it`,
      );
    }
  }
  const what = gzipped ? 'the decompressed file' : 'the file';

  if (buf.length < 4) {
    throw new DataError(
      path,
      `${what} holds ${buf.length} bytes, fewer than the 4-byte IDX magic number; the file is empty or truncated`,
      'header',
    );
  }
  if (buf[0] !== 0 || buf[1] !== 0) {
    throw new DataError(
      path,
      `bad magic number ${hex(buf[0])} ${hex(buf[1])} ${hex(buf[2])} ${hex(buf[3])}: IDX files start with ` +
        `0x00 0x00 <dtype> <ndims>; this is not an IDX file (an HTML error page saved by a failed download?)`,
      'header',
    );
  }
  const dtype = buf[2];
  const ndims = buf[3];
  if (!(dtype in IDX_TYPES)) {
    throw new DataError(
      path,
      `unknown IDX data type ${hex(dtype)} in the magic number; valid types are ` +
        Object.keys(IDX_TYPES)
          .map((k) => `${hex(Number(k))} (${IDX_TYPES[Number(k)]})`)
          .join(', '),
      'header',
    );
  }
  if (dtype !== 0x08) {
    throw new DataError(
      path,
      `IDX data type ${hex(dtype)} (${IDX_TYPES[dtype]}) is not supported; only 0x08 (unsigned byte), ` +
        `which all MNIST-style image and label files use`,
      'header',
    );
  }
  if (ndims === 0) {
    throw new DataError(path, 'header declares 0 dimensions; an IDX file needs at least one', 'header');
  }
  const headerLen = 4 + 4 * ndims;
  if (buf.length < headerLen) {
    throw new DataError(
      path,
      `header declares ${ndims} dimensions, so it is ${headerLen} bytes long, but ${what} holds only ` +
        `${buf.length} bytes; the file is truncated`,
      'header',
    );
  }
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < ndims; i++) {
    const d = buf.readUInt32BE(4 + 4 * i);
    dims.push(d);
    count *= d;
  }
  const expected = headerLen + count;
  if (buf.length !== expected) {
    const diff = buf.length < expected ? `${expected - buf.length} missing` : `${buf.length - expected} extra`;
    const fix =
      buf.length < expected
        ? 'the file is truncated; re-download or reinstall it'
        : 'trailing bytes after the data; the header or the file is wrong';
    throw new DataError(
      path,
      `header says ${describeDims(dims)} (dims [${dims.join(', ')}]), so ${what} should hold ` +
        `${headerLen} + ${count} = ${expected} bytes, but it holds ${buf.length} (${diff}): ${fix}`,
      'header',
    );
  }
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + headerLen, count) };
}
