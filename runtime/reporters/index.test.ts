import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import type { Reporter } from '../events.js';
import { createReporter, defaultReporter, fanOut, isCI, isReporterName } from './index.js';
import { scriptedRun } from './scripted-run.js';

const here = dirname(fileURLToPath(import.meta.url));

describe('defaultReporter', () => {
  it.each([
    { isTTY: true, ci: false, expected: 'tui' },
    { isTTY: true, ci: true, expected: 'plain' },
    { isTTY: false, ci: false, expected: 'plain' },
    { isTTY: false, ci: true, expected: 'plain' },
  ] as const)('isTTY=$isTTY ci=$ci → $expected', ({ isTTY, ci, expected }) => {
    expect(defaultReporter({ isTTY, ci })).toBe(expected);
  });

  it('reads CI as truthy unless unset, empty, 0 or false', () => {
    expect(isCI({})).toBe(false);
    expect(isCI({ CI: '' })).toBe(false);
    expect(isCI({ CI: '0' })).toBe(false);
    expect(isCI({ CI: 'false' })).toBe(false);
    expect(isCI({ CI: 'FALSE' })).toBe(false);
    expect(isCI({ CI: 'true' })).toBe(true);
    expect(isCI({ CI: '1' })).toBe(true);
    expect(isCI({ CI: 'woodpecker' })).toBe(true);
    expect(isReporterName('json')).toBe(true);
    expect(isReporterName('fancy')).toBe(false);
  });
});

describe('createReporter', () => {
  it('builds plain and json reporters on a given stream', async () => {
    for (const name of ['plain', 'json'] as const) {
      let text = '';
      const out = new Writable({
        write(c, _e, cb) {
          text += String(c);
          cb();
        },
      });
      const r = await createReporter(name, { out: out as unknown as NodeJS.WriteStream });
      for (const e of scriptedRun({ stepsPerEpoch: 5 })) r.onEvent(e);
      await r.close();
      expect(text).toContain(name === 'json' ? '"type":"run-end"' : 'run completed: 5 steps');
    }
  });

  /** Static (non-`import()`) module specifiers of a source file. */
  const staticImports = (file: string) =>
    [...readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gm)].map((m) => m[1]);

  it('never loads react or ink for plain/json: ink is only reached through import()', () => {
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const spec of staticImports(file)) {
        expect(spec, `${file} imports ${spec}`).not.toMatch(/^(ink|react)(\/|$)/);
        if (spec.startsWith('./') && !spec.startsWith('./tui/')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
        expect(spec, `${file} statically imports the tui`).not.toMatch(/^\.\/tui\//);
      }
    };
    visit(join(here, 'index.ts'));
    expect([...seen].map((f) => f.slice(here.length + 1)).sort()).toEqual([
      'format.ts',
      'index.ts',
      'json.ts',
      'plain.ts',
      'sparkline.ts',
      'state.ts',
    ]);
    expect(readFileSync(join(here, 'index.ts'), 'utf8')).toContain("await import('./tui/index.js')");
  });

  it('no reporter file imports TensorFlow.js', () => {
    const files = ['index.ts', 'json.ts', 'plain.ts', 'state.ts', 'format.ts', 'sparkline.ts', 'scripted-run.ts', 'tui/index.tsx', 'tui/app.tsx', 'tui/components.tsx', 'tui/store.ts'];
    for (const f of files) {
      for (const spec of staticImports(join(here, f))) expect(spec, f).not.toMatch(/tensorflow|\/tf\.js$/);
    }
  });
});

describe('fanOut', () => {
  it('forwards every event to every reporter and closes them all', async () => {
    const a = { onEvent: vi.fn(), close: vi.fn() };
    const b = { onEvent: vi.fn(), close: vi.fn(async () => {}) };
    const r = fanOut([a, b]);
    const events = scriptedRun({ stepsPerEpoch: 3 });
    const { onEvent } = r; // callers pass reporter.onEvent unbound
    for (const e of events) onEvent(e);
    await r.close();
    expect(a.onEvent.mock.calls.map((c) => c[0])).toEqual(events);
    expect(b.onEvent.mock.calls.map((c) => c[0])).toEqual(events);
    expect(a.close).toHaveBeenCalledOnce();
    expect(b.close).toHaveBeenCalledOnce();
  });

  it('keeps feeding the others when one throws, then rethrows', async () => {
    const bad: Reporter = {
      onEvent: () => {
        throw new Error('boom');
      },
      close: () => Promise.reject(new Error('close boom')),
    };
    const good = { onEvent: vi.fn(), close: vi.fn() };
    const r = fanOut([bad, good]);
    expect(() => r.onEvent(scriptedRun()[0])).toThrow('boom');
    expect(good.onEvent).toHaveBeenCalledOnce();
    await expect(r.close()).rejects.toThrow('close boom');
    expect(good.close).toHaveBeenCalledOnce();
  });
});
