/**
 * The training loop behind `sscan train`: a MambaLM on Selective Copying, AdamW with warmup +
 * cosine, gradient clipping, held-out evaluation, safetensors checkpoints and resume. The data
 * of step s comes from its own seeded generator, so a resumed run sees the same batches.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as ag from '@sscan/autograd';
import { setCpuStorageCache, type Tensor, tensor, tidy } from '@sscan/core';
import {
  AdamW,
  clipGradNorm,
  createRng,
  loadCheckpoint,
  loadSafetensors,
  MambaLM,
  saveCheckpoint,
  saveSafetensors,
  warmupCosine,
} from '@sscan/nn';
import { countCorrect, IGNORE, makeBatch, type SelectiveCopyingConfig, vocabSize } from './selective_copying';

export interface TrainConfig {
  task: SelectiveCopyingConfig;
  batch: number;
  steps: number;
  dModel: number;
  nLayer: number;
  dState: number;
  lr: number;
  warmup: number;
  weightDecay: number;
  clip: number;
  seed: number;
  evalEvery: number;
  evalBatches: number;
  /** Stop once held-out accuracy reaches this (1 disables). */
  stopAt: number;
  device?: string;
  checkpoint?: string;
  resume?: string;
}

export interface StepReport {
  step: number;
  loss: number;
  accuracy: number;
}

export interface EvalReport {
  step: number;
  loss: number;
  accuracy: number;
  tokens: number;
}

export interface TrainHooks {
  onStep?(r: StepReport): void;
  onEval?(r: EvalReport): void;
  onInfo?(line: string): void;
}

export interface TrainResult {
  steps: number;
  finalEval: EvalReport;
  seconds: number;
  stoppedEarly: boolean;
  parameters: number;
}

/** Step s's batch generator: independent of how many steps ran before (resume-safe). */
function stepRng(seed: number, step: number): () => number {
  return createRng((seed * 2654435761 + step * 40503 + 17) >>> 0).next;
}

function evaluate(model: MambaLM, cfg: TrainConfig, step: number): EvalReport {
  const V = vocabSize(cfg.task);
  // held-out: a generator no training step uses
  const next = createRng((cfg.seed ^ 0x5eed1e55) >>> 0).next;
  let correct = 0;
  let total = 0;
  let lossSum = 0;
  ag.noGrad(() => {
    for (let i = 0; i < cfg.evalBatches; i++) {
      const b = makeBatch(cfg.task, cfg.batch, next);
      tidy(() => {
        const logits = model.forward(tensor(b.ids, [b.batch, b.length], { device: cfg.device }));
        const flat = ag.reshape(logits, [b.batch * b.length, V]);
        const loss = ag.crossEntropy(flat, tensor(b.targets, [b.batch * b.length], { device: cfg.device }), {
          ignoreIndex: IGNORE,
        });
        const c = countCorrect(flat.toArraySync(), b.targets, V);
        correct += c.correct;
        total += c.total;
        lossSum += loss.toArraySync()[0];
      });
    }
  });
  return { step, loss: lossSum / cfg.evalBatches, accuracy: correct / Math.max(1, total), tokens: total };
}

function saveAll(
  dir: string,
  model: MambaLM,
  opt: AdamW,
  cfg: TrainConfig,
  step: number,
  evalAcc: number,
): void {
  const meta = {
    step: String(step),
    seed: String(cfg.seed),
    task: 'selective-copying',
    task_config: JSON.stringify(cfg.task),
    eval_accuracy: String(evalAcc),
  };
  saveCheckpoint(dir, model, meta);
  saveSafetensors(join(dir, 'optimizer.safetensors'), opt.stateTensors(), { step: String(step) });
}

/** Released CPU buffers kept for reuse during training (see core's storage_cache.ts). */
const CPU_CACHE_BYTES = 1 << 30;

