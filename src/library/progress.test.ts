import { expect, test } from 'vitest';
import { SpeedMeter, Throttle, progressOf } from './progress.ts';

test('SpeedMeter: bytes per second over the window; 0 until it spans 250 ms', () => {
  const m = new SpeedMeter(4000);
  m.add(0, 0);
  expect(m.bytesPerSecond()).toBe(0);
  m.add(100_000, 100);
  expect(m.bytesPerSecond()).toBe(0); // 100 ms is too short to say
  m.add(1_000_000, 1000);
  expect(m.bytesPerSecond()).toBe(1_000_000);
});

test('SpeedMeter: a resumed download does not count the bytes it started with', () => {
  const m = new SpeedMeter();
  m.add(500_000_000, 0); // resumed at 500 MB
  m.add(502_000_000, 1000);
  expect(m.bytesPerSecond()).toBe(2_000_000);
});

test('SpeedMeter: old samples leave the window, so the speed follows a change', () => {
  const m = new SpeedMeter(2000);
  for (let t = 0; t <= 10_000; t += 100) m.add(t <= 5000 ? t * 1000 : 5_000_000 + (t - 5000) * 100, t); // 1 MB/s, then 100 kB/s
  expect(m.bytesPerSecond()).toBeCloseTo(100_000, -2);
});

test('SpeedMeter: fewer bytes than before (a restart from 0) starts a new window', () => {
  const m = new SpeedMeter();
  m.add(0, 0);
  m.add(3_000_000, 1000);
  m.add(0, 1100);
  m.add(500_000, 1600);
  expect(m.bytesPerSecond()).toBe(1_000_000);
});

test('progressOf: time left from the speed; null while speed or total is unknown', () => {
  expect(progressOf(25, 100, 5)).toEqual({ loadedBytes: 25, totalBytes: 100, bytesPerSecond: 5, secondsLeft: 15 });
  expect(progressOf(25, 100, 0).secondsLeft).toBeNull();
  expect(progressOf(25, 0, 5).secondsLeft).toBeNull();
  expect(progressOf(100, 100, 0).secondsLeft).toBe(0);
});

test('Throttle: at most one call per interval, unless forced', () => {
  const t = new Throttle(100);
  expect(t.ready(0)).toBe(true);
  expect(t.ready(50)).toBe(false);
  expect(t.ready(99)).toBe(false);
  expect(t.ready(100)).toBe(true);
  expect(t.ready(120, true)).toBe(true);
  const passed = Array.from({ length: 1000 }, (_, ms) => t.ready(1000 + ms)).filter(Boolean).length;
  expect(passed).toBe(10); // ~10 a second
});
