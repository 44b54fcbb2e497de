/**
 * backward(outputs, gradOutputs): reverse-mode accumulation over the tape. Gradients reaching a
 * tensor along several paths are summed; leaves (requiresGrad, no gradFn) receive them in
 * `.grad`, added to what is there. Every node visited is freed afterwards.
 */
import { add, contiguous, keep, Tensor, tensor } from '@sscan/core';
import { type GradFn, type GradNode, gradFnOf, noGrad } from './tape';

const fn = 'backward';

const formatShapeOf = (t: Tensor): string => `[${t.shape.join(', ')}]`;

function describe(t: Tensor): string {
  return `${t.describe()} with requiresGrad ${t.requiresGrad}`;
}

/** Validate the roots; return (tensor, owned copy of its gradient) pairs. */
function roots(outputs: unknown, gradOutputs: unknown): Array<[Tensor, Tensor]> {
  const many = Array.isArray(outputs);
  const outs: unknown[] = many ? (outputs as unknown[]) : [outputs];
  let grads: unknown[];
  if (gradOutputs === undefined || gradOutputs === null) grads = outs.map(() => undefined);
  else if (many) {
    if (!Array.isArray(gradOutputs) || gradOutputs.length !== outs.length) {
      throw new TypeError(
        `${fn}: argument 'gradOutputs' must be an array of ${outs.length} gradients (one per output, null for none), got ${Array.isArray(gradOutputs) ? `an array of ${gradOutputs.length}` : typeof gradOutputs}`,
      );
    }
    grads = gradOutputs as unknown[];
  } else grads = [gradOutputs];
  if (outs.length === 0)
    throw new TypeError(`${fn}: argument 'outputs' must hold at least one tensor, got an empty array`);
  const pairs: Array<[Tensor, Tensor]> = [];
  outs.forEach((o, i) => {
    const arg = many ? `outputs[${i}]` : 'output';
    const garg = many ? `gradOutputs[${i}]` : 'gradOutput';
    if (!(o instanceof Tensor))
      throw new TypeError(`${fn}: argument '${arg}' must be a Tensor, got ${typeof o}`);
    if (o.isDisposed) throw new Error(`${fn}: argument '${arg}' is a disposed tensor`);
    if (!o.requiresGrad) {
      throw new TypeError(
        `${fn}: argument '${arg}' must be a tensor that requires grad (computed, outside noGrad, from a tensor created with requiresGrad: true), got ${describe(o)}`,
      );
    }
    const g = grads[i];
    if (g === undefined || g === null) {
      if (many && g === null) return; // explicitly no gradient for this output
      if (o.numel !== 1) {
        throw new RangeError(
          `${fn}: argument '${garg}' must be given for a non-scalar output (a tensor of shape ${formatShapeOf(o)}), got none; pass dL/d${arg} of that shape`,
        );
      }
      pairs.push([o, tensor([1], o.shape, { dtype: o.dtype, device: o.deviceName })]);
      return;
    }
    if (!(g instanceof Tensor))
      throw new TypeError(`${fn}: argument '${garg}' must be a Tensor, got ${typeof g}`);
    if (g.shape.length !== o.shape.length || g.shape.some((s, j) => s !== o.shape[j])) {
      throw new RangeError(
        `${fn}: argument '${garg}' must have shape ${formatShapeOf(o)} like '${arg}', got ${formatShapeOf(g)}`,
      );
    }
    if (g.dtype !== o.dtype)
      throw new RangeError(
        `${fn}: argument '${garg}' must have dtype ${o.dtype} like '${arg}', got ${g.dtype}`,
      );
    if (g.deviceName !== o.deviceName)
      throw new RangeError(
        `${fn}: argument '${garg}' must be on ${o.deviceName} like '${arg}', got ${g.deviceName}`,
      );
    // our own copy: the caller keeps ownership of what they passed
    pairs.push([o, contiguous(g)]);
  });
  return pairs;
}

