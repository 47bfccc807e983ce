export { createNetwork, type NetworkModule } from './network.js';
export { createBatchNorm, BN_EPSILON, BN_MOMENTUM, type BatchNorm } from './batch-norm.js';
export { heNormal, type NormalSource } from './init.js';
