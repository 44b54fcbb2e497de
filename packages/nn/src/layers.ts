/** Linear, causal depthwise Conv1d, RMSNorm and Embedding, with PyTorch's default initialisations. */
import * as ag from '@sscan/autograd';
import type { DType, Tensor } from '@sscan/core';
import { hostTensor, Module, type Parameter } from './module';
import { createRng, type Rng } from './random';

export interface LayerOptions {
  dtype?: DType;
  device?: string;
  /** Initialisation randomness (default: a fixed seed, so models reproduce). */
  rng?: Rng;
}

function uniformValues(rng: Rng, n: number, bound: number): Float64Array {
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.uniform(-bound, bound);
  return v;
}

/** y = x·Wᵀ + b with W (out, in); init U(±1/√in) as torch.nn.Linear. */
export class Linear extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LayerOptions & { bias?: boolean } = {},
  ) {
    super();
    const rng = options.rng ?? createRng(1);
    const dtype = options.dtype ?? 'float32';
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = this.param(
      'weight',
      hostTensor(
        uniformValues(rng, outFeatures * inFeatures, bound),
        [outFeatures, inFeatures],
        dtype,
        options.device,
      ),
    );
    this.bias =
      options.bias === false
        ? null
        : this.param(
            'bias',
            hostTensor(uniformValues(rng, outFeatures, bound), [outFeatures], dtype, options.device),
            { noDecay: true },
          );
  }
  forward(x: Tensor): Tensor {
    return ag.linear(x, this.weight.value, this.bias?.value ?? null);
  }
}

/**
 * Depthwise causal conv over (batch, channels, seqlen). The weight is stored (channels, 1, width)
 * as torch.nn.Conv1d(groups=channels) stores it, so checkpoints load unchanged.
 */
export class Conv1d extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  constructor(
    readonly channels: number,
    readonly kernelSize: number,
    options: LayerOptions & { bias?: boolean } = {},
  ) {
    super();
    const rng = options.rng ?? createRng(2);
    const dtype = options.dtype ?? 'float32';
    const bound = 1 / Math.sqrt(kernelSize); // fan_in = (in_channels / groups) · width = width
    this.weight = this.param(
      'weight',
      hostTensor(
        uniformValues(rng, channels * kernelSize, bound),
        [channels, 1, kernelSize],
        dtype,
        options.device,
      ),
    );
    this.bias =
      options.bias === false
        ? null
        : this.param(
            'bias',
            hostTensor(uniformValues(rng, channels, bound), [channels], dtype, options.device),
            { noDecay: true },
          );
  }
  forward(x: Tensor): Tensor {
    const w = ag.reshape(this.weight.value, [this.channels, this.kernelSize]);
    return ag.causalConv1d(x, w, this.bias?.value ?? null);
  }
}

/** RMSNorm over the last axis, weight initialised to ones. */
export class RMSNorm extends Module {
  readonly weight: Parameter;
  constructor(
    readonly dim: number,
    readonly eps = 1e-5,
    options: LayerOptions = {},
  ) {
    super();
    this.weight = this.param(
      'weight',
      hostTensor(new Float64Array(dim).fill(1), [dim], options.dtype ?? 'float32', options.device),
      { noDecay: true },
    );
  }
  forward(x: Tensor): Tensor {
    return ag.rmsNorm(x, this.weight.value, this.eps);
  }
}

/** Token embedding, N(0, std²) init (std 0.02 as Mamba's initializer_range). */
export class Embedding extends Module {
  readonly weight: Parameter;
  constructor(
    readonly numEmbeddings: number,
    readonly dim: number,
    options: LayerOptions & { std?: number } = {},
  ) {
    super();
    const rng = options.rng ?? createRng(3);
    const std = options.std ?? 0.02;
    const v = new Float64Array(numEmbeddings * dim);
    for (let i = 0; i < v.length; i++) v[i] = rng.normal() * std;
    this.weight = this.param(
      'weight',
      hostTensor(v, [numEmbeddings, dim], options.dtype ?? 'float32', options.device),
    );
  }
  /** ids: integer token ids in a float tensor of the weight's dtype. */
  forward(ids: Tensor): Tensor {
    return ag.embedding(this.weight.value, ids);
  }
}
