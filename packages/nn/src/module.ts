/**
 * Module and Parameter. A module owns named parameters and submodules; names join with '.',
 * so a model's stateDict keys are the Hugging Face names when the attribute names follow them.
 */
import { cast, type DType, type Tensor, tensor } from '@sscan/core';

export interface ParameterOptions {
  /** Excluded from weight decay (norms, biases, A_log, D). Default false. */
  noDecay?: boolean;
}

/** A trainable tensor (requiresGrad) plus what optimizers need to know about it. */
export class Parameter {
  constructor(
    public value: Tensor,
    readonly noDecay = false,
  ) {
    value.requiresGrad = true;
  }
  get grad(): Tensor | null {
    return this.value.grad;
  }
  get shape(): readonly number[] {
    return this.value.shape;
  }
}

export interface LoadStateDictOptions {
  /** Every parameter must be present and no unknown key may appear. Default true. */
  strict?: boolean;
}

export abstract class Module {
  readonly #params = new Map<string, Parameter>();
  readonly #modules = new Map<string, Module>();
  training = true;

  /** Register a parameter; returns the Parameter (its `.value` is the tensor to compute with). */
  protected param(name: string, value: Tensor, options: ParameterOptions = {}): Parameter {
    const p = new Parameter(value, options.noDecay ?? false);
    this.#params.set(name, p);
    return p;
  }

  protected module<M extends Module>(name: string, m: M): M {
    this.#modules.set(name, m);
    return m;
  }

  /** (name, parameter) pairs, depth first, in registration order. */
  namedParameters(prefix = ''): Array<[string, Parameter]> {
    const out: Array<[string, Parameter]> = [];
    for (const [n, p] of this.#params) out.push([prefix + n, p]);
    for (const [n, m] of this.#modules) out.push(...m.namedParameters(`${prefix}${n}.`));
    return out;
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  namedModules(prefix = ''): Array<[string, Module]> {
    const out: Array<[string, Module]> = [[prefix.replace(/\.$/, ''), this]];
    for (const [n, m] of this.#modules) out.push(...m.namedModules(`${prefix}${n}.`));
    return out;
  }

  /** Parameter tensors by name (the tensors themselves, not copies). */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [n, p] of this.namedParameters()) out[n] = p.value;
    return out;
  }

  /** Keys a loaded state dict may hold besides the parameters (e.g. a tied lm_head). */
  protected extraStateKeys(): Record<string, readonly number[]> {
    return {};
  }

  /**
   * Copy values into the parameters (in place: optimizers keep their references). Values of
   * another dtype are cast. strict: missing, unexpected and mis-shaped keys are all errors,
   * listed together.
   */
  loadStateDict(state: Record<string, Tensor>, options: LoadStateDictOptions = {}): void {
    const fn = 'Module.loadStateDict';
    if (state === null || typeof state !== 'object')
      throw new TypeError(
        `${fn}: argument 'state' must be an object of tensors, got ${state === null ? 'null' : typeof state}`,
      );
    const strict = options.strict ?? true;
    const named = new Map(this.namedParameters());
    const extra = this.extraStateKeys();
    const problems: string[] = [];
    for (const [name, p] of named) {
      const t = state[name];
      if (t === undefined) {
        if (strict) problems.push(`missing key '${name}' (expected shape [${p.shape.join(', ')}])`);
        continue;
      }
      if (t.shape.join() !== p.shape.join())
        problems.push(`key '${name}' has shape [${t.shape.join(', ')}], expected [${p.shape.join(', ')}]`);
    }
    for (const [name, t] of Object.entries(state)) {
      if (named.has(name)) continue;
      if (name in extra) {
        if (t.shape.join() !== extra[name].join())
          problems.push(
            `key '${name}' has shape [${t.shape.join(', ')}], expected [${extra[name].join(', ')}]`,
          );
        continue;
      }
      if (strict) problems.push(`unexpected key '${name}'`);
    }
    if (problems.length > 0)
      throw new RangeError(`${fn}: the state dict does not match the model:\n  ${problems.join('\n  ')}`);
    for (const [name, p] of named) {
      const t = state[name];
      if (t === undefined) continue;
      const src = t.dtype === p.value.dtype ? t : cast(t, p.value.dtype);
      const bytes = src.bytesSync();
      const d = p.value.data(fn);
      d.backend.write(d.storage, p.value.offset * (bytes.byteLength / Math.max(p.value.numel, 1)), bytes);
      if (src !== t) src.dispose();
    }
  }

  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Move every parameter to `device` (new tensors: build optimizers after this). */
  to(device: string): this {
    for (const [, p] of this.namedParameters()) this.#replace(p, p.value.to(device));
    return this;
  }

  /** Cast every parameter to `dtype` (new tensors: build optimizers after this). */
  astype(dtype: DType): this {
    for (const [, p] of this.namedParameters())
      this.#replace(p, p.value.dtype === dtype ? p.value : cast(p.value, dtype));
    return this;
  }

  #replace(p: Parameter, value: Tensor): void {
    if (value === p.value) return;
    const old = p.value;
    value.requiresGrad = true;
    p.value = value;
    old.dispose();
  }
}

/** An ordered list of submodules named '0', '1', ... (as torch.nn.ModuleList). */
export class ModuleList<M extends Module> extends Module {
  readonly items: M[];
  constructor(items: M[]) {
    super();
    this.items = items;
    items.forEach((m, i) => {
      this.module(String(i), m);
    });
  }
}

/** A float tensor from host values (the dtype/device of the module being built). */
export function hostTensor(
  values: ArrayLike<number>,
  shape: readonly number[],
  dtype: DType,
  device?: string,
): Tensor {
  return tensor(values, shape, { dtype, device });
}
