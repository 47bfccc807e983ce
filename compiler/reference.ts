/**
 * The builtin reference (docs/reference.md), generated from the one catalog in builtins.ts so the
 * documentation cannot drift from what the compiler accepts. `npx tsx compiler/reference.ts`
 * rewrites the file; a test fails when the checked-in copy is stale.
 */
import { builtinList, constants, type BuiltinKind, type ParamSpec, type ParamType } from './builtins.js';

const SECTIONS: { kind: BuiltinKind; title: string; where: string }[] = [
  { kind: 'dataset', title: 'Datasets', where: '`data NAME = ...`, probe `fit:` / `on:`' },
  { kind: 'augmentation', title: 'Augmentations', where: '`view NAME = op | op | ...`' },
  { kind: 'network-stage', title: 'Network stages', where: '`network NAME = stage -> stage -> ...`' },
  { kind: 'teacher', title: 'Teachers', where: '`teacher NAME = ...`' },
  { kind: 'graph', title: 'Graph functions', where: '`let` and `loss` expressions' },
  { kind: 'loss', title: 'Losses', where: '`loss = ...` (weighted sums of these)' },
  { kind: 'optimizer', title: 'Optimizers', where: '`optimizer ...`' },
  { kind: 'schedule', title: 'Learning-rate schedules', where: '`schedule ...`' },
  { kind: 'probe', title: 'Probes', where: '`probe ...`' },
  { kind: 'train', title: 'Training', where: '`train epochs: N, seed: S`' },
];

function typeText(t: ParamType): string {
  switch (t.kind) {
    case 'string-enum':
      return t.values.map((v) => `"${v}"`).join(' \\| ');
    case 'ident-enum':
      return t.values.join(' \\| ');
    case 'int-list':
      return 'list of int';
    default:
      return t.kind;
  }
}

function defaultText(p: ParamSpec): string {
  if (p.required) return '**required**';
  const d = p.default;
  if (d === undefined) return '–';
  if (Array.isArray(d)) return p.type.kind === 'range' ? `${d[0]}..${d[1]}` : `[${d.join(', ')}]`;
  if (typeof d === 'object') return `${(d as { value: number }).value} ${(d as { unit: string }).unit}`;
  if (typeof d === 'string') return p.type.kind === 'string-enum' ? `"${d}"` : d;
  return String(d);
}

function bounds(p: ParamSpec): string {
  const lo = p.min === undefined ? '' : `${p.exclusiveMin ? '>' : '≥'} ${p.min}`;
  const hi = p.max === undefined ? '' : `${p.exclusiveMax ? '<' : '≤'} ${p.max}`;
  return [lo, hi].filter(Boolean).join(', ');
}

export function referenceMarkdown(): string {
  const out: string[] = [
    '# Builtin reference',
    '',
    '<!-- Generated from compiler/builtins.ts by `npx tsx compiler/reference.ts`; do not edit by hand. -->',
    '',
    'Every function a recipe can call, with its parameters. Positional parameters may be given in order',
    'without their name; `ramp` marks a number that may also be a ramp over training (`0.996 -> 1.0 cosine`).',
    '',
  ];
  for (const section of SECTIONS) {
    const specs = builtinList.filter((b) => b.kind === section.kind);
    if (specs.length === 0) continue;
    out.push(`## ${section.title}`, '', `Used in ${section.where}.`, '');
    for (const b of specs) {
      out.push(`### \`${b.name}\``, '', b.doc, '');
      if (b.params.length === 0) {
        out.push('No parameters.', '');
        continue;
      }
      out.push('| parameter | type | default | bounds | |', '|---|---|---|---|---|');
      for (const p of b.params) {
        const name = `\`${p.name}\`${p.positional ? ' (positional)' : ''}${p.variadic ? ' ...' : ''}`;
        out.push(`| ${name} | ${typeText(p.type)}${p.schedulable ? ', ramp' : ''} | ${defaultText(p)} | ${bounds(p)} | ${p.doc.replace(/\|/g, '\\|')} |`);
      }
      out.push('');
    }
  }
  out.push('## Constants', '', 'Names usable in arithmetic, resolved at compile time:', '');
  for (const [name, doc] of Object.entries(constants)) out.push(`- \`${name}\`: ${doc}`);
  out.push('');
  return out.join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ''))) {
  const { writeFileSync } = await import('node:fs');
  writeFileSync(new URL('../docs/reference.md', import.meta.url), referenceMarkdown());
}
