/**
 * `sscan train --task selective-copying`: train a MambaLM on the Selective Copying task on one
 * backend, with a progress line (step, loss, accuracy, steps/s, ETA), held-out evaluation,
 * safetensors checkpoints (--checkpoint) and resume (--resume).
 */
import { getBackend } from '@sscan/core';
import { parseChoiceFlag, parseIntFlag } from '../args';
import { parseDeviceFlag } from '../backends';
import { defineCommand } from '../command';
import { badFlag, EXIT_FAILURE, EXIT_OK } from '../errors';
import { Progress } from '../progress';
import { type TrainConfig, train } from '../trainer';

/**
 * The defaults are sized for a 2-core CPU. Chosen from a sweep (2 CPU threads per run, 1500-step
 * budget): region 16 with 4 data tokens, d_model 32, batch 64 reached 95% held-out accuracy after
 * 275–400 steps for seeds 1–5 (seed 1: 375 steps, 99.4% at 475), at ~0.37 CPU-seconds per step;
 * seed 6 sat on a plateau for ~800 steps and ended at 93.7%. Region 32 (batch 32) needed 550–1100
 * steps. The paper's setting is --seqlen 4096 --tokens 16 --data-vocab 16 --d-model 64 (a GPU job).
 */
export const TRAIN_DEFAULTS = {
  seqlen: 16,
  tokens: 4,
  dataVocab: 8,
  batch: 64,
  steps: 1500,
  dModel: 32,
  layers: 2,
  dState: 16,
  lr: 5e-3,
  warmup: 20,
  weightDecay: 0.1,
  clip: 1,
  seed: 1,
  evalEvery: 25,
  evalBatches: 4,
  stopAt: 0.99,
} as const;

function parseFloatFlag(flag: string, value: string, lo: number, hi: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < lo || n > hi)
    throw badFlag(flag, `a number in [${lo}, ${hi}]`, `'${value}'`);
  return n;
}

/**
 * --preset paper: the Selective Copying setting of the Mamba paper (§4.1.1, Table 1): region
 * 4096, 16 data tokens of 16, a 2-layer model of width 64. A GPU job; other flags still apply
 * and override the preset.
 */
export const TRAIN_PRESETS = {
  paper: { seqlen: 4096, tokens: 16, dataVocab: 16, dModel: 64, layers: 2 },
} as const;

const D = TRAIN_DEFAULTS;

