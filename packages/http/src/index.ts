export { HttpServer, type HttpServerOptions, type Route, type RouteContext, type RouteResult } from './http-server.ts';
export { BearerAuth, type BearerAuthOptions, type Realm } from './bearer-auth.ts';
export { HttpError, errorBody, httpStatusOf, type HttpErrorBody } from './http-errors.ts';
export { Readiness, type ReadinessCheck, type ReadinessOptions, type ReadinessReport } from './readiness.ts';
export { addHealthRoutes } from './health-routes.ts';
