/** Node `net`-compatible API over wirestack (see README "Node net API"). */
export { type AddressInfo, isIP, isIPv4, isIPv6 } from './address.js';
export { codeError, errnoError, type NetError } from './errors.js';
export { HttpAgent, serveHttp } from './http.js';
export { NetStack, type NetStackOptions } from './net-stack.js';
export { type ListenOptions, Server, type ServerOptions } from './server.js';
export { type ConnectOptions, type ReadyState, Socket, type SocketOptions } from './socket.js';
