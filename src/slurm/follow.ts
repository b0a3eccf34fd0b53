// Follows a growing log file (a Slurm job's output, written on a node, read here through the shared filesystem):
// each poll reads what was appended since the last one and hands over whole lines.
import { open } from 'node:fs/promises';

export class FileFollower {
  private offset = 0;
  private rest = '';
  private readonly decoder = new TextDecoder('utf-8');

  constructor(
    readonly file: string,
    private readonly onLine: (line: string) => void,
  ) {}

  /** Reads what is new; a file that does not exist yet has nothing new. */
  async poll(): Promise<void> {
    const fh = await open(this.file, 'r').catch(() => undefined);
    if (!fh) return;
    try {
      const buf = Buffer.alloc(64 * 1024);
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        this.push(this.decoder.decode(buf.subarray(0, bytesRead), { stream: true }));
      }
    } finally {
      await fh.close();
    }
  }

  /** The last read, then the unterminated last line, if any. */
  async finish(): Promise<void> {
    await this.poll();
    const last = this.rest + this.decoder.decode();
    this.rest = '';
    if (last) this.onLine(last);
  }

  private push(text: string): void {
    const parts = (this.rest + text).split('\n');
    this.rest = parts.pop() ?? '';
    for (const p of parts) this.onLine(p);
  }
}
