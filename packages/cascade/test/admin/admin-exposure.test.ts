import { describe, expect, it } from 'vitest';
import { adminExposureProblem, isLoopbackHost } from '../../src/admin/admin-exposure.js';

const TOKEN = 'admin-token-0123456789abcdef';

describe('isLoopbackHost', () => {
  it.each([
    '127.0.0.1',
    '127.8.9.10',
    'localhost',
    'LOCALHOST',
    '::1',
    '[::1]',
    '0:0:0:0:0:0:0:1',
    '::ffff:127.0.0.1',
  ])('%s is loopback', (host) => expect(isLoopbackHost(host)).toBe(true));

  it.each([
    '0.0.0.0',
    '::',
    '10.0.0.5',
    '192.168.1.2',
    '128.0.0.1',
    '::ffff:10.0.0.1',
    'cascade.internal',
    'localhost.evil.com',
  ])('%s is not', (host) => expect(isLoopbackHost(host)).toBe(false));
});

describe('adminExposureProblem', () => {
  it('lets the admin side listen on loopback with or without a token', () => {
    expect(adminExposureProblem('127.0.0.1', null)).toBeNull();
    expect(adminExposureProblem('::1', undefined)).toBeNull();
    expect(adminExposureProblem('localhost', TOKEN)).toBeNull();
  });

  it('lets it listen beyond loopback only with a token', () => {
    expect(adminExposureProblem('0.0.0.0', TOKEN)).toBeNull();
    expect(adminExposureProblem('10.0.0.5', TOKEN)).toBeNull();
  });

  it.each([
    ['0.0.0.0', null],
    ['::', undefined],
    ['10.0.0.5', ''],
  ])('refuses %s without a token, saying what to set', (host, token) => {
    const problem = adminExposureProblem(host, token);
    expect(problem).toContain(`CASCADE_ADMIN_HOST=${host}`);
    expect(problem).toContain('set CASCADE_ADMIN_TOKEN');
    expect(problem).toContain('keep CASCADE_ADMIN_HOST=127.0.0.1');
  });
});
