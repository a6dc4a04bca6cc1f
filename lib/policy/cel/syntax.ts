/**
 * Locates syntax errors in a CEL condition.
 *
 * The @bufbuild/cel parser decides whether a condition is valid, but when it
 * is not it often points at the start of the last complete sub-expression
 * ("a.b(" is reported at the "."). This recogniser follows the CEL grammar
 * (cel-spec langdef.md) without building anything, and stops at the first
 * token that cannot continue the expression, which is where a person looks.
 * It only runs after the real parser has already rejected the input.
 */

export type SyntaxIssue = { message: string; offset: number };

type TokenKind = "ident" | "number" | "string" | "punct" | "eof";
type Token = { kind: TokenKind; text: string; start: number; end: number };

const RESERVED = new Set([
  "as",
  "break",
  "const",
  "continue",
  "else",
  "for",
  "function",
  "if",
  "import",
  "let",
  "loop",
  "package",
  "namespace",
  "return",
  "var",
  "void",
  "while",
]);
// Words that are literals or operators and so cannot name a field either.
const KEYWORDS = new Set(["in", "true", "false", "null"]);
const STRING_PREFIXES = new Set(["r", "R", "b", "B", "br", "bR", "Br", "BR"]);
const PUNCT2 = ["&&", "||", "==", "!=", "<=", ">="];
const PUNCT1 = "()[]{}.,:?!-+*/%<>";
const MAX_NESTING = 100;

class Fail extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";
const isHex = (c: string | undefined) => c !== undefined && /^[0-9a-fA-F]$/.test(c);
const isIdentStart = (c: string | undefined) => c !== undefined && /^[A-Za-z_]$/.test(c);
const isIdentPart = (c: string | undefined) => c !== undefined && /^[A-Za-z0-9_]$/.test(c);

function lex(src: string, comments: [number, number][] = []): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f") {
      i++;
      continue;
    }
    if (c === "/" && src[i + 1] === "/") {
      const from = i;
      while (i < src.length && src[i] !== "\n" && src[i] !== "\r") i++;
      comments.push([from, i]);
      continue;
    }
    const start = i;
    if (isIdentStart(c)) {
      while (isIdentPart(src[i])) i++;
      const word = src.slice(start, i);
      if (STRING_PREFIXES.has(word) && (src[i] === '"' || src[i] === "'")) {
        i = lexString(src, i, /r/i.test(word));
        tokens.push({ kind: "string", text: src.slice(start, i), start, end: i });
      } else {
        tokens.push({ kind: "ident", text: word, start, end: i });
      }
      continue;
    }
    if (isDigit(c) || (c === "." && isDigit(src[i + 1]))) {
      i = lexNumber(src, i);
      tokens.push({ kind: "number", text: src.slice(start, i), start, end: i });
      continue;
    }
    if (c === '"' || c === "'") {
      i = lexString(src, i, false);
      tokens.push({ kind: "string", text: src.slice(start, i), start, end: i });
      continue;
    }
    const two = src.slice(i, i + 2);
    if (PUNCT2.includes(two)) {
      tokens.push({ kind: "punct", text: two, start, end: i + 2 });
      i += 2;
      continue;
    }
    if (PUNCT1.includes(c)) {
      tokens.push({ kind: "punct", text: c, start, end: i + 1 });
      i++;
      continue;
    }
    if (c === "=") throw new Fail(i, "unexpected '=': use '==' to compare values");
    if (c === "&") throw new Fail(i, "unexpected '&': use '&&' for a logical and");
    if (c === "|") throw new Fail(i, "unexpected '|': use '||' for a logical or");
    if (c === "/" && src[i + 1] === "*") throw new Fail(i, "block comments are not supported: use '//' line comments");
    const ch = String.fromCodePoint(src.codePointAt(i)!);
    throw new Fail(i, `unexpected character ${JSON.stringify(ch)}`);
  }
  const end = tokens.length > 0 ? tokens[tokens.length - 1]!.end : 0;
  tokens.push({ kind: "eof", text: "", start: end, end });
  return tokens;
}