/** Nodes reachable from the roots, in reverse topological order (outputs before inputs). */
function topoOrder(start: GradNode[]): GradNode[] {
  const visited = new Set<GradNode>();
  const post: GradNode[] = [];
  const stack: Array<{ node: GradNode; next: number }> = [];
  const push = (node: GradNode) => {
    if (visited.has(node)) return;
    if (node.freed) {
      throw new Error(
        `${fn}: the tape through ${node.name} was already freed by an earlier backward; run the forward again to differentiate again`,
      );
    }
    visited.add(node);
    stack.push({ node, next: 0 });
  };
  for (const n of start) push(n);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const inputs = top.node.inputs;
    if (top.next < inputs.length) {
      const t = inputs[top.next++];
      const g = t ? gradFnOf(t) : null;
      if (g) push(g.node);
    } else {
      stack.pop();
      post.push(top.node);
    }
  }
  return post.reverse();
}

/**
 * Send gradients back from `outputs` (a tensor, or several at once) to every tensor that
 * requires grad. gradOutputs: dL/d(output) of the same shape and dtype; may be omitted for a
 * scalar output (1 is used); in the array form an entry may be null (no gradient there).
 */
export function backward(
  outputs: Tensor | readonly Tensor[],
  gradOutputs?: Tensor | null | ReadonlyArray<Tensor | null | undefined>,
): void {
  const pairs = roots(outputs, gradOutputs);
  const owned = new Set<Tensor>(pairs.map(([, g]) => g));
  const pending = new Map<GradNode, Array<Tensor | null>>();

  const accumulate = (t: Tensor, g: Tensor, where: string) => {
    if (
      g.shape.length !== t.shape.length ||
      g.shape.some((s, j) => s !== t.shape[j]) ||
      g.dtype !== t.dtype
    ) {
      throw new Error(
        `${fn}: internal error: ${where} produced a gradient ${g.describe()} for input ${t.describe()}`,
      );
    }
    const fnInfo: GradFn | null = gradFnOf(t);
    if (fnInfo) {
      const slots = pending.get(fnInfo.node) ?? [];
      const prev = slots[fnInfo.index];
      if (prev) {
        slots[fnInfo.index] = add(prev, g);
        owned.add(slots[fnInfo.index]!);
        prev.dispose();
        g.dispose();
      } else slots[fnInfo.index] = g;
      pending.set(fnInfo.node, slots);
      return;
    }
    // a leaf: .grad persists past any tidy scope, like a parameter
    owned.delete(g);
    if (t.grad && !t.grad.isDisposed) {
      const sum = add(t.grad, g);
      t.grad.dispose();
      g.dispose();
      t.grad = keep(sum);
    } else t.grad = keep(g);
  };

  let order: GradNode[] = [];
  try {
    noGrad(() => {
      const starts: GradNode[] = [];
      for (const [o, g] of pairs) {
        const info = gradFnOf(o);
        if (info) starts.push(info.node);
        accumulate(o, g, 'the root');
      }
      order = topoOrder(starts);
      for (const node of order) {
        const dys = pending.get(node);
        pending.delete(node);
        if (!dys) {
          node.free();
          continue;
        }
        const inputs = node.inputs;
        const dxs = node.run(Array.from({ length: Math.max(dys.length, 1) }, (_, i) => dys[i] ?? null));
        node.free();
        // every pending gradient is ours; a dx that is a dy, or that feeds two inputs, is copied
        // so that each slot owns exactly one tensor
        const used = new Set<Tensor>();
        inputs.forEach((t, i) => {
          const g = dxs[i];
          if (!g || !t || !t.requiresGrad) return;
          const mine = dys.includes(g) || used.has(g) ? contiguous(g) : g;
          used.add(mine);
          owned.add(mine);
          accumulate(t, mine, node.name);
        });
        for (const g of dxs) if (g && !used.has(g) && !dys.includes(g)) g.dispose();
        for (const g of dys) g?.dispose();
      }
    });
  } finally {
    for (const node of order) node.free();
    for (const g of owned) g.dispose();
  }
}
