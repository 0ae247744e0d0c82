import { describe, expect, it } from 'vitest';
import { escapeLine, escapeLines, quoted, shorten } from '../../src/text/quote.ts';

describe('text/quote: the one owner of escaping and shortening input text', () => {
  it('escapes control characters, line separators, bidi overrides and the BOM on one line', () => {
    expect(escapeLine('a\nb\r\tc\u001b[2J\u007f\u0085\u2028\u202e\ufeffd')).toBe(
      'a\\nb\\r\\tc\\x1b[2J\\x7f\\x85\\u2028\\u202e\\ufeffd',
    );
  });

  it('keeps newlines and tabs in multi-line text, escaping the rest', () => {
    expect(escapeLines('line 1\n\tline 2\r\u001b[31m')).toBe('line 1\n\tline 2\\r\\x1b[31m');
  });

  it('cuts long text and says how long it was', () => {
    expect(shorten('x'.repeat(80))).toBe('x'.repeat(80));
    expect(shorten('x'.repeat(81))).toBe(`${'x'.repeat(80)}... (81 characters)`);
    expect(shorten('\u001b'.repeat(5), 2)).toBe('\\x1b\\x1b... (5 characters)');
  });

  it('quotes an excerpt of at most 40 characters by default', () => {
    expect(quoted('abc')).toBe("'abc'");
    expect(quoted('y'.repeat(50))).toBe(`'${'y'.repeat(40)}... (50 characters)'`);
    expect(quoted('a\nEVIL', 60)).toBe("'a\\nEVIL'");
  });
});
