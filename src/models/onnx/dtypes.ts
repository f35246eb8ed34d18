/** How an exported graph stores its weights: the transformers.js dtypes we write. */
export type OnnxDtype = 'fp32' | 'fp16' | 'q4';
export const onnxDtypes: readonly OnnxDtype[] = ['fp32', 'fp16', 'q4'];

/** The file transformers.js requests for each dtype (its suffixes '', '_fp16', '_q4' on `model`). */
export const onnxFileNames: Record<OnnxDtype, string> = {
  fp32: 'model.onnx',
  fp16: 'model_fp16.onnx',
  q4: 'model_q4.onnx',
};
