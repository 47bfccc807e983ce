/**
 * The `ssl` grammar: a pure Chevrotain `CstParser` (no embedded actions). Semantics live in
 * `compiler/cst-to-ast.ts`, a CST visitor.
 *
 * ```
 * program        := statement*
 * statement      := recipeStmt | extendsStmt | dataStmt | viewStmt | networkStmt | teacherStmt
 *                 | letStmt | lossStmt | optimizerStmt | scheduleStmt | trainStmt | probeStmt
 * recipeStmt     := 'recipe' Identifier
 * extendsStmt    := 'extends' StringLiteral                 a base recipe this one overrides
 * dataStmt       := 'data' Identifier '=' expression        (also view, network, teacher, let)
 * lossStmt       := 'loss' '=' expression
 * optimizerStmt  := 'optimizer' expression                  (also schedule, probe)
 * trainStmt      := 'train' (argument (',' argument)*)?
 * expression     := chainExpr ('|' chainExpr)*              view pipelines
 * chainExpr      := rangeExpr ('->' rangeExpr)* rampShape?  network stage chains; `0.996 -> 1 cosine`
 * rampShape      := ('linear' | 'cosine') ('(' arguments? ')')?   only after `->`
 * rangeExpr      := additiveExpr ('..' additiveExpr)?       0.08..1.0
 * additiveExpr   := multiplicativeExpr (('+'|'-') multiplicativeExpr)*
 * multiplicativeExpr := unaryExpr (('*'|'/') unaryExpr)*
 * unaryExpr      := '-' unaryExpr | primary
 * primary        := NumberLiteral ('%' | Unit)? | StringLiteral | 'true' | 'false'
 *                 | Identifier ('(' arguments? ')')? | '(' expression ')' | '[' (expression (',' expression)* ','?)? ']'
 * argument       := (Identifier ':')? expression
 * ```
 * Newlines are not significant: every statement starts with a keyword.
 */
import { chevrotain } from './chevrotain.js';
import { errorMessages } from './error-messages.js';
import * as t from './tokens.js';

/** The words that may follow a `from -> to` ramp (`0.996 -> 1.0 cosine`). */
export const rampShapes: ReadonlySet<string> = new Set(['linear', 'cosine']);

export class SslParser extends chevrotain.CstParser {
  constructor() {
    super(t.allTokens, {
      recoveryEnabled: true,
      nodeLocationTracking: 'full',
      maxLookahead: 3,
      errorMessageProvider: errorMessages,
    });
    this.performSelfAnalysis();
  }

  public program = this.RULE('program', () => {
    this.MANY(() => this.SUBRULE(this.statement));
  });

