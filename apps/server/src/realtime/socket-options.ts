import type { GatewayMetadata } from '@nestjs/websockets';

/**
 * The largest socket packet accepted (bytes). Big enough for a message at the hard cap of the DTO
 * (100 000 characters, JSON-escaped), small enough that garbage cannot make a node buffer megabytes.
 * Larger packets close that connection (Socket.IO's own limit), never the process.
 */
export const SOCKET_MAX_PAYLOAD_BYTES = 1_000_000;

/**
 * Options of the one Socket.IO server. Every gateway passes these same options: Nest shares one server
 * per port and namespace and takes the options of whichever gateway it creates first.
 */
export const SOCKET_GATEWAY_OPTIONS: GatewayMetadata = {
  maxHttpBufferSize: SOCKET_MAX_PAYLOAD_BYTES,
  serveClient: false,
  // No CORS headers: browsers on other origins are refused by the gateway's allowRequest check
  // (CORS_ORIGINS / PUBLIC_URL, as for HTTP); same-origin pages and non-browser clients connect.
};
