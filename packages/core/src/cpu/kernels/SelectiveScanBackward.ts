import type { SelectiveScanBackwardArgs } from '../../kernel_names';

export function selectiveScanBackwardCpu(_args: SelectiveScanBackwardArgs): void {
  throw new Error('selectiveScanBackward: the CPU kernel is not written yet');
}
