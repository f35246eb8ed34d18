/**
 * Step-wise On-policy Distillation, the one implementation (described in docs/algorithm.md).
 * Pure functions on plain and typed arrays; the UI, the CLI and training all call these.
 */
export { SodInputError, type Numbers } from './validate';
export { stepSpans, stepIndexOfTokens, type StepSpan } from './steps';
export {
  weighSteps,
  stepDivergences,
  runningProducts,
  capRunningProducts,
  stepWeights,
  tokenWeightsFromSteps,
  distillationAdvantages,
  checkStepSettings,
  checkTokenScores,
  defaultStepSettings,
  type TokenScores,
  type StepSettings,
  type StepWeighting,
  type WeightingMethod,
} from './weights';
export { outcomeReward } from './reward';
export { grpoAdvantages, groupStatistics, grpoEpsilon, type GroupKey } from './grpo';
export { tokenAdvantages, methods, usesReward, usesTeacher, type Method, type AdvantageInputs } from './advantages';
export {
  ppoLoss,
  maskedCrossEntropy,
  defaultPpoSettings,
  type PpoInputs,
  type PpoResult,
  type PpoSettings,
  type CrossEntropyResult,
} from './loss';
export { batchStepMetrics, type BatchStepMetrics, type StepIndexMeans } from './metrics';
export { batchAdvantages, weighTrajectory, type BatchTrajectory, type BatchAdvantages } from './batch';
export {
  parseRecordLine,
  numberArrayField,
  numberField,
  groupField,
  tokenScoresFromRecord,
  type TrajectoryRecord,
} from './record';
