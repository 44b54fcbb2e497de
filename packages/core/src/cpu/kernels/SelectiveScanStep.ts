import type { SelectiveScanStepArgs } from '../../kernel_names';

export function selectiveScanStepCpu(_args: SelectiveScanStepArgs): void {
  throw new Error('selectiveScanStep: the CPU kernel is not written yet');
}
