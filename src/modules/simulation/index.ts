/**
 * Simulation (`qingliu simulate`): the simulated world (scenarios with a known truth) and the driver
 * that plays it against a server, in process or over HTTP, and reports what the server's
 * recommendations were worth against the best possible ones. Simulated traffic is marked and runs
 * only against servers in demo mode (LC4).
 */
export * from './world/index.js';
export * from './driver/index.js';
export { abCoverage, demoProductViews, fixedPolicies, wilson, type CoverageOptions, type CoverageResult } from './ab-coverage.js';
export { startDemoAudience, DEMO_AUDIENCE_DEFAULTS, type DemoAudience, type DemoAudienceOptions } from './demo-audience.js';
