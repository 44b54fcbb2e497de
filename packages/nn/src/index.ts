export { fromHFConfig, type HFMambaConfig, loadCheckpoint, saveCheckpoint, toHFConfig } from './checkpoint';
export { Conv1d, Embedding, type LayerOptions, Linear, RMSNorm } from './layers';
export { MambaBlock, type MambaBlockConfig } from './mamba_block';
export { MambaLM, type MambaLMConfig, ResidualBlock } from './mamba_lm';
export { type LoadStateDictOptions, Module, ModuleList, Parameter, type ParameterOptions } from './module';
export {
  AdamW,
  type AdamWOptions,
  clipGradNorm,
  type ScheduleOptions,
  SGD,
  type SGDOptions,
  warmupCosine,
} from './optim';
export { createRng, type Rng } from './random';
export {
  loadSafetensors,
  parseSafetensors,
  SafetensorsError,
  type SafetensorsFile,
  saveSafetensors,
  serializeSafetensors,
} from './safetensors';
