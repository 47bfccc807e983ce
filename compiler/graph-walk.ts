/** Walking the IR's training graph: a node's inputs, and every node a root reads. */
import type { GraphNode } from './ir.js';

/** The ids a node reads: its input(s), a network's mask, a loss's tensors and mask, a sum's terms. */
export function inputsOf(n: GraphNode): number[] {
  switch (n.kind) {
    case 'view':
    case 'patchify':
    case 'stopgrad':
    case 'mask':
      return [n.input];
    case 'apply':
      return n.mask === undefined ? [n.input] : [n.input, n.mask];
    case 'loss':
      return [...Object.values(n.inputs).flat(), ...(n.mask === undefined ? [] : [n.mask])];
    case 'sum':
      return n.inputs;
    case 'batch':
      return [];
  }
}

/** Every node `root` reads, directly or not (including `root`). */
export function reachable(nodes: readonly GraphNode[], root: number): Set<number> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const seen = new Set<number>();
  const stack = [root];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const n = byId.get(id);
    if (n) stack.push(...inputsOf(n));
  }
  return seen;
}
