import { imageSize } from 'image-size';
import type { ImageTokenRule } from '../catalog/catalog.types';
import type { ChatMessage } from '../providers/types';

/**
 * Tokens we assume an image costs when its size is unknown (an http URL, an unreadable file): the
 * most any provider we route to bills for one image (OpenAI's patch-based models: 1536 patches at
 * up to 2.46 tokens each; tile-based ones top out at 1445, Anthropic near 1600).
 */
export const MAX_IMAGE_TOKENS = 3840;

/** Audio bills at most 32 tokens a second (Gemini; OpenAI is near 10), and no codec we accept packs a second in under 1000 bytes (8 kbit/s). */
const AUDIO_TOKENS_PER_SECOND = 32;
const AUDIO_MIN_BYTES_PER_SECOND = 1000;

/** The most 512px tiles OpenAI's formula gives an image (fit in 2048x2048, shortest side 768: 2 x 4). */
const MAX_TILES = 8;

/** An image in the prompt as the estimate counted it, for an endpoint that counts images its own way to count it again. */
export interface ImageEstimate {
  /** Pixels; 0 when unknown (an http URL, an unreadable file, a PDF's page). */
  width: number;
  height: number;
  detail?: unknown;
  /** What `tokens` counts for it. */
  tokens: number;
}

export interface PromptEstimate {
  tokens: number;
  /** Input images (what the per-image price applies to). */
  images: number;
  /** Every image `tokens` counts, a PDF's pages included. */
  imageParts: ImageEstimate[];
  /**
   * Output tokens the provider may bill beyond max_tokens: a predicted output's content, whose
   * rejected tokens OpenAI bills as completion tokens.
   */
  predictionTokens: number;
}

/** The parts of a chat request that reach the provider as input. */
export interface PromptInput {
  messages: ChatMessage[];
  tools?: unknown;
  response_format?: unknown;
  prediction?: unknown;
}

const textTokens = (bytes: number) => Math.ceil(bytes / 3);
const jsonBytes = (v: unknown) => (v === undefined || v === null ? 0 : Buffer.byteLength(JSON.stringify(v)));

/** The bytes of a base64 `data:` URL (or bare base64), or null when it is not one. */
function dataBytes(data: unknown): Buffer | null {
  if (typeof data !== 'string') return null;
  const m = /^data:[^,]*;base64,(.*)$/s.exec(data);
  const b64 = m ? m[1] : /^[A-Za-z0-9+/=\s]+$/.test(data.slice(0, 256)) ? data : null;
  return b64 === null ? null : Buffer.from(b64, 'base64');
}

/**
 * What one image can cost in prompt tokens, by its size (read from a data URL) and detail: the
 * highest of the providers' formulas, so the estimate holds whichever endpoint serves it (but one
 * with its own image token counts, see imageTokensUnder).
 */
export function imageTokens(url: unknown, detail?: unknown): number {
  return readImage(url, detail).tokens;
}

function readImage(url: unknown, detail: unknown): ImageEstimate {
  const bytes = dataBytes(url);
  let size: { width?: number; height?: number } | null = null;
  try {
    size = bytes ? imageSize(bytes) : null;
  } catch {
    size = null;
  }
  const w = size?.width ?? 0;
  const h = size?.height ?? 0;
  if (w < 1 || h < 1) return { width: 0, height: 0, detail, tokens: MAX_IMAGE_TOKENS };
  const tokens = Math.min(
    MAX_IMAGE_TOKENS,
    Math.max(openAiTiles(w, h, detail), openAiPatches(w, h), anthropicImage(w, h), geminiImage(w, h)),
  );
  return { width: w, height: h, detail, tokens };
}

/**
 * What an image can cost on an endpoint with its own token counts (OpenAI's tile formula at the
 * endpoint's base and tile counts; an image of unknown size at the most tiles), never below the
 * common estimate.
 */
export function imageTokensUnder(rule: ImageTokenRule, image: ImageEstimate): number {
  const tiles = image.detail === 'low' ? 0 : image.width < 1 || image.height < 1 ? MAX_TILES : tileCount(image.width, image.height);
  return Math.max(image.tokens, rule.base + rule.tile * tiles);
}

/** OpenAI's 512px tiles: fit in 2048x2048, then the shortest side to 768. */
function tileCount(w: number, h: number): number {
  let s = Math.min(1, 2048 / Math.max(w, h));
  s *= Math.min(1, 768 / Math.min(w * s, h * s));
  return Math.ceil((w * s) / 512) * Math.ceil((h * s) / 512);
}

/** OpenAI's tile-based models: fit in 2048x2048, shortest side to 768, 170 a 512px tile plus 85; `low` detail 85. */
function openAiTiles(w: number, h: number, detail: unknown): number {
  return detail === 'low' ? 85 : 85 + 170 * tileCount(w, h);
}

/** OpenAI's patch-based models: 32px patches, at most 1536, times the largest model multiplier (2.46). */
function openAiPatches(w: number, h: number): number {
  return Math.ceil(Math.min(1536, Math.ceil(w / 32) * Math.ceil(h / 32)) * 2.5);
}

