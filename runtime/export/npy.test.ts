/** The .npy writer and header parser (numpy.lib.format, version 1.0), and CSV float formatting. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRng } from '../util/rng.js';
import { float32Text, labelsPath } from './embed.js';
import { npyHeader, NpyWriter, parseNpyHeader } from './npy.js';

const scratch = mkdtempSync(join(tmpdir(), 'ssl-npy-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const ascii = (bytes: Uint8Array) => String.fromCharCode(...bytes);

describe('npyHeader', () => {
  it('is the magic, version 1.0, a little-endian length, the dict, space padding and a newline, 64-byte aligned', () => {
    const h = npyHeader('<f4', [3, 4]);
    expect(Array.from(h.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    expect(h.length % 64).toBe(0);
    expect(h[8]! + 256 * h[9]!).toBe(h.length - 10);
    const text = ascii(h.subarray(10));
    expect(text.endsWith('\n')).toBe(true);
    expect(text.trimEnd()).toBe("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }");
  });

  it("writes a 1-D shape as a Python 1-tuple '(N,)'", () => {
    expect(ascii(npyHeader('<i4', [500]).subarray(10)).trimEnd()).toBe("{'descr': '<i4', 'fortran_order': False, 'shape': (500,), }");
  });
});

describe('NpyWriter + parseNpyHeader', () => {
  it('streams rows into a file numpy reads as the same array', () => {
    const path = join(scratch, 'a.npy');
    const w = new NpyWriter(path, '<f4', [3, 2]);
    w.append(Float32Array.of(1, -2));
    w.append(Float32Array.of(0.5, 3e-8, Math.PI, -0));
    w.close();
    const bytes = new Uint8Array(readFileSync(path));
    const h = parseNpyHeader(bytes, path);
    expect(h).toEqual({ dtype: '<f4', fortranOrder: false, shape: [3, 2], dataOffset: 128 }); // 10 + 60 + 1 bytes, padded to 128 as numpy does
    const view = new DataView(bytes.buffer, bytes.byteOffset + h.dataOffset);
    const values = Array.from({ length: 6 }, (_, i) => view.getFloat32(4 * i, true));
    expect(values).toEqual(Array.from(Float32Array.of(1, -2, 0.5, 3e-8, Math.PI, -0)));
    expect(bytes.length).toBe(128 + 24);
  });

  it('refuses more or fewer values than the header promises, and the wrong element type', () => {
    const over = new NpyWriter(join(scratch, 'over.npy'), '<i4', [2]);
    expect(() => over.append(Int32Array.of(1, 2, 3))).toThrow(/more values than the shape \(2\) holds/);
    expect(() => over.append(Float32Array.of(1) as unknown as Int32Array)).toThrow(/appending Float32Array to a <i4 array/);
    over.abort();
    const under = new NpyWriter(join(scratch, 'under.npy'), '<i4', [2]);
    under.append(Int32Array.of(7));
    expect(() => under.close()).toThrow(/1 values written, the header promises 2/);
  });

  it('parses version 2.0 headers (4-byte length) and rejects files that are not .npy', () => {
    const dict = "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3, 4), }".padEnd(115, ' ') + '\n'; // 12 + 116 = 128
    const bytes = new Uint8Array(12 + dict.length);
    bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0]);
    new DataView(bytes.buffer).setUint32(8, dict.length, true);
    for (let i = 0; i < dict.length; i++) bytes[12 + i] = dict.charCodeAt(i);
    expect(parseNpyHeader(bytes)).toEqual({ dtype: '<f8', fortranOrder: true, shape: [2, 3, 4], dataOffset: 128 });
    expect(() => parseNpyHeader(new TextEncoder().encode('label,e0\n1,2\n'), 'x.csv')).toThrow('x.csv: not an .npy file');
  });
});

describe('float32Text', () => {
  it('is the shortest decimal that reads back as the same float32', () => {
    expect(float32Text(Math.fround(0.1))).toBe('0.1');
    expect(float32Text(1)).toBe('1');
    expect(float32Text(Math.fround(-1 / 3))).toBe('-0.33333334');
    expect(float32Text(Math.fround(1e-7))).toBe('1e-7');
    expect(float32Text(NaN)).toBe('NaN');
    const rng = createRng(3);
    for (let i = 0; i < 20000; i++) {
      const v = Math.fround((rng.next() - 0.5) * 10 ** (rng.int(20) - 10));
      const text = float32Text(v);
      expect(Math.fround(Number(text))).toBe(v);
      expect(text.replace(/^-|e.*$|\./g, '').replace(/^0+/, '').length).toBeLessThanOrEqual(9);
    }
  });
});

describe('labelsPath', () => {
  it('puts the labels beside the embeddings', () => {
    expect(labelsPath('out/test.npy')).toBe('out/test.labels.npy');
    expect(labelsPath('out/test')).toBe('out/test.labels.npy');
  });
});
