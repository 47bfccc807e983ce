/**
 * Dependencies point one way (DESIGN.md): compiler reads grammar; runtime reads only the IR's
 * types from the compiler; reporters never load TF.js; grammar and compiler never load the
 * runtime, so `ssl check` starts in milliseconds. Checked on the import statements of the source.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

interface Import { file: string; spec: string; typeOnly: boolean }

function imports(dir: string): Import[] {
  return sources(dir).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => ({
      file,
      spec: m[2],
      typeOnly: Boolean(m[1]),
    })),
  );
}

const reaches = (imp: Import, folder: string) => new RegExp(`(^|/)\\.\\./(\\.\\./)*${folder}/`).test(imp.spec);

describe('architecture: dependencies point one way', () => {
  it('grammar/ imports nothing of compiler/, runtime/ or cli/', () => {
    const bad = imports('grammar').filter((i) => ['compiler', 'runtime', 'cli'].some((f) => reaches(i, f)));
    expect(bad).toEqual([]);
  });

  it('compiler/ never imports runtime/, cli/ or TensorFlow.js', () => {
    const bad = imports('compiler').filter((i) => reaches(i, 'runtime') || reaches(i, 'cli') || i.spec.startsWith('@tensorflow/'));
    expect(bad).toEqual([]);
  });

  it('runtime/ reads only types from compiler/, and nothing of grammar/ or cli/', () => {
    const runtime = imports('runtime');
    expect(runtime.some((i) => reaches(i, 'compiler'))).toBe(true); // the check is live
    const bad = runtime.filter((i) => (reaches(i, 'compiler') && !(i.typeOnly && i.spec.endsWith('compiler/ir.js'))) || reaches(i, 'grammar') || reaches(i, 'cli'));
    expect(bad).toEqual([]);
  });

  it('reporters never load TensorFlow.js', () => {
    const bad = imports('runtime/reporters').filter((i) => i.spec.startsWith('@tensorflow/') || /\/tf\.js$/.test(i.spec));
    expect(bad).toEqual([]);
  });
});
