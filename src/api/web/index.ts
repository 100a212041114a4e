/**
 * The web-streams API: TCP and UDP sockets of a user-space stack as `ReadableStream` /
 * `WritableStream`, for browsers (and any host with web streams, `performance` and `setTimeout`).
 * No Node built-ins here or in anything it imports.
 */
export { formatAddr, parseIp } from './addr.js';
export type { WebDriverOptions, WebDriverStats } from './driver.js';
export { WebDriver } from './driver.js';
export type { SocketError } from './errors.js';
export { errnoName, isSocketError, socketError } from './errors.js';
export type { AttachOptions, WebStackOptions } from './stack.js';
export { WebStack } from './stack.js';
export type { TcpConnectOptions, TcpListenOptions, TcpOpenInfo, TcpServer, TcpSocket, TcpSocketOptions } from './tcp.js';
export { connectTcp, listenTcp } from './tcp.js';
export type { UdpMessage, UdpOpenInfo, UdpOptions, UdpOutgoingMessage, UdpSocket } from './udp.js';
export { openUdp } from './udp.js';
export type { CableOptions } from '../../core/link/cable.js';
export { MemoryCable } from '../../core/link/cable.js';
