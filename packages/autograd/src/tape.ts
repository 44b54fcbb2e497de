/**
 * The tape. Every differentiable op that sees an input requiring grad records one GradNode on
 * its outputs (`Tensor.gradFn`): the inputs it read, the tensors it saved for the backward, and
 * one function from the outputs' gradients to the inputs' gradients. `backward` walks the nodes
 * in reverse topological order and frees each node once its gradients are sent on.
 */
import type { Tensor } from '@sscan/core';

/** dL/d(each output) (null: that output got no gradient) → dL/d(each input) (null: none). */
export type BackwardFn = (gradOutputs: ReadonlyArray<Tensor | null>) => ReadonlyArray<Tensor | null>;

export class GradNode {
  #inputs: ReadonlyArray<Tensor | null>;
  #saved: Tensor[];
  #backward: BackwardFn | null;

  constructor(
    /** The kernel (kernel_names.ts) or op this node differentiates, for error messages. */
    readonly name: string,
    inputs: ReadonlyArray<Tensor | null>,
    saved: Tensor[],
    backward: BackwardFn,
  ) {
    this.#inputs = inputs;
    this.#saved = saved;
    this.#backward = backward;
  }

  get inputs(): ReadonlyArray<Tensor | null> {
    return this.#inputs;
  }

  get freed(): boolean {
    return this.#backward === null;
  }

  /** Tensors this node keeps for its backward (disposed by `free`). */
  get saved(): readonly Tensor[] {
    return this.#saved;
  }

  run(gradOutputs: ReadonlyArray<Tensor | null>): ReadonlyArray<Tensor | null> {
    if (this.#backward === null) {
      throw new Error(
        `backward: the tape of ${this.name} was already freed by an earlier backward; run the forward again to differentiate again`,
      );
    }
    return this.#backward(gradOutputs);
  }

  /** Drop the references to the inputs and the closure; dispose the saved tensors. */
  free(): void {
    for (const t of this.#saved) t.dispose();
    this.#saved = [];
    this.#inputs = [];
    this.#backward = null;
  }
}

/** What `Tensor.gradFn` holds: the node that made the tensor and which of its outputs it is. */
export interface GradFn {
  readonly node: GradNode;
  readonly index: number;
}

export function gradFnOf(t: Tensor): GradFn | null {
  return t.gradFn instanceof Object && (t.gradFn as GradFn).node instanceof GradNode
    ? (t.gradFn as GradFn)
    : null;
}

let gradDepth = 0;

/** Whether ops record on the tape now (false inside `noGrad`). */
export function isGradEnabled(): boolean {
  return gradDepth === 0;
}

/** Run fn with recording off: nothing it computes requires grad. Returns fn's result. */
export function noGrad<T>(fn: () => T): T {
  if (typeof fn !== 'function')
    throw new TypeError(`noGrad: argument 'fn' must be a function, got ${typeof fn}`);
  gradDepth++;
  try {
    return fn();
  } finally {
    gradDepth--;
  }
}

/** Whether an op over these inputs must record. */
export function needsGrad(inputs: ReadonlyArray<Tensor | null | undefined>): boolean {
  return gradDepth === 0 && inputs.some((t) => t?.requiresGrad === true);
}

/**
 * Record one node on `outputs` (null entries: outputs the call did not return). `saved` are
 * tensors the node alone owns (disposed when the tape is freed); inputs are only referenced.
 */
export function record(
  name: string,
  inputs: ReadonlyArray<Tensor | null>,
  outputs: ReadonlyArray<Tensor | null>,
  saved: Tensor[],
  backward: BackwardFn,
): void {
  const node = new GradNode(name, inputs, saved, backward);
  outputs.forEach((t, index) => {
    if (t === null) return;
    t.requiresGrad = true;
    t.gradFn = { node, index } satisfies GradFn;
  });
}
