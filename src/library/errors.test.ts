import { expect, test } from 'vitest';
import { LibraryError, QuotaError, checkQuota } from './errors.ts';
import { fromFailure, toFailure } from './protocol.ts';

test('checkQuota: a QuotaError when the bytes still needed exceed quota − usage (+ what is freed first)', () => {
  expect(checkQuota({ usage: 100, quota: 1000 }, 900)).toBeNull();
  const e = checkQuota({ usage: 100, quota: 1000 }, 901);
  expect(e).toBeInstanceOf(QuotaError);
  expect(e).toMatchObject({ name: 'QuotaError', neededBytes: 901, availableBytes: 900 });
  expect(checkQuota({ usage: 600, quota: 1000 }, 900, 500)).toBeNull(); // restarting frees the partial file
  expect(checkQuota({ usage: 2000, quota: 1000 }, 1)).toMatchObject({ availableBytes: 0 });
  expect(checkQuota({}, 1e15)).toBeNull(); // no quota figure: nothing to check against
});

test('QuotaError: says what is needed, what is free and what to do', () => {
  expect(new QuotaError(1e12, 3 * 2 ** 30).message).toBe(
    'Not enough storage for this model: it needs 931 GiB more, but only 3.00 GiB is free for this site. Delete models you no longer use, or free disk space on this device, then try again.',
  );
});

test('errors cross the worker boundary as data and come back as the same classes', () => {
  const q = fromFailure(toFailure(new QuotaError(5, 4)));
  expect(q).toBeInstanceOf(QuotaError);
  expect(q).toMatchObject({ neededBytes: 5, availableBytes: 4 });
  const l = fromFailure(toFailure(new LibraryError('network', 'the connection broke')));
  expect(l).toBeInstanceOf(LibraryError);
  expect(l).toMatchObject({ reason: 'network', message: 'the connection broke' });
  expect(fromFailure(toFailure(new TypeError('boom')))).toMatchObject({ reason: 'internal', message: 'TypeError: boom' });
});
