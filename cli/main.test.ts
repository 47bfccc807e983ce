import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main, reuseFiles } from './main.js';
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
  it('passes every recipe, example and fixture with no warnings', async () => {
    const files = ['recipes', 'examples'].flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.ssl')).map((f) => join(dir, f)));
    expect(files.length).toBeGreaterThanOrEqual(12);
    const r = await ssl('check', ...files, 'test/fixtures/tiny.ssl', 'test/fixtures/extends-simclr.ssl');
    expect(r.code).toBe(0);
    expect(r.err).toContain(`${files.length + 2} files checked: 0 errors, 0 warnings`);
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

describe('reuse: extends and --set', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'ssl-cli-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    writeFileSync(join(tmp, name), text);
    return join(tmp, name);
  };

  it('checks a recipe that extends a real recipe', async () => {
    const r = await ssl('check', 'test/fixtures/extends-simclr.ssl');
    expect(r.err).toBe('1 file checked: 0 errors, 0 warnings\n');
    expect(r.code).toBe(0);
  });

  it('compiles it with the child uri, the base overridden', async () => {
    const r = await ssl('compile', 'test/fixtures/extends-simclr.ssl', '--set', 'train.epochs=2');
    expect(r.code).toBe(0);
    const ir = JSON.parse(r.out);
    expect(ir.recipe).toBe('simclr_smoke');
    expect(ir.source.uri).toBe('test/fixtures/extends-simclr.ssl');
    expect(ir.train).toMatchObject({ epochs: 2, batch: 64, stepsPerEpoch: 8 });
    expect(ir.optimizer.kind).toBe('lars');
    expect(ir.probes).toHaveLength(1);
  });

  it('--set errors print the override with a caret at the value', async () => {
    const r = await ssl('check', 'test/fixtures/extends-simclr.ssl', '--set', 'train.seed=1', '--set', 'train.epochs=0');
    expect(r.code).toBe(1);
    expect(r.err).toContain(["--set[2]:1:14: error[value-out-of-range]: 'epochs' of train must be >= 1 and <= 1000000, got 0", ' 1 | train.epochs=0', '   |              ^'].join('\n'));
    expect(r.err).toContain('1 file checked: 1 error');
  });

  it('--set with a misspelt parameter suggests the right one', async () => {
    const r = await ssl('check', 'examples/quickstart.ssl', '--set', 'optimizer.lrr=1');
    expect(r.code).toBe(1);
    expect(r.err).toContain("--set[1]:1:11: error[unknown-parameter]: adam has no parameter 'lrr'");
    expect(r.err).toContain("did you mean 'lr'?");
  });

  it('--set with a path that names nothing is invalid-override', async () => {
    const r = await ssl('check', 'examples/quickstart.ssl', '--set', 'network.encodr.kernel=5');
    expect(r.code).toBe(1);
    expect(r.err).toContain("--set[1]:1:9: error[invalid-override]: the recipe has no network 'encodr'");
    expect(r.err).toContain("did you mean 'encoder'?");
  });

  it('prints a diagnostic inside a base with the base file and its line', async () => {
    write('base.ssl', readFileSync('test/fixtures/typo.ssl', 'utf8'));
    const child = write('child.ssl', 'extends "base.ssl"\nrecipe child\n');
    const r = await ssl('check', child);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${join(tmp, 'base.ssl')}:9:12: error[unknown-name]: unknown function 'gausian_noise'`);
    expect(r.err).toContain(' 9 |          | gausian_noise(std: 0.1)');
    expect(r.err).toContain("did you mean 'gaussian_noise'?");
  });

  it('a missing base is reported at the path with the closest file', async () => {
    write('simclr.ssl', readFileSync('test/fixtures/tiny.ssl', 'utf8'));
    const child = write('missing.ssl', 'extends "simclrr.ssl"\n');
    const r = await ssl('check', child);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${child}:1:9: error[base-not-found]: cannot read base recipe 'simclrr.ssl'`);
    expect(r.err).toContain("did you mean 'simclr.ssl'?");
  });

  it('explain takes --set', async () => {
    const r = await ssl('explain', 'test/fixtures/extends-simclr.ssl', '--json', '--set', 'train.epochs=3');
    expect(r.code).toBe(0);
    expect(r.out).toContain('"epochs": 3');
  });

  it('the run folder gets the recipe as resolved, the overrides and the bases as written', () => {
    const file = 'test/fixtures/extends-simclr.ssl';
    const text = readFileSync(file, 'utf8');
    const sources = { [file]: text, 'recipes/simclr.ssl': readFileSync('recipes/simclr.ssl', 'utf8') };
    const files = reuseFiles(file, { text, sources, bases: ['recipes/simclr.ssl'] }, ['train.epochs=2']);
    expect(Object.keys(files)).toEqual(['resolved.ssl', 'overrides.json', 'base-1.ssl']);
    expect(JSON.parse(files['overrides.json']!)).toEqual({ recipe: file, extends: ['recipes/simclr.ssl'], set: ['train.epochs=2'] });
    expect(files['base-1.ssl']).toBe(sources['recipes/simclr.ssl']);
    expect(files['resolved.ssl']).toContain('train     epochs: 2, seed: 0');
    expect(files['resolved.ssl']).not.toContain('extends "');
    expect(reuseFiles('examples/quickstart.ssl', { text: '', sources: {}, bases: [] }, [])).toEqual({});
  });
});
