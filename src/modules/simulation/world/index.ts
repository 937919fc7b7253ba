/**
 * The simulated world of `qingliu simulate`: a scenario (who arrives when, what they like, how they
 * respond, what the host does) with a known truth, so the driver can measure a real server's
 * recommendations against the best possible ones.
 *
 * Typical use by the driver:
 *   const scenario = readScenarioFile(builtinScenarioPath('baby-care'));
 *   const viewers = generateAudience(scenario, seed);
 *   const noise = NoiseTable.forScenario(scenario);
 *   const steps = hostTimeline(scenario, onStageProducts);
 *   // at each viewer's requestMinutes: slate from the server, then
 *   const actions = respond(viewer, slate, roomContext(products), noise, rng);
 *   curve.add(minute, regret(viewer, slate, products, k, room, noise, 'purchase'), expectedReward(viewer, slate, room, noise, 'purchase'));
 *   // at each of the viewer's chatMinutes and assistantMinutes:
 *   const line = chatLine(viewer.locale, scenario.behaviour.chatMix, rng);
 *   const question = assistantQuestion(viewer, products, roomContext(products), noise, rng);
 */
export {
  ASSISTANT_TOPICS,
  BEHAVIOUR_DEFAULTS,
  BUILTIN_SCENARIOS,
  CATEGORIES,
  CHAT_KINDS,
  CHILD_AGE_BANDS,
  CHILD_AGE_MONTHS,
  CITY_TIERS,
  DEVICES,
  HOST_ACTIONS,
  PURPOSES,
  SCENARIO_SCHEMA,
  ScenarioError,
  VIEWER_AGE_BANDS,
  builtinScenarioPath,
  loadScenario,
  parseScenario,
  readScenarioFile,
  semanticProblems,
  type AssistantTopic,
  type BuiltinScenario,
  type Category,
  type ChatKind,
  type ChildAgeBand,
  type CityTier,
  type Device,
  type HostAction,
  type Purpose,
  type Scenario,
  type ScenarioBehaviour,
  type ScenarioFile,
  type ScenarioProblem,
  type ScriptStepSpec,
  type ViewerAgeBand,
} from './scenario.js';
export {
  arrivalCurve,
  arrivalQuantile,
  generateAudience,
  mixSeed,
  personaKeyOf,
  simulatedDeviceId,
  type ArrivalCurve,
  type AudienceOptions,
  type SimViewer,
  type ViewerLatent,
  type ViewerSegment,
} from './audience.js';
export {
  NoiseTable,
  ageFits,
  clickProbability,
  examination,
  itemProbabilities,
  purchaseProbability,
  respond,
  roomContext,
  sigmoid,
  utility,
  type ItemProbabilities,
  type ModelViewer,
  type ProductView,
  type RoomContext,
  type SimAction,
  type SimActionKind,
} from './behaviour.js';
export { RegretCurve, bestSlate, expectedReward, itemReward, knowledgeCeilings, regret, type KnowledgeCeilings, type RegretBucket, type RewardKind } from './truth.js';
export { flashPriceFen, hostTimeline, rankedByPrice, type HostStep } from './host-script.js';
export {
  ASSISTANT_MENTION,
  ASSISTANT_QUESTIONS,
  CHAT_PHRASES,
  assistantQuestion,
  chatLine,
  fillProduct,
  mentionText,
  simulatedNickname,
  spokenName,
  type AssistantQuestion,
  type ChatLine,
} from './talk.js';
