export { createNetwork, type ApplyOptions, type CreateNetworkOptions, type NetworkModule } from './network.js';
export { createBatchNorm, BN_EPSILON, BN_MOMENTUM, type BatchNorm } from './batch-norm.js';
export { createLayerNorm, LN_EPSILON, type LayerNorm } from './layer-norm.js';
export { heNormal, type NormalSource } from './init.js';
export { activate, gelu } from './activation.js';
export { expandMask, maskInput, maskGeometry, type MaskGeometry } from './mask-input.js';
export { instanceNorm, layerTarget } from './layer-target.js';
export { patchify } from './transformer.js';
export { copyWeights, emaUpdate } from './teacher.js';
