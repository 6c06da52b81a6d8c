import { expect, test } from 'vitest';
import { formatBytes, formatDuration, percentOf } from './format.ts';

test('formatBytes: binary units, three significant digits', () => {
  expect(formatBytes(0)).toBe('0 B');
  expect(formatBytes(1023)).toBe('1023 B');
  expect(formatBytes(1536)).toBe('1.50 KiB');
  expect(formatBytes(145_000_000)).toBe('138 MiB');
  expect(formatBytes(12.34 * 2 ** 20)).toBe('12.3 MiB');
  expect(formatBytes(1_321_000_000)).toBe('1.23 GiB');
  expect(formatBytes(1e12)).toBe('931 GiB');
  expect(formatBytes(-1)).toBe('? B');
});

test('formatDuration: seconds, then minutes, then hours', () => {
  expect(formatDuration(0)).toBe('0 s');
  expect(formatDuration(7.2)).toBe('8 s');
  expect(formatDuration(125)).toBe('2 min 5 s');
  expect(formatDuration(3780)).toBe('1 h 3 min');
});

test('percentOf: rounded down (100 only when complete), 0 for an unknown total, clamped', () => {
  expect(percentOf(0, 100)).toBe(0);
  expect(percentOf(999, 1000)).toBe(99);
  expect(percentOf(1000, 1000)).toBe(100);
  expect(percentOf(50, 0)).toBe(0);
  expect(percentOf(2000, 1000)).toBe(100);
});
