export { type FlagSpec, type FlagSpecs, type FlagValues, parseFlags } from './args';
export { type Command, type CommandSpec, defineCommand } from './command';
export { COMMANDS } from './commands/index';
export { badFlag, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from './errors';
export { type CapturedIo, captureIo, type Io, processIo } from './io';
export { main } from './main';
export { Progress } from './progress';
export {
  MAMBA_LAYER_FEATURES,
  randomInputs,
  type ScanFeatures,
  type ScanInputs,
  scanBackward,
  scanForward,
} from './scan_inputs';
export {
  type BenchCase,
  CPU_BENCH_CASES,
  CPU_FORWARD_TARGET,
  DEFAULT_CHECK_SHAPE,
  defaultBenchCases,
  GPU_BENCH_CASES,
  parseShapeFlag,
  SCAN_DTYPES,
  type ScanDType,
  type ScanShape,
  TINY_SHAPE,
} from './shapes';
export { compare, OUT_TOLERANCE, type Tolerance, toleranceFor } from './tolerance';
