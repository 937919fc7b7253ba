/**
 * The simulation driver: plays a scenario's simulated audience against a Qingliu server and
 * measures its recommendations against the world's truth. The runner (`simulate`) depends only on
 * the SimTarget port; `createInjectTarget` drives the app in this process on a simulated clock,
 * `createHttpTarget` a real server over HTTP and WebSocket. Reports: JSON (`SimulationReport`) and
 * a self-contained HTML page (`renderHtmlReport`).
 */
export {
  ROUTES,
  SimulationRefusedError,
  SimulationSetupError,
  TargetUnreachableError,
  routeLimit,
  type RouteKey,
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
  LatencyHistogram,
  NOT_PERSONALISED_ARM,
  PERSONALISED_ARM,
  Tally,
  buildReport,
  upliftOf,
  withoutTimings,
  type ArmFigures,
  type CurvePoint,
  type ReportMeta,
  type RouteFigures,
  type SimulationReport,
  type Uplift,
} from './report.js';
export { renderHtmlReport } from './report-html.js';
