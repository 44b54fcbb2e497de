/**
 * A checkpoint directory in Hugging Face's layout: model.safetensors (MambaForCausalLM names)
 * and config.json (MambaConfig field names), so such a directory loads here and ours loads there.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MambaLM, type MambaLMConfig } from './mamba_lm';
import { loadSafetensors, saveSafetensors } from './safetensors';

/** config.json as MambaConfig writes it (the fields we read or write). */
export interface HFMambaConfig {
  model_type: 'mamba';
  architectures: string[];
  vocab_size: number;
  hidden_size: number;
  state_size: number;
  num_hidden_layers: number;
  expand: number;
  conv_kernel: number;
  time_step_rank: number;
  layer_norm_epsilon: number;
  use_bias: boolean;
  use_conv_bias: boolean;
  hidden_act: 'silu';
  tie_word_embeddings: boolean;
  [key: string]: unknown;
}

export function toHFConfig(c: MambaLM['config']): HFMambaConfig {
  return {
    model_type: 'mamba',
    architectures: ['MambaForCausalLM'],
    vocab_size: c.vocabSize,
    hidden_size: c.dModel,
    state_size: c.dState,
    num_hidden_layers: c.nLayer,
    expand: c.expand,
    conv_kernel: c.dConv,
    time_step_rank: c.dtRank,
    layer_norm_epsilon: c.normEps,
    use_bias: false,
    use_conv_bias: true,
    hidden_act: 'silu',
    tie_word_embeddings: true,
    residual_in_fp32: true,
    torch_dtype: c.dtype,
  };
}

export function fromHFConfig(j: unknown, source = 'config.json'): MambaLMConfig {
  const o = j as Record<string, unknown>;
  const need = (k: string): number => {
    const v = o?.[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
      throw new RangeError(`${source}: field '${k}' must be a positive integer, got ${JSON.stringify(v)}`);
    return v;
  };
  if (o?.model_type !== undefined && o.model_type !== 'mamba')
    throw new RangeError(
      `${source}: field 'model_type' must be 'mamba', got ${JSON.stringify(o.model_type)}`,
    );
  const rank = o.time_step_rank;
  return {
    vocabSize: need('vocab_size'),
    dModel: need('hidden_size'),
    nLayer: need('num_hidden_layers'),
    dState: o.state_size === undefined ? 16 : need('state_size'),
    expand: o.expand === undefined ? 2 : need('expand'),
    dConv: o.conv_kernel === undefined ? 4 : need('conv_kernel'),
    dtRank: rank === undefined || rank === 'auto' ? undefined : need('time_step_rank'),
    normEps: typeof o.layer_norm_epsilon === 'number' ? o.layer_norm_epsilon : 1e-5,
  };
}

/** Write model.safetensors + config.json (+ extra tensors/metadata, e.g. optimizer state) to dir. */
export function saveCheckpoint(dir: string, model: MambaLM, metadata: Record<string, string> = {}): void {
  mkdirSync(dir, { recursive: true });
  saveSafetensors(join(dir, 'model.safetensors'), model.stateDict(), { format: 'pt', ...metadata });
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(toHFConfig(model.config), null, 2)}\n`);
}

/** Build a MambaLM from dir/config.json and load dir/model.safetensors into it (strict). */
export function loadCheckpoint(
  dir: string,
  options: { device?: string; dtype?: MambaLMConfig['dtype'] } = {},
): { model: MambaLM; metadata: Record<string, string> } {
  const configPath = join(dir, 'config.json');
  if (!existsSync(configPath))
    throw new Error(
      `loadCheckpoint: ${configPath} does not exist (a checkpoint directory holds config.json and model.safetensors)`,
    );
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(configPath, 'utf8'));
  } catch (err) {
    throw new Error(
      `loadCheckpoint: ${configPath} is not valid JSON (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  const model = new MambaLM({
    ...fromHFConfig(json, configPath),
    device: options.device,
    dtype: options.dtype,
  });
  const file = loadSafetensors(join(dir, 'model.safetensors'), { device: options.device });
  model.loadStateDict(file.tensors);
  for (const t of Object.values(file.tensors)) t.dispose();
  return { model, metadata: file.metadata };
}
