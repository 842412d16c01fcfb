import type { LineageNode } from '../../../shared/api.js';

export interface Placed extends LineageNode {
  x: number;
  y: number;
  graphParent: string | null;
}

/**
 * A left-to-right tree of the store: base images at the left, what was built or committed
 * from them to the right, a committed image hanging off the container it came from. Rows
 * are given in depth-first order so each family stays together.
 */
export function layout(nodes: LineageNode[], dx = 250, dy = 60): { placed: Placed[]; edges: [Placed, Placed][]; width: number; height: number } {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const graphParent = (n: LineageNode): string | null => {
    if (n.kind === 'image' && n.via && byId.get(n.via)?.kind === 'container') return n.via;
    return n.parent && byId.has(n.parent) && n.parent !== n.id ? n.parent : null;
  };
  const children = new Map<string | null, LineageNode[]>();
  for (const n of nodes) {
    const p = graphParent(n);
    children.set(p, [...(children.get(p) ?? []), n]);
  }
  const placed: Placed[] = [];
  const seen = new Set<string>();
  let row = 0;
  const visit = (n: LineageNode, depth: number) => {
    if (seen.has(n.id)) return;
    seen.add(n.id);
    placed.push({ ...n, x: depth * dx, y: row++ * dy, graphParent: graphParent(n) });
    const kids = (children.get(n.id) ?? []).sort((a, b) => (a.kind === b.kind ? a.label.localeCompare(b.label) : a.kind === 'image' ? -1 : 1));
    for (const k of kids) visit(k, depth + 1);
  };
  for (const r of (children.get(null) ?? []).sort((a, b) => a.label.localeCompare(b.label))) visit(r, 0);
  for (const n of nodes) visit(n, 0); // cycles or dangling parents: still shown
  const at = new Map(placed.map((p) => [p.id, p]));
  const edges: [Placed, Placed][] = [];
  for (const p of placed) if (p.graphParent && at.has(p.graphParent)) edges.push([at.get(p.graphParent)!, p]);
  const width = Math.max(0, ...placed.map((p) => p.x)) + dx;
  const height = row * dy;
  return { placed, edges, width, height };
}
