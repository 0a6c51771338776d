import { describe, expect, it } from 'vitest';
import { OutputTail } from '../../src/service/output-tail.js';

describe('OutputTail', () => {
  it('keeps the last lines, joining lines split across chunks, skipping blank ones', () => {
    const tail = new OutputTail(3);
    tail.push('one\ntw');
    tail.push('o\r\n\nthree\nfour\nfi');
    expect(tail.lines()).toEqual(['three', 'four', 'fi']);
    tail.push('ve\n');
    expect(tail.lines()).toEqual(['three', 'four', 'five']);
  });

  it('bounds a long line, keeping its end', () => {
    const tail = new OutputTail(5, 10);
    tail.push(`${'x'.repeat(50)}cause\n`);
    tail.push('y'.repeat(1_000));
    tail.push('z'.repeat(1_000));
    expect(tail.lines()).toEqual([`…xxxxcause`, `…${'z'.repeat(9)}`]);
  });
});
