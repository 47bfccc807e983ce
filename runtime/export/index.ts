/** Exporting trained encoders (TF.js graph / layers models) and writing embeddings. */
export { ExportError, resolveEncoder, type EncoderRef } from './encoder.js';
export { exportEncoder, MODEL_FILE, WEIGHTS_FILE, README_FILE, type ExportFormat, type ExportMetadata, type ExportResult } from './export.js';
export { writeEmbeddings, labelsPath, type EmbedFormat, type EmbedResult } from './embed.js';
export { loadTrainedGraph } from './weights.js';
export { savedStep } from './run-info.js';
export { parseNpyHeader, NpyWriter } from './npy.js';
