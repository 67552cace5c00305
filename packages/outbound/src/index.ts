export { OutboundPolicy, OutboundRefusedError, type OutboundPolicyOptions, type Resolver } from './outbound-policy.ts';
export { OutboundHttp, type OutboundHttpOptions, type OutboundRequest, type OutboundUse } from './outbound-http.ts';
