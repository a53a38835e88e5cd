/**
 * The simulated compiler's checks of CUDA C. It cannot type-check C++, so it checks what a template
 * most easily gets wrong and what tests plant: the entry point, balanced brackets, `#error`.
 * Diagnostics read like NVRTC's: `<name>.cu(<line>): error: <text>`.
 */

interface Diagnostic {
  line: number;
  text: string;
}

const CLOSER: Record<string, string> = { '(': ')', '{': '}', '[': ']' };

/** Whether `extern "C" __global__ void <entry>(` is defined (`__launch_bounds__` allowed around). */
function definesEntry(code: string, entry: string): boolean {
  const bounds = String.raw`(?:__launch_bounds__\s*\([^)]*\)\s*)?`;
  const escaped = entry.replace(/[$]/g, '\\$');
  const pattern = String.raw`extern\s+"C"\s+${bounds}__global__\s+${bounds}void\s+${bounds}${escaped}\s*\(`;
  return new RegExp(pattern).test(code);
}

/**
 * Preprocessor conditions cannot be evaluated here: `#if 0` / `#if 1` are honoured, any other
 * condition is taken as false, so an `#error` guarded by a static check does not fire.
 */
class Conditionals {
  private readonly stack: { active: boolean; known: boolean }[] = [];
  get active(): boolean {
    return this.stack.every((c) => c.active);
  }
  directive(name: string, rest: string): void {
    if (name === 'if' || name === 'ifdef' || name === 'ifndef') {
      const known = name === 'if' && (rest === '0' || rest === '1');
      this.stack.push({ active: known && rest === '1', known });
    } else if (name === 'elif') {
      const top = this.stack.at(-1);
      if (top) top.active = false;
    } else if (name === 'else') {
      const top = this.stack.at(-1);
      if (top?.known) top.active = !top.active;
    } else if (name === 'endif') {
      this.stack.pop();
    }
  }
}

/** Scans the source outside comments and literals; returns NVRTC-like diagnostics. */
export function checkSource(code: string, entry: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (!/^[A-Za-z_$][\w$]*$/.test(entry) || !definesEntry(code, entry))
    out.push({
      line: 1,
      text: `kernel entry "${entry}" is not defined as extern "C" __global__ void ${entry}(...)`,
    });
  const open: { ch: string; line: number }[] = [];
  const conditionals = new Conditionals();
  let line = 1;
  let lineStart = true;
  let i = 0;
  while (i < code.length) {
    const c = code[i] as string;
    const next = code[i + 1];
    if (c === '\n') {
      line++;
      lineStart = true;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#' && lineStart) {
      let end = i;
      while (end < code.length && (code[end] !== '\n' || code[end - 1] === '\\')) end++;
      const text = code.slice(i + 1, end).replace(/\\\n/g, ' ');
      const match = /^\s*(\w+)\s*(.*?)\s*$/s.exec(text);
      const name = match?.[1] ?? '';
      const rest = match?.[2] ?? '';
      if (name === 'error' && conditionals.active) out.push({ line, text: `#error directive: ${rest}` });
      conditionals.directive(name, rest);
      line += (code.slice(i, end).match(/\n/g) ?? []).length;
      i = end;
      continue;
    }
    lineStart = false;
    if (c === '/' && next === '/') {
      while (i < code.length && code[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && next === '*') {
      const end = code.indexOf('*/', i + 2);
      if (end < 0) {
        out.push({ line, text: 'unterminated comment' });
        break;
      }
      line += (code.slice(i, end).match(/\n/g) ?? []).length;
      i = end + 2;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < code.length && code[j] !== c && code[j] !== '\n') j += code[j] === '\\' ? 2 : 1;
      if (code[j] !== c) out.push({ line, text: 'missing closing quote' });
      i = j + 1;
      continue;
    }
    if (c in CLOSER) open.push({ ch: c, line });
    else if (c === ')' || c === '}' || c === ']') {
      const top = open.pop();
      if (!top) out.push({ line, text: c === '}' ? 'expected a declaration' : `unbalanced "${c}"` });
      else if (CLOSER[top.ch] !== c) out.push({ line, text: `expected a "${CLOSER[top.ch]}"` });
    }
    i++;
  }
  for (const unclosed of open.reverse())
    out.push({
      line,
      text: `expected a "${CLOSER[unclosed.ch]}" (to match the "${unclosed.ch}" on line ${unclosed.line})`,
    });
  return out;
}