export const trainCommand = defineCommand({
  name: 'train',
  summary: 'Train a MambaLM on the Selective Copying task (progress, eval, checkpoints).',
  description: [
    'Selective Copying (Mamba paper, §4.1.1): data tokens sit at random positions among noise',
    'tokens; after the region, one marker per data token asks for the data tokens in order.',
    'Sequences are generated on the fly from --seed; held-out sequences come from a generator',
    'no training step uses. Accuracy is over the copied tokens. Training stops early once the',
    'held-out accuracy reaches --stop-at.',
  ].join('\n'),
  flags: {
    task: { type: 'string', value: 'name', description: 'The task: selective-copying (default).' },
    preset: {
      type: 'string',
      value: 'name',
      description:
        "paper: the Mamba paper's setting (--seqlen 4096 --tokens 16 --data-vocab 16 --d-model 64 --layers 2).",
    },
    device: {
      type: 'string',
      value: 'device',
      description: 'cpu, cuda, cuda:<i>, rocm (default: the default backend).',
    },
    steps: { type: 'string', value: 'n', description: `Optimizer steps (default ${D.steps}).` },
    batch: { type: 'string', value: 'n', description: `Sequences per step (default ${D.batch}).` },
    seqlen: {
      type: 'string',
      value: 'n',
      description: `Region length before the markers (default ${D.seqlen}).`,
    },
    tokens: { type: 'string', value: 'n', description: `Data tokens to copy (default ${D.tokens}).` },
    'data-vocab': {
      type: 'string',
      value: 'n',
      description: `Distinct data tokens (default ${D.dataVocab}).`,
    },
    'd-model': { type: 'string', value: 'n', description: `Model width (default ${D.dModel}).` },
    layers: { type: 'string', value: 'n', description: `Residual Mamba blocks (default ${D.layers}).` },
    'd-state': { type: 'string', value: 'n', description: `State size N (default ${D.dState}).` },
    lr: { type: 'string', value: 'x', description: `Peak learning rate, AdamW (default ${D.lr}).` },
    warmup: {
      type: 'string',
      value: 'n',
      description: `Linear warmup steps before the cosine (default ${D.warmup}).`,
    },
    seed: {
      type: 'string',
      value: 'n',
      description: `Seed of the initialisation and the data (default ${D.seed}).`,
    },
    'eval-every': {
      type: 'string',
      value: 'n',
      description: `Evaluate (and checkpoint) every n steps (default ${D.evalEvery}).`,
    },
    'eval-batches': {
      type: 'string',
      value: 'n',
      description: `Held-out batches per evaluation (default ${D.evalBatches}).`,
    },
    'stop-at': {
      type: 'string',
      value: 'acc',
      description: `Stop once held-out accuracy reaches this; 1 runs every step (default ${D.stopAt}).`,
    },
    checkpoint: {
      type: 'string',
      value: 'dir',
      description: 'Save model.safetensors, config.json and optimizer.safetensors here at each evaluation.',
    },
    resume: {
      type: 'string',
      value: 'dir',
      description: 'Continue from a checkpoint directory written by --checkpoint.',
    },
  },
  examples: [
    'sscan train --task selective-copying',
    'sscan train --task selective-copying --checkpoint runs/copy',
    'sscan train --task selective-copying --resume runs/copy --checkpoint runs/copy --steps 3000',
    'sscan train --device cuda --preset paper',
    'sscan train --device cuda --seqlen 4096 --tokens 16 --data-vocab 16 --d-model 64 --layers 2',
  ],
  async run(f, io) {
    parseChoiceFlag('--task', f.task ?? 'selective-copying', ['selective-copying'] as const);
    const preset =
      f.preset === undefined
        ? null
        : TRAIN_PRESETS[parseChoiceFlag('--preset', f.preset, ['paper'] as const)];
    const int = (flag: string, v: string | undefined, def: number, min: number) =>
      v === undefined ? def : parseIntFlag(flag, v, min);
    const device = f.device === undefined ? undefined : parseDeviceFlag('--device', f.device).name;
    const cfg: TrainConfig = {
      task: {
        seqlen: int('--seqlen', f.seqlen, preset?.seqlen ?? D.seqlen, 1),
        tokens: int('--tokens', f.tokens, preset?.tokens ?? D.tokens, 1),
        dataVocab: int('--data-vocab', f['data-vocab'], preset?.dataVocab ?? D.dataVocab, 1),
      },
      batch: int('--batch', f.batch, D.batch, 1),
      steps: int('--steps', f.steps, D.steps, 1),
      dModel: int('--d-model', f['d-model'], preset?.dModel ?? D.dModel, 1),
      nLayer: int('--layers', f.layers, preset?.layers ?? D.layers, 1),
      dState: int('--d-state', f['d-state'], D.dState, 1),
      lr: f.lr === undefined ? D.lr : parseFloatFlag('--lr', f.lr, 0, 1),
      warmup: int('--warmup', f.warmup, D.warmup, 0),
      weightDecay: D.weightDecay,
      clip: D.clip,
      seed: int('--seed', f.seed, D.seed, 0),
      evalEvery: int('--eval-every', f['eval-every'], D.evalEvery, 1),
      evalBatches: int('--eval-batches', f['eval-batches'], D.evalBatches, 1),
      stopAt: f['stop-at'] === undefined ? D.stopAt : parseFloatFlag('--stop-at', f['stop-at'], 0, 1),
      device,
      checkpoint: f.checkpoint,
      resume: f.resume,
    };
    if (cfg.task.tokens > cfg.task.seqlen)
      throw badFlag('--tokens', `at most --seqlen (${cfg.task.seqlen}) data tokens`, `'${cfg.task.tokens}'`);
    const { seqlen, tokens, dataVocab } = cfg.task;
    io.out(
      `sscan train: selective copying (region ${seqlen}, ${tokens} data tokens of ${dataVocab}), MambaLM ${cfg.nLayer}×d${cfg.dModel} N${cfg.dState} on ${device ?? getBackend()}, batch ${cfg.batch}, up to ${cfg.steps} steps, seed ${cfg.seed}`,
    );
    const progress = new Progress(io, 'train', cfg.steps);
    const t0 = performance.now();
    let first: number | null = null;
    let evalNote = '';
    try {
      const result = train(cfg, {
        onInfo: (line) => io.out(line),
        onStep: (s) => {
          first ??= s.step - 1;
          const done = s.step - first;
          const secs = (performance.now() - t0) / 1000;
          const rate = done / secs;
          const eta = (cfg.steps - s.step) / rate;
          progress.tick(
            1,
            `step ${s.step} loss ${s.loss.toFixed(4)} acc ${(100 * s.accuracy).toFixed(1)}% ${rate.toFixed(2)} steps/s ETA ${formatSeconds(eta)} (to step ${cfg.steps}; --stop-at may end it sooner)${evalNote}`,
          );
        },
        onEval: (e) => {
          evalNote = ` | eval ${(100 * e.accuracy).toFixed(1)}%`;
          progress.finish();
          io.out(
            `step ${e.step}: held-out loss ${e.loss.toFixed(4)}, accuracy ${(100 * e.accuracy).toFixed(2)}% (${e.tokens} tokens), ${formatSeconds((performance.now() - t0) / 1000)}`,
          );
        },
      });
      progress.finish();
      const acc = result.finalEval.accuracy;
      io.out(
        `done: ${result.steps} steps in ${formatSeconds(result.seconds)} (${(result.steps - (first ?? 0)) / result.seconds > 0 ? ((result.steps - (first ?? 0)) / result.seconds).toFixed(2) : '0'} steps/s), ${result.parameters} parameters, held-out accuracy ${(100 * acc).toFixed(2)}%${result.stoppedEarly ? ` (stopped at --stop-at ${cfg.stopAt})` : ''}`,
      );
      if (cfg.checkpoint)
        io.out(`checkpoint: ${cfg.checkpoint} (model.safetensors, config.json, optimizer.safetensors)`);
      return EXIT_OK;
    } catch (err) {
      progress.finish();
      io.err(`sscan train: ${err instanceof Error ? err.message : String(err)}`);
      if (process.env.SSCAN_DEBUG && err instanceof Error && err.stack) io.err(err.stack);
      return EXIT_FAILURE;
    }
  },
});

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  const sec = Math.round(s - 60 * m);
  return m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}