  public statement = this.RULE('statement', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.recipeStmt) },
      { ALT: () => this.SUBRULE(this.extendsStmt) },
      { ALT: () => this.SUBRULE(this.dataStmt) },
      { ALT: () => this.SUBRULE(this.viewStmt) },
      { ALT: () => this.SUBRULE(this.networkStmt) },
      { ALT: () => this.SUBRULE(this.teacherStmt) },
      { ALT: () => this.SUBRULE(this.letStmt) },
      { ALT: () => this.SUBRULE(this.lossStmt) },
      { ALT: () => this.SUBRULE(this.optimizerStmt) },
      { ALT: () => this.SUBRULE(this.scheduleStmt) },
      { ALT: () => this.SUBRULE(this.trainStmt) },
      { ALT: () => this.SUBRULE(this.probeStmt) },
    ]);
  });

  public recipeStmt = this.RULE('recipeStmt', () => {
    this.CONSUME(t.Recipe);
    this.CONSUME(t.Identifier, { LABEL: 'name' });
  });

  public extendsStmt = this.RULE('extendsStmt', () => {
    this.CONSUME(t.Extends);
    this.CONSUME(t.StringLiteral, { LABEL: 'path' });
  });

  public dataStmt = this.RULE('dataStmt', () => {
    this.CONSUME(t.Data);
    this.CONSUME(t.Identifier, { LABEL: 'name' });
    this.CONSUME(t.Equals);
    this.SUBRULE(this.expression, { LABEL: 'value' });
  });

  public viewStmt = this.RULE('viewStmt', () => {
    this.CONSUME(t.View);
    this.CONSUME(t.Identifier, { LABEL: 'name' });
    this.CONSUME(t.Equals);
    this.SUBRULE(this.expression, { LABEL: 'value' });
  });

  public networkStmt = this.RULE('networkStmt', () => {
    this.CONSUME(t.Network);
    this.CONSUME(t.Identifier, { LABEL: 'name' });
    this.CONSUME(t.Equals);
    this.SUBRULE(this.expression, { LABEL: 'value' });
  });

  public teacherStmt = this.RULE('teacherStmt', () => {
    this.CONSUME(t.Teacher);
    this.CONSUME(t.Identifier, { LABEL: 'name' });
    this.CONSUME(t.Equals);
    this.SUBRULE(this.expression, { LABEL: 'value' });
  });

  public letStmt = this.RULE('letStmt', () => {
    this.CONSUME(t.Let);
    this.CONSUME(t.Identifier, { LABEL: 'name' });
    this.CONSUME(t.Equals);
    this.SUBRULE(this.expression, { LABEL: 'value' });
  });

  public lossStmt = this.RULE('lossStmt', () => {
    this.CONSUME(t.Loss);
    this.CONSUME(t.Equals);
    this.SUBRULE(this.expression, { LABEL: 'value' });
  });

  public optimizerStmt = this.RULE('optimizerStmt', () => {
    this.CONSUME(t.Optimizer);
    this.SUBRULE(this.expression, { LABEL: 'value' });
  });

  public scheduleStmt = this.RULE('scheduleStmt', () => {
    this.CONSUME(t.Schedule);
    this.SUBRULE(this.expression, { LABEL: 'value' });
  });

  public trainStmt = this.RULE('trainStmt', () => {
    this.CONSUME(t.Train);
    // Only named arguments, and only when `NAME :` follows, so a bare `train` followed by the next
    // statement (whose soft keyword is also an Identifier) does not swallow it.
    this.OPTION({
      GATE: () => this.LA(2).tokenType === t.Colon,
      DEF: () => {
        this.SUBRULE(this.argument);
        this.MANY(() => {
          this.CONSUME(t.Comma);
          this.SUBRULE2(this.argument);
        });
      },
    });
  });

  public probeStmt = this.RULE('probeStmt', () => {
    this.CONSUME(t.Probe);
    this.SUBRULE(this.expression, { LABEL: 'value' });
  });

  // -------------------------------------------------------------------------------------------
  // Expressions, lowest precedence first.

  public expression = this.RULE('expression', () => {
    this.SUBRULE(this.chainExpr, { LABEL: 'operands' });
    this.MANY(() => {
      this.CONSUME(t.Pipe);
      this.SUBRULE2(this.chainExpr, { LABEL: 'operands' });
    });
  });

  public chainExpr = this.RULE('chainExpr', () => {
    this.SUBRULE(this.rangeExpr, { LABEL: 'operands' });
    let arrows = 0;
    this.MANY(() => {
      this.CONSUME(t.Arrow);
      this.SUBRULE2(this.rangeExpr, { LABEL: 'operands' });
      arrows++;
    });
    // `from -> to cosine`: the shape word is only special right after a chain, so `linear` and
    // `cosine` stay ordinary names everywhere else.
    this.OPTION({
      GATE: () => arrows > 0 && this.LA(1).tokenType === t.Identifier && rampShapes.has(this.LA(1).image),
      DEF: () => this.SUBRULE(this.nameOrCall, { LABEL: 'shape' }),
    });
  });

  public rangeExpr = this.RULE('rangeExpr', () => {
    this.SUBRULE(this.additiveExpr, { LABEL: 'lo' });
    this.OPTION(() => {
      this.CONSUME(t.DotDot);
      this.SUBRULE2(this.additiveExpr, { LABEL: 'hi' });
    });
  });

  public additiveExpr = this.RULE('additiveExpr', () => {
    this.SUBRULE(this.multiplicativeExpr, { LABEL: 'operands' });
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(t.Plus, { LABEL: 'ops' }) }, { ALT: () => this.CONSUME(t.Minus, { LABEL: 'ops' }) }]);
      this.SUBRULE2(this.multiplicativeExpr, { LABEL: 'operands' });
    });
  });

  public multiplicativeExpr = this.RULE('multiplicativeExpr', () => {
    this.SUBRULE(this.unaryExpr, { LABEL: 'operands' });
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(t.Star, { LABEL: 'ops' }) }, { ALT: () => this.CONSUME(t.Slash, { LABEL: 'ops' }) }]);
      this.SUBRULE2(this.unaryExpr, { LABEL: 'operands' });
    });
  });

  public unaryExpr = this.RULE('unaryExpr', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(t.Minus);
          this.SUBRULE(this.unaryExpr, { LABEL: 'operand' });
        },
      },
      { ALT: () => this.SUBRULE(this.primary) },
    ]);
  });

  public primary = this.RULE('primary', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.numberExpr) },
      { ALT: () => this.CONSUME(t.StringLiteral) },
      { ALT: () => this.CONSUME(t.True) },
      { ALT: () => this.CONSUME(t.False) },
      { ALT: () => this.SUBRULE(this.nameOrCall) },
      { ALT: () => this.SUBRULE(this.parenExpr) },
      { ALT: () => this.SUBRULE(this.listExpr) },
    ]);
  });

  /** `12`, `10%`, `10 epochs`, `500 steps`. */
  public numberExpr = this.RULE('numberExpr', () => {
    this.CONSUME(t.NumberLiteral);
    this.OPTION(() => {
      this.OR([
        { ALT: () => this.CONSUME(t.Percent) },
        { ALT: () => this.CONSUME(t.Unit) },
      ]);
    });
  });

  public nameOrCall = this.RULE('nameOrCall', () => {
    this.CONSUME(t.Identifier, { LABEL: 'name' });
    this.OPTION(() => {
      this.CONSUME(t.LParen);
      this.OPTION2(() => this.SUBRULE(this.arguments));
      this.CONSUME(t.RParen);
    });
  });

  public arguments = this.RULE('arguments', () => {
    this.SUBRULE(this.argument);
    this.MANY(() => {
      this.CONSUME(t.Comma);
      this.SUBRULE2(this.argument);
    });
  });

  public argument = this.RULE('argument', () => {
    this.OPTION(() => {
      this.CONSUME(t.Identifier, { LABEL: 'name' });
      this.CONSUME(t.Colon);
    });
    this.SUBRULE(this.expression, { LABEL: 'value' });
  });

  public parenExpr = this.RULE('parenExpr', () => {
    this.CONSUME(t.LParen);
    this.SUBRULE(this.expression);
    this.CONSUME(t.RParen);
  });

  public listExpr = this.RULE('listExpr', () => {
    this.CONSUME(t.LBracket);
    this.OPTION(() => {
      this.SUBRULE(this.expression, { LABEL: 'items' });
      this.MANY(() => {
        this.CONSUME(t.Comma);
        this.SUBRULE2(this.expression, { LABEL: 'items' });
      });
    });
    this.CONSUME(t.RBracket);
  });
}

/** One shared instance: Chevrotain parsers are reusable (set `input`, call a rule). */
export const sslParser = new SslParser();
