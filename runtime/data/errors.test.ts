import { describe, expect, it } from 'vitest';
import { DataError } from './errors.js';

describe('DataError', () => {
  it('names the file and the record in the message and as fields', () => {
    const e = new DataError('/data/train-labels-idx1-ubyte', 'label 12 is outside 0..9', 'label 4711');
    expect(e).toBeInstanceOf(Error);
    expect(e).toBeInstanceOf(DataError);
    expect(e.name).toBe('DataError');
    expect(e.file).toBe('/data/train-labels-idx1-ubyte');
    expect(e.record).toBe('label 4711');
    expect(e.message).toBe('/data/train-labels-idx1-ubyte (label 4711): label 12 is outside 0..9');
  });

  it('omits the record when the whole file is at fault', () => {
    const e = new DataError('x.idx', 'file not found');
    expect(e.record).toBeUndefined();
    expect(e.message).toBe('x.idx: file not found');
  });
});
