import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { main } from './main.js';
import { captureIo } from '../test/helpers/io.js';

async function ssl(...argv: string[]) {
  const io = captureIo();
  const code = await main(argv, io);
  return { code, out: io.out(), err: io.err() };
}

describe('ssl CLI: usage errors exit 2 with a clear message', () => {
  it.each([
    [[], /Usage: ssl/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['run'], /missing required argument 'file'/],
    [['run', 'examples/quickstart.ssl', '--max-steps', 'ten'], /--max-steps must be a whole number/],
    [['run', 'examples/quickstart.ssl', '--backend', 'tpu'], /argument 'tpu' is invalid.*Allowed choices are auto, wasm, cpu/],
    [['run', 'examples/quickstart.ssl', '--reporter', 'fancy'], /Allowed choices are tui, plain, json/],
    [['run', 'examples/quickstart.ssl', '--epochs', '3'], /unknown option '--epochs'/],
    [['compile', 'examples/quickstart.ssl', '--emit', 'llvm'], /Allowed choices are ir/],
    [['check', 'no/such/file.ssl'], /cannot read 'no\/such\/file.ssl': no such file/],
  ])('ssl %j', async (argv, message) => {
    const r = await ssl(...(argv as string[]));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it('--help and --version exit 0', async () => {
    expect((await ssl('--help')).code).toBe(0);
    const v = await ssl('--version');
    expect(v.code).toBe(0);
    expect(v.out.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });
});

describe('ssl check', () => {
  it('passes every example and fixture', async () => {
    const r = await ssl('check', 'examples/quickstart.ssl', 'examples/quickstart-mlp.ssl', 'recipes/simclr.ssl', 'test/fixtures/tiny.ssl');
    expect(r.code).toBe(0);
    expect(r.err).toContain('4 files checked: 0 errors, 0 warnings');
  });

  it('exits 1 and prints file:line:col, the code, a caret and the suggestion', async () => {
    const r = await ssl('check', 'test/fixtures/typo.ssl');
    expect(r.code).toBe(1);
    expect(r.err).toContain("test/fixtures/typo.ssl:9:12: error[unknown-name]: unknown function 'gausian_noise'");
    expect(r.err).toMatch(/\^~+/);
    expect(r.err).toContain("did you mean 'gaussian_noise'?");
    expect(r.err).toContain('1 file checked: 1 error');
  });
});

describe('ssl compile --emit ir', () => {
  it('prints the IR the golden test pins', async () => {
    const r = await ssl('compile', 'examples/quickstart.ssl', '--emit', 'ir');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual(JSON.parse(readFileSync('test/golden/quickstart.ir.json', 'utf8')));
  });

  it('prints nothing on stdout and exits 1 when the recipe has errors', async () => {
    const r = await ssl('compile', 'test/fixtures/typo.ssl');
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
  });
});

describe('ssl run', () => {
  it('does not start training a recipe with errors', async () => {
    const r = await ssl('run', 'test/fixtures/typo.ssl', '--reporter', 'json');
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain('error[unknown-name]');
  });
});
