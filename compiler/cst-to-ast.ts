/**
 * CST -> AST: a Chevrotain CST visitor (`validateVisitor()` checks it has a method per rule) that
 * builds plain AST objects with spans. Only called on a CST without parse errors; on a recovered
 * CST it still never throws (missing children become an `unknown-name` placeholder identifier `?`).
 */
import type { CstNode, IToken } from 'chevrotain';
import { sslParser } from '../grammar/parser.js';
import type * as C from '../grammar/cst.js';
import type * as A from './ast.js';
import type { SourceText } from './diagnostics.js';
import type { Span } from './ir.js';

const BaseVisitor = sslParser.getBaseCstVisitorConstructor<CstNode, unknown>();

class AstBuilder extends BaseVisitor implements C.ICstNodeVisitor<CstNode, unknown> {
  constructor(private readonly src: SourceText) {
    super();
    this.validateVisitor();
  }

  // -- helpers ---------------------------------------------------------------------------------

  private nodeSpan(node: CstNode | undefined): Span {
    const loc = node?.location;
    if (!loc || !Number.isFinite(loc.startOffset)) return this.src.span(0, 0);
    const end = Number.isFinite(loc.endOffset) ? (loc.endOffset as number) + 1 : loc.startOffset;
    return this.src.span(loc.startOffset, end);
  }

  private tokenSpan(tok: IToken | undefined): Span {
    if (!tok || !Number.isFinite(tok.startOffset)) return this.src.span(0, 0);
    return this.src.span(tok.startOffset, tok.startOffset + tok.image.length);
  }

  private join(a: Span, b: Span): Span {
    return this.src.span(a.start.offset, b.end.offset);
  }

  private sub<T>(node: CstNode | undefined): T {
    if (!node) return this.placeholder() as T;
    return this.visit(node, node) as T;
  }

  private expr(nodes: CstNode[] | undefined): A.Expression {
    return this.sub<A.Expression>(nodes?.[0]);
  }

  private placeholder(): A.Identifier {
    return { kind: 'identifier', name: '?', span: this.src.span(0, 0) };
  }

  private ident(tok: IToken | undefined): A.Identifier {
    if (!tok || tok.isInsertedInRecovery) return this.placeholder();
    return { kind: 'identifier', name: tok.image, span: this.tokenSpan(tok) };
  }

  // -- program and statements ------------------------------------------------------------------

  program(ctx: C.ProgramCstChildren): A.Program {
    const statements = (ctx.statement ?? []).map((s) => this.sub<A.Statement>(s));
    return { kind: 'program', statements, span: this.src.span(0, this.src.text.length) };
  }

  statement(ctx: C.StatementCstChildren): A.Statement {
    const child =
      ctx.recipeStmt?.[0] ??
      ctx.extendsStmt?.[0] ??
      ctx.dataStmt?.[0] ??
      ctx.viewStmt?.[0] ??
      ctx.networkStmt?.[0] ??
      ctx.teacherStmt?.[0] ??
      ctx.letStmt?.[0] ??
      ctx.lossStmt?.[0] ??
      ctx.optimizerStmt?.[0] ??
      ctx.scheduleStmt?.[0] ??
      ctx.trainStmt?.[0] ??
      ctx.probeStmt?.[0];
    return this.sub<A.Statement>(child);
  }

  recipeStmt(ctx: C.RecipeStmtCstChildren, node: CstNode): A.RecipeStatement {
    return { kind: 'recipe', name: this.ident(ctx.name?.[0]), span: this.nodeSpan(node) };
  }

  extendsStmt(ctx: C.ExtendsStmtCstChildren, node: CstNode): A.ExtendsStatement {
    return { kind: 'extends', path: this.stringLiteral(ctx.path?.[0]), span: this.nodeSpan(node) };
  }

