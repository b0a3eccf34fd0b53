// Execution-provider choice for `avu.inference.device`: auto tries CUDA, then WebGPU, then CPU, and
// says which one runs and why the others were skipped. An explicit GPU device that cannot run is one
// clear ModelError, never a crash.
import { existsSync, readdirSync } from 'node:fs';
import { ModelError } from '../core/errors';
import { cudaProviderLibrary, ProviderUnavailable, type Provider } from './runtime';

export const DEVICES = ['auto', 'cpu', 'cuda', 'webgpu'] as const;
export type DeviceSetting = (typeof DEVICES)[number];

export function isDeviceSetting(v: string): v is DeviceSetting {
  return (DEVICES as readonly string[]).includes(v);
}

export interface ProviderReport {
  provider: Provider;
  /** One line per provider tried and skipped, then the one that runs. */
  notes: string[];
}

/** Why a provider cannot be tried at all here (cheap checks before touching the runtime), or null. */
export function precheck(provider: Provider): string | null {
  if (provider === 'cuda') {
    const lib = cudaProviderLibrary();
    return lib.present ? null : `the CUDA provider library is not installed (${lib.path}; onnxruntime-node's install script downloads it on Linux x64 with CUDA 12)`;
  }
  if (provider === 'webgpu' && process.platform === 'linux' && !vulkanDriverListed()) {
    return 'no Vulkan driver is registered (no ICD file in VK_DRIVER_FILES, VK_ICD_FILENAMES, /etc/vulkan/icd.d or /usr/share/vulkan/icd.d), so WebGPU has no adapter';
  }
  return null;
}

function vulkanDriverListed(): boolean {
  const fromEnv = [process.env.VK_DRIVER_FILES, process.env.VK_ICD_FILENAMES].filter((v): v is string => !!v);
  if (fromEnv.some((v) => v.split(':').some((p) => p && existsSync(p)))) return true;
  const dirs = ['/etc/vulkan/icd.d', '/usr/share/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];
  return dirs.some((d) => {
    try {
      return readdirSync(d).some((f) => f.endsWith('.json'));
    } catch {
      return false;
    }
  });
}

/**
 * Creates whatever `create` builds on the first provider that works for `device`.
 * auto: cuda → webgpu → cpu with a note per skip; an explicit device fails with one sentence.
 */
export async function onProvider<T>(device: DeviceSetting, create: (p: Provider) => Promise<T>): Promise<{ value: T } & ProviderReport> {
  const order: Provider[] = device === 'auto' ? ['cuda', 'webgpu', 'cpu'] : [device];
  const notes: string[] = [];
  for (const provider of order) {
    const reason = precheck(provider);
    if (reason === null) {
      try {
        const value = await create(provider);
        notes.push(`running on ${provider}${device === 'auto' ? ' (auto)' : ''}`);
        return { value, provider, notes };
      } catch (err) {
        if (!(err instanceof ProviderUnavailable)) throw err;
        if (device !== 'auto') throw unavailable(provider, err.reason, err);
        notes.push(`${provider} skipped: ${err.reason}`);
      }
    } else {
      if (device !== 'auto') throw unavailable(provider, reason);
      notes.push(`${provider} skipped: ${reason}`);
    }
  }
  throw new ModelError('no-provider', `No execution provider could run the model (${notes.join('; ')}).`);
}

function unavailable(provider: Provider, reason: string, cause?: unknown): ModelError {
  return new ModelError('provider-unavailable', `--device ${provider} cannot run here: ${reason}; use --device auto or cpu.`, { cause });
}
