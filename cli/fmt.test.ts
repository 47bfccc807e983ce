/** `fmtCommand`: output, --check, --write and exit codes, on files in a temp folder. */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fmtCommand } from './fmt.js';

const formatted = 'recipe x\n\ndata train = mnist(split: "train")\ndata test  = mnist(split: "test")\n';
const messy = 'recipe   x\n\n\n\ndata train=mnist(split:"train")\ndata test = mnist( split: "test" )';
const broken = 'recipe x\ndata = mnist(\n';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ssl-fmt-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function run(files: string[], options: { check?: boolean; write?: boolean } = {}) {
  let stdout = '';
  let stderr = '';
  const code = await fmtCommand(files, { check: options.check ?? false, write: options.write ?? false }, {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
  });
  return { code, stdout, stderr };
}

describe('ssl fmt', () => {
  it('prints the formatted text and leaves the file alone', async () => {
    const f = file('a.ssl', messy);
    const r = await run([f]);
    expect(r).toEqual({ code: 0, stdout: formatted, stderr: '' });
    expect(readFileSync(f, 'utf8')).toBe(messy);
  });

  it('--check: 0 when formatted, 1 listing the files that are not', async () => {
    const ok = file('ok.ssl', formatted);
    const bad = file('bad.ssl', messy);
    expect(await run([ok], { check: true })).toEqual({ code: 0, stdout: '', stderr: '' });
    const r = await run([ok, bad], { check: true });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`${bad}\n`);
    expect(r.stderr).toContain('1 file is not formatted');
    expect(readFileSync(bad, 'utf8')).toBe(messy);
  });

  it('--write rewrites in place (through a temp file), keeps the mode, then --check passes', async () => {
    const f = file('a.ssl', messy);
    chmodSync(f, 0o640);
    const r = await run([f], { write: true });
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(readFileSync(f, 'utf8')).toBe(formatted);
    expect(statSync(f).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir)).toEqual(['a.ssl']);
    expect((await run([f], { check: true })).code).toBe(0);
  });

  it('--write does not touch formatted files', async () => {
    const f = file('a.ssl', formatted);
    const before = statSync(f).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    expect((await run([f], { write: true })).code).toBe(0);
    expect(statSync(f).mtimeMs).toBe(before);
  });

  it('--check --write: lists, rewrites, exits 1', async () => {
    const f = file('a.ssl', messy);
    const r = await run([f], { check: true, write: true });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`${f}\n`);
    expect(readFileSync(f, 'utf8')).toBe(formatted);
  });

  it('exit 2 on an unreadable file, after formatting the others', async () => {
    const ok = file('ok.ssl', messy);
    const missing = join(dir, 'missing.ssl');
    mkdirSync(join(dir, 'folder.ssl'));
    const r = await run([missing, ok, join(dir, 'folder.ssl')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`cannot read '${missing}': no such file`);
    expect(r.stderr).toContain(`cannot read '${join(dir, 'folder.ssl')}'`);
    expect(r.stdout).toBe(formatted);
  });

  it('exit 2 on syntax errors, printed as diagnostics; the file is not written', async () => {
    const f = file('broken.ssl', broken);
    for (const options of [{}, { check: true }, { write: true }]) {
      const r = await run([f], options);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:\\d+: error\\[syntax-error\\]`));
      expect(r.stderr).toContain(' | data = mnist(');
      expect(readFileSync(f, 'utf8')).toBe(broken);
    }
  });

  it('exit 2 wins over 1', async () => {
    const bad = file('bad.ssl', messy);
    const f = file('broken.ssl', broken);
    expect((await run([bad, f], { check: true })).code).toBe(2);
  });

  it('exit 2 with no files', async () => {
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no files');
  });
});
