/**
 * A list of recommendations as the JSON the HTTP route sends, written from cached pieces.
 *
 * Viewers without personalisation in a room share one ranked list per room view (the service's
 * non-personalised cache): the same explanation and reasons objects go to every such viewer until
 * the room changes, and only the decision ids and the time differ between their lists. So the JSON
 * of an explanation and of a reasons object that is shared is made once and kept beside the object
 * (a WeakMap: it goes when the room view goes), and so are a shared item's UTF-8 bytes; a
 * personalised item's are fresh per request and serialised each time. The output is what the route's response schema describes, field for field
 * (json.test.ts parses it back and compares it with the schema serialiser's output on every kind of
 * list); numbers follow that serialiser too (NaN is an error, ±Infinity is written as null).
 */
import type { Explanation } from './model/index.js';
import type { Recommendations, RecommendationItem } from './service.js';

const explanations = new WeakMap<Explanation, string>();
const reasonsCache = new WeakMap<RecommendationItem['reasons'], string>();
const labels = new WeakMap<Recommendations['label'], string>();

const str = JSON.stringify as (value: string) => string;

/**
 * A number's text as the schema serialiser writes it (the shortest that reads back as the same
 * number). Through JSON.stringify, not `'' + value`: V8 keeps the strings `'' + value` makes in its
 * number-to-string cache and so allocates them straight in the old generation (3 million fractions
 * converted alone: 7 full collections that way, none through JSON.stringify, which was also 18 %
 * faster). A personalised list writes about 140 numbers.
 */
const numberText = JSON.stringify as (value: number) => string;

function num(value: number): string {
  if (Number.isNaN(value)) throw new TypeError('a recommendation carries a number that is not a number');
  return Number.isFinite(value) ? numberText(value) : 'null';
}

function explanationJson(e: Explanation): string {
  let out = `{"score":${num(e.score)},"base":${num(e.base)},"contributions":[`;
  const cs = e.contributions;
  for (let i = 0; i < cs.length; i++) {
    const c = cs[i]!;
    out += `${i === 0 ? '' : ','}{"feature":${str(c.feature)},"value":${num(c.value)},"phi":${num(c.phi)}}`;
  }
  out += `],"exploration":{"active":${e.exploration.active ? 'true' : 'false'},"bonus":${num(e.exploration.bonus)}},"modelVersion":${str(e.modelVersion)}`;
  if (e.method !== undefined) out += `,"method":${str(e.method)}`;
  if (e.residual !== undefined) out += `,"residual":${num(e.residual)}`;
  return out + '}';
}

const stringsJson = (list: readonly string[]): string => {
  let out = '[';
  for (let i = 0; i < list.length; i++) out += (i === 0 ? '' : ',') + str(list[i]!);
  return out + ']';
};

function cached<K extends object>(cache: WeakMap<K, string>, key: K, make: (key: K) => string): string {
  let json = cache.get(key);
  if (json === undefined) {
    json = make(key);
    cache.set(key, json);
  }
  return json;
}

const reasonsJson = (r: RecommendationItem['reasons']): string => `{"zh":${stringsJson(r.zh)},"en":${stringsJson(r.en)}}`;
const labelJson = (l: Recommendations['label']): string => `{"zh":${str(l.zh)},"en":${str(l.en)}}`;

/**
 * A shared item's JSON after its decision id, as UTF-8 bytes, kept beside its explanation object
 * with the fields it was written from. Most of a non-personalised body is these (bilingual reasons
 * and the explanation): kept as bytes, they are not flattened and encoded again for every viewer.
 */
interface SharedTail {
  readonly productId: string;
  readonly position: number;
  readonly propensity: number;
  readonly reasons: RecommendationItem['reasons'];
  readonly bytes: Buffer;
}
const sharedTails = new WeakMap<Explanation, SharedTail>();

/** An item's JSON after `{"decisionId":"…"`. */
function itemTail(item: RecommendationItem, reasons: string, explanation: string): string {
  return (
    `,"productId":${str(item.productId)},"position":${num(item.position)},` +
    `"personalised":${item.personalised ? 'true' : 'false'},"propensity":${num(item.propensity)},"reasons":${reasons},"explanation":${explanation}}`
  );
}

function sharedTail(item: RecommendationItem): Buffer {
  const hit = sharedTails.get(item.explanation);
  if (hit && hit.productId === item.productId && hit.position === item.position && hit.propensity === item.propensity && hit.reasons === item.reasons) return hit.bytes;
  const bytes = Buffer.from(itemTail(item, cached(reasonsCache, item.reasons, reasonsJson), cached(explanations, item.explanation, explanationJson)), 'utf8');
  sharedTails.set(item.explanation, { productId: item.productId, position: item.position, propensity: item.propensity, reasons: item.reasons, bytes });
  return bytes;
}

/** The route's response body for a list of recommendations, as UTF-8 bytes. */
export function recommendationsBody(list: Recommendations): Buffer {
  const parts: Buffer[] = [];
  let text = `{"sessionId":${str(list.sessionId)},"personalised":${list.personalised ? 'true' : 'false'},"label":${cached(labels, list.label, labelJson)},"modelVersion":${str(list.modelVersion)},"at":${num(list.at)}`;
  if (list.experiment) text += `,"experiment":{"id":${str(list.experiment.id)},"arm":${str(list.experiment.arm)}}`;
  text += ',"items":[';
  const items = list.items;
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    text += `${i === 0 ? '' : ','}{"decisionId":${str(item.decisionId)}`;
    if (item.personalised) {
      // A personalised item's explanation and reasons are its own: written as text each time.
      text += itemTail(item, reasonsJson(item.reasons), explanationJson(item.explanation));
    } else {
      parts.push(Buffer.from(text, 'utf8'), sharedTail(item));
      text = '';
    }
  }
  parts.push(Buffer.from(text + ']}', 'utf8'));
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}
