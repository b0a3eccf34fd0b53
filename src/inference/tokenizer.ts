// tokenizer.json (Hugging Face format) through @huggingface/tokenizers, plus a streaming decoder
// that only emits text once it is stable (a byte-level token may end mid-character).
import { readFile } from 'node:fs/promises';
import { Tokenizer } from '@huggingface/tokenizers';
import { ModelError } from '../core/errors';

export class TextTokenizer {
  private constructor(private readonly tok: Tokenizer) {}

  static async load(path: string): Promise<TextTokenizer> {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(path, 'utf8'));
    } catch (err) {
      throw new ModelError('bad-tokenizer', `${path} is not a readable tokenizer.json (${(err as Error).message}); re-export the bundle.`, { cause: err });
    }
    try {
      return new TextTokenizer(new Tokenizer(json as object, {}));
    } catch (err) {
      throw new ModelError('bad-tokenizer', `${path} is not a Hugging Face tokenizer.json this runtime understands (${(err as Error).message}).`, { cause: err });
    }
  }

  encode(text: string): number[] {
    return this.tok.encode(text, { add_special_tokens: false }).ids;
  }

  decode(ids: readonly number[], skipSpecial = true): string {
    return this.tok.decode([...ids], { skip_special_tokens: skipSpecial });
  }

  idOf(token: string): number | undefined {
    return this.tok.token_to_id(token);
  }
}

/** Turns a growing id list into text deltas; holds back a trailing replacement character (incomplete UTF-8). */
export class TextStreamer {
  private emitted = '';

  /** The new stable text, given the decoded text of all ids so far. */
  push(text: string): string {
    const stable = text.endsWith('\uFFFD') ? text.slice(0, -1) : text;
    if (!stable.startsWith(this.emitted)) {
      // Decoding is not prefix-stable for this tokenizer here: emit nothing new until it is.
      return '';
    }
    const delta = stable.slice(this.emitted.length);
    this.emitted = stable;
    return delta;
  }

  /** Whatever is left once generation ends, given the final decoded text. */
  flush(text: string): string {
    const delta = text.startsWith(this.emitted) ? text.slice(this.emitted.length) : '';
    this.emitted = text;
    return delta;
  }
}
