/**
 * The part of a POSIX shell's grammar a person types at a prompt: words with
 * single and double quotes and backslashes, `$NAME`, `${NAME}` and `$?`
 * (expanded when the command runs, so `false; echo $?` prints 1), the list
 * operators `;`, `&&`, `||`, pipes, and output redirection (`>`, `>>`,
 * `2>&1`). No globbing, functions or control flow.
 */

/** A word as written: literal text and variable references, joined once expanded. */
export type Word = Array<string | { variable: string }>;

export interface SimpleCommand {
  /** The words; the first is the command name. */
  words: Word[];
  /** `> file` or `>> file` on the command, if any. */
  redirect?: { path: Word; append: boolean };
}

/** A command's words with their variables looked up. */
export const expandWords = (words: Word[], lookup: (name: string) => string): string[] =>
  words.map((word) => word.map((part) => (typeof part === 'string' ? part : lookup(part.variable))).join(''));

/** Commands joined by pipes; run when the operator before it allows. */
export interface Pipeline {
  commands: SimpleCommand[];
  /** How this pipeline joins the previous one. */
  after: ';' | '&&' | '||';
}

export class ShellSyntaxError extends Error {}

type Token = { kind: 'word'; word: Word } | { kind: 'op'; text: string };

/** Splits a line into words and operators. */
export function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let word: Word | undefined;
  const push = (part: string | { variable: string }): void => {
    word ??= [];
    word.push(part);
  };
  const endWord = (): void => {
    if (word !== undefined) tokens.push({ kind: 'word', word });
    word = undefined;
  };
  const variable = (at: number): [string | { variable: string }, number] => {
    const rest = line.slice(at + 1);
    const braced = /^\{([A-Za-z_][A-Za-z0-9_]*|[?$#0-9])\}/.exec(rest);
    if (braced) return [{ variable: braced[1] }, at + 1 + braced[0].length];
    const plain = /^([A-Za-z_][A-Za-z0-9_]*|[?$#0-9])/.exec(rest);
    if (plain) return [{ variable: plain[1] }, at + 1 + plain[0].length];
    return ['$', at + 1];
  };
  let i = 0;
  while (i < line.length) {
    const char = line[i];
    if (char === ' ' || char === '\t') {
      endWord();
      i++;
    } else if (char === '#' && word === undefined) {
      break;
    } else if (char === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new ShellSyntaxError('Unterminated quoted string');
      push(line.slice(i + 1, end));
      i = end + 1;
    } else if (char === '"') {
      push('');
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\' && i + 1 < line.length && '$`"\\'.includes(line[i + 1])) {
          push(line[i + 1]);
          i += 2;
        } else if (line[i] === '$') {
          const [value, next] = variable(i);
          push(value);
          i = next;
        } else {
          push(line[i++]);
        }
      }
      if (i >= line.length) throw new ShellSyntaxError('Unterminated quoted string');
      i++;
    } else if (char === '\\') {
      push(line[i + 1] ?? '');
      i += 2;
    } else if (char === '$') {
      const [value, next] = variable(i);
      push(value);
      i = next;
    } else if (line.startsWith('2>&1', i)) {
      endWord();
      i += 4;
    } else if (line.startsWith('&&', i) || line.startsWith('||', i) || line.startsWith('>>', i)) {
      endWord();
      tokens.push({ kind: 'op', text: line.slice(i, i + 2) });
      i += 2;
    } else if (';|>'.includes(char)) {
      endWord();
      tokens.push({ kind: 'op', text: char });
      i++;
    } else {
      push(char);
      i++;
    }
  }
  endWord();
  return tokens;
}

/** The pipelines of a line, in order; throws ShellSyntaxError with the shell's wording. */
export function parseLine(line: string): Pipeline[] {
  const pipelines: Pipeline[] = [];
  let current: Pipeline = { commands: [], after: ';' };
  let command: SimpleCommand = { words: [] };
  const unexpected = (text: string) => new ShellSyntaxError(`syntax error near unexpected token \`${text}'`);
  const tokens = tokenize(line);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token.kind === 'word') {
      command.words.push(token.word);
      continue;
    }
    if (token.text === '>' || token.text === '>>') {
      const target = tokens[++i];
      if (target?.kind !== 'word') throw unexpected(target?.text ?? 'newline');
      command.redirect = { path: target.word, append: token.text === '>>' };
      continue;
    }
    if (command.words.length === 0) throw unexpected(token.text);
    current.commands.push(command);
    command = { words: [] };
    if (token.text === '|') continue;
    pipelines.push(current);
    current = { commands: [], after: token.text as Pipeline['after'] };
  }
  if (command.words.length > 0) current.commands.push(command);
  else if (current.commands.length > 0 || current.after !== ';') throw unexpected('newline');
  if (current.commands.length > 0) pipelines.push(current);
  return pipelines;
}
