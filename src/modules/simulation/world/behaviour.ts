/**
 * The known utility model: how a simulated viewer responds to a recommended slate. Because the
 * model is known, the truth (expected reward of any slate, the best slate, regret) can be computed
 * exactly in truth.ts.
 *
 * Utility of product j for viewer v (log-odds units):
 *
 *   u(v, j) = a_v[c_j]                                  category affinity
 *           + ageFitBonus · [ageMin_j ≤ m_v ≤ ageMax_j]  the child's age m_v fits
 *           − s_v · ln(price_j / median price in the room)
 *           + d_v · (list_j − price_j) / list_j          discount share
 *           + f_v · [flash sale on j]
 *           + p_v · [j pinned]
 *           + ε(v, j)                                    idiosyncratic, ε ~ N(0, truthNoise²), fixed per pair
 *
 * and u = −∞ for a sold-out product (never clicked nor bought).
 *
 * Position-based cascade, each slot independent:
 *   P(examined at position i) = e_i (the scenario's positionExamination; 0 beyond the list)
 *   P(click | examined)       = σ(clickIntercept + u)
 *   P(cart | click)           = σ(cartIntercept + u)
 *   P(purchase | cart)        = σ(purchaseIntercept + u)
 *   P(thumbs up | purchase)   = thumbsUpGivenPurchase
 *   examined, not clicked:    thumbs down with thumbsDownRate · σ(−u), else not interested with
 *                             notInterestedRate · σ(−u) (low-utility items draw the feedback)
 * with σ(x) = 1 / (1 + e^(−x)). Positions are 0-based, as the server numbers them.
 */
import { Rng } from '../../../shared/rng.js';
import { mixSeed, type SimViewer } from './audience.js';
import type { Scenario } from './scenario.js';

/** A product as the server shows it in the room (prices in fen; 1 yuan = 100 fen). */
export interface ProductView {
  id: string;
  category: string;
  /** The price now (a flash sale's price while one runs). */
  priceFen: number;
  listPriceFen: number;
  ageMinMonths: number;
  ageMaxMonths: number;
  soldOut: boolean;
  pinned: boolean;
  /** An active flash sale on it. */
  flashSale: boolean;
}

/** What the utility needs to know about the room. */
export interface RoomContext {
  /** Median current price of the room's on-stage products: the reference of the price term. */
  medianPriceFen: number;
}

/** One thing a viewer does with a slate item. */
export type SimActionKind = 'impression' | 'click' | 'add_to_cart' | 'purchase' | 'thumbs_up' | 'thumbs_down' | 'not_interested';

/** An action for the driver to send to the server; `position` is the 0-based slot in the slate. */
export interface SimAction {
  kind: SimActionKind;
  productId: string;
  position: number;
}

/** The viewer fields the model reads (a SimViewer has them all). */
export type ModelViewer = Pick<SimViewer, 'personaKey' | 'latent' | 'behaviour'>;

/** σ(x) = 1 / (1 + e^(−x)); σ(−∞) = 0. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** The room context of a set of on-stage products: the median current price (lower middle for an even count). */
export function roomContext(products: readonly ProductView[]): RoomContext {
  const prices = products.map((p) => p.priceFen).filter((p) => p > 0).sort((a, b) => a - b);
  if (prices.length === 0) return { medianPriceFen: 1 };
  const mid = prices.length >> 1;
  const median = prices.length % 2 === 1 ? prices[mid]! : (prices[mid - 1]! + prices[mid]!) / 2;
  return { medianPriceFen: median };
}

/**
 * The idiosyncratic utility ε(v, j) ~ N(0, sd²) of each (viewer, product) pair. It is a pure
 * function of a hash of (viewer's persona key, product id) — the persona key itself a hash of
 * (scenario, seed, viewer index) — so it is the same whatever the order of the calls, and computed
 * only when asked (nothing is stored).
 */
export class NoiseTable {
  readonly sd: number;
  constructor(sd: number) {
    if (!(sd >= 0) || !Number.isFinite(sd)) throw new RangeError('noise sd must be a finite number ≥ 0');
    this.sd = sd;
  }

  /** The table of a scenario (its truthNoise). */
  static forScenario(scenario: Pick<Scenario, 'truthNoise'>): NoiseTable {
    return new NoiseTable(scenario.truthNoise);
  }

  /** ε for the viewer and product. */
  get(viewer: Pick<SimViewer, 'personaKey'>, productId: string): number {
    if (this.sd === 0) return 0;
    return this.sd * new Rng(mixSeed('truth-noise', viewer.personaKey, productId)).normal();
  }
}

