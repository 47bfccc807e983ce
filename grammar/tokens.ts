/**
 * The one token vocabulary of `ssl`. The parser, the (future) TextMate grammar generator and editor
 * completion all read `allTokens` and the category tokens below; never hand-copy keywords elsewhere.
 *
 * Order matters (Chevrotain tries patterns in order): whitespace and comments first, keywords before
 * `Identifier` (each keyword has `longer_alt: Identifier`, so `recipes` is an identifier, not
 * `recipe` + `s`), `..` and `->` before `.`/`-`.
 *
 * Statement keywords are *soft*: they also belong to the `Identifier` category, so a data source may
 * be called `train` (`data train = ...; train epochs: 1`). Statements are told apart by their first
 * token, and inside expressions a keyword token is just a name. `epochs`/`steps` are the same:
 * duration units after a number (`10 epochs`), names everywhere else (`train epochs: 1`).
 */
import type { TokenType } from 'chevrotain';
import { chevrotain } from './chevrotain.js';

const { createToken, Lexer } = chevrotain;

// ---------------------------------------------------------------------------------------------
// Categories (abstract tokens: `Lexer.NA`). A highlighter maps each to a TextMate scope.

export const Keyword = createToken({ name: 'Keyword', pattern: Lexer.NA });
export const Unit = createToken({ name: 'Unit', pattern: Lexer.NA });
export const Literal = createToken({ name: 'Literal', pattern: Lexer.NA });
export const Operator = createToken({ name: 'Operator', pattern: Lexer.NA });
export const Punctuation = createToken({ name: 'Punctuation', pattern: Lexer.NA });

// ---------------------------------------------------------------------------------------------
// Trivia

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n\f\v\uFEFF]+/, group: Lexer.SKIPPED });
/** `# ...` to end of line. Kept in the `comments` group (not in the parser's input) for a formatter. */
export const Comment = createToken({ name: 'Comment', pattern: /#[^\r\n]*/, group: 'comments' });

// ---------------------------------------------------------------------------------------------
// Names

export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/ });

function keyword(word: string, extra: TokenType[] = []): TokenType {
  const name = word[0]!.toUpperCase() + word.slice(1);
  return createToken({ name, pattern: new RegExp(word), longer_alt: Identifier, categories: [...extra] });
}

export const Recipe = keyword('recipe', [Keyword, Identifier]);
export const Extends = keyword('extends', [Keyword, Identifier]);
export const Data = keyword('data', [Keyword, Identifier]);
export const View = keyword('view', [Keyword, Identifier]);
export const Network = keyword('network', [Keyword, Identifier]);
export const Teacher = keyword('teacher', [Keyword, Identifier]);
export const Let = keyword('let', [Keyword, Identifier]);
export const Loss = keyword('loss', [Keyword, Identifier]);
export const Optimizer = keyword('optimizer', [Keyword, Identifier]);
export const Schedule = keyword('schedule', [Keyword, Identifier]);
export const Train = keyword('train', [Keyword, Identifier]);
export const Probe = keyword('probe', [Keyword, Identifier]);

export const Epochs = keyword('epochs', [Unit, Identifier]);
export const Steps = keyword('steps', [Unit, Identifier]);

export const True = keyword('true', [Literal]);
export const False = keyword('false', [Literal]);

/** Statement keywords, in the order the documentation lists them. */
export const statementKeywords = [Recipe, Extends, Data, View, Network, Teacher, Let, Loss, Optimizer, Schedule, Train, Probe];
/** Duration units. */
export const unitKeywords = [Epochs, Steps];
/** Reserved literal words (not usable as names). */
export const literalKeywords = [True, False];

// ---------------------------------------------------------------------------------------------
// Literals

/** `12`, `0.5`, `1e-3`, `1.5E+2`. No leading dot, and a `.` must be followed by a digit so `0..1` lexes as 0 `..` 1. */
export const NumberLiteral = createToken({
  name: 'NumberLiteral',
  pattern: /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/,
  categories: [Literal],
});
/** Double-quoted, single line, with backslash escapes. */
export const StringLiteral = createToken({
  name: 'StringLiteral',
  pattern: /"(?:[^"\\\r\n]|\\.)*"/,
  categories: [Literal],
});

// ---------------------------------------------------------------------------------------------
// Operators and punctuation

export const Arrow = createToken({ name: 'Arrow', pattern: /->/, categories: [Operator] });
export const DotDot = createToken({ name: 'DotDot', pattern: /\.\./, categories: [Operator] });
export const Pipe = createToken({ name: 'Pipe', pattern: /\|/, categories: [Operator] });
export const Plus = createToken({ name: 'Plus', pattern: /\+/, categories: [Operator] });
export const Minus = createToken({ name: 'Minus', pattern: /-/, categories: [Operator] });
export const Star = createToken({ name: 'Star', pattern: /\*/, categories: [Operator] });
export const Slash = createToken({ name: 'Slash', pattern: /\//, categories: [Operator] });
export const Percent = createToken({ name: 'Percent', pattern: /%/, categories: [Operator] });
export const Equals = createToken({ name: 'Equals', pattern: /=/, categories: [Operator] });

export const LParen = createToken({ name: 'LParen', pattern: /\(/, categories: [Punctuation] });
export const RParen = createToken({ name: 'RParen', pattern: /\)/, categories: [Punctuation] });
export const LBracket = createToken({ name: 'LBracket', pattern: /\[/, categories: [Punctuation] });
export const RBracket = createToken({ name: 'RBracket', pattern: /\]/, categories: [Punctuation] });
export const Comma = createToken({ name: 'Comma', pattern: /,/, categories: [Punctuation] });
export const Colon = createToken({ name: 'Colon', pattern: /:/, categories: [Punctuation] });

/** Every concrete token, in lexing order. */
export const allTokens: TokenType[] = [
  WhiteSpace,
  Comment,
  ...statementKeywords,
  ...unitKeywords,
  ...literalKeywords,
  Identifier,
  NumberLiteral,
  StringLiteral,
  Arrow,
  DotDot,
  Pipe,
  Plus,
  Minus,
  Star,
  Slash,
  Percent,
  Equals,
  LParen,
  RParen,
  LBracket,
  RBracket,
  Comma,
  Colon,
];

/** The abstract category tokens (not lexed; listed for tooling). */
export const tokenCategories: TokenType[] = [Keyword, Unit, Literal, Operator, Punctuation];

/** The lexer for `allTokens`; `ensureOptimizations` keeps tokenizing fast. */
export const sslLexer = new Lexer(allTokens, { ensureOptimizations: true, positionTracking: 'full' });
