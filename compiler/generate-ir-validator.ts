/**
 * Writes compiler/ir-validator.generated.ts: the IR schema's ajv validator compiled ahead of time
 * (ajv "standalone" code), so `ssl check` and the language server do not spend ~180 ms compiling
 * the schema on every start. Regenerate after changing ir-schema.ts:
 *
 *   npx tsx compiler/generate-ir-validator.ts
 *
 * compiler/ir-schema.test.ts fails when the generated file is stale.
 */
import { writeFileSync } from 'node:fs';
import { generatedValidatorSource } from './ir-validator-source.js';

writeFileSync(new URL('./ir-validator.generated.ts', import.meta.url), generatedValidatorSource());
