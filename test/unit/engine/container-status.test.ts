import { describe, expect, it } from 'vitest';
import { statusText } from '../../../main/engine/model/container-status.js';

const now = Date.parse('2026-12-02T12:00:00Z');
const zero = '0001-01-01T00:00:00Z';

describe('docker ps status text (one rule for ps, the API and the app)', () => {
  it('says what docker says for each state', () => {
    expect(statusText({ state: 'running', startedAt: '2026-12-02T11:57:00Z', finishedAt: zero, exitCode: 0 }, now)).toBe('Up 3 minutes');
    expect(statusText({ state: 'paused', startedAt: '2026-12-02T11:59:55Z', finishedAt: zero, exitCode: 0 }, now)).toBe('Up 5 seconds (Paused)');
    expect(statusText({ state: 'exited', startedAt: zero, finishedAt: '2026-12-02T10:00:00Z', exitCode: 137 }, now)).toBe('Exited (137) 2 hours ago');
    expect(statusText({ state: 'created', startedAt: zero, finishedAt: zero, exitCode: 0 }, now)).toBe('Created');
    expect(statusText({ state: 'exited', startedAt: zero, finishedAt: '2026-12-02T11:59:58Z', exitCode: 3, restarting: true }, now)).toBe('Restarting (3) 2 seconds ago');
    expect(statusText({ state: 'dead', startedAt: zero, finishedAt: zero, exitCode: 0 }, now)).toBe('Dead');
  });
  it('a running container with a healthcheck says its health, as docker\'s Health.String()', () => {
    const up = { state: 'running', startedAt: '2026-12-02T11:59:55Z', finishedAt: zero, exitCode: 0 };
    expect(statusText({ ...up, health: 'starting' }, now)).toBe('Up 5 seconds (health: starting)');
    expect(statusText({ ...up, health: 'healthy' }, now)).toBe('Up 5 seconds (healthy)');
    expect(statusText({ ...up, health: 'unhealthy' }, now)).toBe('Up 5 seconds (unhealthy)');
    expect(statusText({ ...up, state: 'paused', health: 'healthy' }, now)).toBe('Up 5 seconds (Paused)');
    expect(statusText({ ...up, state: 'exited', finishedAt: '2026-12-02T11:59:58Z', health: 'unhealthy' }, now)).toBe('Exited (0) 2 seconds ago');
  });
  it('an exit being recorded already reads as exited; missing times are left out, not "Up 2025 years"', () => {
    expect(statusText({ state: 'exiting', startedAt: zero, finishedAt: '2026-12-02T11:59:59Z', exitCode: 1 }, now)).toMatch(/^Exited \(1\) \S/);
    expect(statusText({ state: 'running', startedAt: zero, finishedAt: zero, exitCode: 0 }, now)).toBe('Up');
    expect(statusText({ state: 'exited', startedAt: zero, finishedAt: zero, exitCode: 0 }, now)).toBe('Exited (0)');
  });
});
