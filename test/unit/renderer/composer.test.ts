import { describe, it, expect, beforeEach } from 'vitest';
import { render, screen, fireEvent, cleanup } from '@testing-library/svelte';
import { tick } from 'svelte';
import { setTransport } from '../../../renderer/src/lib/api.js';
import { app } from '../../../renderer/src/lib/state.svelte.js';
import Build from '../../../renderer/src/pages/Build.svelte';
import { parseDockerfile, toDockerfile } from '../../../renderer/src/lib/dockerfile.js';
import { FakeTransport } from './fake-transport.js';

const textarea = () => screen.getByTestId('dockerfile') as HTMLTextAreaElement;
const argInputs = () => screen.queryAllByLabelText(/Arguments of step/) as HTMLInputElement[];
const instrSelects = () => screen.queryAllByLabelText(/Instruction of step/) as HTMLSelectElement[];

async function typeText(text: string) {
  await fireEvent.input(textarea(), { target: { value: text } });
  await tick();
}

describe('Build composer: form and Dockerfile in sync both ways', () => {
  beforeEach(() => {
    cleanup();
    setTransport(new FakeTransport());
    app.images = [{ id: 'sha256:' + 'a'.repeat(64), tags: ['localhost/busybox:latest'], created: '2020-01-01T00:00:00Z', size: 1, layers: 1, containers: 0, addedAt: 0, origin: 'load' }];
    app.pendingBuild = undefined;
  });

  it('writes the text from the form rows', async () => {
    render(Build);
    await tick();
    await fireEvent.input(screen.getByTestId('base'), { target: { value: 'localhost/busybox:latest' } });
    await fireEvent.input(argInputs()[0]!, { target: { value: 'echo hi > /greeting' } });
    await fireEvent.click(screen.getByRole('button', { name: '+ CMD' }));
    await fireEvent.input(argInputs()[1]!, { target: { value: '["cat", "/greeting"]' } });
    expect(textarea().value).toBe('FROM localhost/busybox:latest\nRUN echo hi > /greeting\nCMD ["cat", "/greeting"]\n');
  });

  it('reads rows back from edited text, keeping unchanged rows', async () => {
    render(Build);
    await typeText('FROM busybox\nRUN echo one\nENV A=1\nWORKDIR /app\n');
    expect((screen.getByTestId('base') as HTMLInputElement).value).toBe('busybox');
    expect(instrSelects().map((s) => s.value)).toEqual(['RUN', 'ENV', 'WORKDIR']);
    expect(argInputs().map((i) => i.value)).toEqual(['echo one', 'A=1', '/app']);
    const firstRow = argInputs()[0];
    await typeText('FROM busybox\nRUN echo one\nENV A=2\nWORKDIR /app\n');
    expect(argInputs()[1]!.value).toBe('A=2');
    expect(argInputs()[0]).toBe(firstRow); // the untouched row's element survived
  });

  it('shows an inline error at the bad line and keeps the text as typed', async () => {
    render(Build);
    await typeText('FROM busybox\nRUN ok\nRUNN oops\n');
    const errs = screen.getAllByTestId('text-error').map((e) => e.textContent);
    expect(errs).toEqual(['line 3: unknown instruction: RUNN (did you mean RUN?)']);
    expect(textarea().value).toContain('RUNN oops');
    expect((screen.getByTestId('build') as HTMLButtonElement).disabled).toBe(true);
  });

  it('validates rows as they are typed', async () => {
    render(Build);
    await typeText('FROM busybox\nCOPY onlyone\nEXPOSE http\n');
    expect(screen.getByText('COPY needs a source and a destination')).toBeTruthy();
    expect(screen.getByText('EXPOSE needs ports like 80 or 53/udp')).toBeTruthy();
  });

  it('reorders by dragging a row and by the arrow buttons, and the text follows', async () => {
    render(Build);
    await typeText('FROM busybox\nRUN a\nRUN b\nRUN c\n');
    const rows = screen.getAllByTestId('step');
    await fireEvent.dragStart(rows[2]!, { dataTransfer: { setData() {} } });
    await fireEvent.dragOver(rows[0]!);
    await fireEvent.drop(rows[0]!);
    expect(textarea().value).toBe('FROM busybox\nRUN c\nRUN a\nRUN b\n');
    await fireEvent.click(screen.getByRole('button', { name: 'Move step 1 down' }));
    expect(textarea().value).toBe('FROM busybox\nRUN a\nRUN c\nRUN b\n');
  });

  it('opens a dropped Dockerfile parsed into rows, with its folder as context', async () => {
    app.pendingBuild = { dockerfile: 'FROM busybox\nCOPY . /src\nCMD ["sh"]\n', context: '/home/me/proj', source: 'Dockerfile' };
    render(Build);
    await tick();
    expect(instrSelects().map((s) => s.value)).toEqual(['COPY', 'CMD']);
    expect((screen.getByTestId('context') as HTMLInputElement).value).toBe('/home/me/proj');
  });
});

describe('Dockerfile model', () => {
  it('round-trips continuation lines, comments and heredocs', () => {
    const text = '# syntax=docker/dockerfile:1\nFROM busybox AS base\nRUN echo a \\\n  && echo b\nRUN <<EOF\necho hi\nEOF\n';
    const r = parseDockerfile(text);
    expect(r.errors).toEqual([]);
    expect(r.composition.steps.map((s) => s.args)).toEqual(['echo a \\\n  && echo b', '<<EOF\necho hi\nEOF']);
    expect(toDockerfile(r.composition)).toBe(text);
  });
  it('requires FROM first', () => {
    expect(parseDockerfile('RUN x\n').errors[0]).toEqual({ line: 1, message: 'RUN before FROM: a Dockerfile starts with FROM (only ARG may come first)' });
  });
});