  private stringLiteral(tok: IToken | undefined): A.StringLiteral {
    if (!tok || tok.isInsertedInRecovery) return { kind: 'string', value: '', span: this.tokenSpan(tok) };
    let value: string;
    try {
      value = JSON.parse(tok.image) as string;
    } catch {
      value = tok.image.slice(1, -1);
    }
    return { kind: 'string', value, span: this.tokenSpan(tok) };
  }

  teacherStmt(ctx: C.TeacherStmtCstChildren, node: CstNode): A.Definition {
    return this.definition('teacher', ctx.name, ctx.value, node);
  }

  private definition(kind: A.Definition['kind'], name: IToken[] | undefined, value: CstNode[] | undefined, node: CstNode): A.Definition {
    return { kind, name: this.ident(name?.[0]), value: this.expr(value), span: this.nodeSpan(node) };
  }

  dataStmt(ctx: C.DataStmtCstChildren, node: CstNode): A.Definition {
    return this.definition('data', ctx.name, ctx.value, node);
  }

  viewStmt(ctx: C.ViewStmtCstChildren, node: CstNode): A.Definition {
    return this.definition('view', ctx.name, ctx.value, node);
  }

  networkStmt(ctx: C.NetworkStmtCstChildren, node: CstNode): A.Definition {
    return this.definition('network', ctx.name, ctx.value, node);
  }

  letStmt(ctx: C.LetStmtCstChildren, node: CstNode): A.Definition {
    return this.definition('let', ctx.name, ctx.value, node);
  }

  lossStmt(ctx: C.LossStmtCstChildren, node: CstNode): A.LossStatement {
    return { kind: 'loss', value: this.expr(ctx.value), span: this.nodeSpan(node) };
  }

  optimizerStmt(ctx: C.OptimizerStmtCstChildren, node: CstNode): A.CallStatement {
    return { kind: 'optimizer', keyword: this.tokenSpan(ctx.Optimizer?.[0]), value: this.expr(ctx.value), span: this.nodeSpan(node) };
  }

  scheduleStmt(ctx: C.ScheduleStmtCstChildren, node: CstNode): A.CallStatement {
    return { kind: 'schedule', keyword: this.tokenSpan(ctx.Schedule?.[0]), value: this.expr(ctx.value), span: this.nodeSpan(node) };
  }

  probeStmt(ctx: C.ProbeStmtCstChildren, node: CstNode): A.CallStatement {
    return { kind: 'probe', keyword: this.tokenSpan(ctx.Probe?.[0]), value: this.expr(ctx.value), span: this.nodeSpan(node) };
  }

  trainStmt(ctx: C.TrainStmtCstChildren, node: CstNode): A.TrainStatement {
    return { kind: 'train', args: (ctx.argument ?? []).map((a) => this.sub<A.Argument>(a)), span: this.nodeSpan(node) };
  }

  // -- expressions -----------------------------------------------------------------------------

  expression(ctx: C.ExpressionCstChildren, node: CstNode): A.Expression {
    const stages = (ctx.operands ?? []).map((o) => this.sub<A.Expression>(o));
    if (stages.length === 1) return stages[0]!;
    return { kind: 'pipeline', stages, span: this.nodeSpan(node) };
  }

  chainExpr(ctx: C.ChainExprCstChildren, node: CstNode): A.Expression {
    const stages = (ctx.operands ?? []).map((o) => this.sub<A.Expression>(o));
    if (stages.length === 1) return stages[0]!;
    const shape = ctx.shape ? this.sub<A.Identifier | A.Call>(ctx.shape[0]) : undefined;
    return { kind: 'chain', stages, ...(shape ? { shape } : {}), span: this.nodeSpan(node) };
  }

  rangeExpr(ctx: C.RangeExprCstChildren, node: CstNode): A.Expression {
    const lo = this.expr(ctx.lo);
    if (!ctx.hi) return lo;
    return { kind: 'range', lo, hi: this.expr(ctx.hi), span: this.nodeSpan(node) };
  }

