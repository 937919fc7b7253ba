/**
 * The simulation driver: plays a scenario's simulated audience against a Qingliu server and
 * measures its recommendations against the world's truth. The runner (`simulate`) depends only on
 * the SimTarget port; `createInjectTarget` drives the app in this process on a simulated clock,
 * `createHttpTarget` a real server over HTTP and WebSocket. Reports: JSON (`SimulationReport`) and
 * a self-contained HTML page (`renderHtmlReport`). Viewers also chat and ask the shopping assistant,
 * through the same paths a browser uses (the room socket, the assistant's route).
 */
export {
  ASSISTANT_REPLY_TIMEOUT_MS,
  AssistantAnswers,
  CHAT_ACK_TIMEOUT_MS,
  CHAT_FAILURES,
  NO_SOCKET,
  ROUTES,
  SimulationRefusedError,
  SimulationSetupError,
  TargetUnreachableError,
  chatReplyOutcome,
  routeLimit,
  type RouteKey,
  type SimAssistantReply,
  type SimChatResult,
  type SimChatSend,
  type SimRequest,
  type SimResponse,
  type SimSocket,
  type SimTarget,
  type TargetStats,
} from './target.js';
export { InjectTarget, SimClock, createInjectTarget, type InjectTargetOptions } from './inject-target.js';
export { HttpTarget, Pacer, createHttpTarget, isLoopbackHost, loopbackAddress, CLIENT_ADDRESSES, type HttpTargetOptions } from './http-target.js';
export {
  Schedule,
  armOf,
  compareEvents,
  consentMethodOf,
  recommendationsOf,
  resolveSettings,
  roomView,
  scenarioForRun,
  simulate,
  VIEWER_USER_AGENTS,
  type ExperimentOption,
  type ResolvedSettings,
  type RoomView,
  type SimEvent,
  type SimProgress,
  type SimulateOptions,
} from './run.js';
export {
  CHAT_MESSAGE_KINDS,
  LatencyHistogram,
  NOT_PERSONALISED_ARM,
  PERSONALISED_ARM,
  Tally,
  buildReport,
  latencyFigures,
  talkSummary,
  upliftOf,
  withoutTimings,
  type ArmFigures,
  type AssistantCounts,
  type ChatKindFigures,
  type ChatMessageKind,
  type CurvePoint,
  type LatencyFigures,
  type ReportMeta,
  type RouteFigures,
  type SimulationReport,
  type TalkFigures,
  type Uplift,
} from './report.js';
export { renderHtmlReport } from './report-html.js';
