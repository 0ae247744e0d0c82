/**
 * A disaggregated GPU pool's figures, read back from its result `details` (written by
 * providers/gpu/disaggregated-pool.ts) for the text summary and the HTML report. Undefined for
 * any other provider (its details have no `kvTransferMsP50`).
 */
export interface DisaggregationFigures {
  prefillReplicas: number;
  decodeReplicas: number;
  disaggregated: number;
  colocated: number;
  kvTransferMsP50: number;
  kvTransferMsP99: number;
  kvTransferMsMax: number;
  kvWaitMsMean: number;
  kvWaitMsP99: number;
  prefillUtilization: number;
  decodeUtilization: number;
  decodeStepMsPure: number;
  decodeStepMsWithPrefill: number;
  decodeStepsWithPrefillShare: number;
}

const KEYS: readonly (keyof DisaggregationFigures)[] = [
  'prefillReplicas',
  'decodeReplicas',
  'disaggregated',
  'colocated',
  'kvTransferMsP50',
  'kvTransferMsP99',
  'kvTransferMsMax',
  'kvWaitMsMean',
  'kvWaitMsP99',
  'prefillUtilization',
  'decodeUtilization',
  'decodeStepMsPure',
  'decodeStepMsWithPrefill',
  'decodeStepsWithPrefillShare',
];

export function disaggregationFigures(
  details: Record<string, number | string> | undefined,
): DisaggregationFigures | undefined {
  if (!details || typeof details['kvTransferMsP50'] !== 'number') return undefined;
  const out: Partial<Record<keyof DisaggregationFigures, number>> = {};
  for (const k of KEYS) {
    const v = details[k];
    out[k] = typeof v === 'number' ? v : 0;
  }
  return out as DisaggregationFigures;
}
