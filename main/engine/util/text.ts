/** The longest tool output we quote inside an error line. */
const MAX_QUOTE = 300;

/**
 * What a failed tool (cp, tar, unshare, pasta...) said, as one line for an error message: its
 * last non-empty line of output, cut to a readable length. Tools put the cause last.
 */
export function lastLine(text: string, fallback = 'no output'): string {
  const line = text.split('\n').map((l) => l.trim()).filter(Boolean).pop() ?? fallback;
  return line.length > MAX_QUOTE ? `${line.slice(0, MAX_QUOTE - 1)}…` : line;
}

