/**
 * Stable diagnostic codes. Tests, editors and users key on these, so never rename one; add new ones.
 * Messages may change freely; codes may not.
 */
export const Codes = {
  // Lexing and parsing
  /** A character no token starts with. */
  unexpectedCharacter: 'unexpected-character',
  /** The token stream does not match the grammar. */
  syntaxError: 'syntax-error',
  /** Parentheses/brackets nested deeper than the parser allows. */
  nestingTooDeep: 'nesting-too-deep',

  // Names
  /** A name that is neither defined in the recipe nor built in. */
  unknownName: 'unknown-name',
  /** A named argument the function does not take. */
  unknownParameter: 'unknown-parameter',
  /** A required argument was not given. */
  missingParameter: 'missing-parameter',
  /** The same argument given twice (by name, or by position and name). */
  duplicateParameter: 'duplicate-parameter',
  /** More positional arguments than the function takes. */
  tooManyArguments: 'too-many-arguments',
  /** Two definitions with the same name. */
  duplicateDefinition: 'duplicate-definition',
  /** A definition whose name is a built-in function or constant. */
  reservedName: 'reserved-name',
  /** `let a = b` / `let b = a`. */
  cyclicDefinition: 'cyclic-definition',
  /** A name used where its value is not known yet (e.g. `batch` inside a data definition). */
  invalidContext: 'invalid-context',

  // Values
  /** A value of the wrong kind (a string where a number is expected, a view applied to a network...). */
  typeMismatch: 'type-mismatch',
  /** A value outside the allowed range (negative batch, p outside [0,1], lo > hi...). */
  valueOutOfRange: 'value-out-of-range',
  /** Division by zero, NaN or Infinity in constant arithmetic. */
  invalidArithmetic: 'invalid-arithmetic',

  // Structure
  /** A required section (recipe, loss, optimizer, train) is absent. */
  missingSection: 'missing-section',
  /** A section that must appear once appears again. */
  duplicateSection: 'duplicate-section',
  /** The loss reads no data source. */
  noTrainingData: 'no-training-data',
  /** The loss reads more than one data source (v1 trains on exactly one). */
  multipleTrainingData: 'multiple-training-data',
  /** Inferred tensor shapes do not fit. */
  shapeMismatch: 'shape-mismatch',
  /** A data/view/network/let definition nothing refers to (warning). */
  unusedDefinition: 'unused-definition',

  // Method sanity
  /** A non-contrastive loss whose two sides both get gradients: nothing stops collapse (warning). */
  collapseRisk: 'collapse-risk',
  /** A teacher following a network the loss does not train. */
  teacherNotTrained: 'teacher-not-trained',
  /** A mask the loss uses that no network input uses: the student sees what it must predict. */
  maskNotApplied: 'mask-not-applied',
  /** A probe on data without labels. */
  probeWithoutLabels: 'probe-without-labels',

  // Data files
  /** A data file or folder a dataset call names does not exist (or cannot be read). */
  dataNotFound: 'data-not-found',
  /** A data file is malformed: truncated, corrupt, ragged, non-numeric, bad labels, wrong image size... */
  dataInvalid: 'data-invalid',
  /** A dataset read from files in a compile that cannot read files (no `inspectData` in the loader). */
  dataUnchecked: 'data-unchecked',
  /** A probe fitted on data with a different number of classes than the data it reports on. */
  dataClassMismatch: 'data-class-mismatch',

  // Reuse
  /** `extends "path"` names a file that cannot be read. */
  baseNotFound: 'base-not-found',
  /** Recipes extend each other in a cycle. */
  extendsCycle: 'extends-cycle',
  /** A `--set path=value` whose path names nothing in the recipe. */
  invalidOverride: 'invalid-override',
  /** A definition in an extending recipe that replaces a base definition of another kind (warning). */
  overrideKindChange: 'override-kind-change',

  // Internal
  /** The produced IR does not match the IR JSON Schema (a compiler bug). */
  invalidIr: 'invalid-ir',
  /** An exception inside the compiler (a compiler bug), reported instead of thrown. */
  internalError: 'internal-error',
} as const;

export type DiagnosticCode = (typeof Codes)[keyof typeof Codes];

export const allCodes: readonly DiagnosticCode[] = Object.values(Codes);
