import { describe, expect, it } from 'vitest';
import type { Explanation } from '../compiler/explain.js';
import { explainCommand } from './explain.js';

async function run(file: string, options: { json?: boolean; color?: boolean; width?: number } = {}) {
  let out = '';
  let err = '';
  const code = await explainCommand(file, { json: false, color: false, ...options }, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
}

describe('ssl explain', () => {
  it('prints the explanation of the quickstart', async () => {
    const r = await run('examples/quickstart.ssl');
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^recipe quickstart {2}\(examples\/quickstart\.ssl\)\n/);
    expect(r.out).toContain('#7 loss nt_xent  scalar  · temperature 0.5');
    expect(r.out).toContain('-> see #0 (batch train)');
    expect(r.out).toMatch(/^ {2}nt_xent <- aug#1, aug#4; data: train$/m);
    expect(r.out).toMatch(/encoder\s+92,672/);
    expect(r.out).toMatch(/projector\s+24,768/);
    expect(r.out).toContain('training     6.647 GFLOPs');
    expect(r.out).not.toMatch(/\x1b\[/);
    expect(r.out.endsWith('\n')).toBe(true);
  });

  it('colours on request and wraps at the given width', async () => {
    expect((await run('examples/quickstart.ssl', { color: true })).out).toMatch(/\x1b\[1mrecipe quickstart/);
    const narrow = await run('examples/quickstart.ssl', { width: 60 });
    for (const line of narrow.out.trimEnd().split('\n')) expect(line.length, line).toBeLessThanOrEqual(60);
  });

  it('--json prints the Explanation as data', async () => {
    const r = await run('recipes/simclr.ssl', { json: true });
    expect(r.code).toBe(0);
    const e = JSON.parse(r.out) as Explanation;
    expect(e.recipe).toBe('simclr');
    expect(e.header).toMatchObject({ batch: 512, stepsPerEpoch: 117, totalSteps: 11700, trainingData: 'train' });
    expect(e.parameters.networks.map((n) => n.name)).toEqual(['encoder', 'projector']);
    expect(e.terms[0].views.map((v) => v.view)).toEqual(['aug', 'aug']);
    expect(e.tree.kind).toBe('loss');
  });

  it('prints diagnostics like ssl check and exits 1 on recipe errors', async () => {
    const r = await run('test/fixtures/typo.ssl');
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain("test/fixtures/typo.ssl:9:12: error[unknown-name]: unknown function 'gausian_noise'");
    expect(r.err).toMatch(/\^~+/);
    expect(r.err).toContain("did you mean 'gaussian_noise'?");
  });

  it('exits 2 on an unreadable file', async () => {
    const r = await run('no/such/file.ssl');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toBe("ssl: cannot read 'no/such/file.ssl': no such file\n");
  });
});