function lexNumber(src: string, start: number): number {
  let i = start;
  if (src[i] === "0" && (src[i + 1] === "x" || src[i + 1] === "X")) {
    i += 2;
    if (!isHex(src[i])) throw new Fail(start, "invalid hexadecimal literal: expected digits after '0x'");
    while (isHex(src[i])) i++;
    if (src[i] === "u" || src[i] === "U") i++;
  } else {
    let float = false;
    while (isDigit(src[i])) i++;
    if (src[i] === "." && isDigit(src[i + 1])) {
      float = true;
      i++;
      while (isDigit(src[i])) i++;
    }
    if (src[i] === "e" || src[i] === "E") {
      float = true;
      i++;
      if (src[i] === "+" || src[i] === "-") i++;
      if (!isDigit(src[i])) throw new Fail(start, "invalid number literal: expected digits in the exponent");
      while (isDigit(src[i])) i++;
    }
    if (!float && (src[i] === "u" || src[i] === "U")) i++;
  }
  if (isIdentPart(src[i])) throw new Fail(start, "invalid number literal");
  return i;
}

function lexString(src: string, start: number, raw: boolean): number {
  const quote = src[start]!;
  const triple = src.startsWith(quote.repeat(3), start);
  const close = triple ? quote.repeat(3) : quote;
  let i = start + close.length;
  while (i < src.length) {
    if (src.startsWith(close, i)) return i + close.length;
    const c = src[i]!;
    if (!triple && (c === "\n" || c === "\r")) {
      throw new Fail(
        start,
        "string literal is not closed before the end of the line (use triple quotes for multi-line strings)",
      );
    }
    i += c === "\\" && !raw ? 2 : 1;
  }
  throw new Fail(start, "string literal is not closed");
}

function describe(t: Token): string {
  switch (t.kind) {
    case "eof":
      return "the end of the condition";
    case "string":
      return "a string literal";
    case "number":
      return `the number ${t.text}`;
    case "ident":
      return KEYWORDS.has(t.text) ? `'${t.text}'` : `the name '${t.text}'`;
    case "punct":
      return `'${t.text}'`;
  }
}

