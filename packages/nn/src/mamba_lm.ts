/**
 * ResidualBlock (pre-norm: x + mixer(norm(x))) and MambaLM (embedding, N residual blocks, final
 * norm, LM head tied to the embedding), named as Hugging Face's MambaForCausalLM:
 * backbone.embeddings.weight, backbone.layers.{i}.norm.weight, backbone.layers.{i}.mixer.*,
 * backbone.norm_f.weight; lm_head.weight is the embedding (accepted on load, not stored twice).
 */
import * as ag from '@sscan/autograd';
import type { DType, Tensor } from '@sscan/core';
import { Embedding, RMSNorm } from './layers';
import { MambaBlock, type MambaBlockConfig } from './mamba_block';
import { Module, ModuleList } from './module';
import { createRng } from './random';

export class ResidualBlock extends Module {
  readonly norm: RMSNorm;
  readonly mixer: MambaBlock;
  constructor(config: MambaBlockConfig & { normEps?: number }) {
    super();
    this.mixer = this.module('mixer', new MambaBlock(config));
    this.norm = this.module(
      'norm',
      new RMSNorm(config.dModel, config.normEps ?? 1e-5, { dtype: config.dtype, device: config.device }),
    );
  }
  forward(x: Tensor): Tensor {
    return ag.add(x, this.mixer.forward(this.norm.forward(x)));
  }
}

export interface MambaLMConfig {
  vocabSize: number;
  dModel: number;
  nLayer: number;
  dState?: number;
  dConv?: number;
  expand?: number;
  dtRank?: number;
  normEps?: number;
  dtype?: DType;
  device?: string;
  seed?: number;
}

class Backbone extends Module {
  readonly embeddings: Embedding;
  readonly layers: ModuleList<ResidualBlock>;
  readonly norm_f: RMSNorm;
  constructor(c: MambaLMConfig) {
    super();
    const seed = c.seed ?? 0;
    this.embeddings = this.module(
      'embeddings',
      new Embedding(c.vocabSize, c.dModel, {
        dtype: c.dtype,
        device: c.device,
        rng: createRng(seed * 7919 + 1),
      }),
    );
    const blocks: ResidualBlock[] = [];
    for (let i = 0; i < c.nLayer; i++) {
      const block = new ResidualBlock({ ...c, seed: seed * 7919 + 100 + i });
      // prenorm residual rescale (GPT-2 style, as mamba_ssm): out_proj / √nLayer keeps the
      // residual stream's variance from growing with depth
      const w = block.mixer.out_proj.weight;
      const scaled = ag.noGrad(() => ag.mul(w.value, 1 / Math.sqrt(c.nLayer)));
      w.value.dispose();
      w.value = scaled;
      scaled.requiresGrad = true;
      blocks.push(block);
    }
    this.layers = this.module('layers', new ModuleList(blocks));
    this.norm_f = this.module(
      'norm_f',
      new RMSNorm(c.dModel, c.normEps ?? 1e-5, { dtype: c.dtype, device: c.device }),
    );
  }
}

export class MambaLM extends Module {
  readonly config: Required<Omit<MambaLMConfig, 'device' | 'dtRank'>> & { dtRank: number; device?: string };
  readonly backbone: Backbone;

  constructor(config: MambaLMConfig) {
    super();
    for (const k of ['vocabSize', 'dModel', 'nLayer'] as const) {
      if (!Number.isInteger(config?.[k]) || config[k] < 1)
        throw new RangeError(
          `MambaLM: argument 'config.${k}' must be a positive integer, got ${String(config?.[k])}`,
        );
    }
    this.config = {
      vocabSize: config.vocabSize,
      dModel: config.dModel,
      nLayer: config.nLayer,
      dState: config.dState ?? 16,
      dConv: config.dConv ?? 4,
      expand: config.expand ?? 2,
      dtRank: config.dtRank ?? Math.ceil(config.dModel / 16),
      normEps: config.normEps ?? 1e-5,
      dtype: config.dtype ?? 'float32',
      device: config.device,
      seed: config.seed ?? 0,
    };
    this.backbone = this.module('backbone', new Backbone(this.config));
  }

  protected override extraStateKeys(): Record<string, readonly number[]> {
    return { 'lm_head.weight': [this.config.vocabSize, this.config.dModel] };
  }

  /** ids (batch, seqlen) as integer ids in a float tensor → logits (batch, seqlen, vocab). */
  forward(ids: Tensor): Tensor {
    let h = this.backbone.embeddings.forward(ids);
    for (const layer of this.backbone.layers.items) h = layer.forward(h);
    h = this.backbone.norm_f.forward(h);
    // tied head: logits = h · Eᵀ
    return ag.linear(h, this.backbone.embeddings.weight.value);
  }
}