/** Whether the product's age range contains the child's age in months. */
export function ageFits(childAgeMonths: number, product: Pick<ProductView, 'ageMinMonths' | 'ageMaxMonths'>): boolean {
  return product.ageMinMonths <= childAgeMonths && childAgeMonths <= product.ageMaxMonths;
}

/** The utility u(v, j) of the module comment; −Infinity for a sold-out product. */
export function utility(viewer: ModelViewer, product: ProductView, room: RoomContext, noise: NoiseTable): number {
  if (product.soldOut) return -Infinity;
  const l = viewer.latent;
  const affinity = l.categoryAffinity[product.category] ?? 0; // an unknown category counts as an average one
  const fit = ageFits(l.childAgeMonths, product) ? l.ageFitBonus : 0;
  const price = -l.priceSensitivity * Math.log(Math.max(1, product.priceFen) / Math.max(1, room.medianPriceFen));
  const discount = product.listPriceFen > 0 ? Math.max(0, (product.listPriceFen - product.priceFen) / product.listPriceFen) : 0;
  return (
    affinity +
    fit +
    price +
    l.discountAffinity * discount +
    (product.flashSale ? l.flashSaleAffinity : 0) +
    (product.pinned ? l.pinnedAffinity : 0) +
    noise.get(viewer, product.id)
  );
}

/** P(examined) of a 0-based position: the scenario's list, 0 beyond it. */
export function examination(viewer: Pick<SimViewer, 'behaviour'>, position: number): number {
  return viewer.behaviour.positionExamination[position] ?? 0;
}

/** The probabilities of one item once examined, and its utility. */
export interface ItemProbabilities {
  utility: number;
  /** σ(clickIntercept + u) */
  click: number;
  /** click · σ(cartIntercept + u) */
  cart: number;
  /** cart · σ(purchaseIntercept + u) */
  purchase: number;
}

/** The cascade's probabilities for one item, given that it is examined. */
export function itemProbabilities(viewer: ModelViewer, product: ProductView, room: RoomContext, noise: NoiseTable): ItemProbabilities {
  const u = utility(viewer, product, room, noise);
  const b = viewer.behaviour;
  const click = sigmoid(b.clickIntercept + u);
  const cart = click * sigmoid(b.cartIntercept + u);
  const purchase = cart * sigmoid(b.purchaseIntercept + u);
  return { utility: u, click, cart, purchase };
}

/** P(click) of the product shown at a position: e_i · σ(clickIntercept + u). */
export function clickProbability(viewer: ModelViewer, product: ProductView, position: number, room: RoomContext, noise: NoiseTable): number {
  return examination(viewer, position) * itemProbabilities(viewer, product, room, noise).click;
}

/** P(purchase) of the product shown at a position: e_i · σ(c + u) · σ(k + u) · σ(b + u). */
export function purchaseProbability(viewer: ModelViewer, product: ProductView, position: number, room: RoomContext, noise: NoiseTable): number {
  return examination(viewer, position) * itemProbabilities(viewer, product, room, noise).purchase;
}

/**
 * The viewer's actions on a slate, following the cascade of the module comment. Every slot takes
 * the same six uniforms from `rng` whatever happens (examine, click, cart, purchase, thumbs up,
 * feedback), so two slates answered with equally seeded generators use common random numbers.
 * A product repeated in the slate counts only at its first position. Impressions are reported for
 * examined items only (what the viewer actually saw).
 */
export function respond(viewer: ModelViewer, slate: readonly ProductView[], room: RoomContext, noise: NoiseTable, rng: Rng): SimAction[] {
  const b = viewer.behaviour;
  const actions: SimAction[] = [];
  const seen = new Set<string>();
  slate.forEach((product, position) => {
    const [uExamine, uClick, uCart, uPurchase, uThumbsUp, uFeedback] = [rng.next(), rng.next(), rng.next(), rng.next(), rng.next(), rng.next()];
    if (seen.has(product.id)) return;
    seen.add(product.id);
    if (uExamine >= examination(viewer, position)) return;
    const act = (kind: SimActionKind) => actions.push({ kind, productId: product.id, position });
    act('impression');
    if (product.soldOut) return;
    const u = utility(viewer, product, room, noise);
    if (uClick < sigmoid(b.clickIntercept + u)) {
      act('click');
      if (uCart >= sigmoid(b.cartIntercept + u)) return;
      act('add_to_cart');
      if (uPurchase >= sigmoid(b.purchaseIntercept + u)) return;
      act('purchase');
      if (uThumbsUp < b.thumbsUpGivenPurchase) act('thumbs_up');
      return;
    }
    const low = sigmoid(-u);
    if (uFeedback < b.thumbsDownRate * low) act('thumbs_down');
    else if (uFeedback < (b.thumbsDownRate + b.notInterestedRate) * low) act('not_interested');
  });
  return actions;
}
