/**
 * A word-level tokenizer for captions: lower-cased words (runs of letters and digits) mapped to ids
 * from a vocabulary built from the training captions, `<pad>` = 0 and `<unk>` = 1, encoded to a fixed
 * length (truncated, then padded with 0). Serializable with toJSON / Tokenizer.fromJSON so a trained
 * model keeps the vocabulary it was trained with.
 */

export const PAD_ID = 0;
export const UNK_ID = 1;
const SPECIALS = ['<pad>', '<unk>'];

export interface TokenizerJSON {
  kind: 'word';
  maxLength: number;
  /** Every token by id, the two specials first. */
  vocab: string[];
}

/** The lower-cased words of a text, in order. */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

export class Tokenizer {
  readonly maxLength: number;
  readonly vocab: readonly string[];
  private readonly ids: Map<string, number>;

  private constructor(vocab: string[], maxLength: number) {
    if (!Number.isInteger(maxLength) || maxLength < 1) throw new Error(`tokenizer: maxLength must be a positive integer, got ${maxLength}`);
    this.maxLength = maxLength;
    this.vocab = vocab;
    this.ids = new Map(vocab.map((w, i) => [w, i]));
  }

  /** Vocabulary of every word in `texts`, most frequent first (ties by code point, so the ids are stable). */
  static fromTexts(texts: Iterable<string>, maxLength: number): Tokenizer {
    const counts = new Map<string, number>();
    for (const t of texts) for (const w of words(t)) counts.set(w, (counts.get(w) ?? 0) + 1);
    const sorted = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([w]) => w);
    return new Tokenizer([...SPECIALS, ...sorted], maxLength);
  }

  static fromJSON(json: unknown): Tokenizer {
    const j = json as Partial<TokenizerJSON> | null;
    if (typeof j !== 'object' || j === null || j.kind !== 'word') throw new Error("tokenizer JSON: expected kind 'word'");
    if (!Array.isArray(j.vocab) || !j.vocab.every((w) => typeof w === 'string')) throw new Error('tokenizer JSON: vocab must be a list of strings');
    if (j.vocab[0] !== SPECIALS[0] || j.vocab[1] !== SPECIALS[1]) throw new Error(`tokenizer JSON: vocab must start with ${SPECIALS.join(', ')}`);
    if (new Set(j.vocab).size !== j.vocab.length) throw new Error('tokenizer JSON: vocab has duplicate entries');
    return new Tokenizer([...j.vocab], j.maxLength as number);
  }

  toJSON(): TokenizerJSON {
    return { kind: 'word', maxLength: this.maxLength, vocab: [...this.vocab] };
  }

  get vocabSize(): number {
    return this.vocab.length;
  }

  /** maxLength ids: the text's words (unknown ones `<unk>`), truncated, padded with `<pad>`. */
  encode(text: string, out: Int32Array = new Int32Array(this.maxLength), offset = 0): Int32Array {
    const ws = words(text);
    for (let i = 0; i < this.maxLength; i++) out[offset + i] = i < ws.length ? (this.ids.get(ws[i]!) ?? UNK_ID) : PAD_ID;
    return out;
  }

  /** Token ids [texts.length · maxLength] of several captions, one row each. */
  encodeBatch(texts: readonly string[]): Int32Array {
    const out = new Int32Array(texts.length * this.maxLength);
    texts.forEach((t, i) => this.encode(t, out, i * this.maxLength));
    return out;
  }

  /** The words of some ids, padding dropped. */
  decode(ids: ArrayLike<number>): string {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) if (ids[i] !== PAD_ID) out.push(this.vocab[ids[i]!] ?? SPECIALS[1]!);
    return out.join(' ');
  }
}
