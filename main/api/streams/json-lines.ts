import type { Writable } from 'node:stream';
import { drained } from './stdcopy.js';

/**
 * docker's JSON message streams (pull, push, build, load, events): one JSON object per line.
 * `send` waits for the client when its buffer is full; messages produced meanwhile by a
 * synchronous progress callback queue in order (they are small) and go out as it drains.
 */
export class JsonLines {
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly out: Writable) {}

  /** Queue one message; the promise settles when it was handed to the socket. */
  send(msg: unknown): Promise<void> {
    const line = `${JSON.stringify(msg)}\r\n`;
    this.queue = this.queue.then(async () => {
      if (this.out.destroyed || this.out.writableEnded) return;
      if (!this.out.write(line)) await drained(this.out);
    });
    return this.queue;
  }

  /** docker's error message form: the client prints `message` and fails. */
  error(message: string): Promise<void> {
    return this.send({ errorDetail: { message }, error: message });
  }

  async end(): Promise<void> {
    await this.queue;
    if (!this.out.writableEnded) this.out.end();
  }
}
