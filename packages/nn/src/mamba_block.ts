/**
 * The Mamba-1 mixer (Gu & Dao 2023, §3.4), with the original defaults and Hugging Face's
 * parameter names: in_proj, conv1d, x_proj, dt_proj, out_proj, A_log, D.
 *
 *   (x, z) = in_proj(h)                 h (batch, seqlen, dModel); x, z (…, dInner)
 *   x      = silu(causal depthwise conv(x))
 *   (dt, B, C) = x_proj(x);  dt = dt_proj.weight · dt   (dt_proj.bias goes in as deltaBias)
 *   y      = selectiveScan(x, dt, −exp(A_log), B, C, D, z, deltaBias, softplus)
 *   out    = out_proj(y)
 */
import * as ag from '@sscan/autograd';
import type { DType, Tensor } from '@sscan/core';
import { Conv1d, type LayerOptions, Linear } from './layers';
import { hostTensor, Module, type Parameter } from './module';
import { createRng } from './random';

export interface MambaBlockConfig {
  dModel: number;
  /** N, the state size. Default 16. */
  dState?: number;
  /** Conv width. Default 4. */
  dConv?: number;
  /** dInner = expand · dModel. Default 2. */
  expand?: number;
  /** Default ceil(dModel / 16). */
  dtRank?: number;
  dtMin?: number;
  dtMax?: number;
  dtFloor?: number;
  dtScale?: number;
  convBias?: boolean;
  bias?: boolean;
  dtype?: DType;
  device?: string;
  /** Initialisation seed. Default 0. */
  seed?: number;
}

export class MambaBlock extends Module {
  readonly dModel: number;
  readonly dState: number;
  readonly dConv: number;
  readonly dInner: number;
  readonly dtRank: number;
  readonly in_proj: Linear;
  readonly conv1d: Conv1d;
  readonly x_proj: Linear;
  readonly dt_proj: Linear;
  readonly out_proj: Linear;
  readonly A_log: Parameter;
  readonly D: Parameter;