export function train(cfg: TrainConfig, hooks: TrainHooks = {}): TrainResult {
  // every step frees and reallocates the same activations: reuse them instead of leaving them to GC
  setCpuStorageCache(CPU_CACHE_BYTES);
  try {
    return trainLoop(cfg, hooks);
  } finally {
    setCpuStorageCache(0);
  }
}

function trainLoop(cfg: TrainConfig, hooks: TrainHooks): TrainResult {
  const V = vocabSize(cfg.task);
  let model: MambaLM;
  let startStep = 0;
  if (cfg.resume) {
    const loaded = loadCheckpoint(cfg.resume, { device: cfg.device });
    model = loaded.model;
    startStep = Number(loaded.metadata.step ?? 0);
    if (model.config.vocabSize !== V)
      throw new Error(
        `train: checkpoint ${cfg.resume} has vocab_size ${model.config.vocabSize}, the task needs ${V} (same --data-vocab as the saved run)`,
      );
    hooks.onInfo?.(`resumed from ${cfg.resume} at step ${startStep}`);
  } else {
    model = new MambaLM({
      vocabSize: V,
      dModel: cfg.dModel,
      nLayer: cfg.nLayer,
      dState: cfg.dState,
      device: cfg.device,
      seed: cfg.seed,
    });
  }
  const params = model.parameters();
  const opt = new AdamW(params, { lr: cfg.lr, weightDecay: cfg.weightDecay, betas: [0.9, 0.95] });
  if (cfg.resume) {
    const optPath = join(cfg.resume, 'optimizer.safetensors');
    if (existsSync(optPath)) {
      const state = loadSafetensors(optPath, { device: cfg.device });
      opt.loadStateTensors(state.tensors, startStep);
      for (const t of Object.values(state.tensors)) t.dispose();
    }
  }
  const parameters = params.reduce((n, p) => n + p.value.numel, 0);
  const t0 = performance.now();
  let last: EvalReport = { step: startStep, loss: Number.NaN, accuracy: 0, tokens: 0 };
  let stoppedEarly = false;
  let step = startStep;
  while (step < cfg.steps) {
    const b = makeBatch(cfg.task, cfg.batch, stepRng(cfg.seed, step));
    const r = tidy(() => {
      const ids = tensor(b.ids, [b.batch, b.length], { device: cfg.device });
      const targets = tensor(b.targets, [b.batch * b.length], { device: cfg.device });
      const logits: Tensor = ag.reshape(model.forward(ids), [b.batch * b.length, V]);
      const loss = ag.crossEntropy(logits, targets, { ignoreIndex: IGNORE });
      ag.backward(loss);
      const c = countCorrect(logits.toArraySync(), b.targets, V);
      return { loss: loss.toArraySync()[0], accuracy: c.correct / Math.max(1, c.total) };
    });
    clipGradNorm(params, cfg.clip);
    opt.step(warmupCosine(step, { maxLr: cfg.lr, warmupSteps: cfg.warmup, totalSteps: cfg.steps }));
    opt.zeroGrad();
    step++;
    hooks.onStep?.({ step, ...r });
    if (!Number.isFinite(r.loss))
      throw new Error(`train: the loss became ${r.loss} at step ${step}; try a lower --lr`);
    if (step % cfg.evalEvery === 0 || step === cfg.steps) {
      last = evaluate(model, cfg, step);
      hooks.onEval?.(last);
      if (cfg.checkpoint) saveAll(cfg.checkpoint, model, opt, cfg, step, last.accuracy);
      if (last.accuracy >= cfg.stopAt) {
        stoppedEarly = step < cfg.steps;
        break;
      }
    }
  }
  if (last.step !== step) {
    last = evaluate(model, cfg, step);
    hooks.onEval?.(last);
    if (cfg.checkpoint) saveAll(cfg.checkpoint, model, opt, cfg, step, last.accuracy);
  }
  return { steps: step, finalEval: last, seconds: (performance.now() - t0) / 1000, stoppedEarly, parameters };
}
