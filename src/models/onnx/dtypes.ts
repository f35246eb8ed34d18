/** How an exported graph stores its weights: the transformers.js dtypes we write. */
export type ExportDtype = 'fp32' | 'fp16' | 'q4';
export const exportDtypes: readonly ExportDtype[] = ['fp32', 'fp16', 'q4'];

/** The file transformers.js requests for each dtype (its suffixes '', '_fp16', '_q4' on `model`). */
export const onnxFileNames: Record<ExportDtype, string> = {
  fp32: 'model.onnx',
  fp16: 'model_fp16.onnx',
  q4: 'model_q4.onnx',
};
