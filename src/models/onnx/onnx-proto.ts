// onnx-proto is CommonJS whose named exports Node's ESM loader cannot see (tsx scripts):
// its default export works there and in bundlers alike.
import onnxProto from 'onnx-proto';

export import onnx = onnxProto.onnx;
