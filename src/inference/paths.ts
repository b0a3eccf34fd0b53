// Where the shipped default model lives: models/dolphin-tiny under the package root, found by walking up
// from this file (works from src/ under tsx and from the bundled dist/).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function packageRoot(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'avu-studio') return dir;
      } catch {
        // not ours; keep walking
      }
    }
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

export function defaultModelDir(): string {
  return join(packageRoot(), 'models', 'dolphin-tiny');
}
