/** How builtins and their parameters read in completions and hovers (from compiler/builtins.ts). */
import type { BuiltinSpec, ParamSpec, ParamType } from '../../compiler/builtins.js';

export function typeText(t: ParamType): string {
  switch (t.kind) {
    case 'string-enum':
      return t.values.map((v) => `"${v}"`).join(' | ');
    case 'ident-enum':
      return t.values.join(' | ');
    case 'int-list':
      return 'list of int';
    default:
      return t.kind;
  }
}

export function defaultText(p: ParamSpec): string | undefined {
  const d = p.default;
  if (p.required || d === undefined) return undefined;
  if (Array.isArray(d)) return p.type.kind === 'range' ? `${d[0]}..${d[1]}` : `[${d.join(', ')}]`;
  if (typeof d === 'object') return `${(d as { value: number }).value} ${(d as { unit: string }).unit}`;
  if (typeof d === 'string') return p.type.kind === 'string-enum' ? `"${d}"` : d;
  return String(d);
}

/** `size: int`, `scale: range = 0.08..1`. */
export function paramSignature(p: ParamSpec): string {
  const d = defaultText(p);
  return `${p.name}: ${typeText(p.type)}${d !== undefined ? ` = ${d}` : ''}`;
}

/** `random_resized_crop(size: int, scale: range = 0.08..1, ratio: range = 0.75..1.3333333333333333)`. */
export function builtinSignature(b: BuiltinSpec): string {
  return `${b.name}(${b.params.map(paramSignature).join(', ')})`;
}

/** Markdown: signature, doc, and one line per parameter. */
export function builtinMarkdown(b: BuiltinSpec): string {
  const params = b.params.map((p) => `- \`${paramSignature(p)}\`${p.required ? ' (required)' : ''}: ${p.doc}`);
  return ['```ssl', builtinSignature(b), '```', `*${b.kind}*: ${b.doc}`, ...(params.length > 0 ? ['', ...params] : [])].join('\n');
}
