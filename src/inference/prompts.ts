// Prompt templates from the manifest, rendered with @huggingface/jinja (jinja2 on the Python side).
import { Template } from '@huggingface/jinja';
import { ModelError } from '../core/errors';
import type { Manifest } from './manifest';

export type TaskName = 'caption_audio' | 'caption_visual' | 'caption_av' | 'meta_audio' | 'meta_visual';

export class PromptBuilder {
  private readonly template: Template;

  constructor(private readonly prompts: Manifest['prompts']) {
    try {
      this.template = new Template(prompts.template);
    } catch (err) {
      throw new ModelError('bad-manifest', `manifest.json: prompts.template is not a valid Jinja template (${(err as Error).message}).`, { cause: err });
    }
  }

  /** The full prompt text for a question (the prefix embeddings come before it). */
  render(question: string): string {
    return this.template.render({ question });
  }

  task(name: TaskName): string {
    const q = this.prompts.tasks[name];
    if (q === undefined) throw new ModelError('bad-manifest', `manifest.json: prompts.tasks has no '${name}'.`);
    return q;
  }
}
