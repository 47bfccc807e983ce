/** Parser error messages in the user's terms (`expected ')' but found 'x'`), not token class names. */
import type { IParserErrorMessageProvider, IToken, TokenType } from 'chevrotain';

const punctuationText: Record<string, string> = {
  Arrow: '->',
  DotDot: '..',
  Pipe: '|',
  Plus: '+',
  Minus: '-',
  Star: '*',
  Slash: '/',
  Percent: '%',
  Equals: '=',
  LParen: '(',
  RParen: ')',
  LBracket: '[',
  RBracket: ']',
  Comma: ',',
  Colon: ':',
};

export function describeTokenType(tt: TokenType): string {
  const p = punctuationText[tt.name];
  if (p !== undefined) return `'${p}'`;
  switch (tt.name) {
    case 'Identifier':
      return 'a name';
    case 'NumberLiteral':
      return 'a number';
    case 'StringLiteral':
      return 'a string';
    case 'Unit':
      return "'epochs' or 'steps'";
    default:
      return `'${tt.name.toLowerCase()}'`;
  }
}

function describeToken(tok: IToken): string {
  if (tok.tokenType.name === 'EOF') return 'the end of the file';
  return `'${tok.image.length > 30 ? tok.image.slice(0, 30) + '…' : tok.image}'`;
}

const ruleDescription: Record<string, string> = {
  program: 'a statement',
  statement: 'a statement (recipe, data, view, network, let, loss, optimizer, schedule, train or probe)',
  expression: 'an expression',
  chainExpr: 'an expression',
  rangeExpr: 'an expression',
  additiveExpr: 'an expression',
  multiplicativeExpr: 'an expression',
  unaryExpr: 'an expression',
  primary: 'an expression',
  arguments: 'an argument',
  argument: 'an argument',
};

function uniqueFirsts(paths: TokenType[][][]): string {
  const names = new Set<string>();
  for (const alt of paths) for (const path of alt) if (path[0]) names.add(describeTokenType(path[0]));
  const list = [...names];
  if (list.length === 0) return 'something else';
  if (list.length > 6) return `one of ${list.slice(0, 6).join(', ')}, …`;
  return list.length === 1 ? list[0]! : `one of ${list.join(', ')}`;
}

export const errorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual }) {
    if (expected.name === 'EOF') return `expected ${ruleDescription.statement} but found ${describeToken(actual)}`;
    return `expected ${describeTokenType(expected)} but found ${describeToken(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `expected ${ruleDescription.statement} but found ${describeToken(firstRedundant)}`;
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, ruleName }) {
    const what = ruleDescription[ruleName] ?? uniqueFirsts(expectedPathsPerAlt);
    return `expected ${what} but found ${describeToken(actual[0]!)}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual, ruleName }) {
    const what = ruleDescription[ruleName] ?? uniqueFirsts([expectedIterationPaths]);
    return `expected ${what} but found ${describeToken(actual[0]!)}`;
  },
};