/** Anthropic: pixels / 750, after scaling into 1568px and 1.15 megapixels. */
function anthropicImage(w: number, h: number): number {
  const s = Math.min(1, 1568 / Math.max(w, h), Math.sqrt(1_150_000 / (w * h)));
  return Math.ceil((w * s * h * s) / 750);
}

/** Gemini: 258 for an image within 384x384, else 258 a 768px tile. */
function geminiImage(w: number, h: number): number {
  return w <= 384 && h <= 384 ? 258 : 258 * Math.ceil(w / 768) * Math.ceil(h / 768);
}

/**
 * A file part: its text (a token per byte, as compressed PDF text can expand to 3-4 characters a
 * byte) plus, for a PDF, every page as an image (providers send pages as images too). A file by id
 * or URL is not here to read: only its reference counts.
 */
function fileTokens(part: Record<string, unknown>, pageImages: ImageEstimate[]): number {
  const file = (part.file ?? {}) as Record<string, unknown>;
  const bytes = dataBytes(file.file_data);
  if (!bytes) return textTokens(jsonBytes(part));
  const isPdf = bytes.subarray(0, 5).toString('latin1') === '%PDF-';
  if (!isPdf) return bytes.length;
  const pages = Math.max(1, (bytes.toString('latin1').match(/\/Type\s*\/Page(?![s\w])/g) ?? []).length);
  for (let i = 0; i < pages; i++) pageImages.push({ width: 0, height: 0, tokens: MAX_IMAGE_TOKENS });
  return bytes.length + pages * MAX_IMAGE_TOKENS;
}

/** Audio: the longest it can last at the lowest bit rate, at the highest per-second token rate. */
function audioTokens(part: Record<string, unknown>): number {
  const audio = (part.input_audio ?? {}) as Record<string, unknown>;
  const bytes = dataBytes(audio.data);
  if (!bytes) return textTokens(jsonBytes(part));
  return Math.ceil((bytes.length / AUDIO_MIN_BYTES_PER_SECOND) * AUDIO_TOKENS_PER_SECOND);
}

/** The text of a predicted output (`prediction.content`, a string or text parts). */
function predictionBytes(prediction: unknown): number {
  const content = (prediction as { content?: unknown } | null | undefined)?.content;
  if (typeof content === 'string') return Buffer.byteLength(content);
  if (Array.isArray(content))
    return content.reduce<number>((n, p) => n + (typeof p?.text === 'string' ? Buffer.byteLength(p.text) : jsonBytes(p)), 0);
  return jsonBytes(content);
}

/**
 * The prompt estimate on an endpoint that counts images its own way: its images (a PDF's pages
 * included) counted again at the endpoint's counts in place of the common ones.
 */
export function promptTokensUnder(rule: ImageTokenRule | null, estimate: { tokens: number; imageParts?: ImageEstimate[] }): number {
  if (!rule || !estimate.imageParts) return estimate.tokens;
  return estimate.imageParts.reduce((n, image) => n + imageTokensUnder(rule, image) - image.tokens, estimate.tokens);
}

/**
 * A deliberately high estimate of prompt tokens, for the hold: one token per 3 bytes of UTF-8 text
 * (real tokenizers average about 4 characters per token in English), plus per-message overhead;
 * images by size and detail, files and audio by what they can bill; tools, the response_format
 * schema and the predicted output's text. Overestimating only reserves a little more;
 * underestimating could let a request cost more than its hold, which is then capped at the hold.
 */
export function estimatePrompt(input: PromptInput): PromptEstimate {
  let bytes = 0;
  let tokens = 0;
  let images = 0;
  const imageParts: ImageEstimate[] = [];
  for (const m of input.messages) {
    bytes += 12; // role and framing
    if (typeof m.content === 'string') bytes += Buffer.byteLength(m.content);
    else if (Array.isArray(m.content)) {
      for (const p of m.content as Record<string, unknown>[]) {
        if (p.type === 'text' && typeof p.text === 'string') bytes += Buffer.byteLength(p.text);
        else if (p.type === 'image_url') {
          images++;
          const image = (p.image_url ?? {}) as { url?: unknown; detail?: unknown };
          const read = readImage(image.url, image.detail);
          imageParts.push(read);
          tokens += read.tokens;
        } else if (p.type === 'file') tokens += fileTokens(p, imageParts);
        else if (p.type === 'input_audio') tokens += audioTokens(p);
        else bytes += jsonBytes(p);
      }
    }
    if (m.tool_calls) bytes += jsonBytes(m.tool_calls);
    if (typeof m.name === 'string') bytes += m.name.length;
  }
  bytes += jsonBytes(input.tools) + jsonBytes(input.response_format);
  const prediction = predictionBytes(input.prediction);
  return { tokens: textTokens(bytes) + tokens, images, imageParts, predictionTokens: prediction ? textTokens(prediction) : 0 };
}

/**
 * Tokens in text produced so far, when the upstream never said (a cut or cancelled stream): about
 * 4 characters a token, and never fewer than the deltas relayed (a provider streams at least a
 * token per delta).
 */
export function estimateOutputTokens(chars: number, deltas = 0): number {
  return Math.max(deltas, chars > 0 ? Math.ceil(chars / 4) : 0);
}
