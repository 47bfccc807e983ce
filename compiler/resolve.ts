/**
 * Resolve: the recipe's names and sections. Collects `data`/`view`/`network`/`let` definitions into
 * one namespace (duplicates and names that shadow builtins are errors), finds the exactly-once
 * sections (recipe, loss, optimizer, train; schedule at most once), and counts references so unused
 * definitions warn. Unknown names are reported during validation, which knows what kind of name a
 * position expects (an optimizer, an augmentation, ...) and so can suggest the right ones.
 */
import type * as A from './ast.js';
import { builtins, constants, isCallableBuiltin, paramForArgument } from './builtins.js';
import { Codes } from './codes.js';
import type { Diagnostic } from './diagnostics.js';
import type { Span } from './ir.js';

export interface Sections {
  recipe?: A.RecipeStatement;
  loss?: A.LossStatement;
  optimizer?: A.CallStatement;
  schedule?: A.CallStatement;
  train?: A.TrainStatement;
  probes: A.CallStatement[];
}

export interface Resolved {
  program: A.Program;
  /** Every definition by name (the first one when a name is defined twice). */
  definitions: Map<string, A.Definition>;
  sections: Sections;
  /** How many times each defined name is referred to (outside its own definition). */
  references: Map<string, number>;
  /** A zero-width span at the start of the file, for whole-file diagnostics. */
  fileStart: Span;
}

function fileStartSpan(program: A.Program): Span {
  return { uri: program.span.uri, start: program.span.start, end: program.span.start };
}

const requiredSections = ['recipe', 'loss', 'optimizer', 'train'] as const;

function sectionSpan(s: A.Statement): Span {
  return s.kind === 'optimizer' || s.kind === 'schedule' || s.kind === 'probe' ? s.keyword : s.span;
}

/** Visits every identifier that refers to a definition (skipping enum literals like `norm: batch`). */
export function forEachReference(e: A.Expression, f: (id: A.Identifier) => void): void {
  const stack: A.Expression[] = [e];
  while (stack.length > 0) {
    const x = stack.pop()!;
    switch (x.kind) {
      case 'identifier':
        f(x);
        break;
      case 'call': {
        f(x.callee);
        const spec = builtins.get(x.callee.name);
        x.args.forEach((arg, i) => {
          const p = spec ? paramForArgument(spec, x.args, i) : undefined;
          if (p?.type.kind === 'ident-enum' && arg.value.kind === 'identifier') return;
          stack.push(arg.value);
        });
        break;
      }
      case 'binary':
        stack.push(x.left, x.right);
        break;
      case 'unary':
        stack.push(x.operand);
        break;
      case 'range':
        stack.push(x.lo, x.hi);
        break;
      case 'list':
        stack.push(...x.items);
        break;
      case 'chain':
        if (x.shape) stack.push(x.shape);
        stack.push(...x.stages);
        break;
      case 'pipeline':
        stack.push(...x.stages);
        break;
      default:
        break;
    }
  }
}

export function resolve(program: A.Program, diagnostics: Diagnostic[]): Resolved {
  const definitions = new Map<string, A.Definition>();
  const sections: Sections = { probes: [] };
  const fileStart = fileStartSpan(program);

  for (const s of program.statements) {
    switch (s.kind) {
      case 'extends':
        // Merged by compiler/extends.ts before resolution.
        break;
      case 'data':
      case 'view':
      case 'network':
      case 'teacher':
      case 'let': {
        const name = s.name.name;
        if (name === '?') break;
        const first = definitions.get(name);
        if (first) {
          diagnostics.push({
            severity: 'error',
            code: Codes.duplicateDefinition,
            message: `'${name}' is already defined (as ${first.kind} on line ${first.name.span.start.line})`,
            span: s.name.span,
            hint: 'every data, view, network, teacher and let name must be unique',
            related: [{ message: `first definition of '${name}'`, span: first.name.span }],
          });
          break;
        }
        if (isCallableBuiltin(name) || name in constants) {
          diagnostics.push({
            severity: 'error',
            code: Codes.reservedName,
            message: `'${name}' is a built-in ${name in constants ? 'constant' : builtins.get(name)!.kind} and cannot be redefined`,
            span: s.name.span,
            hint: `choose another name, e.g. '${name}_'`,
          });
        }
        definitions.set(name, s);
        break;
      }
      case 'probe':
        sections.probes.push(s);
        break;
      default: {
        const key = s.kind;
        const first = sections[key];
        if (first) {
          diagnostics.push({
            severity: 'error',
            code: Codes.duplicateSection,
            message: `'${key}' may appear only once (first on line ${sectionSpan(first).start.line})`,
            span: sectionSpan(s),
            related: [{ message: `first '${key}'`, span: sectionSpan(first) }],
          });
        } else {
          (sections as unknown as Record<string, A.Statement>)[key] = s;
        }
      }
    }
  }

  for (const key of requiredSections) {
    if (!sections[key]) {
      const example: Record<string, string> = {
        recipe: 'recipe my_experiment',
        loss: 'loss = nt_xent(projector(encoder(x1)), projector(encoder(x2)))',
        optimizer: 'optimizer adam(lr: 1e-3)',
        train: 'train epochs: 1',
      };
      diagnostics.push({
        severity: 'error',
        code: Codes.missingSection,
        message: `the recipe has no '${key}' section`,
        span: fileStart,
        hint: `add one, e.g. \`${example[key]}\``,
      });
    }
  }

  // References, for unused-definition warnings.
  const references = new Map<string, number>();
  const count = (owner: string | undefined) => (id: A.Identifier) => {
    if (id.name !== owner && definitions.has(id.name)) references.set(id.name, (references.get(id.name) ?? 0) + 1);
  };
  for (const s of program.statements) {
    switch (s.kind) {
      case 'data':
      case 'view':
      case 'network':
      case 'teacher':
      case 'let':
        forEachReference(s.value, count(s.name.name));
        break;
      case 'loss':
      case 'optimizer':
      case 'schedule':
      case 'probe':
        forEachReference(s.value, count(undefined));
        break;
      case 'train':
        for (const a of s.args) forEachReference(a.value, count(undefined));
        break;
      default:
        break;
    }
  }
  for (const [name, def] of definitions) {
    if ((references.get(name) ?? 0) === 0 && definitions.get(name) === def) {
      diagnostics.push({
        severity: 'warning',
        code: Codes.unusedDefinition,
        message: `${def.kind} '${name}' is never used; it is left out of the run`,
        span: def.name.span,
        hint: def.kind === 'data' ? 'use it in the loss or a probe (`on:`/`fit:`), or remove it' : 'use it, or remove it',
      });
    }
  }

  return { program, definitions, sections, references, fileStart };
}
