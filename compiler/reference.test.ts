import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { builtinList } from './builtins.js';
import { referenceMarkdown } from './reference.js';

describe('docs/reference.md', () => {
  it('is generated from the builtin catalog and up to date (regenerate: npx tsx compiler/reference.ts)', () => {
    const checkedIn = readFileSync(new URL('../docs/reference.md', import.meta.url), 'utf8');
    expect(checkedIn).toBe(referenceMarkdown());
  });

  it('documents every callable builtin and every parameter', () => {
    const md = referenceMarkdown();
    for (const b of builtinList) {
      if (b.kind !== 'train') expect(md).toContain(`### \`${b.name}\``);
      for (const p of b.params) expect(md).toContain(`\`${p.name}\``);
    }
  });
});