class Recognizer {
  private i = 0;
  private depth = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly where: (offset: number) => string,
  ) {}

  private peek(): Token {
    return this.tokens[this.i]!;
  }

  private next(): Token {
    const t = this.tokens[this.i]!;
    if (t.kind !== "eof") this.i++;
    return t;
  }

  private is(text: string): boolean {
    const t = this.peek();
    return (t.kind === "punct" || t.kind === "ident") && t.text === text;
  }

  private fail(message: string): never {
    throw new Fail(this.peek().start, `${message}, but found ${describe(this.peek())}`);
  }

  private expectClose(close: string, open: Token, what: string): void {
    if (this.is(close)) {
      this.next();
      return;
    }
    this.fail(`expected '${close}' to close the ${what} opened at ${this.where(open.start)}`);
  }

  run(): void {
    this.expr();
    if (this.peek().kind !== "eof") {
      this.fail("expected an operator (such as &&, ||, ==, in) or the end of the condition");
    }
  }

  private expr(): void {
    if (++this.depth > MAX_NESTING) {
      throw new Fail(this.peek().start, `the condition is nested too deeply (more than ${MAX_NESTING} levels)`);
    }
    this.or();
    if (this.is("?")) {
      const q = this.next();
      this.or();
      if (!this.is(":")) this.fail(`expected ':' for the '?' at ${this.where(q.start)}`);
      this.next();
      this.expr();
    }
    this.depth--;
  }

  private or(): void {
    this.and();
    while (this.is("||")) {
      this.next();
      this.and();
    }
  }

  private and(): void {
    this.relation();
    while (this.is("&&")) {
      this.next();
      this.relation();
    }
  }

  private relation(): void {
    this.addition();
    while (["<", "<=", ">", ">=", "==", "!=", "in"].some((op) => this.is(op))) {
      this.next();
      this.addition();
    }
  }

  private addition(): void {
    this.multiplication();
    while (this.is("+") || this.is("-")) {
      this.next();
      this.multiplication();
    }
  }

  private multiplication(): void {
    this.unary();
    while (this.is("*") || this.is("/") || this.is("%")) {
      this.next();
      this.unary();
    }
  }

  private unary(): void {
    if (this.is("!")) {
      while (this.is("!")) this.next();
    } else if (this.is("-")) {
      while (this.is("-")) this.next();
    }
    this.member();
  }

  private member(): void {
    let qualified = this.primary();
    for (;;) {
      if (this.is(".")) {
        this.next();
        this.selector();
        if (this.is("(")) {
          this.callArguments(this.next());
          qualified = false;
        }
      } else if (this.is("[")) {
        const open = this.next();
        this.expr();
        this.expectClose("]", open, "index");
        qualified = false;
      } else if (this.is("{") && qualified) {
        this.fieldInits(this.next());
        qualified = false;
      } else {
        return;
      }
    }
  }

  private selector(): void {
    const t = this.peek();
    if (t.kind !== "ident") this.fail("expected a field name after '.'");
    if (KEYWORDS.has(t.text))
      throw new Fail(t.start, `'${t.text}' is a reserved word and cannot be used as a field name`);
    this.next();
  }

  /** Returns whether the primary is a (possibly dotted) name, which may start a message literal. */
  private primary(): boolean {
    const t = this.peek();
    if (this.is(".")) {
      this.next();
      this.identifier();
      return this.afterIdentifier();
    }
    if (t.kind === "ident" && !KEYWORDS.has(t.text)) {
      this.identifier();
      return this.afterIdentifier();
    }
    if ((t.kind === "ident" && t.text !== "in") || t.kind === "number" || t.kind === "string") {
      this.next();
      return false;
    }
    if (this.is("(")) {
      const open = this.next();
      this.expr();
      this.expectClose(")", open, "parenthesis");
      return false;
    }
    if (this.is("[")) {
      const open = this.next();
      this.list(open);
      return false;
    }
    if (this.is("{")) {
      const open = this.next();
      this.mapInits(open);
      return false;
    }
    this.fail("expected an expression");
  }

  private identifier(): void {
    const t = this.peek();
    if (t.kind !== "ident") this.fail("expected a name");
    if (RESERVED.has(t.text) || KEYWORDS.has(t.text)) {
      throw new Fail(t.start, `'${t.text}' is a reserved word and cannot be used as a name`);
    }
    this.next();
  }

  private afterIdentifier(): boolean {
    if (this.is("(")) {
      this.callArguments(this.next());
      return false;
    }
    return true;
  }

  private callArguments(open: Token): void {
    if (this.is(")")) {
      this.next();
      return;
    }
    for (;;) {
      this.expr();
      if (this.is(",")) {
        this.next();
        if (this.is(")")) this.fail("expected another argument after ','");
        continue;
      }
      if (this.is(")")) {
        this.next();
        return;
      }
      this.fail(`expected ',' or ')' to close the call opened at ${this.where(open.start)}`);
    }
  }

  private list(open: Token): void {
    while (!this.is("]")) {
      this.expr();
      if (this.is(",")) {
        this.next();
        continue;
      }
      if (!this.is("]")) this.fail(`expected ',' or ']' to close the list opened at ${this.where(open.start)}`);
    }
    this.next();
  }

  private mapInits(open: Token): void {
    while (!this.is("}")) {
      this.expr();
      if (!this.is(":")) this.fail("expected ':' after the map key");
      this.next();
      this.expr();
      if (this.is(",")) {
        this.next();
        continue;
      }
      if (!this.is("}")) this.fail(`expected ',' or '}' to close the map opened at ${this.where(open.start)}`);
    }
    this.next();
  }

  private fieldInits(open: Token): void {
    while (!this.is("}")) {
      const t = this.peek();
      if (t.kind !== "ident") this.fail("expected a field name");
      this.next();
      if (!this.is(":")) this.fail("expected ':' after the field name");
      this.next();
      this.expr();
      if (this.is(",")) {
        this.next();
        continue;
      }
      if (!this.is("}")) this.fail(`expected ',' or '}' to close the message opened at ${this.where(open.start)}`);
    }
    this.next();
  }
}

/**
 * Returns the first syntax problem in `src`, or null when the recogniser
 * accepts it. `where` formats an offset as "line L, column C" for messages
 * that refer back to an opening bracket.
 */
export function findSyntaxIssue(src: string, where: (offset: number) => string): SyntaxIssue | null {
  try {
    new Recognizer(lex(src), where).run();
    return null;
  } catch (e) {
    if (e instanceof Fail) return { message: e.message, offset: e.offset };
    if (e instanceof RangeError) return { message: "the condition is nested too deeply", offset: 0 };
    throw e;
  }
}

/**
 * Replaces every comment with spaces of the same length. The @bufbuild/cel
 * 0.6.1 grammar rejects two comments in a row at the start or end of an
 * expression ("// a\n// b\ntrue"), which commented-out examples hit at once;
 * blanking them keeps every offset (and so every error position) unchanged.
 * Input the lexer rejects is returned as is, for the parser to report.
 */
export function blankComments(src: string): string {
  const comments: [number, number][] = [];
  try {
    lex(src, comments);
  } catch (e) {
    if (e instanceof Fail) return src;
    throw e;
  }
  if (comments.length === 0) return src;
  let out = "";
  let last = 0;
  for (const [from, to] of comments) {
    out += src.slice(last, from) + " ".repeat(to - from);
    last = to;
  }
  return out + src.slice(last);
}
