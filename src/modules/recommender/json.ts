/**
 * A list of recommendations as the JSON the HTTP route sends, written from cached pieces.
 *
 * Viewers without personalisation in a room share one ranked list per room view (the service's
 * non-personalised cache): the same explanation and reasons objects go to every such viewer until
 * the room changes, and only the decision ids and the time differ between their lists. So the JSON
 * of an explanation and of a reasons object that is shared is made once and kept beside the object
 * (a WeakMap: it goes when the room view goes); a personalised item's are fresh per request and
 * serialised each time. The output is what the route's response schema describes, field for field
 * (json.test.ts parses it back and compares it with the schema serialiser's output on every kind of
 * list); numbers follow that serialiser too (NaN is an error, ±Infinity is written as null).
 */
import type { Explanation } from './model/index.js';
import type { Recommendations, RecommendationItem } from './service.js';

const explanations = new WeakMap<Explanation, string>();
const reasonsCache = new WeakMap<RecommendationItem['reasons'], string>();
const labels = new WeakMap<Recommendations['label'], string>();

const str = JSON.stringify as (value: string) => string;

function num(value: number): string {
  if (Number.isNaN(value)) throw new TypeError('a recommendation carries a number that is not a number');
  return Number.isFinite(value) ? '' + value : 'null';
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

/** The route's response body for a list of recommendations. */
export function recommendationsJson(list: Recommendations): string {
  let out = `{"sessionId":${str(list.sessionId)},"personalised":${list.personalised ? 'true' : 'false'},"label":${cached(labels, list.label, labelJson)},"modelVersion":${str(list.modelVersion)},"at":${num(list.at)}`;
  if (list.experiment) out += `,"experiment":{"id":${str(list.experiment.id)},"arm":${str(list.experiment.arm)}}`;
  out += ',"items":[';
  const items = list.items;
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    // Shared objects (non-personalised items) are serialised once; a personalised item's are its own.
    const shared = !item.personalised;
    const reasons = shared ? cached(reasonsCache, item.reasons, reasonsJson) : reasonsJson(item.reasons);
    const explanation = shared ? cached(explanations, item.explanation, explanationJson) : explanationJson(item.explanation);
    out +=
      `${i === 0 ? '' : ','}{"decisionId":${str(item.decisionId)},"productId":${str(item.productId)},"position":${num(item.position)},` +
      `"personalised":${item.personalised ? 'true' : 'false'},"propensity":${num(item.propensity)},"reasons":${reasons},"explanation":${explanation}}`;
  }
  return out + ']}';
}