  private leftAssoc(operands: CstNode[] | undefined, ops: IToken[] | undefined): A.Expression {
    const xs = (operands ?? []).map((o) => this.sub<A.Expression>(o));
    let acc = xs[0] ?? this.placeholder();
    for (let i = 1; i < xs.length; i++) {
      const right = xs[i]!;
      const op = (ops?.[i - 1]?.image ?? '+') as A.Binary['op'];
      acc = { kind: 'binary', op, left: acc, right, span: this.join(acc.span, right.span) };
    }
    return acc;
  }

  additiveExpr(ctx: C.AdditiveExprCstChildren): A.Expression {
    return this.leftAssoc(ctx.operands, ctx.ops);
  }

  multiplicativeExpr(ctx: C.MultiplicativeExprCstChildren): A.Expression {
    return this.leftAssoc(ctx.operands, ctx.ops);
  }

  unaryExpr(ctx: C.UnaryExprCstChildren, node: CstNode): A.Expression {
    if (ctx.operand) return { kind: 'unary', op: '-', operand: this.expr(ctx.operand), span: this.nodeSpan(node) };
    return this.expr(ctx.primary);
  }

  primary(ctx: C.PrimaryCstChildren, node: CstNode): A.Expression {
    if (ctx.numberExpr) return this.expr(ctx.numberExpr);
    if (ctx.StringLiteral) return this.stringLiteral(ctx.StringLiteral[0]);
    if (ctx.True) return { kind: 'boolean', value: true, span: this.tokenSpan(ctx.True[0]) };
    if (ctx.False) return { kind: 'boolean', value: false, span: this.tokenSpan(ctx.False[0]) };
    if (ctx.nameOrCall) return this.expr(ctx.nameOrCall);
    if (ctx.parenExpr) return this.expr(ctx.parenExpr);
    if (ctx.listExpr) return this.expr(ctx.listExpr);
    return { ...this.placeholder(), span: this.nodeSpan(node) };
  }

  numberExpr(ctx: C.NumberExprCstChildren, node: CstNode): A.Expression {
    const tok = ctx.NumberLiteral[0]!;
    const raw = tok.image;
    const value = Number(raw);
    const integer = /^\d+$/.test(raw);
    const span = this.nodeSpan(node);
    if (ctx.Percent) return { kind: 'percent', value: value / 100, raw: raw + '%', span };
    if (ctx.Unit) return { kind: 'duration', value, unit: ctx.Unit[0]!.image === 'epochs' ? 'epochs' : 'steps', integer, span };
    return { kind: 'number', value, raw, integer, span };
  }

  nameOrCall(ctx: C.NameOrCallCstChildren, node: CstNode): A.Expression {
    const callee = this.ident(ctx.name?.[0]);
    if (!ctx.LParen) return callee;
    const args = ctx.arguments ? this.sub<A.Argument[]>(ctx.arguments[0]) : [];
    return { kind: 'call', callee, args, span: this.nodeSpan(node) };
  }

  arguments(ctx: C.ArgumentsCstChildren): A.Argument[] {
    return (ctx.argument ?? []).map((a) => this.sub<A.Argument>(a));
  }

  argument(ctx: C.ArgumentCstChildren, node: CstNode): A.Argument {
    const value = this.expr(ctx.value);
    const span = this.nodeSpan(node);
    return ctx.name ? { name: this.ident(ctx.name[0]), value, span } : { value, span };
  }

  parenExpr(ctx: C.ParenExprCstChildren, node: CstNode): A.Expression {
    // Parentheses only group; the inner node keeps its own span, widened to include them.
    const inner = this.expr(ctx.expression);
    return { ...inner, span: this.nodeSpan(node) };
  }

  listExpr(ctx: C.ListExprCstChildren, node: CstNode): A.List {
    return { kind: 'list', items: (ctx.items ?? []).map((i) => this.sub<A.Expression>(i)), span: this.nodeSpan(node) };
  }
}

/** Builds the AST of a parsed program. */
export function cstToAst(cst: CstNode, src: SourceText): A.Program {
  return new AstBuilder(src).visit(cst, cst) as A.Program;
}