  constructor(config: MambaBlockConfig) {
    super();
    if (config === null || typeof config !== 'object')
      throw new TypeError(
        `MambaBlock: argument 'config' must be an object like { dModel: 64 }, got ${config === null ? 'null' : typeof config}`,
      );
    const { dModel } = config;
    if (!Number.isInteger(dModel) || dModel < 1)
      throw new RangeError(
        `MambaBlock: argument 'config.dModel' must be a positive integer, got ${String(dModel)}`,
      );
    this.dModel = dModel;
    this.dState = config.dState ?? 16;
    this.dConv = config.dConv ?? 4;
    this.dInner = (config.expand ?? 2) * dModel;
    this.dtRank = config.dtRank ?? Math.ceil(dModel / 16);
    for (const [k, v] of [
      ['dState', this.dState],
      ['dConv', this.dConv],
      ['dInner', this.dInner],
      ['dtRank', this.dtRank],
    ] as const) {
      if (!Number.isInteger(v) || v < 1)
        throw new RangeError(`MambaBlock: argument 'config.${k}' must be a positive integer, got ${v}`);
    }
    const rng = createRng(config.seed ?? 0);
    const o: LayerOptions = { dtype: config.dtype ?? 'float32', device: config.device, rng };
    const dtype = o.dtype!;
    const bias = config.bias ?? false;
    this.in_proj = this.module('in_proj', new Linear(dModel, 2 * this.dInner, { ...o, bias }));
    this.conv1d = this.module(
      'conv1d',
      new Conv1d(this.dInner, this.dConv, { ...o, bias: config.convBias ?? true }),
    );
    this.x_proj = this.module(
      'x_proj',
      new Linear(this.dInner, this.dtRank + 2 * this.dState, { ...o, bias: false }),
    );
    this.dt_proj = this.module('dt_proj', new Linear(this.dtRank, this.dInner, { ...o, bias: true }));
    this.out_proj = this.module('out_proj', new Linear(this.dInner, dModel, { ...o, bias }));

    // dt_proj.weight ~ U(±dtRank^-0.5 · dtScale): keeps the initial dt spread set by the bias
    const std = this.dtRank ** -0.5 * (config.dtScale ?? 1);
    const w = new Float64Array(this.dInner * this.dtRank);
    for (let i = 0; i < w.length; i++) w[i] = rng.uniform(-std, std);
    this.dt_proj.weight.value.dispose();
    this.dt_proj.weight.value = hostTensor(w, [this.dInner, this.dtRank], dtype, config.device);
    this.dt_proj.weight.value.requiresGrad = true;
    // dt_proj.bias = softplus⁻¹(dt) with dt log-uniform in [dtMin, dtMax], floored: softplus(bias)
    // then starts each channel at its own time scale
    const [lo, hi, floor] = [config.dtMin ?? 1e-3, config.dtMax ?? 0.1, config.dtFloor ?? 1e-4];
    const b = new Float64Array(this.dInner);
    for (let i = 0; i < b.length; i++) {
      const dt = Math.max(Math.exp(rng.uniform(Math.log(lo), Math.log(hi))), floor);
      b[i] = dt + Math.log(-Math.expm1(-dt)); // inverse of softplus: log(e^dt − 1)
    }
    this.dt_proj.bias!.value.dispose();
    this.dt_proj.bias!.value = hostTensor(b, [this.dInner], dtype, config.device);
    this.dt_proj.bias!.value.requiresGrad = true;

    // A = −exp(A_log) with A_log = log(1..N) per channel (S4D-real); D = 1 (skip connection)
    const aLog = new Float64Array(this.dInner * this.dState);
    for (let i = 0; i < aLog.length; i++) aLog[i] = Math.log((i % this.dState) + 1);
    this.A_log = this.param('A_log', hostTensor(aLog, [this.dInner, this.dState], dtype, config.device), {
      noDecay: true,
    });
    this.D = this.param(
      'D',
      hostTensor(new Float64Array(this.dInner).fill(1), [this.dInner], dtype, config.device),
      { noDecay: true },
    );
  }

  /** h (batch, seqlen, dModel) → (batch, seqlen, dModel). */
  forward(h: Tensor): Tensor {
    if (h.rank !== 3 || h.shape[2] !== this.dModel) {
      throw new RangeError(
        `MambaBlock.forward: argument 'h' must have shape (batch, seqlen, dModel=${this.dModel}), got [${h.shape.join(', ')}]`,
      );
    }
    const [batch, seqlen] = h.shape;
    const { dInner, dState, dtRank } = this;
    const xz = this.in_proj.forward(h);
    const [xRaw, zRaw] = ag.split(xz, [dInner, dInner], -1);
    // the scan and the conv run over (batch, channels, seqlen)
    const x = ag.silu(this.conv1d.forward(ag.permute(xRaw, [0, 2, 1])));
    const z = ag.permute(zRaw, [0, 2, 1]);
    const xDbl = this.x_proj.forward(ag.permute(x, [0, 2, 1]));
    const [dtLow, Bl, Cl] = ag.split(xDbl, [dtRank, dState, dState], -1);
    const dt = ag.permute(ag.linear(dtLow, this.dt_proj.weight.value), [0, 2, 1]);
    // variable B/C with one group: (batch, 1, dState, seqlen)
    const B = ag.reshape(ag.permute(Bl, [0, 2, 1]), [batch, 1, dState, seqlen]);
    const C = ag.reshape(ag.permute(Cl, [0, 2, 1]), [batch, 1, dState, seqlen]);
    const A = ag.neg(ag.exp(this.A_log.value));
    const y = ag.selectiveScan(x, dt, A, B, C, {
      D: this.D.value,
      z,
      deltaBias: this.dt_proj.bias!.value,
      deltaSoftplus: true,
    });
    return this.out_proj.forward(ag.permute(y, [0, 2, 1]));
  }
}
