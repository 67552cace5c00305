export { addDashboardRoutes } from './dashboard-routes.ts';
export { addLiveCallsRoute, LiveCallsFeed, type LiveCall, type LiveCallsFeedOptions } from './live-calls-feed.ts';
export { DASHBOARD_CSP, DASHBOARD_HEADERS } from './security-headers.ts';
