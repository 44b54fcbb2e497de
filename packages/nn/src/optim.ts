/**
 * Optimizers (AdamW, SGD with momentum) over Parameters, gradient clipping by global norm, and
 * the warmup + cosine learning-rate schedule. Updates run in place through the AdamWUpdate kernel,
 * so every backend does them on its own device.
 */
import * as ag from '@sscan/autograd';
import { adamWUpdate, keep, sum, type Tensor, zeros } from '@sscan/core';
import type { Parameter } from './module';

interface Slot {
  p: Parameter;
  m: Tensor;
  v: Tensor | null;
}

abstract class Optimizer {
  protected readonly slots: Slot[];
  stepCount = 0;
  constructor(params: readonly Parameter[], adam: boolean) {
    if (!Array.isArray(params))
      throw new TypeError(
        `${this.constructor.name}: argument 'params' must be an array of Parameters (module.parameters()), got ${typeof params}`,
      );
    const state = (p: Parameter) =>
      zeros(p.value.shape, { dtype: p.value.dtype, device: p.value.deviceName });
    this.slots = params.map((p) => ({ p, m: state(p), v: adam ? state(p) : null }));
  }

  /** Forget every parameter's gradient. */
  zeroGrad(): void {
    for (const { p } of this.slots) {
      p.value.grad?.dispose();
      p.value.grad = null;
    }
  }

  abstract step(lr?: number): void;

  /** Optimizer state as tensors (for checkpoints): m.{i}, v.{i} in parameter order. */
  stateTensors(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    this.slots.forEach((s, i) => {
      out[`m.${i}`] = s.m;
      if (s.v) out[`v.${i}`] = s.v;
    });
    return out;
  }

  loadStateTensors(state: Record<string, Tensor>, step: number): void {
    this.slots.forEach((s, i) => {
      for (const [key, dst] of [
        [`m.${i}`, s.m],
        [`v.${i}`, s.v],
      ] as const) {
        if (!dst) continue;
        const src = state[key];
        if (!src || src.shape.join() !== dst.shape.join())
          throw new RangeError(
            `${this.constructor.name}.loadStateTensors: key '${key}' must have shape [${dst.shape.join(', ')}], got ${src ? `[${src.shape.join(', ')}]` : 'nothing'}`,
          );
        const d = dst.data();
        d.backend.write(
          d.storage,
          0,
          src.dtype === dst.dtype ? src.bytesSync() : src.astype(dst.dtype).bytesSync(),
        );
      }
    });
    this.stepCount = step;
  }
}

export interface AdamWOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  /** Decoupled decay, applied only to parameters without noDecay. Default 0.01. */
  weightDecay?: number;
}

export class AdamW extends Optimizer {
  lr: number;
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  constructor(params: readonly Parameter[], options: AdamWOptions = {}) {
    super(params, true);
    this.lr = options.lr ?? 1e-3;
    this.betas = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.01;
  }
  step(lr = this.lr): void {
    this.stepCount++;
    for (const s of this.slots) {
      const g = s.p.value.grad;
      if (!g) continue;
      adamWUpdate(s.p.value, g, s.m, s.v, {
        lr,
        beta1: this.betas[0],
        beta2: this.betas[1],
        eps: this.eps,
        weightDecay: s.p.noDecay ? 0 : this.weightDecay,
        step: this.stepCount,
      });
    }
  }
}

export interface SGDOptions {
  lr?: number;
  momentum?: number;
  weightDecay?: number;
}

export class SGD extends Optimizer {
  lr: number;
  readonly momentum: number;
  readonly weightDecay: number;
  constructor(params: readonly Parameter[], options: SGDOptions = {}) {
    super(params, false);
    this.lr = options.lr ?? 1e-2;
    this.momentum = options.momentum ?? 0;
    this.weightDecay = options.weightDecay ?? 0;
  }
  step(lr = this.lr): void {
    this.stepCount++;
    for (const s of this.slots) {
      const g = s.p.value.grad;
      if (!g) continue;
      adamWUpdate(s.p.value, g, s.m, null, {
        lr,
        beta1: this.momentum,
        beta2: 0,
        eps: 0,
        weightDecay: s.p.noDecay ? 0 : this.weightDecay,
        step: this.stepCount,
        sgd: true,
      });
    }
  }
}

/** Scale all gradients so their global L2 norm is at most maxNorm; returns the norm before. */
export function clipGradNorm(params: readonly Parameter[], maxNorm: number): number {
  if (!(maxNorm > 0))
    throw new RangeError(`clipGradNorm: argument 'maxNorm' must be a positive number, got ${maxNorm}`);
  let total = 0;
  for (const p of params) {
    const g = p.value.grad;
    if (!g) continue;
    const sq = ag.noGrad(() => ag.mul(g, g));
    const s = sum(sq);
    total += s.toArraySync()[0];
    sq.dispose();
    s.dispose();
  }
  const norm = Math.sqrt(total);
  if (norm > maxNorm) {
    const scale = maxNorm / (norm + 1e-6);
    for (const p of params) {
      const g = p.value.grad;
      if (!g) continue;
      p.value.grad = keep(ag.noGrad(() => ag.mul(g, scale)));
      g.dispose();
    }
  }
  return norm;
}

export interface ScheduleOptions {
  maxLr: number;
  /** Linear warmup steps from ~0 to maxLr. */
  warmupSteps: number;
  totalSteps: number;
  /** Floor of the cosine. Default maxLr / 10. */
  minLr?: number;
}

/** Learning rate at `step` (0-based): linear warmup, then cosine decay to minLr at totalSteps. */
export function warmupCosine(step: number, o: ScheduleOptions): number {
  const minLr = o.minLr ?? o.maxLr / 10;
  if (step < o.warmupSteps) return (o.maxLr * (step + 1)) / o.warmupSteps;
  const span = Math.max(1, o.totalSteps - o.warmupSteps);
  const t = Math.min(1, (step - o.warmupSteps) / span);
  return minLr + 0.5 * (o.maxLr - minLr) * (1 + Math.cos(Math.PI * t));
}
